/**
 * One benchmark run of one target, in a fresh parent process (so parent RSS and JIT state are not
 * shared between targets): spawn-to-first-call, sequential latency, pipelined throughput, binary
 * echo, RSS, and four parent→child pairs at once. Prints one JSON line.
 */
import { performance } from 'node:perf_hooks';
import { percentile, rssMb } from './stats.js';
import { startClient, type Client, type TargetName } from './targets.js';

export interface Counts {
  warmup: number;
  sequential: number;
  pipelined: number;
  bin1: number;
  bin16: number;
  pairs: number;
  /** Any single scenario stops after this long, whatever its count (slow targets). */
  maxScenarioMs: number;
}

export const FULL: Counts = {
  warmup: 2_000,
  sequential: 20_000,
  pipelined: 100_000,
  bin1: 200,
  bin16: 20,
  pairs: 100_000,
  maxScenarioMs: 15_000,
};
export const QUICK: Counts = {
  warmup: 50,
  sequential: 300,
  pipelined: 2_000,
  bin1: 5,
  bin16: 2,
  pairs: 2_000,
  maxScenarioMs: 5_000,
};

export interface RunResult {
  target: TargetName;
  spawnToFirstCallMs: number;
  seqP50Us: number;
  seqP99Us: number;
  seqP999Us: number;
  pipelined64: number;
  pipelined256: number;
  bin1MBps: number;
  bin16MBps: number;
  childRssIdleMb: number;
  childRssLoadedMb: number;
  parentRssMb: number;
  pairs4: number;
}

/** `n` calls one after another (at most `maxMs`); the latencies in µs, sorted. */
export async function sequential(client: Client, n: number, maxMs: number): Promise<Float64Array> {
  const samples = new Float64Array(n);
  const stopAt = performance.now() + maxMs;
  let i = 0;
  for (; i < n && performance.now() < stopAt; i++) {
    const t0 = performance.now();
    await client.call('add', [1, 2]);
    samples[i] = (performance.now() - t0) * 1000;
  }
  return samples.slice(0, i).sort();
}

/** Keeps `depth` calls in flight until `total` completed; returns calls per second. */
export async function pipelined(clients: Client[], depth: number, total: number, maxMs: number): Promise<number> {
  let started = 0;
  let done = 0;
  const t0 = performance.now();
  const stopAt = t0 + maxMs;
  await Promise.all(
    clients.flatMap((client) =>
      Array.from({ length: depth }, async () => {
        while (started < total && performance.now() < stopAt) {
          started++;
          await client.call('add', [1, 2]);
          done++;
        }
      }),
    ),
  );
  return done / ((performance.now() - t0) / 1000);
}

async function binary(client: Client, size: number, n: number, maxMs: number): Promise<number> {
  const payload = Buffer.alloc(size, 0x5a);
  await client.call('echo', [payload]);
  const t0 = performance.now();
  const stopAt = t0 + maxMs;
  let i = 0;
  for (; i < n && performance.now() < stopAt; i++) {
    const back = (await client.call('echo', [payload])) as Buffer;
    if (back.length !== size) throw new Error(`echo returned ${back.length} bytes, expected ${size}`);
  }
  return (size * i) / 1e6 / ((performance.now() - t0) / 1000);
}

export async function runOne(target: TargetName, c: Counts): Promise<RunResult> {
  const t0 = performance.now();
  const client = await startClient(target);
  await client.call('add', [1, 2]);
  const spawnToFirstCallMs = performance.now() - t0;
  const extra: Client[] = [];
  try {
    await new Promise((r) => setTimeout(r, 300));
    const childRssIdleMb = rssMb(client.childPid);
    await sequential(client, c.warmup, c.maxScenarioMs);
    const seq = await sequential(client, c.sequential, c.maxScenarioMs);
    const pipelined64 = await pipelined([client], 64, c.pipelined, c.maxScenarioMs);
    const pipelined256 = await pipelined([client], 256, c.pipelined, c.maxScenarioMs);
    const childRssLoadedMb = rssMb(client.childPid);
    const bin1MBps = await binary(client, 1 << 20, c.bin1, c.maxScenarioMs);
    const bin16MBps = await binary(client, 16 << 20, c.bin16, c.maxScenarioMs);
    for (let i = 0; i < 3; i++) extra.push(await startClient(target));
    const pairs4 = await pipelined([client, ...extra], 64, c.pairs, c.maxScenarioMs);
    return {
      target,
      spawnToFirstCallMs,
      seqP50Us: percentile(seq, 0.5),
      seqP99Us: percentile(seq, 0.99),
      seqP999Us: percentile(seq, 0.999),
      pipelined64,
      pipelined256,
      bin1MBps,
      bin16MBps,
      childRssIdleMb,
      childRssLoadedMb,
      parentRssMb: process.memoryUsage().rss / 1024 / 1024,
      pairs4,
    };
  } finally {
    await Promise.all([client, ...extra].map((x) => x.close()));
  }
}

// `tsx run-one.ts <target> [--quick]`: used by run.ts, one fresh process per run.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const target = process.argv[2] as TargetName;
  const counts = process.argv.includes('--quick') ? QUICK : FULL;
  runOne(target, counts).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
