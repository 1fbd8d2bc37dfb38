import { ParentWorker, RemoteCallError, type MultifrostError, type ProtocolVersion } from 'multifrost';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON, pyWorker, type Described } from './helpers.js';

interface PyApi {
  echo(v: unknown): unknown;
  describe(v: unknown): Described;
  add(a: number, b: number): number;
  divide(a: number, b: number): number;
  async_add(a: number, b: number): number;
  shout(text: string): number;
  sleep(s: number): number;
  pid(): number;
  blob(size: number): Buffer;
  nothing(): null;
}

const MiB16 = 16 * 1024 * 1024;

describe.each(['v3', 'v4'] as ProtocolVersion[])('TS parent → Python child (spawn mode, %s)', (protocol) => {
  let w: ParentWorker<PyApi>;
  const lines: string[] = [];
  beforeAll(async () => {
    w = await ParentWorker.spawn<PyApi>(pyWorker, {
      executable: PYTHON,
      protocol,
      output: (line, stream) => lines.push(`${stream}:${line}`),
    });
  });
  afterAll(async () => {
    await w?.close();
  });

  it('calls sync and async Python methods', async () => {
    expect(await w.call.add(1, 2)).toBe(3);
    expect(await w.call.async_add(20, 22)).toBe(42);
    expect(await w.call.nothing()).toBeNull();
    expect(await w.listFunctions()).toEqual([
      'add',
      'async_add',
      'blob',
      'describe',
      'divide',
      'echo',
      'nothing',
      'pid',
      'shout',
      'sleep',
    ]);
  });

  it('every value-table row arrives in Python with the right type', async () => {
    const cases: [unknown, string][] = [
      [null, 'NoneType'],
      [undefined, 'NoneType'],
      [true, 'bool'],
      [7, 'int'],
      [-5, 'int'],
      [2 ** 40, 'int'],
      [-(2 ** 40), 'int'],
      [Number.MAX_SAFE_INTEGER, 'int'],
      [2n ** 63n - 1n, 'int'],
      [2n ** 64n - 1n, 'int'],
      [1.5, 'float'],
      [Number.NaN, 'float'],
      [Infinity, 'float'],
      ['', 'str'],
      ['héllo 🌍', 'str'],
      [Buffer.from([0, 255]), 'bytes'],
      [new Uint8Array([1, 2]), 'bytes'],
      [[], 'list'],
      [{}, 'dict'],
      [new Map([['k', 1]]), 'dict'],
      [new Date(1_700_000_000_000), 'Timestamp'],
    ];
    for (const [value, type] of cases) {
      const d = await w.call.describe(value);
      expect(d.type, `${String(value)}`).toBe(type);
    }
    expect((await w.call.describe(2 ** 40)).repr).toBe('1099511627776');
    expect((await w.call.describe(2n ** 64n - 1n)).repr).toBe('18446744073709551615');
    expect((await w.call.describe(Buffer.from([0, 255]))).hex).toBe('00ff');
    expect((await w.call.describe(new Date(1_700_000_000_123))).ns).toBe(1_700_000_000_123_000_000n); // beyond 2**53: a BigInt
  });

  it('every value-table row comes back from Python with the right type', async () => {
    expect(await w.call.echo(2 ** 40)).toBe(1_099_511_627_776);
    expect(await w.call.echo(-(2 ** 40))).toBe(-1_099_511_627_776);
    expect(await w.call.echo(2n ** 63n - 1n)).toBe(2n ** 63n - 1n);
    expect(await w.call.echo(Buffer.from('bytes'))).toEqual(Buffer.from('bytes'));
    expect(await w.call.echo('héllo 🌍')).toBe('héllo 🌍');
    expect(await w.call.echo(Number.NaN)).toBeNaN();
    expect(await w.call.echo(-Infinity)).toBe(-Infinity);
    expect(await w.call.echo({ nested: [1, { deep: [null, true, 'x', 1.25] }], empty: {}, list: [] })).toEqual({
      nested: [1, { deep: [null, true, 'x', 1.25] }],
      empty: {},
      list: [],
    });
    expect(await w.call.echo(new Date(1_700_000_000_123))).toEqual(new Date(1_700_000_000_123));
    expect(await w.call.echo([undefined, 1])).toEqual([null, 1]);
  });

  it('a 16 MiB binary payload crosses both ways', async () => {
    const payload = Buffer.alloc(MiB16, 0xab);
    const back = (await w.call.echo(payload)) as Buffer;
    expect(Buffer.isBuffer(back)).toBe(true);
    expect(back.length).toBe(MiB16);
    expect(back.equals(payload)).toBe(true);
    const made = await w.call.blob(MiB16);
    expect(made.length).toBe(MiB16);
    expect(made[MiB16 - 1]).toBe(7);
  });

  it('a Python exception keeps its class name, message and traceback', async () => {
    const err = (await w.call.divide(1, 0).catch((e: unknown) => e)) as RemoteCallError;
    expect(err).toBeInstanceOf(RemoteCallError);
    expect(err.remoteType).toBe('ZeroDivisionError');
    expect(err.remoteMessage).toBe('division by zero');
    expect(err.remoteStack).toMatch(/Traceback \(most recent call last\)[\s\S]*echo_worker\.py", line \d+, in divide/);
    const missing = (await w.callFunction('nope').catch((e: unknown) => e)) as RemoteCallError;
    expect(missing.remoteMessage).toBe("Function 'nope' not found");
    const priv = (await w.callFunction('_hidden').catch((e: unknown) => e)) as RemoteCallError;
    expect(priv.remoteMessage).toBe("Cannot call private method '_hidden'");
    const ns = (await w
      .with({ namespace: 'elsewhere' })
      .call.add(1, 2)
      .catch((e: unknown) => e)) as RemoteCallError;
    expect(ns.code).toBe('REMOTE_ERROR');
  });

  it("a Python print() reaches the parent's output handler", async () => {
    await w.call.shout('printed in python');
    const deadline = Date.now() + 3_000;
    while (
      !(lines.includes('stdout:printed in python') && lines.includes('stderr:err:printed in python')) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(lines).toContain('stdout:printed in python');
    expect(lines).toContain('stderr:err:printed in python');
  });
});

describe('a Python child killed mid-call', () => {
  it('rejects the pending TS call at once with WORKER_EXITED', async () => {
    const w = await ParentWorker.spawn<PyApi>(pyWorker, {
      executable: PYTHON,
      output: 'ignore',
      defaultTimeoutMs: 30_000,
    });
    try {
      const pid = await w.call.pid();
      const pending = w.call.sleep(20).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 200));
      const t0 = Date.now();
      process.kill(pid, 'SIGKILL');
      const err = (await pending) as MultifrostError;
      expect(Date.now() - t0).toBeLessThan(1_000);
      expect(err.code).toBe('WORKER_EXITED');
      expect(err.details.signal).toBe('SIGKILL');
    } finally {
      await w.close();
    }
  });
});
