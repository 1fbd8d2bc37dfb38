/**
 * WorkerPool throughput on this machine: aggregate calls/s and p50/p99 latency (queue time
 * included) of `add(i, 1)` for pools of 1, 2, 4 and 8 Node and Python workers, the parent's CPU
 * per call, and a CPU-bound Python handler's speedup with 2 workers against 1.
 *
 *   pnpm --filter @multifrost/bench pool-bench [--calls 20000] [--rounds 3]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkerPool } from 'multifrost';
import { pythonBin } from '../../../scripts/python-bin.mjs';
import { middle } from './call-rates.js';
import { percentile } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const argNumber = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const CALLS = argNumber('--calls', 20_000);
const ROUNDS = argNumber('--rounds', 3);
const SIZES = [1, 2, 4, 8];
const PYTHON = pythonBin();

// The CPU-bound handler lives here, not in servers/, so this benchmark is one file.
const scratch = mkdtempSync(path.join(tmpdir(), 'mf-pool-bench-'));
const cpuScript = path.join(scratch, 'cpu_child.py');
writeFileSync(
  cpuScript,
  [
    'from multifrost_worker import ChildWorker',
    'class Cpu(ChildWorker):',
    '    def count(self, n):',
    '        total = 0',
    '        for i in range(n):',
    '            total += i % 7',
    '        return total',
    'if __name__ == "__main__":',
    '    Cpu().run()',
    '',
  ].join('\n'),
);

type AddApi = { add(a: number, b: number): number };
type CpuApi = { count(n: number): number };

interface Kind {
  label: string;
  script: string;
  options: Record<string, unknown>;
}
const kinds: Kind[] = [
  { label: 'Node (concurrency 64)', script: path.join(here, 'servers', 'multifrost-child.mjs'), options: {} },
  {
    label: 'Python (concurrency 1, the default)',
    script: path.join(here, 'servers', 'python_child.py'),
    options: { executable: PYTHON },
  },
  {
    label: 'Python (concurrency 8)',
    script: path.join(here, 'servers', 'python_child.py'),
    options: { executable: PYTHON, concurrency: 8 },
  },
];

interface Sample {
  rate: number;
  p50: number;
  p99: number;
  cpuUs: number;
}

async function measure(kind: Kind, size: number): Promise<Sample> {
  await using pool = await WorkerPool.spawn<AddApi>(kind.script, { size, output: 'ignore', ...kind.options });
  const concurrency = (kind.options.concurrency as number | undefined) ?? (kind.script.endsWith('.py') ? 1 : 64);
  // Enough in flight to keep every worker busy, capped so a queue forms only when workers are few.
  const inFlight = Math.min(256, size * concurrency * 2);
  for (let i = 0; i < 500; i++) await pool.call.add(i, 1);
  const lat = new Float64Array(CALLS);
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < CALLS) {
        const i = next++;
        const s = performance.now();
        await pool.call.add(i, 1);
        lat[i] = performance.now() - s;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  lat.sort();
  return {
    rate: CALLS / seconds,
    p50: percentile(lat, 0.5),
    p99: percentile(lat, 0.99),
    cpuUs: (cpu.user + cpu.system) / CALLS,
  };
}

async function cpuBound(size: number, work: number, jobs: number): Promise<number> {
  await using pool = await WorkerPool.spawn<CpuApi>(cpuScript, { size, executable: PYTHON, output: 'ignore' });
  await Promise.all(Array.from({ length: size }, () => pool.call.count(1000)));
  const t0 = performance.now();
  await Promise.all(Array.from({ length: jobs }, () => pool.call.count(work)));
  return performance.now() - t0;
}

try {
  console.log(
    `pool-bench: ${CALLS} calls of add(i, 1) per cell, middle of ${ROUNDS} rounds; latency includes queue time\n`,
  );
  console.log('| workers | ' + kinds.map((k) => k.label).join(' | ') + ' |');
  console.log('|---|' + kinds.map(() => '---|').join(''));
  for (const size of SIZES) {
    const cells: string[] = [];
    for (const kind of kinds) {
      const rounds: Sample[] = [];
      for (let r = 0; r < ROUNDS; r++) rounds.push(await measure(kind, size));
      const m = (f: (s: Sample) => number) => middle(rounds.map(f));
      cells.push(
        `${Math.round(m((s) => s.rate)).toLocaleString('en-US')}/s, p50 ${m((s) => s.p50).toFixed(2)} ms, p99 ${m((s) => s.p99).toFixed(2)} ms, parent ${m((s) => s.cpuUs).toFixed(1)} µs CPU/call`,
      );
    }
    console.log(`| ${size} | ${cells.join(' | ')} |`);
  }
  // About 0.1 s of pure-Python work per job, 8 jobs: 2 workers should take about half as long as 1.
  const work = 2_000_000;
  const jobs = 8;
  const ones: number[] = [];
  const twos: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    ones.push(await cpuBound(1, work, jobs));
    twos.push(await cpuBound(2, work, jobs));
  }
  const speedups = ones.map((t, i) => t / twos[i]!);
  console.log(
    `\nCPU-bound Python (${jobs} jobs of count(${work})): 1 worker ${middle(ones).toFixed(0)} ms, 2 workers ` +
      `${middle(twos).toFixed(0)} ms, speedup ${middle(speedups).toFixed(2)}× (rounds: ${speedups.map((s) => s.toFixed(2)).join(', ')})`,
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
