/**
 * The full reliability run (`pnpm reliability`): every scenario at full size, a table of what was
 * held, injected and tried, written to docs/reliability.md. Exits 1 if any scenario failed.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCENARIOS } from './scenarios/index.js';

const results: {
  id: number;
  name: string;
  proves: string;
  ok: boolean;
  seconds: number;
  figures: Record<string, string | number>;
  error?: string;
}[] = [];
const only = process.argv
  .slice(2)
  .filter((a) => /^\d+$/.test(a))
  .map(Number);
for (const s of SCENARIOS) {
  if (only.length && !only.includes(s.id)) continue;
  process.stderr.write(`scenario ${s.id}: ${s.name} ... `);
  const t0 = Date.now();
  try {
    const { figures } = await s.run({ full: true });
    results.push({ id: s.id, name: s.name, proves: s.proves, ok: true, seconds: (Date.now() - t0) / 1000, figures });
    process.stderr.write('ok\n');
  } catch (err) {
    results.push({
      id: s.id,
      name: s.name,
      proves: s.proves,
      ok: false,
      seconds: (Date.now() - t0) / 1000,
      figures: {},
      error: String(err),
    });
    process.stderr.write(`FAILED: ${String(err)}\n`);
  }
}

const table = [
  '| # | scenario | result | figures |',
  '|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.id} | ${r.name} | ${r.ok ? `passed (${r.seconds.toFixed(1)} s)` : `**FAILED**: ${r.error}`} | ${Object.entries(
        r.figures,
      )
        .map(([k, v]) => `${k}: ${v}`)
        .join('<br>')} |`,
  ),
].join('\n');
console.log(table);

if (!only.length) {
  const doc = `# Reliability

What happens to Multifrost when workers die, hang, flood it with garbage, or the registry is
hammered — each scenario runs on real processes and real sockets and asserts the outcome.

- Fast subset: part of \`pnpm test\` (\`packages/reliability/test\`), smaller sizes.
- Full run: \`pnpm reliability\` (this table; about ${Math.round(results.reduce((a, r) => a + r.seconds, 0))} s).

| # | scenario | what it proves |
|---|---|---|
${results.map((r) => `| ${r.id} | ${r.name} | ${r.proves} |`).join('\n')}

## Last full run (${new Date().toISOString().slice(0, 10)}, ${process.version}, 2 cores)

${table}
`;
  writeFileSync(
    path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'reliability.md'),
    doc,
  );
}
process.exitCode = results.every((r) => r.ok) ? 0 : 1;
