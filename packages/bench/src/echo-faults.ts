/**
 * Where a big echo's time goes: for each target, MB/s of a binary echo with the CPU time and the
 * minor page faults per echo on each side (/proc/<pid>/stat fields 10, 14 and 15). Written to
 * explain the old raw pair's 16 MiB figure (docs/benchmarks.md); rounds interleave the targets.
 *
 *   pnpm --filter @multifrost/bench echo-faults [target ...] [--rounds N] [--mib N] [--echoes N]
 */
import { readFileSync } from 'node:fs';
import { median } from './stats.js';
import { startClient, type TargetName } from './targets.js';
import { numberFlag, bareWords } from './cli-args.js';

/** [minor faults, CPU ms] of a process so far. */
function faultsAndCpu(pid: number | 'self'): [number, number] {
  const line = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = line.slice(line.lastIndexOf(')') + 2).split(' ');
  // After the command name, field N of proc(5) is at index N - 3; ticks are 10 ms.
  return [Number(f[7]), (Number(f[11]) + Number(f[12])) * 10];
}

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => numberFlag(args, name, fallback);
const rounds = flag('--rounds', 3);
const size = flag('--mib', 16) * 2 ** 20;
const echoes = flag('--echoes', 10);
const named = bareWords<TargetName>(args);
const targets = named.length > 0 ? named : (['raw-zmq', 'tuned-raw', 'bare-zmq', 'multifrost'] as TargetName[]);

type Row = { mbps: number; parentFaults: number; childFaults: number; parentMs: number; childMs: number };
const rows = new Map<TargetName, Row[]>(targets.map((t) => [t, []]));
for (let r = 0; r < rounds; r++) {
  for (const target of targets) {
    const client = await startClient(target);
    try {
      const payload = Buffer.alloc(size, 0x5a);
      await client.call('echo', [payload]);
      const p0 = faultsAndCpu('self');
      const c0 = faultsAndCpu(client.childPid);
      const t0 = performance.now();
      for (let i = 0; i < echoes; i++) await client.call('echo', [payload]);
      const seconds = (performance.now() - t0) / 1000;
      const p1 = faultsAndCpu('self');
      const c1 = faultsAndCpu(client.childPid);
      rows.get(target)!.push({
        mbps: (size * echoes) / 1e6 / seconds,
        parentFaults: (p1[0] - p0[0]) / echoes,
        childFaults: (c1[0] - c0[0]) / echoes,
        parentMs: (p1[1] - p0[1]) / echoes,
        childMs: (c1[1] - c0[1]) / echoes,
      });
    } finally {
      await client.close();
    }
  }
}
console.log(`echo of ${size / 2 ** 20} MiB, ${echoes} echoes × ${rounds} rounds (medians)`);
console.log('| target | MB/s | minor faults per echo (parent / child) | CPU ms per echo (parent / child) |');
console.log('|---|---:|---:|---:|');
for (const [t, rs] of rows) {
  const m = (k: keyof Row) => median(rs.map((x) => x[k]));
  console.log(
    `| ${t} | ${m('mbps').toFixed(0)} | ${m('parentFaults').toFixed(0)} / ${m('childFaults').toFixed(0)} | ${m('parentMs').toFixed(1)} / ${m('childMs').toFixed(1)} |`,
  );
}
process.exit(0);
