// TS parent ↔ Go child (go-zeromq/zmq4 + msgpack/v5), spawn and connect mode, v3 and v4.
import {
  zmqTransport,
  FileServiceRegistry,
  type MultifrostError,
  ParentWorker,
  RemoteCallError,
  type ProtocolVersion,
} from 'multifrost';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, goBin, goChildCommand, until } from './go-helpers.js';
import { startService, tempHome } from './helpers.js';

interface GoApi {
  add(a: number, b: number): number;
  echo(v: unknown): unknown;
  describe(v: unknown): { type: string; repr?: string };
  values(): unknown[];
  fail(msg: string): never;
  burn(ms: number): number;
  sleep(ms: number): number;
  shout(text: string): number;
  pid(): number;
}

const spawnGo = (protocol: ProtocolVersion, output: 'ignore' | ((line: string, stream: string) => void) = 'ignore') =>
  ParentWorker.spawn<GoApi>(goBin, { executable: goBin, args: ['child', '-app', protocol], protocol, output });

describe.each(['v3', 'v4'] as ProtocolVersion[])('TS parent → Go child (spawn mode, %s)', (protocol) => {
  let w: ParentWorker<GoApi>;
  const lines: string[] = [];
  beforeAll(async () => {
    w = await spawnGo(protocol, (line, stream) => lines.push(`${stream}:${line}`));
  });
  afterAll(async () => {
    await w?.close();
  });

  it('every value-table row arrives in Go with the right type', async () => {
    const cases: [unknown, string][] = [
      [null, 'nil'],
      [undefined, 'nil'],
      [true, 'bool'],
      [7, 'int8'],
      [-5, 'int8'],
      [200, 'uint8'],
      [2 ** 40, 'int64'],
      [-(2 ** 40), 'int64'],
      [2n ** 63n - 1n, 'int64'],
      [2n ** 64n - 1n, 'uint64'],
      [1.5, 'float64'],
      [Number.NaN, 'float64'],
      [Infinity, 'float64'],
      ['héllo 🌍', 'string'],
      [Buffer.from([0, 255]), '[]uint8'],
      [new Uint8Array([1, 2]), '[]uint8'],
      [[], '[]interface {}'],
      [{}, 'map[string]interface {}'],
      [new Map([['k', 1]]), 'map[string]interface {}'],
      [new Date(1_700_000_000_123), 'time.Time'],
    ];
    for (const [value, type] of cases) expect((await w.call.describe(value)).type, String(value)).toBe(type);
    expect((await w.call.describe(2n ** 64n - 1n)).repr).toBe('18446744073709551615');
    expect((await w.call.describe(Buffer.from([0, 255]))).repr).toBe('00ff');
    expect((await w.call.describe(new Date(1_700_000_000_123))).repr).toBe('2023-11-14T22:13:20.123Z');
  });

  it('every row made in Go comes back with the right TS type', async () => {
    expect(await w.call.add(2, 3)).toBe(5); // a Go int64 (0xd3) arrives as a Number
    // The public Go peer tags `result` omitempty, and msgpack/v5 omits a zero value behind the
    // interface too: a Go 0 (or false, or "") arrives as null.
    expect(await w.call.add(0, 0)).toBeNull();
    expect(await w.call.values()).toEqual([
      null,
      true,
      7,
      -5,
      2 ** 40,
      2n ** 63n - 1n,
      2n ** 64n - 1n,
      1.5,
      '',
      'héllo 🌍',
      Buffer.from([0, 255]),
      [],
      [1, [2]],
      {},
      { a: { b: 1 } },
      new Date(1_700_000_000_000),
    ]);
    expect(await w.call.echo({ nested: [1, { deep: [null, 'x', 1.25] }] })).toEqual({
      nested: [1, { deep: [null, 'x', 1.25] }],
    });
  });

  it('a Go error keeps its name; unknown and private functions are refused', async () => {
    const err = (await w.call.fail('bad input').catch((e: unknown) => e)) as RemoteCallError;
    expect(err).toBeInstanceOf(RemoteCallError);
    expect(err.remoteType).toBe('ValueError');
    expect(err.remoteMessage).toBe('bad input');
    const missing = (await w.callFunction('nope').catch((e: unknown) => e)) as RemoteCallError;
    expect(missing.remoteMessage).toBe("Function 'nope' not found");
  });

  it('Go stdout and stderr reach the output handler', async () => {
    await w.call.shout(`from go ${protocol}`);
    await until(() => lines.includes(`stderr:err:from go ${protocol}`), 3_000);
    expect(lines).toContain(`stdout:from go ${protocol}`);
    expect(lines).toContain(`stderr:err:from go ${protocol}`);
  });

  it('1,000 concurrent calls all come back right', async () => {
    const sums = await Promise.all(Array.from({ length: 1000 }, (_, i) => w.call.add(i, 1)));
    expect(sums).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
  });
});

// Sequential: concurrent spawns from one parent process hit "Address already in use" (reported).
describe('TS parent → Go child: liveness', () => {
  it('a 10 s CPU-bound Go call is not declared dead (defect 7: ZMTP PINGs go unanswered)', async () => {
    const w = await spawnGo('v4');
    try {
      expect(await w.call.burn(10_000)).toBeGreaterThan(0);
      expect(await w.call.add(1, 1)).toBe(2);
    } finally {
      await w.close();
    }
  }, 40_000);

  it('with ZMTP heartbeats on, the same link is dropped: why the default is off', async () => {
    const w = await ParentWorker.spawn<GoApi>(goBin, {
      executable: goBin,
      args: ['child'],
      protocol: 'v4',
      output: 'ignore',
      transport: zmqTransport({ zmtpHeartbeatIntervalMs: 1000, zmtpHeartbeatTimeoutMs: 5000 }),
    });
    try {
      const err = (await w.call.burn(8_000).catch((e: unknown) => e)) as MultifrostError;
      expect(err).toBeInstanceOf(Error);
    } finally {
      await w.close();
    }
  }, 40_000);

  it('a Go child SIGKILLed mid-call rejects the pending call with WORKER_EXITED', async () => {
    const w = await spawnGo('v4');
    try {
      const pid = await w.call.pid();
      const pending = w.call.sleep(20_000).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 200));
      process.kill(pid, 'SIGKILL');
      const err = (await pending) as MultifrostError;
      expect(err.code).toBe('WORKER_EXITED');
    } finally {
      await w.close();
    }
  });

  it('close() leaves no Go process behind', async () => {
    const w = await spawnGo('v3');
    const pid = await w.call.pid();
    await w.close();
    expect(await until(() => !alive(pid), 5_000)).toBe(true);
  });

  it.each(['v3', 'v4'] as ProtocolVersion[])(
    'connect mode: a TS parent calls a registered Go service (%s)',
    async (protocol) => {
      const { home, cleanup } = tempHome();
      const service = await startService([...goChildCommand, '-app', protocol, '-service', `go-${protocol}`], {
        ...process.env,
        MULTIFROST_HOME: home,
      });
      try {
        const c = await ParentWorker.connect<GoApi>(`go-${protocol}`, {
          registry: new FileServiceRegistry({ home }),
          protocol,
          output: 'ignore',
        });
        try {
          expect(await c.call.add(40, 2)).toBe(42);
          expect(await c.call.pid()).toBe(service.pid);
        } finally {
          await c.close();
        }
        const exit = new Promise((r) => service.on('exit', r));
        service.kill('SIGTERM');
        expect(await exit).toBe(0);
      } finally {
        service.kill('SIGKILL');
        cleanup();
      }
    },
  );

  it('connect mode: a Go service idle for 30 s still answers', async () => {
    const { home, cleanup } = tempHome();
    const service = await startService([...goChildCommand, '-service', 'go-idle'], {
      ...process.env,
      MULTIFROST_HOME: home,
    });
    try {
      const c = await ParentWorker.connect<GoApi>('go-idle', {
        registry: new FileServiceRegistry({ home }),
        protocol: 'v4',
        output: 'ignore',
      });
      try {
        expect(await c.call.add(1, 2)).toBe(3);
        await new Promise((r) => setTimeout(r, 30_000));
        expect(await c.call.add(2, 3)).toBe(5);
      } finally {
        await c.close();
      }
    } finally {
      service.kill('SIGKILL');
      cleanup();
    }
  }, 50_000);
});
