/**
 * TS parent → the project's Python worker, old module against new in one interleaved run: sequential
 * p50 of `add(1, 2)`, calls/s at 64 and 256 in flight, and the child's CPU µs per call (from /proc,
 * which holds up under load better than wall time). "before" and "after" are module directories put
 * first on PYTHONPATH, so both run in the same interpreter with the same pyzmq and msgpack.
 *
 *   pnpm --filter @multifrost/bench exec tsx src/python-speed.ts --before <dir> [--after <dir>] [--rounds 5]
 *
 * <dir> holds a `multifrost_worker` package (e.g. a `git archive` of an older commit); --after
 * defaults to this checkout's packages/multifrost/python.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ParentWorker } from 'multifrost';
import { pythonBin } from '../../../scripts/python-bin.mjs';
import { middle, pipelinedRate, sequentialP50Us, span } from './call-rates.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.join(here, 'servers', 'python_child.py');

const argText = (name: string, fallback?: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const ROUNDS = Number(argText('--rounds', '5'));
const SEQUENTIAL = 2_000;
const PIPELINED = 20_000;
const FLIGHTS = [64, 256] as const;
const variants = [
  { name: 'before', dir: argText('--before') },
  { name: 'after', dir: argText('--after', path.join(here, '..', '..', 'multifrost', 'python')) },
].filter((v): v is { name: string; dir: string } => v.dir !== undefined);

type Api = { add(a: number, b: number): Promise<number> };
interface Sample {
  p50: number;
  rate: Record<number, number>;
  cpu: number;
}

// utime + stime of a process in µs; the clock tick is 100 Hz on Linux's x86 and arm builds.
const cpuMicros = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
};

async function measure(dir: string): Promise<Sample> {
  const w = await ParentWorker.spawn<Api>(script, {
    executable: pythonBin(),
    protocol: 'v4',
    channel: 'tcp',
    output: 'ignore',
    env: { PYTHONPATH: [dir, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) },
  });
  try {
    const add = (i: number) => w.call.add(i, 1);
    const p50 = await sequentialP50Us(add, SEQUENTIAL);
    const rate: Record<number, number> = {};
    let cpu = 0;
    for (const inFlight of FLIGHTS) {
      const cpu0 = cpuMicros(w.pid!);
      rate[inFlight] = await pipelinedRate(add, PIPELINED, inFlight);
      cpu = (cpuMicros(w.pid!) - cpu0) / PIPELINED; // the last (256 in flight) is the one reported
    }
    return { p50, rate, cpu };
  } finally {
    await w.close();
  }
}

const load = () => readFileSync('/proc/loadavg', 'utf8').trim();

const samples = new Map(variants.map((v) => [v.name, [] as Sample[]]));
console.error(`load before: ${load()}`);
for (let round = 0; round < ROUNDS; round++) {
  // Alternating order, so a burst of load is shared rather than landing on one variant.
  const order = round % 2 === 0 ? variants : [...variants].reverse();
  for (const v of order) {
    const s = await measure(v.dir);
    samples.get(v.name)!.push(s);
    console.error(
      `round ${round + 1} ${v.name}: p50 ${s.p50.toFixed(0)} µs, ${FLIGHTS.map((f) => `${s.rate[f]!.toFixed(0)}/s @${f}`).join(', ')}, child ${s.cpu.toFixed(1)} µs/call`,
    );
  }
}
console.error(`load after: ${load()}`);
console.log(
  `| module | sequential p50 (µs) | ${FLIGHTS.map((f) => `calls/s, ${f} in flight`).join(' | ')} | child CPU µs/call @256 |`,
);
console.log(`|---|---:|${FLIGHTS.map(() => '---:|').join('')}---:|`);
for (const [name, list] of samples) {
  const p50 = list.map((s) => s.p50);
  const cpu = list.map((s) => s.cpu);
  const rates = FLIGHTS.map((f) => {
    const xs = list.map((s) => s.rate[f]!);
    return `${Math.round(middle(xs)).toLocaleString('en-US')} (${span(xs)})`;
  });
  console.log(
    `| ${name} | ${middle(p50).toFixed(0)} (${span(p50)}) | ${rates.join(' | ')} | ${middle(cpu).toFixed(1)} (${span(cpu, 1)}) |`,
  );
}
