/**
 * Scaling (issue 16, item 6): one parent driving 1, 2, 4 and 8 workers at 64 to 4,096 calls in
 * flight in total (split evenly over the workers), with default options: aggregate calls/s,
 * latency p50/p99 of every call, and CPU per call of the parent and of the workers together. A
 * per-call cost that grows with the calls in flight or with the workers shows as a parent CPU
 * figure that climbs along a row or down a column.
 *
 *   pnpm --filter @multifrost/bench scaling [--workers 1,2,4,8] [--in-flight 64,256,1024,4096]
 *     [--calls N] [--rounds N] [--python] [--timeout-ms N]
 *
 * `--calls` is per cell (default 40,000, at least 10× the calls in flight); `--python` drives the
 * project's Python worker instead of the Node one; `--timeout-ms` gives every call a deadline
 * (`defaultTimeoutMs`), which puts the parent's deadline timer (deadlines.ts) on the path. Each worker count gets fresh workers; the
 * in-flight levels run on them in a rotated order each round.
 */
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { processCpuUs } from '@multifrost/protocol/internal';
import { ParentWorker } from 'multifrost';
import { median, percentile } from './stats.js';
import { pythonBin } from './targets.js';

const servers = path.join(path.dirname(fileURLToPath(import.meta.url)), 'servers');
const args = process.argv.slice(2);
const value = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const list = (name: string, fallback: number[]) => value(name)?.split(',').map(Number) ?? fallback;
const workerCounts = list('--workers', [1, 2, 4, 8]);
const levels = list('--in-flight', [64, 256, 1024, 4096]);
const callsPerCell = Number(value('--calls') ?? 40_000);
const rounds = Number(value('--rounds') ?? 1);
const python = args.includes('--python');
const timeoutMs = value('--timeout-ms') === undefined ? undefined : Number(value('--timeout-ms'));
for (const n of [...workerCounts, ...levels, callsPerCell, rounds, ...(timeoutMs === undefined ? [] : [timeoutMs])])
  if (!Number.isInteger(n) || n < 1) throw new Error(`scaling: every count must be a whole number ≥ 1 (got ${n})`);

interface Cell {
  callsPerS: number;
  p50Us: number;
  p99Us: number;
  parentUsPerCall: number;
  workersUsPerCall: number;
}

const childCpuUs = (pids: number[]) =>
  pids.reduce((sum, pid) => {
    const c = processCpuUs(pid);
    return sum + (c ? c.userUs + c.systemUs : Number.NaN);
  }, 0);

/** `inFlight` calls kept going over the workers (an equal share each) until `total` completed. */
async function drive(workers: ParentWorker[], inFlight: number, total: number): Promise<Cell> {
  const latencies = new Float64Array(total);
  const pids = workers.map((w) => w.pid!);
  let started = 0;
  let done = 0;
  const cpu0 = process.cpuUsage();
  const child0 = childCpuUs(pids);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async (_, lane) => {
      const worker = workers[lane % workers.length]!;
      while (started < total) {
        started++;
        const s = performance.now();
        await worker.callFunction('add', [1, 2]);
        latencies[done++] = (performance.now() - s) * 1000;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const sorted = latencies.slice(0, done).sort();
  return {
    callsPerS: done / seconds,
    p50Us: percentile(sorted, 0.5),
    p99Us: percentile(sorted, 0.99),
    parentUsPerCall: (cpu.user + cpu.system) / done,
    workersUsPerCall: (childCpuUs(pids) - child0) / done,
  };
}

async function spawnWorkers(n: number): Promise<ParentWorker[]> {
  const script = path.join(servers, python ? 'python_child.py' : 'multifrost-child.mjs');
  const executable = python ? pythonBin() : process.execPath;
  return Promise.all(
    Array.from({ length: n }, () =>
      ParentWorker.spawn(script, { executable, output: 'ignore', defaultTimeoutMs: timeoutMs }),
    ),
  );
}

const cells = new Map<string, Cell[]>();
const started = Date.now();
const loadBefore = loadavg()[0]!.toFixed(2);
for (let round = 0; round < rounds; round++) {
  for (const n of workerCounts) {
    const workers = await spawnWorkers(n);
    try {
      await drive(workers, Math.max(64, n), 5_000); // warm-up: JIT and socket buffers
      const order = levels.map((_, i) => levels[(i + round) % levels.length]!);
      for (const inFlight of order) {
        const total = Math.max(callsPerCell, inFlight * 10);
        const cell = await drive(workers, inFlight, total);
        const key = `${n}/${inFlight}`;
        cells.set(key, [...(cells.get(key) ?? []), cell]);
        process.stderr.write(
          `round ${round + 1}: ${n} workers, ${inFlight} in flight: ${cell.callsPerS.toFixed(0)} calls/s, parent ${cell.parentUsPerCall.toFixed(1)} µs/call\n`,
        );
      }
    } finally {
      await Promise.all(workers.map((w) => w.close()));
    }
  }
}

const fmt = (v: number, digits = 0) =>
  Number.isFinite(v)
    ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a';
console.log(
  `\n${python ? 'Python' : 'Node'} workers${timeoutMs === undefined ? '' : `, defaultTimeoutMs ${timeoutMs}`}; ${rounds} round(s), ${callsPerCell.toLocaleString('en-US')} calls per cell (at least 10× in flight); load before ${loadBefore}; ${Math.round((Date.now() - started) / 1000)} s\n`,
);
console.log('| workers | in flight | calls/s | p50 (µs) | p99 (µs) | parent CPU µs/call | workers CPU µs/call |');
console.log('|---:|---:|---:|---:|---:|---:|---:|');
for (const n of workerCounts)
  for (const inFlight of levels) {
    const runs = cells.get(`${n}/${inFlight}`) ?? [];
    const m = (k: keyof Cell) => median(runs.map((c) => c[k]));
    console.log(
      `| ${n} | ${inFlight.toLocaleString('en-US')} | ${fmt(m('callsPerS'))} | ${fmt(m('p50Us'))} | ${fmt(m('p99Us'))} | ${fmt(m('parentUsPerCall'), 1)} | ${fmt(m('workersUsPerCall'), 1)} |`,
    );
  }
process.exit(0);
