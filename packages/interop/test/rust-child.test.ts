// TS parent → Rust child (the zeromq 0.4 crate's ROUTER), spawn and connect mode, v3 and v4.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  FileServiceRegistry,
  ParentWorker,
  RemoteCallError,
  zmqTransport,
  type MultifrostError,
  type ProtocolVersion,
  type SpawnOptions,
} from 'multifrost';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startService, tempHome } from './helpers.js';
import { gone, rustPeer, type RustDescribed } from './rust-helpers.js';

interface RustApi {
  add(a: unknown, b: unknown): number;
  async_add(a: number, b: number): number;
  echo(v: unknown): unknown;
  describe(v: unknown): string;
  values(): unknown[];
  fail(message: string): never;
  pid(): number;
  shout(text: string): number;
  spin(seconds: number): number;
  sleep(seconds: number): number;
}

const spawnRust = (options: SpawnOptions = {}) =>
  ParentWorker.spawn<RustApi>(rustPeer, { executable: rustPeer, args: ['child'], ...options });

async function waitFor(check: () => boolean, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

describe.each(['v3', 'v4'] as ProtocolVersion[])('TS parent → Rust child (spawn mode, %s)', (protocol) => {
  let w: ParentWorker<RustApi>;
  const lines: string[] = [];
  beforeAll(async () => {
    w = await spawnRust({ protocol, output: (line, stream) => lines.push(`${stream}:${line}`) });
  });
  afterAll(async () => {
    await w?.close();
  });

  it('calls sync and async Rust methods and lists them', async () => {
    expect(await w.call.add(1, 2)).toBe(3);
    expect(await w.call.add(1.5, 2)).toBe(3.5);
    expect(await w.call.async_add(20, 22)).toBe(42);
    expect(await w.listFunctions()).toEqual([
      'add',
      'async_add',
      'describe',
      'echo',
      'fail',
      'pid',
      'shout',
      'sleep',
      'spin',
      'values',
    ]);
  });

  it('every value-table row arrives in Rust with the right msgpack type', async () => {
    const cases: [unknown, RustDescribed['type'], string?][] = [
      [null, 'nil'],
      [undefined, 'nil'],
      [true, 'bool', 'true'],
      [7, 'int', '7'],
      [-5, 'int', '-5'],
      [2 ** 40, 'int', '1099511627776'],
      [-(2 ** 40), 'int', '-1099511627776'],
      [Number.MAX_SAFE_INTEGER, 'int', '9007199254740991'],
      [2n ** 63n - 1n, 'int', '9223372036854775807'],
      [2n ** 64n - 1n, 'uint', '18446744073709551615'],
      [1.5, 'f64', '1.5'],
      [Number.NaN, 'f64', 'NaN'],
      [Infinity, 'f64', 'inf'],
      ['', 'str'],
      ['héllo 🌍', 'str'],
      [Buffer.from([0, 255]), 'bin'],
      [new Uint8Array([1, 2]), 'bin'],
      [[], 'array'],
      [[1, [2]], 'array'],
      [{}, 'map'],
      [new Map([['k', 1]]), 'map'],
      [new Date(1_700_000_000_000), 'ext', '-1'],
    ];
    for (const [value, type, repr] of cases) {
      const d = JSON.parse(await w.call.describe(value)) as RustDescribed;
      expect(d.type, String(value)).toBe(type);
      if (repr !== undefined) expect(d.repr, String(value)).toBe(repr);
    }
    expect(JSON.parse(await w.call.describe('héllo 🌍')).value).toBe('héllo 🌍');
    expect(JSON.parse(await w.call.describe(Buffer.from([0, 255]))).hex).toBe('00ff');
    const nested = JSON.parse(await w.call.describe({ a: { b: [1, null] } })) as RustDescribed;
    expect(nested).toEqual({
      type: 'map',
      items: {
        a: {
          type: 'map',
          items: { b: { type: 'array', items: [{ type: 'int', repr: '1' }, { type: 'nil' }] } },
        },
      },
    });
  });

  it('every value-table row made in Rust arrives here with the right type', async () => {
    const v = await w.call.values();
    expect(v.slice(0, 5)).toEqual([null, true, 7, -5, 2 ** 40]);
    expect(v[5]).toBe(2n ** 63n - 1n);
    expect(v[6]).toBe(2n ** 64n - 1n);
    expect(v[7]).toBe(1.5);
    expect(v[8]).toBeNaN();
    expect(v[9]).toBe(Infinity);
    expect(v[10]).toBe(0.5);
    expect(v.slice(11, 13)).toEqual(['', 'héllo 🌍']);
    expect(Buffer.isBuffer(v[13])).toBe(true);
    expect(v[13]).toEqual(Buffer.from([0, 255]));
    expect(v.slice(14, 18)).toEqual([[], [1, [2]], {}, { a: { b: 1 } }]);
    expect(v[18]).toEqual(new Date(1_700_000_000_000));
    expect(await w.call.echo(Buffer.from('bytes'))).toEqual(Buffer.from('bytes'));
    expect(await w.call.echo(new Date(1_700_000_000_123))).toEqual(new Date(1_700_000_000_123));
    expect(await w.call.echo(2n ** 64n - 1n)).toBe(2n ** 64n - 1n);
  });

  it('errors keep their names; private, missing, other-namespace and bad-argument calls get error replies', async () => {
    const err = (await w.call.fail('boom').catch((e: unknown) => e)) as RemoteCallError;
    expect(err).toBeInstanceOf(RemoteCallError);
    expect(err.remoteType).toBe('InvalidInput');
    expect(err.remoteMessage).toBe('boom');
    const missing = (await w.callFunction('nope').catch((e: unknown) => e)) as RemoteCallError;
    expect(missing.remoteMessage).toBe("Function 'nope' not found");
    const priv = (await w.callFunction('_hidden').catch((e: unknown) => e)) as RemoteCallError;
    expect(priv.remoteMessage).toBe("Cannot call private method '_hidden'");
    const ns = (await w
      .with({ namespace: 'elsewhere' })
      .call.add(1, 2)
      .catch((e: unknown) => e)) as RemoteCallError;
    expect(ns.remoteType).toBe('NamespaceError');
    const bad = (await w.call.add('x', 1).catch((e: unknown) => e)) as RemoteCallError;
    expect(bad.remoteType).toBe('TypeError');
    expect(await w.call.add(2, 2)).toBe(4); // a bad argument did not take the worker down
  });

  it("the Rust child's stdout and stderr reach the output handler", async () => {
    await w.call.shout(`printed in rust ${protocol}`);
    await waitFor(() => lines.includes(`stderr:err:printed in rust ${protocol}`));
    expect(lines).toContain(`stdout:printed in rust ${protocol}`);
    expect(lines).toContain(`stderr:err:printed in rust ${protocol}`);
  });

  it('1,000 concurrent calls all come back to the right caller', async () => {
    const sums = await Promise.all(Array.from({ length: 1000 }, (_, i) => w.call.add(i, i)));
    expect(sums).toEqual(Array.from({ length: 1000 }, (_, i) => 2 * i));
  });
});

describe('a Rust child under load and at the end', () => {
  it('a 10 s CPU-bound call is not declared dead, and other calls are answered meanwhile', async () => {
    const events: string[] = [];
    const w = await spawnRust({ protocol: 'v4', output: 'ignore', defaultTimeoutMs: 30_000 });
    for (const name of ['exit', 'restart', 'unresponsive', 'circuit-open'] as const) {
      (w as unknown as { on(e: string, f: () => void): void }).on(name, () => events.push(name));
    }
    try {
      const spinning = w.call.spin(10);
      await new Promise((r) => setTimeout(r, 6_000)); // past one heartbeat interval
      expect(await w.call.add(1, 1)).toBe(2);
      expect(await spinning).toBeGreaterThan(0);
      expect(await w.call.add(2, 2)).toBe(4);
      expect(events).toEqual([]);
    } finally {
      await w.close();
    }
  }, 30_000);

  it('SIGKILL mid-call rejects the pending call with WORKER_EXITED', async () => {
    const w = await spawnRust({ protocol: 'v4', output: 'ignore', defaultTimeoutMs: 30_000 });
    try {
      const pid = await w.call.pid();
      const pending = w.call.sleep(20).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 200));
      process.kill(pid, 'SIGKILL');
      const err = (await pending) as MultifrostError;
      expect(err.code).toBe('WORKER_EXITED');
      expect(err.details.signal).toBe('SIGKILL');
    } finally {
      await w.close();
    }
  });

  it('close() ends the Rust process (shutdown message), leaving nothing behind', async () => {
    const w = await spawnRust({ protocol: 'v4', output: 'ignore' });
    const pid = await w.call.pid();
    await w.close();
    expect(await gone(pid)).toBe(true);
  });
});

describe('ZMTP heartbeats and the zeromq crate (defect 7)', () => {
  it('with PINGs explicitly on, the Rust ROUTER drops the link: calls made after the first PING time out', async () => {
    const w = await spawnRust({
      protocol: 'v4',
      output: 'ignore',
      transport: zmqTransport({ zmtpHeartbeatIntervalMs: 100, zmtpHeartbeatTimeoutMs: 60_000 }),
    });
    try {
      await new Promise((r) => setTimeout(r, 1_000)); // several PINGs
      const err = (await w
        .with({ timeoutMs: 2_000 })
        .call.add(1, 2)
        .catch((e: unknown) => e)) as MultifrostError;
      expect(err.code).toBe('TIMEOUT');
    } finally {
      await w.close();
    }
  });

  it('with the default transport (no PINGs) the same wait is harmless', async () => {
    const w = await spawnRust({ protocol: 'v4', output: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await w.with({ timeoutMs: 2_000 }).call.add(1, 2)).toBe(3);
    } finally {
      await w.close();
    }
  });
});

function registered(home: string): Record<string, { pid: number; port: number; started: string }> {
  try {
    return JSON.parse(readFileSync(path.join(home, 'services.json'), 'utf8'));
  } catch {
    return {};
  }
}

describe('TS parent → Rust service (connect mode)', () => {
  const cleanup: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it.each(['v3', 'v4'] as ProtocolVersion[])(
    'finds, calls and gets output from a Rust service, which unregisters on SIGTERM (%s)',
    async (protocol) => {
      const { home, cleanup: rm } = tempHome();
      cleanup.push(rm);
      const service = await startService([rustPeer, 'child'], {
        ...process.env,
        MULTIFROST_HOME: home,
        MF_SERVICE_ID: 'rust-math',
      });
      cleanup.push(() => void service.kill('SIGKILL'));
      const entry = registered(home)['rust-math'];
      expect(entry).toMatchObject({ pid: service.pid });
      expect(entry?.started).toMatch(/^\d+$/); // the public Rust peer's form: unix seconds as a string
      const lines: string[] = [];
      const c = await ParentWorker.connect<RustApi>('rust-math', {
        registry: new FileServiceRegistry({ home }),
        protocol,
        output: (line, stream) => lines.push(`${stream}:${line}`),
      });
      cleanup.push(() => c.close());
      expect(await c.call.add(40, 2)).toBe(42);
      expect(await c.call.echo(2n ** 63n - 1n)).toBe(2n ** 63n - 1n);
      expect(await c.call.pid()).toBe(service.pid);
      await c.call.shout('over the wire');
      await waitFor(() => lines.includes('stderr:err:over the wire'));
      expect(lines).toEqual(['stdout:over the wire', 'stderr:err:over the wire']);
      const exit = new Promise((r) => service.on('exit', r));
      service.kill('SIGTERM');
      expect(await exit).toBe(0);
      expect(registered(home)['rust-math']).toBeUndefined();
    },
  );

  it('a second Rust service under a live id is refused', async () => {
    const { home, cleanup: rm } = tempHome();
    cleanup.push(rm);
    const env = { ...process.env, MULTIFROST_HOME: home, MF_SERVICE_ID: 'rust-once' };
    const first = await startService([rustPeer, 'child'], env);
    cleanup.push(() => void first.kill('SIGKILL'));
    const second = await startService([rustPeer, 'child'], env).catch((e: Error) => e);
    expect(second).toBeInstanceOf(Error);
    expect(registered(home)['rust-once']?.pid).toBe(first.pid);
  });
});
