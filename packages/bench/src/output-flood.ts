/**
 * Measures what one huge output line costs a parent: a real spawned worker writes 48 MiB to its
 * stdout without a newline (then one), and the parent reads it through its output handler. Reports
 * the time from the call to the last byte, the longest event-loop stall in the parent
 * (perf_hooks.monitorEventLoopDelay) and the parent's RSS before and at its peak (VmHWM).
 *   pnpm --filter @multifrost/bench exec tsx src/output-flood.ts [--mb 48] [--parent path/to/dist/index.js]
 * The same file is the worker (run with `--worker`), so the figures need nothing else.
 * Measured 2026-12-01 (Node 20.20.2, 2 cores, 48 MiB, 3 runs each; `--parent` pointed at builds
 * of the older splitters):
 *   string append + indexOf (before 3381f41): 12.1–15.3 s, stalls 1.26–2.02 s, RSS → 554–697 MB peak
 *   string pieces, 1 Mi chars (3381f41):     119–142 ms, stalls 13.8–15.6 ms, RSS → 105–109 MB peak
 *   byte pieces, 1 MiB cap, flagged cuts:    110–120 ms, stalls 13.9–19.9 ms, RSS → 98–100 MB peak
 * (RSS before the flood: 80–89 MB in every run.)
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CHUNK = 64 * 1024;

async function worker(): Promise<void> {
  const { ChildWorker } = await import('@multifrost/child');
  class Flood extends ChildWorker {
    async flood(bytes: number): Promise<number> {
      const chunk = Buffer.alloc(CHUNK, 'x');
      for (let sent = 0; sent < bytes; sent += CHUNK) {
        const piece = sent + CHUNK <= bytes ? chunk : chunk.subarray(0, bytes - sent);
        if (!process.stdout.write(piece)) await new Promise((r) => process.stdout.once('drain', r));
      }
      await new Promise((r) => process.stdout.write('\n', r));
      return bytes;
    }
  }
  await new Flood().run();
}

/** VmRSS and VmHWM (the peak so far) of this process, in MB. */
function memory(): { rss: number; peak: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--mb');
  const bytes = (at > 0 ? Number(process.argv[at + 1]) : 48) * 1024 * 1024;
  // `--parent <file>`: another build of @multifrost/parent, to measure before and after a change.
  const alt = process.argv.indexOf('--parent');
  const { ParentWorker } = (await import(
    alt > 0 ? pathToFileURL(process.argv[alt + 1]!).href : '@multifrost/parent'
  )) as typeof import('@multifrost/parent');
  let received = 0;
  let pieces = 0;
  let cutPieces = 0;
  let longest = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const w = await ParentWorker.spawn<{ flood(bytes: number): number }>(fileURLToPath(import.meta.url), {
    args: ['--worker'],
    defaultTimeoutMs: 600_000,
    output: (line, stream, info) => {
      if (stream !== 'stdout') return;
      received += line.length;
      pieces++;
      if (info?.cut) cutPieces++;
      longest = Math.max(longest, line.length);
      if (received >= bytes) done();
    },
  });
  try {
    global.gc?.();
    const before = memory();
    const stalls = monitorEventLoopDelay({ resolution: 10 });
    stalls.enable();
    const t0 = performance.now();
    await Promise.all([w.call.flood(bytes), finished]);
    const ms = performance.now() - t0;
    stalls.disable();
    const after = memory();
    const result = {
      'line (MiB)': bytes / 1024 / 1024,
      'read in (ms)': Math.round(ms),
      'longest event-loop stall (ms)': Math.round(stalls.max / 1e5) / 10,
      'parent RSS before → peak (MB)': `${before.rss.toFixed(1)} → ${after.peak.toFixed(1)}`,
      'pieces delivered (flagged cut)': `${pieces} (${cutPieces})`,
      'longest piece (chars)': longest,
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await w.close();
  }
}

if (process.argv.includes('--worker')) await worker();
else await main();
