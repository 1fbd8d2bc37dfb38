// WorkerPool on real processes: Python and Node workers, kills, queue limits, recycling, scaling, close.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FileServiceRegistry, WorkerPool, isMultifrostError, type PoolSpawnOptions } from 'multifrost';
import { afterEach, describe, expect, it } from 'vitest';
import { pythonBin } from '../../../scripts/python-bin.mjs';
import type { PoolNodeWorker } from './fixtures/pool-node-worker.js';
import { fixture, isAlive, quiet, tempHome, waitFor } from './helpers/workers.js';

interface PyApi {
  pid(): number;
  spin(ms: number): { pid: number; start: number; end: number; loops: number };
  sleep(ms: number): number;
  leak(mb: number): number;
}

const PYTHON = pythonBin();
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

const cleanup: (() => void | Promise<void>)[] = [];
/** Every worker pid a test saw: all must be gone when it ends. */
const seen = new Set<number>();
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  await waitFor(() => [...seen].every((pid) => !isAlive(pid)), 5_000, `pool workers ${[...seen]} to be gone`);
  seen.clear();
});

function track<T>(pool: WorkerPool<T>): WorkerPool<T> {
  for (const pid of pool.pids) seen.add(pid);
  pool.on('worker-ready', ({ pid }) => pid !== undefined && seen.add(pid));
  cleanup.push(() => pool.close({ mode: 'cancel' }));
  return pool;
}

function home(): Record<string, string> {
  const h = tempHome();
  cleanup.push(h.cleanup);
  return { MULTIFROST_HOME: h.home };
}

async function pyPool(options: PoolSpawnOptions): Promise<WorkerPool<PyApi>> {
  return track(
    await WorkerPool.spawn<PyApi>(fixture('pool-python-worker.py'), {
      ...quiet,
      executable: PYTHON,
      env: home(),
      ...options,
    }),
  );
}

async function nodePool(options: PoolSpawnOptions): Promise<WorkerPool<PoolNodeWorker>> {
  return track(
    await WorkerPool.spawn<PoolNodeWorker>(fixture('pool-node-worker.ts'), { ...quiet, env: home(), ...options }),
  );
}

const codeOf = (e: unknown) => (isMultifrostError(e) ? e.code : String(e));

describe('WorkerPool (Python workers)', () => {
  it('size 4: four CPU-bound calls run at once, one per process', async () => {
    const pool = await pyPool({ size: 4 });
    expect(new Set(pool.pids).size).toBe(4);
    const runs = await Promise.all([0, 1, 2, 3].map(() => pool.call.spin(400)));
    expect(new Set(runs.map((r) => r.pid))).toEqual(new Set(pool.pids));
    // Each worker reports its own start and end: all four were running at one moment.
    expect(Math.max(...runs.map((r) => r.start))).toBeLessThan(Math.min(...runs.map((r) => r.end)));
    expect(pool.metrics.requestsSucceeded).toBe(4);
    expect(pool.metrics.workers.map((w) => w.calls)).toEqual([1, 1, 1, 1]);
  });

  it('SIGKILL of a busy Python worker: exactly its one call rejects WORKER_EXITED, the queued calls run elsewhere', async () => {
    const pool = await pyPool({ size: 2 });
    const [victim, other] = pool.pids as [number, number];
    const sent = 6;
    const outcomes = Array.from({ length: sent }, () =>
      pool.call.spin(200).then(
        (r) => r.pid,
        (e: unknown) => codeOf(e),
      ),
    );
    expect(pool.queueSize).toBe(sent - 2);
    await new Promise((r) => setTimeout(r, 80));
    process.kill(victim, 'SIGKILL');
    const results = await Promise.all(outcomes);
    expect(results.filter((r) => r === 'WORKER_EXITED')).toHaveLength(1);
    expect(results.filter((r) => typeof r === 'number')).toHaveLength(sent - 1);
    expect(results).not.toContain(victim);
    expect(results).toContain(other);
    await waitFor(() => pool.pids.length === 2, 10_000, 'a replacement Python worker');
    expect(pool.pids).not.toContain(victim);
  });

  it('recycles a worker that grows past maxRssMb (measured from /proc), and the next call runs on its replacement', async () => {
    const pool = await pyPool({ size: 1, recycle: { maxRssMb: 60, checkIntervalMs: 50 } });
    const first = await pool.call.pid();
    const recycled = once(pool, 'recycle');
    const restarted = once(pool, 'worker-restart');
    await pool.call.leak(80);
    const [info] = await recycled;
    expect(info).toMatchObject({ reason: 'maxRssMb', pid: first });
    expect(info.rssMb).toBeGreaterThan(60);
    const [restart] = await restarted;
    expect(restart).toMatchObject({ reason: 'recycle' });
    expect(await pool.call.pid()).toBe(restart.pid);
    expect(restart.pid).not.toBe(first);
    await waitFor(() => !isAlive(first), 5_000, 'the recycled worker to exit');
    expect(pool.metrics.recycled).toBe(1);
  });
});

describe('WorkerPool (Node workers)', () => {
  it('a SIGKILLed worker under load: its in-flight calls reject WORKER_EXITED, the rest succeed, a replacement comes up', async () => {
    const pool = await nodePool({ size: 3, concurrency: 4 });
    const victim = pool.pids[0]!;
    const exits: unknown[] = [];
    pool.on('worker-exit', (e) => exits.push(e));
    const restarted = once(pool, 'worker-restart');
    const sent = 40;
    const outcomes = Array.from({ length: sent }, () =>
      pool.call.sleep(150).then(
        (r) => ({ ok: true as const, pid: r.pid }),
        (e: unknown) => ({ ok: false as const, code: codeOf(e) }),
      ),
    );
    await new Promise((r) => setTimeout(r, 60));
    process.kill(victim, 'SIGKILL');
    const results = await Promise.all(outcomes);
    const ok = results.filter((r) => r.ok);
    const failed = results.filter((r) => !r.ok);
    expect(ok.length + failed.length).toBe(sent);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThanOrEqual(4); // at most the victim's in-flight calls
    expect(new Set(failed.map((r) => r.code))).toEqual(new Set(['WORKER_EXITED']));
    expect(ok.every((r) => r.pid !== victim)).toBe(true);
    expect(exits).toEqual([expect.objectContaining({ pid: victim, signal: 'SIGKILL', inFlight: failed.length })]);
    const [restart] = await restarted;
    expect(restart).toMatchObject({ reason: 'exit' });
    expect(pool.pids).toHaveLength(3);
    expect(pool.pids).not.toContain(victim);
    expect((await pool.call.sleep(1)).pid).toBeGreaterThan(0);
    expect(pool.metrics.restarts).toBe(1);
  });

  it('retry.idempotent resends a call lost with its worker; other functions are not resent', async () => {
    const pool = await nodePool({ size: 2, concurrency: 2, retry: { idempotent: ['sleep'] } });
    const victim = pool.pids[0]!;
    const calls = Array.from({ length: 4 }, () => pool.call.sleep(300));
    await new Promise((r) => setTimeout(r, 80));
    process.kill(victim, 'SIGKILL');
    const results = await Promise.all(calls);
    expect(results.every((r) => r.pid !== victim)).toBe(true);
    expect(pool.metrics.retries).toBe(2);
  });

  it('maxQueue: one call more is refused with QUEUE_FULL; needsDrain and the drain event', async () => {
    const pool = await nodePool({ size: 1, concurrency: 1, maxQueue: 2 });
    const running = [pool.call.sleep(200), pool.call.sleep(10), pool.call.sleep(10)];
    expect(pool.queueSize).toBe(2);
    expect(pool.needsDrain).toBe(true);
    const err = await pool.call.sleep(10).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('QUEUE_FULL');
    expect(String((err as Error).message)).toMatch(/maxQueue/);
    const drained = once(pool, 'drain');
    await drained;
    expect(pool.needsDrain).toBe(false);
    expect((await Promise.all(running)).length).toBe(3);
    expect(pool.metrics.queueFull).toBe(1);
  });

  it('recycle.maxCalls: each worker serves that many calls, then is replaced', async () => {
    const pool = await nodePool({ size: 1, recycle: { maxCalls: 3 } });
    const pids: number[] = [];
    for (let i = 0; i < 7; i++) pids.push(await pool.call.pid());
    expect(new Set(pids.slice(0, 3)).size).toBe(1);
    expect(new Set(pids.slice(3, 6)).size).toBe(1);
    expect(new Set(pids).size).toBe(3);
    expect(pool.metrics.recycled).toBe(2);
  });

  it('scales up with the queue to maxWorkers and back down to minWorkers when idle', async () => {
    const pool = await nodePool({ minWorkers: 1, maxWorkers: 3, concurrency: 1, idleTimeoutMs: 300 });
    const scale: { from: number; to: number; reason: string }[] = [];
    pool.on('scale', (e) => scale.push(e));
    const runs = await Promise.all(Array.from({ length: 9 }, () => pool.call.sleep(250)));
    expect(new Set(runs.map((r) => r.pid)).size).toBeGreaterThan(1);
    expect(scale.filter((s) => s.reason === 'queue').map((s) => s.to)).toEqual([2, 3]);
    await waitFor(() => pool.size === 1, 5_000, 'the pool to shrink to minWorkers');
    expect(scale.filter((s) => s.reason === 'idle').map((s) => s.to)).toEqual([2, 1]);
    expect(await pool.call.pid()).toBe(pool.pids[0]);
  });

  it('close() with 10,000 queued calls: drain runs what fits in the grace, the rest reject CLOSED, no process is left', async () => {
    const pool = await nodePool({ size: 2, concurrency: 1, maxQueue: 20_000 });
    const pids = pool.pids;
    const n = 10_000;
    const settled = Array.from({ length: n }, () =>
      pool.call.pid().then(
        () => 'ok',
        (e: unknown) => codeOf(e),
      ),
    );
    expect(pool.queueSize).toBe(n - 2);
    await pool.close({ mode: 'drain', graceMs: 200 });
    const results = await Promise.all(settled);
    const ok = results.filter((r) => r === 'ok').length;
    const closed = results.filter((r) => r === 'CLOSED').length;
    expect(ok + closed).toBe(n);
    expect(ok).toBeGreaterThan(0);
    expect(pids.every((pid) => !isAlive(pid))).toBe(true);
    expect(codeOf(await pool.call.pid().catch((e: unknown) => e))).toBe('CLOSED');
  });

  it("close({ mode: 'cancel' }) rejects queued and in-flight calls at once", async () => {
    const pool = await nodePool({ size: 1, concurrency: 1, closeGraceMs: 1_000 });
    const calls = Array.from({ length: 100 }, () => pool.call.sleep(5_000).catch((e: unknown) => codeOf(e)));
    await new Promise((r) => setTimeout(r, 50));
    await pool.close({ mode: 'cancel' });
    expect(new Set(await Promise.all(calls))).toEqual(new Set(['CLOSED']));
  });

  it('a queued call honours its timeout and abort signal while it waits', async () => {
    const pool = await nodePool({ size: 1, concurrency: 1 });
    const busy = pool.call.sleep(400);
    const timedOut = pool
      .with({ timeoutMs: 100 })
      .call.sleep(1)
      .catch((e: unknown) => e);
    const ac = new AbortController();
    const aborted = pool
      .with({ signal: ac.signal })
      .call.sleep(1)
      .catch((e: unknown) => e);
    ac.abort();
    expect(codeOf(await timedOut)).toBe('TIMEOUT');
    expect(String(((await timedOut) as Error).message)).toMatch(/waiting for a free worker/);
    expect(codeOf(await aborted)).toBe('ABORTED');
    expect(pool.queueSize).toBe(0);
    await busy;
    expect(await pool.listFunctions()).toEqual(expect.arrayContaining(['leak', 'pid', 'sleep']));
  });

  it('a worker whose circuit opened is skipped, then gets one probe when it turns half-open, and serves again', async () => {
    const pool = await nodePool({ size: 1, circuitBreaker: { failureThreshold: 1, resetTimeoutMs: 300 } });
    const err = await pool
      .with({ timeoutMs: 50 })
      .call.sleep(2_000)
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('TIMEOUT');
    expect(pool.isHealthy).toBe(false);
    // Queued, not refused with CIRCUIT_OPEN: it waits for the half-open probe and is that probe.
    const queued = pool.call.sleep(1);
    expect(pool.queueSize).toBe(1);
    expect((await queued).pid).toBe(pool.pids[0]);
    expect(pool.isHealthy).toBe(true);
  });

  it('a script that fails at start: spawn rejects START_FAILED and leaves nothing running', async () => {
    const err = await WorkerPool.spawn(fixture('exits-at-once.ts'), { ...quiet, size: 2, env: home() }).catch(
      (e: unknown) => e,
    );
    expect(codeOf(err)).toBe('START_FAILED');
    expect(String((err as Error).message)).toMatch(/none of its 2 workers started/);
  });

  it('a replacement that keeps failing at start backs off, is reported, fails waiting calls, and recovers by itself', async () => {
    const env = home();
    const flag = path.join(env.MULTIFROST_HOME!, 'fail');
    const pool = track(
      await WorkerPool.spawn<PoolNodeWorker>(fixture('pool-flaky-worker.ts'), {
        ...quiet,
        size: 1,
        env: { ...env, POOL_FAIL_FLAG: flag },
        backoff: { initialDelayMs: 50, maxDelayMs: 400 },
      }),
    );
    const errors: { failuresInARow: number; retryInMs: number }[] = [];
    pool.on('worker-error', (e) => errors.push(e));
    writeFileSync(flag, '');
    process.kill(pool.pids[0]!, 'SIGKILL');
    await waitFor(() => errors.length >= 3, 15_000, 'three failed starts');
    expect(pool.health).toMatchObject({ healthy: false, ready: 0 });
    expect(pool.health.failuresInARow).toBeGreaterThanOrEqual(3);
    // Each retry waits longer than the one before (no spin).
    expect(errors[1]!.retryInMs).toBeGreaterThan(errors[0]!.retryInMs);
    expect(errors[2]!.retryInMs).toBeGreaterThan(errors[1]!.retryInMs);
    const waiting = pool.call.pid().catch((e: unknown) => e);
    expect(codeOf(await waiting)).toBe('START_FAILED');
    rmSync(flag);
    await once(pool, 'worker-restart');
    expect(pool.health.healthy).toBe(true);
    expect(await pool.call.pid()).toBe(pool.pids[0]);
  });

  it('a stream is pinned to one worker, counts as in flight there, and a killed worker ends it once, unreplayed', async () => {
    const pool = await nodePool({ size: 2, concurrency: 1 });
    // Two streams at concurrency 1: one per worker; a third waits in the queue until one ends.
    const readAll = async (n: number) => {
      const pids: number[] = [];
      for await (const pid of pool.stream.pids(n, 20)) pids.push(pid);
      return pids;
    };
    // Each for-await asks for its first item at once, so the pool has placed them when readAll returns.
    const a = readAll(10);
    const b = readAll(10);
    expect(pool.metrics.inFlight).toBe(2);
    const c = readAll(3);
    expect(pool.queueSize).toBe(1);
    const [pa, pb, pc] = await Promise.all([a, b, c]);
    for (const pids of [pa, pb, pc]) expect(new Set(pids).size).toBe(1); // one worker per stream
    expect(pa[0]).not.toBe(pb[0]);
    expect([pa.length, pb.length, pc.length]).toEqual([10, 10, 3]);
    expect(pool.metrics.inFlight).toBe(0);

    // A SIGKILLed worker: its stream fails WORKER_EXITED after the items it sent, and is not replayed.
    const got: number[] = [];
    const err = await (async () => {
      for await (const pid of pool.with({ timeoutMs: 30_000 }).stream.pids(1_000, 20)) {
        got.push(pid);
        if (got.length === 3) process.kill(pid, 'SIGKILL');
      }
    })().catch((e: unknown) => e);
    expect(codeOf(err)).toBe('WORKER_EXITED');
    expect(new Set(got).size).toBe(1);
    expect(got.length).toBeLessThan(10);
    expect(pool.metrics.inFlight).toBe(0);
  });

  it('refuses bad options by name before starting anything', async () => {
    await expect(WorkerPool.spawn(fixture('pool-node-worker.ts'), { size: 0 })).rejects.toThrow(
      /size must be an integer/,
    );
    await expect(
      WorkerPool.spawn(fixture('pool-node-worker.ts'), { autoRestart: true } as PoolSpawnOptions),
    ).rejects.toThrow(/autoRestart is not taken/);
  });
});

describe('WorkerPool.connect', () => {
  async function startService(serviceId: string, env: Record<string, string>): Promise<ChildProcess> {
    const proc = spawn(process.execPath, ['--import', tsx, fixture('math-worker.ts')], {
      env: { ...process.env, ...env, MF_SERVICE_ID: serviceId, COMLINK_ZMQ_PORT: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanup.push(() => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    });
    await new Promise<void>((resolve, reject) => {
      proc.stdout!.on('data', (d: Buffer) => d.toString().includes('ready on port') && resolve());
      proc.on('exit', (code) => reject(new Error(`service exited with ${code}`)));
    });
    return proc;
  }

  it('spreads calls over every registered instance with a prefix', async () => {
    const env = home();
    const services = await Promise.all(['model-1', 'model-2'].map((id) => startService(id, env)));
    const registry = new FileServiceRegistry({ home: env.MULTIFROST_HOME! });
    const pool = await WorkerPool.connect<{ add(a: number, b: number): number }>(
      { prefix: 'model-' },
      { ...quiet, registry },
    );
    cleanup.push(() => pool.close());
    expect(pool.metrics.workers.map((w) => w.worker).sort()).toEqual(['model-1', 'model-2']);
    expect(await Promise.all(Array.from({ length: 10 }, (_, i) => pool.call.add(i, 1)))).toEqual(
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
    expect(pool.metrics.workers.every((w) => w.calls > 0)).toBe(true);
    expect(services).toHaveLength(2);
  });
});
