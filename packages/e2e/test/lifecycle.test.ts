import { ParentWorker, isMultifrostError, type MultifrostError } from 'multifrost';
import { afterEach, describe, expect, it } from 'vitest';
import type { MathWorker } from './fixtures/math-worker.js';
import { fixture, isAlive, quiet, waitFor } from './helpers/workers.js';

const open: ParentWorker<MathWorker>[] = [];
async function spawn(options: Parameters<typeof ParentWorker.spawn>[1] = {}) {
  const w = await ParentWorker.spawn<MathWorker>(fixture('math-worker.ts'), { ...quiet, ...(options as object) });
  open.push(w);
  return w;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((w) => w.close()));
});

describe('timeouts and cancellation', () => {
  it('a per-call timeout names the function, worker and limit', async () => {
    const w = await spawn();
    const err = (await w
      .with({ timeoutMs: 100 })
      .call.sleep(2_000)
      .catch((e: unknown) => e)) as MultifrostError;
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toBe('Call to sleep() on worker math-worker.ts timed out after 100 ms');
  });

  it('the default timeout applies to calls without their own', async () => {
    const w = await spawn({ defaultTimeoutMs: 150 });
    const t0 = Date.now();
    const err = (await w.call.sleep(3_000).catch((e: unknown) => e)) as MultifrostError;
    expect(err.code).toBe('TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('an AbortSignal rejects at once and the worker sees the cancel', async () => {
    const w = await spawn();
    const controller = new AbortController();
    const pending = w.with({ signal: controller.signal }).call.waitForCancel();
    await new Promise((r) => setTimeout(r, 100));
    const ids = [...(w as unknown as { pending: Map<string, unknown> }).pending.keys()];
    expect(ids).toHaveLength(1);
    controller.abort(new Error('user gave up'));
    const err = (await pending.catch((e: unknown) => e)) as MultifrostError;
    expect(err.code).toBe('ABORTED');
    expect((err.cause as Error).message).toBe('user gave up');
    let seen = false;
    for (let i = 0; i < 50 && !seen; i++) {
      seen = await w.call.wasCancelled(ids[0]!);
      if (!seen) await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen).toBe(true);
  });

  it('an already-aborted signal sends nothing', async () => {
    const w = await spawn();
    const before = w.metrics.requestsTotal;
    const err = (await w
      .with({ signal: AbortSignal.abort() })
      .call.add(1, 2)
      .catch((e: unknown) => e)) as MultifrostError;
    expect(err.code).toBe('ABORTED');
    expect(w.metrics.requestsTotal).toBe(before);
  });
});

describe('worker death', () => {
  it('SIGKILL mid-call rejects every pending call at once with WORKER_EXITED', async () => {
    const w = await spawn({ defaultTimeoutMs: 30_000 });
    const calls = Array.from({ length: 50 }, () => w.call.sleep(10_000).catch((e: unknown) => e));
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    process.kill(w.pid!, 'SIGKILL');
    const errors = (await Promise.all(calls)) as MultifrostError[];
    expect(Date.now() - t0).toBeLessThan(1_000);
    for (const e of errors) {
      expect(e.code).toBe('WORKER_EXITED');
      expect(e.details.signal).toBe('SIGKILL');
      expect(e.message).toMatch(/was killed by SIGKILL while sleep\(\) was in flight/);
    }
    expect(w.metrics.inFlight).toBe(0);
    const after = (await w.call.add(1, 2).catch((e: unknown) => e)) as MultifrostError;
    expect(after.code).toBe('NOT_RUNNING');
  });

  it('an exit code reaches the caller', async () => {
    const w = await spawn();
    const exited = new Promise((r) => w.once('exit', r));
    const pending = w.call.sleep(5_000).catch((e: unknown) => e);
    await w.call.exit(3);
    const err = (await pending) as MultifrostError;
    expect(err.code).toBe('WORKER_EXITED');
    expect(err.details.code).toBe(3);
    expect(await exited).toMatchObject({ code: 3 });
  });

  it('a worker that never starts rejects spawn() clearly and leaves nothing running', async () => {
    const err = (await ParentWorker.spawn(fixture('exits-at-once.ts'), quiet).catch(
      (e: unknown) => e,
    )) as MultifrostError;
    expect(isMultifrostError(err)).toBe(true);
    expect(err.code).toBe('WORKER_EXITED');
    expect(err.message).toMatch(/exited with code 7 before it was ready/);
    expect(err.message).toMatch(/config missing/);
    const missing = (await ParentWorker.spawn('/nonexistent/worker.js', quiet).catch(
      (e: unknown) => e,
    )) as MultifrostError;
    expect(['WORKER_EXITED', 'START_FAILED']).toContain(missing.code);
    const badExe = (await ParentWorker.spawn(fixture('math-worker.ts'), {
      ...quiet,
      executable: '/nonexistent/python',
    }).catch((e: unknown) => e)) as MultifrostError;
    expect(badExe.code).toBe('START_FAILED');
    expect(badExe.message).toMatch(/ENOENT/);
  });

  it('a worker that never answers fails spawn() at its start timeout', async () => {
    const t0 = Date.now();
    const err = (await ParentWorker.spawn(fixture('never-connects.js'), { ...quiet, startTimeoutMs: 800 }).catch(
      (e: unknown) => e,
    )) as MultifrostError;
    expect(err.code).toBe('START_FAILED');
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});

describe('auto-restart', () => {
  it('restarts a killed worker, uses the new process, and counts restarts', async () => {
    const w = await spawn({ autoRestart: { initialDelayMs: 50 } });
    const firstPid = await w.call.pid();
    const restarted = new Promise<{ attempt: number; pid: number | undefined }>((r) => w.once('restart', r));
    const inFlight = w.call.sleep(5_000).catch((e: unknown) => e);
    process.kill(firstPid, 'SIGKILL');
    expect(((await inFlight) as MultifrostError).code).toBe('WORKER_EXITED');
    const during = w.call.add(20, 22); // made while restarting: waits for the new process
    const info = await restarted;
    expect(await during).toBe(42);
    const secondPid = await w.call.pid();
    expect(secondPid).not.toBe(firstPid);
    expect(info.pid).toBe(secondPid);
    expect(w.metrics.restarts).toBe(1);
    expect(w.isHealthy).toBe(true);
  });
});

describe('circuit breaker', () => {
  it('opens on transport failures, fails fast, probes and closes; app errors do not count', async () => {
    const w = await spawn({ circuitBreaker: { failureThreshold: 3, resetTimeoutMs: 300 } });
    for (let i = 0; i < 5; i++) await w.call.fail('app error').catch(() => {});
    expect(w.circuitOpen).toBe(false);
    const opened = new Promise((r) => w.once('circuit-open', r));
    for (let i = 0; i < 3; i++)
      await w
        .with({ timeoutMs: 30 })
        .call.sleep(500)
        .catch(() => {});
    await opened;
    expect(w.circuitOpen).toBe(true);
    const fast = (await w.call.add(1, 2).catch((e: unknown) => e)) as MultifrostError;
    expect(fast.code).toBe('CIRCUIT_OPEN');
    await new Promise((r) => setTimeout(r, 350));
    const closed = new Promise<void>((r) => w.once('circuit-close', () => r()));
    expect(await w.call.add(1, 2)).toBe(3);
    await closed;
    expect(w.circuitOpen).toBe(false);
    expect(w.metrics.circuit.trips).toBe(1);
  });
});

describe('close', () => {
  it('close() shuts the worker down and later calls fail with CLOSED', async () => {
    const w = await spawn();
    const pid = w.pid!;
    await w.close();
    await waitFor(() => !isAlive(pid), 2_000, 'worker exit');
    const err = (await w.call.add(1, 2).catch((e: unknown) => e)) as MultifrostError;
    expect(err.code).toBe('CLOSED');
    await w.close(); // idempotent
  });

  it('in-flight calls finish during a graceful close', async () => {
    const w = await spawn();
    const call = w.call.sleep(300);
    await new Promise((r) => setTimeout(r, 50));
    await w.close();
    await expect(call).resolves.toBe(300);
  });

  it('a worker ignoring SIGTERM is killed within the grace period', async () => {
    const w = await ParentWorker.spawn(fixture('ignores-sigterm.js'), { ...quiet, closeGraceMs: 1_000 });
    const pid = w.pid!;
    const t0 = Date.now();
    await w.close();
    expect(Date.now() - t0).toBeLessThan(1_600);
    expect(isAlive(pid)).toBe(false);
  });
});
