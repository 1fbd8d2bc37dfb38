/**
 * One benchmark run of one target, in a fresh parent process (so parent RSS and JIT state are not
 * shared between targets): spawn-to-first-call, sequential latency, pipelined throughput with the
 * CPU each side spends per call, binary echo with CPU per echo, RSS. Prints one JSON line; a
 * scenario that fails or overruns its limit is reported as null (n/a), and the rest still run.
 */
import { performance } from 'node:perf_hooks';
import { processCpuUs } from '@multifrost/protocol/internal';
import { percentile, rssMb } from './stats.js';
import { startClient, type Client, type TargetName } from './targets.js';

export interface Counts {
  warmup: number;
  sequential: number;
  /** Pipelined calls at 64 in flight before the pipelined scenarios (JIT and batches settled). */
  pipelinedWarmup: number;
  pipelined: number;
  /** Echoes of each size before the measured ones (the first ones pay for fresh pages and JIT). */
  binWarmup: number;
  bin1: number;
  bin16: number;
  /** Any single scenario stops after this long, whatever its count (slow targets). */
  maxScenarioMs: number;
}

export const FULL: Counts = {
  warmup: 1_000,
  sequential: 5_000,
  pipelinedWarmup: 20_000,
  pipelined: 100_000,
  // 1,000 echoes of 1 MiB (about a second) after 20: 300 after 3 (a third of a second, the first ones
  // slower) moved with every burst of this machine's noise (sixth session, docs/benchmarks.md).
  binWarmup: 20,
  bin1: 1_000,
  bin16: 20,
  maxScenarioMs: 6_000,
};
export const QUICK: Counts = {
  warmup: 50,
  sequential: 300,
  pipelinedWarmup: 200,
  pipelined: 2_000,
  binWarmup: 1,
  bin1: 5,
  bin16: 2,
  maxScenarioMs: 3_000,
};

export interface RunResult {
  target: TargetName;
  spawnToFirstCallMs: number;
  seqP50Us: number;
  seqP99Us: number;
  pipelined64: number;
  pipelined256: number;
  /** CPU (user + system) per call over the 256-in-flight run, in µs. */
  cpuParentUsPerCall: number;
  cpuChildUsPerCall: number;
  bin1MBps: number;
  bin16MBps: number;
  /** CPU (user + system) per echo, in ms. */
  cpuParentMsPerEcho1: number;
  cpuChildMsPerEcho1: number;
  cpuParentMsPerEcho16: number;
  cpuChildMsPerEcho16: number;
  childRssIdleMb: number;
  childRssLoadedMb: number;
  parentRssMb: number;
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
  return (await pipelinedCount(clients, depth, total, maxMs)).rate;
}

async function pipelinedCount(
  clients: Client[],
  depth: number,
  total: number,
  maxMs: number,
): Promise<{ rate: number; done: number }> {
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
  return { rate: done / ((performance.now() - t0) / 1000), done };
}

/**
 * CPU time of this process (µs, from the kernel's precise counters) and of the child (µs, from
 * /proc/<pid>/stat utime + stime, 10 ms ticks: which is why the runs are long enough to cover many).
 */
function cpuNow(childPid: number): { parent: number; child: number } {
  const own = process.cpuUsage();
  const child = processCpuUs(childPid);
  return { parent: own.user + own.system, child: child ? child.userUs + child.systemUs : Number.NaN };
}

/** Echoes one Buffer `n` times, one at a time, after `warmup` echoes: MB/s and CPU per echo (ms). */
export async function binary(
  client: Client,
  size: number,
  n: number,
  maxMs: number,
  warmup: number,
): Promise<{ mbps: number; parentMs: number; childMs: number }> {
  const payload = Buffer.alloc(size, 0x5a);
  for (let i = 0; i < warmup; i++) await client.call('echo', [payload]);
  const cpu0 = cpuNow(client.childPid);
  const t0 = performance.now();
  const stopAt = t0 + maxMs;
  let i = 0;
  for (; i < n && performance.now() < stopAt; i++) {
    const back = (await client.call('echo', [payload])) as Buffer;
    if (back.length !== size) throw new Error(`echo returned ${back.length} bytes, expected ${size}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = cpuNow(client.childPid);
  return {
    mbps: (size * i) / 1e6 / seconds,
    parentMs: (cpu1.parent - cpu0.parent) / 1000 / i,
    childMs: (cpu1.child - cpu0.child) / 1000 / i,
  };
}

/** Runs a scenario; a failure or an overrun (a hung target) gives undefined instead of ending the run. */
async function guarded<T>(name: string, limitMs: number, scenario: () => Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      console.error(`${name}: no result after ${limitMs} ms, reported as n/a`);
      resolve(undefined);
    }, limitMs);
  });
  try {
    return await Promise.race([scenario(), overrun]);
  } catch (err) {
    console.error(`${name} failed, reported as n/a:`, err);
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

export async function runOne(target: TargetName, c: Counts): Promise<RunResult> {
  const t0 = performance.now();
  const client = await startClient(target);
  try {
    await client.call('add', [1, 2]);
    const spawnToFirstCallMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 300));
    const childRssIdleMb = rssMb(client.childPid);
    // Twice the scenario's own stop time, plus slack for the calls still in flight when it stops.
    const limit = 2 * c.maxScenarioMs + 5_000;
    const seq = await guarded(`${target} sequential`, limit, async () => {
      await sequential(client, c.warmup, c.maxScenarioMs);
      return sequential(client, c.sequential, c.maxScenarioMs);
    });
    const pipelined64 = await guarded(`${target} pipelined 64`, limit, async () => {
      await pipelined([client], 64, c.pipelinedWarmup, c.maxScenarioMs);
      return pipelined([client], 64, c.pipelined, c.maxScenarioMs);
    });
    const at256 = await guarded(`${target} pipelined 256`, limit, async () => {
      const cpu0 = cpuNow(client.childPid);
      const { rate, done } = await pipelinedCount([client], 256, c.pipelined, c.maxScenarioMs);
      const cpu1 = cpuNow(client.childPid);
      return { rate, parent: (cpu1.parent - cpu0.parent) / done, child: (cpu1.child - cpu0.child) / done };
    });
    const childRssLoadedMb = rssMb(client.childPid);
    const bin1 = await guarded(`${target} echo 1 MiB`, limit, () =>
      binary(client, 1 << 20, c.bin1, c.maxScenarioMs, c.binWarmup),
    );
    const bin16 = await guarded(`${target} echo 16 MiB`, limit, () =>
      binary(client, 16 << 20, c.bin16, c.maxScenarioMs, c.binWarmup),
    );
    const na = Number.NaN;
    return {
      target,
      spawnToFirstCallMs,
      seqP50Us: seq ? percentile(seq, 0.5) : na,
      seqP99Us: seq ? percentile(seq, 0.99) : na,
      pipelined64: pipelined64 ?? na,
      pipelined256: at256?.rate ?? na,
      cpuParentUsPerCall: at256?.parent ?? na,
      cpuChildUsPerCall: at256?.child ?? na,
      bin1MBps: bin1?.mbps ?? na,
      bin16MBps: bin16?.mbps ?? na,
      cpuParentMsPerEcho1: bin1?.parentMs ?? na,
      cpuChildMsPerEcho1: bin1?.childMs ?? na,
      cpuParentMsPerEcho16: bin16?.parentMs ?? na,
      cpuChildMsPerEcho16: bin16?.childMs ?? na,
      childRssIdleMb,
      childRssLoadedMb,
      parentRssMb: process.memoryUsage().rss / 1024 / 1024,
    };
  } finally {
    await guarded(`${target} close`, 5_000, () => client.close());
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
