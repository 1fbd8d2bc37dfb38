import { ParentWorker, isMultifrostError, RemoteCallError } from 'multifrost';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MathWorker } from './fixtures/math-worker.js';
import { fixture, quiet } from './helpers/workers.js';

let w: ParentWorker<MathWorker>;

beforeAll(async () => {
  // The 3000-call correlation test below is past the default queue (64 running + 1024 waiting; beyond
  // that a call gets BUSY, see busy.test.ts), so this worker queues without limit.
  w = await ParentWorker.spawn<MathWorker>(fixture('math-worker.ts'), { ...quiet, env: { MF_MAX_QUEUE: 'Infinity' } });
});
afterAll(async () => {
  await w?.close();
});

describe('spawn mode: calls', () => {
  it('calls a method with positional args (typed)', async () => {
    const sum: number = await w.call.add(1, 2);
    expect(sum).toBe(3);
    expect(await w.call.multiply(6, 7)).toBe(42);
  });

  it('round-trips every row of the value table', async () => {
    const values: unknown[] = [
      null,
      true,
      false,
      0,
      -1,
      255,
      65_536,
      2 ** 31,
      2 ** 40,
      -(2 ** 40),
      Number.MAX_SAFE_INTEGER,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      2n ** 63n - 1n,
      2n ** 64n - 1n,
      -(2n ** 63n),
      '',
      'héllo 🌍',
      'x'.repeat(70_000),
      Buffer.from([0, 1, 2, 255]),
      [],
      [1, [2, [3, []]]],
      {},
      { a: { b: { c: [1, 'two', null] } } },
      new Date(1_700_000_000_123),
    ];
    for (const v of values) {
      const back = await w.call.echo(v);
      if (typeof v === 'number' && Number.isNaN(v)) expect(back).toBeNaN();
      else expect(back).toEqual(v);
    }
    expect(await w.call.echo(undefined)).toBeNull();
    expect(await w.call.echo([undefined, 1])).toEqual([null, 1]);
    expect(await w.call.echo(new Map([['k', 1]]))).toEqual({ k: 1 });
    expect(await w.call.echo(new Uint8Array([9, 8]))).toEqual(Buffer.from([9, 8]));
  });

  it('correlates thousands of concurrent calls completing out of order', async () => {
    const n = 3000;
    const calls = Array.from({ length: n }, (_, i) => w.call.sleep((i * 7919) % 50).then((ms) => [i, ms] as const));
    const results = await Promise.all(calls);
    results.forEach(([i, ms]) => expect(ms).toBe((i * 7919) % 50));
    expect(w.metrics.inFlight).toBe(0);
  });

  it('keeps the remote error name, message, code and stack', async () => {
    const err = await w.call.fail('bad input').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteCallError);
    const r = err as RemoteCallError;
    expect(r.code).toBe('REMOTE_ERROR');
    expect(r.remoteType).toBe('ValidationError');
    expect(r.remoteMessage).toBe('bad input');
    expect(r.remoteCode).toBe('E_VALIDATION');
    expect(r.remoteStack).toMatch(/math-worker\.ts/);
    expect(r.message).toMatch(/fail\(\).*math-worker\.ts/);
  });

  it('refuses base-class, Object.prototype, constructor and _private names; the worker stays up', async () => {
    for (const name of [
      'run',
      'stop',
      'start',
      'listFunctions',
      'constructor',
      'toString',
      'hasOwnProperty',
      'surface',
    ]) {
      const err = await w.callFunction(name).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(RemoteCallError);
      expect((err as RemoteCallError).remoteMessage, name).toBe(`Function '${name}' not found`);
    }
    const proto = (await w.callFunction('__proto__').catch((e: unknown) => e)) as RemoteCallError;
    expect(proto.remoteMessage).toBe("Cannot call private method '__proto__'");
    const priv = (await w.callFunction('_secret').catch((e: unknown) => e)) as RemoteCallError;
    expect(priv.remoteMessage).toBe("Cannot call private method '_secret'");
    const missing = (await w.callFunction('nope').catch((e: unknown) => e)) as RemoteCallError;
    expect(missing.remoteMessage).toBe("Function 'nope' not found");
    expect(await w.call.add(2, 2)).toBe(4);
  });

  it('lists exactly the callable functions, sorted', async () => {
    expect(await w.listFunctions()).toEqual([
      'add',
      'busy',
      'deadline',
      'echo',
      'exit',
      'fail',
      'log',
      'multiply',
      'pid',
      'returnFunction',
      'sleep',
      'waitForCancel',
      'wasCancelled',
    ]);
  });

  it('an unsendable argument fails locally with its path; an unsendable result fails remotely; nothing hangs', async () => {
    const err = await w.call.echo({ cb: () => 1 }).catch((e: unknown) => e);
    expect(isMultifrostError(err) && err.code).toBe('ENCODE');
    expect((err as Error).message).toBe('args[0].cb: functions cannot be sent');
    const res = (await w.call.returnFunction().catch((e: unknown) => e)) as RemoteCallError;
    expect(res.remoteType).toBe('EncodeError');
    expect(res.remoteMessage).toMatch(/result: functions cannot be sent/);
    expect(await w.call.add(1, 1)).toBe(2);
  });

  it('a call to a namespace the worker does not serve gets an error reply', async () => {
    const err = (await w
      .with({ namespace: 'other' })
      .call.add(1, 2)
      .catch((e: unknown) => e)) as RemoteCallError;
    expect(err.remoteType).toBe('NamespaceError');
    expect(err.remoteMessage).toMatch(/Namespace 'other' is not served/);
  });

  it('awaiting the proxy sends nothing; with() views are independent', async () => {
    const before = w.metrics.requestsTotal;
    expect(typeof (await w.call)).toBe('object');
    expect(w.metrics.requestsTotal).toBe(before);
    const a = w.with({ timeoutMs: 50 });
    const b = w.with({ timeoutMs: 5_000 });
    const [ra, rb] = await Promise.allSettled([a.call.sleep(300), b.call.sleep(300)]);
    expect(ra.status).toBe('rejected');
    expect(rb).toEqual({ status: 'fulfilled', value: 300 });
  });

  it('a timeout the caller chose travels as the call deadline; the built-in default stays in the parent', async () => {
    const before = Date.now();
    const deadline = await w.with({ timeoutMs: 5_000 }).call.deadline();
    expect(deadline).toBeGreaterThanOrEqual(before + 5_000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 5_000);
    expect(await w.call.deadline()).toBeNull();
    expect(await w.callFunction('deadline', [], { timeoutMs: Infinity })).toBeNull();
    const configured = await ParentWorker.spawn<MathWorker>(fixture('math-worker.ts'), {
      ...quiet,
      defaultTimeoutMs: 20_000,
    });
    try {
      const t0 = Date.now();
      const d = await configured.call.deadline();
      expect(d).toBeGreaterThanOrEqual(t0 + 20_000);
      expect(d).toBeLessThanOrEqual(Date.now() + 20_000);
    } finally {
      await configured.close();
    }
  });

  it('reports metrics as one snapshot', async () => {
    await w.call.add(1, 2);
    const m = w.metrics;
    expect(m.requestsTotal).toBeGreaterThan(0);
    expect(m.requestsSucceeded).toBeGreaterThan(0);
    expect(m.latencyMs.p50).toBeGreaterThan(0);
    expect(m.latencyMs.p99).toBeGreaterThanOrEqual(m.latencyMs.p50);
    expect(m.circuit.state).toBe('closed');
    expect(m.errorRate).toBeGreaterThan(0);
    expect(w.isHealthy).toBe(true);
    expect(w.circuitOpen).toBe(false);
    expect(w.lastHeartbeatRttMs).toBeGreaterThan(0);
  });
});
