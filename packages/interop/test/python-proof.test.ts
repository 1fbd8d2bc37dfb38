// Issue 15's proof list for the project's Python peer (the pip-installed multifrost_worker), filling
// what the older Python tests leave out: both directions, spawn and connect, v3 and v4. Everything
// runs concurrently (the two slow cases each run their directions side by side inside one test), so
// the file takes about as long as its single 30 s idle wait.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  FileServiceRegistry,
  ParentWorker,
  RemoteCallError,
  type MultifrostError,
  type ProtocolVersion,
} from 'multifrost';
import { afterAll, describe, expect, it } from 'vitest';
import { PYTHON, pythonDir, startService, tempHome, tsxLoader, type Described } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const pyWorker = path.join(pythonDir, 'proof_worker.py');
const pyDriver = path.join(pythonDir, 'proof_driver.py');
// The TS worker with slow, noisy and CPU-bound methods (shared with the Rust tests: it is peer-neutral).
const tsChild = [process.execPath, '--import', tsxLoader, path.join(here, 'rust-ts-worker.ts')];
const tsParentFixture = path.join(here, 'fixtures', 'python-proof-ts-parent.ts');

const VERSIONS = ['v3', 'v4'] as ProtocolVersion[];
const APP = { v3: 'comlink_ipc_v3', v4: 'comlink_ipc_v4' } as const;

interface PyApi {
  echo(v: unknown): unknown;
  describe(v: unknown): Described;
  add(a: number, b: number): number;
  async_add(a: number, b: number): number;
  divide(a: number, b: number): number;
  sleep(s: number): number;
  spin(s: number): number;
  shout(text: string): number;
  pid(): number;
}

/** Cleanups of one test, run in reverse at its end (the tests run concurrently, so none is shared). */
function scope() {
  const fns: (() => void | Promise<void>)[] = [];
  return {
    defer: (fn: () => void | Promise<void>) => void fns.push(fn),
    close: async () => {
      for (const fn of fns.splice(0).reverse()) await fn();
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

const killed = (proc: ChildProcess) => async () => {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exit = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await exit;
};

function registered(home: string): Record<string, { pid: number; port: number }> {
  try {
    return JSON.parse(readFileSync(path.join(home, 'services.json'), 'utf8'));
  } catch {
    return {};
  }
}

type PyLine =
  | { ok: true; result: Described }
  | { ok: false; name: string; message: string }
  | { stream: 'stdout' | 'stderr'; output: string }
  | { spawned: number }
  | { many: number; right: number }
  | { done: true };

interface PyPlan {
  spawn?: string[];
  connect?: string;
  home?: string;
  app?: string;
  timeout?: number;
  calls: [string, unknown[]][];
}

/** Runs python/proof_driver.py with a plan; its JSON lines (and any raw lines) arrive as they are printed. */
function pythonParent(plan: PyPlan, env: NodeJS.ProcessEnv) {
  const proc = spawn(PYTHON, [pyDriver, JSON.stringify(plan)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: PyLine[] = [];
  const raw: string[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    if (l.startsWith('{')) lines.push(JSON.parse(l) as PyLine);
    else raw.push(l);
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)));
  async function until(match: (l: PyLine) => boolean, ms = 30_000): Promise<PyLine> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = lines.find(match);
      if (hit) return hit;
      if (Date.now() > deadline || proc.exitCode !== null) {
        throw new Error(`no matching line; got ${JSON.stringify(lines)}; stderr: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return { proc, lines, raw, until, exited, stderr: () => stderr };
}

const outcomes = (lines: PyLine[]) => lines.filter((l): l is Extract<PyLine, { ok: boolean }> => 'ok' in l);
const outputs = (lines: PyLine[]) => lines.flatMap((l) => ('stream' in l ? [`${l.stream}:${l.output}`] : []));

/** One of each value-table row sent from TS, with the Python type it must arrive as. */
const ROWS: [unknown, string, string?][] = [
  [null, 'NoneType'],
  [undefined, 'NoneType'],
  [true, 'bool'],
  [-5, 'int', '-5'],
  [2 ** 40, 'int', '1099511627776'],
  [Number.MAX_SAFE_INTEGER, 'int', '9007199254740991'],
  [2n ** 63n - 1n, 'int', '9223372036854775807'],
  [2n ** 64n - 1n, 'int', '18446744073709551615'],
  [1.5, 'float'],
  [Number.NaN, 'float', 'nan'],
  [-Infinity, 'float', '-inf'],
  ['héllo 🌍', 'str'],
  [Buffer.from([0, 255]), 'bytes'],
  [new Uint8Array([1, 2]), 'bytes'],
  [[1, [2]], 'list'],
  [new Set([1]), 'list'],
  [{ a: { b: 1 } }, 'dict'],
  [new Map([['k', 1]]), 'dict'],
  [new Date(1_700_000_000_000), 'Timestamp'],
];

/** The Python types of rust-ts-worker.ts's values(), in order. */
const TS_VALUE_TYPES = [
  'NoneType',
  'bool',
  'int',
  'int',
  'int',
  'int',
  'int',
  'float',
  'float',
  'str',
  'str',
  'bytes',
  'list',
  'list',
  'dict',
  'dict',
  'Timestamp',
];

async function pyService(id: string, home: string) {
  return startService([PYTHON, pyWorker], { ...process.env, MULTIFROST_HOME: home, MF_SERVICE_ID: id });
}

/**
 * What our parents print with `output: 'inherit'`, kept for the whole file: the tests run
 * concurrently, so one shared tee (restored at the end) instead of one per test that could unwind out of order.
 */
const printed = { stdout: [] as string[], stderr: [] as string[] };
for (const name of ['stdout', 'stderr'] as const) {
  const stream = process[name];
  const original = stream.write;
  const tee = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    if (typeof chunk === 'string') printed[name].push(...chunk.split('\n').filter((l) => l.length > 0));
    return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof stream.write;
  stream.write = tee;
  afterAll(() => {
    if (stream.write === tee) stream.write = original;
  });
}

describe.concurrent('the Python peer, issue 15 proof', () => {
  describe.each(VERSIONS)('TS parent → Python child, spawn mode (%s)', (protocol) => {
    it('1,000 concurrent calls each reach their caller; close() leaves no Python process', async () => {
      const w = await ParentWorker.spawn<PyApi>(pyWorker, { executable: PYTHON, protocol, output: 'ignore' });
      const pid = await w.call.pid();
      try {
        const sums = await Promise.all(Array.from({ length: 1000 }, (_, i) => w.call.add(i, i)));
        expect(sums).toEqual(Array.from({ length: 1000 }, (_, i) => 2 * i));
      } finally {
        await w.close();
      }
      expect(await gone(pid)).toBe(true);
    });

    it('SIGKILL mid-call rejects the pending call with WORKER_EXITED', async () => {
      const w = await ParentWorker.spawn<PyApi>(pyWorker, {
        executable: PYTHON,
        protocol,
        output: 'ignore',
        defaultTimeoutMs: 30_000,
      });
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

    it('the Python child exits when its TS parent is SIGKILLed (no orphan)', async () => {
      const s = scope();
      try {
        const parent = spawn(process.execPath, ['--import', tsxLoader, tsParentFixture, PYTHON, pyWorker, protocol], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        s.defer(killed(parent));
        const child = await new Promise<number>((resolve, reject) => {
          createInterface({ input: parent.stdout! }).on('line', (l) => {
            if (l.startsWith('{"child"')) resolve((JSON.parse(l) as { child: number }).child);
          });
          parent.on('exit', (code) => reject(new Error(`TS parent exited (${code}) before spawning`)));
        });
        s.defer(() => void (alive(child) && process.kill(child, 'SIGKILL')));
        expect(alive(child)).toBe(true);
        await killed(parent)();
        expect(await gone(child)).toBe(true);
      } finally {
        await s.close();
      }
    });
  });

  describe.each(VERSIONS)('TS parent → Python service, connect mode (%s)', (protocol) => {
    it('values arrive typed in Python and come back typed, errors keep names, 1,000 concurrent calls', async () => {
      const s = scope();
      try {
        const { home, cleanup } = tempHome();
        s.defer(cleanup);
        const service = await pyService('py-proof', home);
        s.defer(killed(service));
        const c = await ParentWorker.connect<PyApi>('py-proof', {
          registry: new FileServiceRegistry({ home }),
          protocol,
          output: 'ignore',
        });
        s.defer(() => c.close());
        for (const [value, type, repr] of ROWS) {
          const d = await c.call.describe(value);
          expect(d.type, String(value)).toBe(type);
          if (repr !== undefined) expect(d.repr, String(value)).toBe(repr);
        }
        expect((await c.call.describe(Buffer.from([0, 255]))).hex).toBe('00ff');
        expect(await c.call.echo(2n ** 64n - 1n)).toBe(2n ** 64n - 1n);
        expect(await c.call.echo(Buffer.from('bytes'))).toEqual(Buffer.from('bytes'));
        expect(await c.call.echo(new Date(1_700_000_000_123))).toEqual(new Date(1_700_000_000_123));
        expect(await c.call.echo({ a: [1, { b: null }], s: 'é' })).toEqual({ a: [1, { b: null }], s: 'é' });

        const err = (await c.call.divide(1, 0).catch((e: unknown) => e)) as RemoteCallError;
        expect(err).toBeInstanceOf(RemoteCallError);
        expect(err.remoteType).toBe('ZeroDivisionError');
        expect(err.remoteStack).toMatch(/in divide/);

        const sums = await Promise.all(Array.from({ length: 1000 }, (_, i) => c.call.add(i, 1)));
        expect(sums).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));

        // A connect-mode parent leaving does not stop the shared service; SIGTERM does, and unregisters it.
        await c.close();
        expect(alive(service.pid!)).toBe(true);
        const exit = new Promise((r) => service.once('exit', r));
        service.kill('SIGTERM');
        expect(await exit).toBe(0);
        expect(registered(home)['py-proof']).toBeUndefined();
      } finally {
        await s.close();
      }
    });

    it('printed lines reach each opted-in parent once, with the service name; an output: ignore parent gets none', async () => {
      const s = scope();
      try {
        const { home, cleanup } = tempHome();
        s.defer(cleanup);
        const id = `py-out-${protocol}`;
        const service = await pyService(id, home);
        s.defer(killed(service));
        const registry = new FileServiceRegistry({ home });
        const got: string[] = [];
        const handled = await ParentWorker.connect<PyApi>(id, {
          registry,
          protocol,
          output: (line, stream) => got.push(`${stream}:${line}`),
        });
        s.defer(() => handled.close());
        const ignored = await ParentWorker.connect<PyApi>(id, { registry, protocol, output: 'ignore' });
        s.defer(() => ignored.close());
        const heardByIgnored: string[] = [];
        ignored.on('stdout', (line: string) => heardByIgnored.push(line));
        ignored.on('stderr', (line: string) => heardByIgnored.push(line));
        const inherited = await ParentWorker.connect<PyApi>(id, { registry, protocol });
        s.defer(() => inherited.close());

        await handled.call.shout(`a ${protocol}`);
        await ignored.call.shout(`b ${protocol}`);
        await inherited.call.shout(`c ${protocol}`);
        // The service sends a call's lines before its reply, and each link keeps its order, so one more
        // reply on each link means every line meant for it has arrived.
        for (const w of [handled, ignored, inherited]) expect(await w.call.add(1, 1)).toBe(2);

        const lines = (who: string) => [`stdout:${who} ${protocol}`, `stderr:err:${who} ${protocol}`];
        expect(got).toEqual([...lines('a'), ...lines('b'), ...lines('c')]);
        expect(heardByIgnored).toEqual([]);
        const mine = (name: 'stdout' | 'stderr') =>
          printed[name].filter((l) => l.startsWith(`[${id}] `)).map((l) => l.slice(id.length + 3));
        expect(mine('stdout')).toEqual(['a', 'b', 'c'].map((who) => `${who} ${protocol}`));
        expect(mine('stderr')).toEqual(['a', 'b', 'c'].map((who) => `err:${who} ${protocol}`));
      } finally {
        await s.close();
      }
    });

    it('a service SIGKILLed mid-call: the pending call fails at once with WORKER_EXITED, not at its timeout', async () => {
      const s = scope();
      try {
        const { home, cleanup } = tempHome();
        s.defer(cleanup);
        const service = await pyService('py-killed', home);
        s.defer(killed(service));
        const c = await ParentWorker.connect<PyApi>('py-killed', {
          registry: new FileServiceRegistry({ home }),
          protocol,
          output: 'ignore',
        });
        s.defer(() => c.close());
        const pending = c
          .with({ timeoutMs: 30_000 })
          .call.sleep(20)
          .catch((e: unknown) => e);
        await new Promise((r) => setTimeout(r, 200));
        service.kill('SIGKILL');
        const err = (await pending) as MultifrostError;
        // The link drops and the registered pid is gone: the call fails at once, not at its limit.
        expect(err.code).toBe('WORKER_EXITED');
      } finally {
        await s.close();
      }
    });
  });

  it("the Python service's output forwarder: opt-in only, no eviction, idle drop, bounded queue, streams restored", () => {
    const run = spawnSync(PYTHON, [path.join(pythonDir, 'output_forwarding_check.py')], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const found = JSON.parse(run.stdout.split('\n').find((l) => l.startsWith('{'))!);
    const sent = (peer: string) => [
      [peer, APP.v4, 'stderr', 't'],
      [peer, APP.v4, 'stdout', 'one'],
      [peer, APP.v4, 'stdout', 'two'],
    ];
    expect(found).toEqual({
      installed: true,
      restored: true,
      refused: 1, // the third opt-in, past a cap of two
      dropped: 2, // lines past a queue of three
      woken: true,
      sent: [...sent('a'), ...sent('b')], // a in the app id of its last message; blank lines not sent
      after_idle: ['b', 'd'],
      subscribers: 1,
    });
  });

  describe.each(VERSIONS)('Python parent → Python service, connect mode (%s)', (protocol) => {
    it('the Python parent opts in and gets each printed line once, in its own app id', async () => {
      const s = scope();
      try {
        const { home, cleanup } = tempHome();
        s.defer(cleanup);
        const id = `py-py-out-${protocol}`;
        const service = await pyService(id, home);
        s.defer(killed(service));
        const run = pythonParent(
          {
            connect: id,
            home,
            app: APP[protocol],
            calls: [
              ['shout', [`py ${protocol}`]],
              ['add', [2, 2]],
            ],
          },
          { ...process.env, MULTIFROST_HOME: home },
        );
        s.defer(killed(run.proc));
        expect(await run.exited, run.stderr()).toBe(0);
        expect(outputs(run.lines)).toEqual([`stdout:py ${protocol}`, `stderr:err:py ${protocol}`]);
        expect(outcomes(run.lines)).toEqual([
          { ok: true, result: { type: 'int', repr: String(`py ${protocol}`.length) } },
          { ok: true, result: { type: 'int', repr: '4' } },
        ]);
      } finally {
        await s.close();
      }
    });
  });

  describe.each(VERSIONS)('Python parent → TS child, spawn mode (%s)', (protocol) => {
    it('errors keep names, output reaches the Python side, 1,000 concurrent calls, the child ends with the parent', async () => {
      const run = pythonParent(
        {
          spawn: tsChild,
          app: APP[protocol],
          calls: [
            ['fail', ['bad input']],
            ['shout', [`spawned ${protocol}`]],
            ['$many', ['add', 1000]],
            ['pid', []],
          ],
        },
        process.env,
      );
      const code = await run.exited;
      expect(code, run.stderr()).toBe(0);
      const [fail, , pid] = outcomes(run.lines);
      expect(fail).toEqual({ ok: false, name: 'RangeError', message: 'bad input' });
      // This parent sets MULTIFROST_PARENT_PID, so our child writes to the pipes it inherited from Python.
      expect(run.raw).toContain(`spawned ${protocol}`);
      expect(run.stderr()).toContain(`err:spawned ${protocol}`);
      expect(run.lines).toContainEqual({ many: 1000, right: 1000 });
      expect(run.lines.at(-1)).toEqual({ done: true });
      const child = Number((pid as { result: Described }).result.repr);
      expect(await gone(child)).toBe(true); // close() sent shutdown
    });

    it('SIGKILL of the TS child mid-call ends the call with WorkerExited; SIGKILL of the Python parent ends the child', async () => {
      const s = scope();
      try {
        const victim = pythonParent(
          {
            spawn: tsChild,
            app: APP[protocol],
            calls: [
              ['pid', []],
              ['sleep', [20_000]],
            ],
          },
          process.env,
        );
        s.defer(killed(victim.proc));
        const orphaning = pythonParent(
          {
            spawn: tsChild,
            app: APP[protocol],
            calls: [
              ['pid', []],
              ['sleep', [20_000]],
            ],
          },
          process.env,
        );
        s.defer(killed(orphaning.proc));

        const first = (await victim.until((l) => 'ok' in l)) as { result: Described };
        await new Promise((r) => setTimeout(r, 200));
        process.kill(Number(first.result.repr), 'SIGKILL');
        const exitedLine = await victim.until((l) => 'ok' in l && !l.ok);
        expect(exitedLine).toMatchObject({ ok: false, name: 'WorkerExited' });
        expect(await victim.exited).toBe(0);

        const orphan = Number(((await orphaning.until((l) => 'ok' in l)) as { result: Described }).result.repr);
        s.defer(() => void (alive(orphan) && process.kill(orphan, 'SIGKILL')));
        await killed(orphaning.proc)();
        expect(await gone(orphan)).toBe(true);
      } finally {
        await s.close();
      }
    });
  });

  describe.each(VERSIONS)('Python parent → TS service, connect mode (%s)', (protocol) => {
    it('values arrive typed in Python, errors keep names, output comes over the wire, 1,000 concurrent calls', async () => {
      const s = scope();
      try {
        const { home, cleanup } = tempHome();
        s.defer(cleanup);
        const env = { ...process.env, MULTIFROST_HOME: home, MF_SERVICE_ID: 'ts-for-py' };
        const service = await startService(tsChild, env);
        s.defer(killed(service));
        const run = pythonParent(
          {
            connect: 'ts-for-py',
            home,
            app: APP[protocol],
            calls: [
              ['values', []],
              ['echo', [{ a: [1, 2 ** 40] }]],
              ['fail', ['nope']],
              ['shout', [`connected ${protocol}`]],
              ['$many', ['add', 1000]],
              ['pid', []],
            ],
          },
          env,
        );
        expect(await run.exited, run.stderr()).toBe(0);
        const [values, echo, fail, , pid] = outcomes(run.lines);
        const items = (values as { result: Described }).result.items as Described[];
        expect(items.map((v) => v.type)).toEqual(TS_VALUE_TYPES);
        expect(items[5]!.repr).toBe('9223372036854775807');
        expect(items[6]!.repr).toBe('18446744073709551615');
        expect(items[11]!.hex).toBe('00ff');
        expect(items[16]!.ns).toBe(1.7e18); // JSON.parse reads the driver's nanoseconds as a Number (exact here)
        expect((echo as { result: Described }).result).toEqual({
          type: 'dict',
          items: {
            a: {
              type: 'list',
              items: [
                { type: 'int', repr: '1' },
                { type: 'int', repr: '1099511627776' },
              ],
            },
          },
        });
        expect(fail).toEqual({ ok: false, name: 'RangeError', message: 'nope' });
        // The Python parent opts in (mf_output), so the service sends it each line, in its own app id.
        expect(outputs(run.lines)).toEqual([`stdout:connected ${protocol}`, `stderr:err:connected ${protocol}`]);
        expect(run.lines).toContainEqual({ many: 1000, right: 1000 });
        expect(Number((pid as { result: Described }).result.repr)).toBe(service.pid);
        expect(alive(service.pid!)).toBe(true); // the parent leaving does not stop a shared service
      } finally {
        await s.close();
      }
    });

    it('a service SIGKILLed mid-call: the Python parent gives up at its timeout', async () => {
      const s = scope();
      try {
        const { home, cleanup } = tempHome();
        s.defer(cleanup);
        const env = { ...process.env, MULTIFROST_HOME: home, MF_SERVICE_ID: 'ts-killed' };
        const service = await startService(tsChild, env);
        s.defer(killed(service));
        const run = pythonParent(
          {
            connect: 'ts-killed',
            home,
            app: APP[protocol],
            timeout: 3,
            calls: [
              ['pid', []],
              ['sleep', [20_000]],
            ],
          },
          env,
        );
        s.defer(killed(run.proc));
        await run.until((l) => 'ok' in l);
        await new Promise((r) => setTimeout(r, 200));
        service.kill('SIGKILL');
        expect(await run.until((l) => 'ok' in l && !l.ok)).toMatchObject({ ok: false, name: 'TimeoutError' });
        expect(await run.exited).toBe(0);
      } finally {
        await s.close();
      }
    });
  });

  it('connect mode, idle for 30 s, then called: TS → Python and Python → TS, v3 and v4 at once', async () => {
    const s = scope();
    try {
      const { home, cleanup } = tempHome();
      s.defer(cleanup);
      const py = await pyService('py-idle', home);
      s.defer(killed(py));
      const env = { ...process.env, MULTIFROST_HOME: home, MF_SERVICE_ID: 'ts-idle' };
      const ts = await startService(tsChild, env);
      s.defer(killed(ts));
      const tsSide = VERSIONS.map(async (protocol) => {
        const c = await ParentWorker.connect<PyApi>('py-idle', {
          registry: new FileServiceRegistry({ home }),
          protocol,
          output: 'ignore',
        });
        s.defer(() => c.close());
        expect(await c.call.add(1, 2)).toBe(3);
        await new Promise((r) => setTimeout(r, 30_000));
        return c.with({ timeoutMs: 5_000 }).call.add(3, 4);
      });
      const pySide = VERSIONS.map(async (protocol) => {
        const run = pythonParent(
          {
            connect: 'ts-idle',
            home,
            app: APP[protocol],
            timeout: 5,
            calls: [
              ['add', [1, 2]],
              ['$pause', [30]],
              ['add', [3, 4]],
            ],
          },
          env,
        );
        s.defer(killed(run.proc));
        expect(await run.exited, run.stderr()).toBe(0);
        return outcomes(run.lines);
      });
      expect(await Promise.all(tsSide)).toEqual([7, 7]);
      const three = { ok: true, result: { type: 'int', repr: '3' } };
      const seven = { ok: true, result: { type: 'int', repr: '7' } };
      expect(await Promise.all(pySide)).toEqual([
        [three, seven],
        [three, seven],
      ]);
    } finally {
      await s.close();
    }
  }, 55_000);

  it('a 10 s CPU-bound call is not declared dead: TS → Python (spawn v3, connect v4) and Python → TS (spawn v4, connect v3) at once', async () => {
    const s = scope();
    try {
      const { home, cleanup } = tempHome();
      s.defer(cleanup);
      const events: string[] = [];
      const watch = (w: ParentWorker<PyApi>) => {
        for (const name of ['exit', 'restart', 'unresponsive', 'circuit-open'] as const) {
          (w as unknown as { on(e: string, f: () => void): void }).on(name, () => events.push(name));
        }
        return w;
      };
      const spawned = watch(
        await ParentWorker.spawn<PyApi>(pyWorker, {
          executable: PYTHON,
          protocol: 'v3',
          output: 'ignore',
          defaultTimeoutMs: 30_000,
        }),
      );
      s.defer(() => spawned.close());
      const service = await pyService('py-spin', home);
      s.defer(killed(service));
      const connected = watch(
        await ParentWorker.connect<PyApi>('py-spin', {
          registry: new FileServiceRegistry({ home }),
          protocol: 'v4',
          output: 'ignore',
          defaultTimeoutMs: 30_000,
        }),
      );
      s.defer(() => connected.close());
      const env = { ...process.env, MULTIFROST_HOME: home, MF_SERVICE_ID: 'ts-burn' };
      const ts = await startService(tsChild, env);
      s.defer(killed(ts));
      const burnPlan = (plan: Partial<PyPlan>) =>
        pythonParent(
          {
            ...plan,
            timeout: 30,
            calls: [
              ['burn', [10_000]],
              ['add', [2, 3]],
            ],
          },
          env,
        );
      const pySpawn = burnPlan({ spawn: tsChild, app: APP.v4 });
      s.defer(killed(pySpawn.proc));
      const pyConnect = burnPlan({ connect: 'ts-burn', home, app: APP.v3 });
      s.defer(killed(pyConnect.proc));

      const spins = [spawned, connected].map(async (w) => {
        const spinning = w.call.spin(10);
        await new Promise((r) => setTimeout(r, 6_000)); // past a heartbeat interval
        const meanwhile = await w.call.async_add(1, 1); // async def runs on the loop, beside the call thread
        return [await spinning, meanwhile, await w.call.add(2, 2)] as const;
      });
      for (const [n, meanwhile, after] of await Promise.all(spins)) {
        expect(n).toBeGreaterThan(0);
        expect(meanwhile).toBe(2);
        expect(after).toBe(4);
      }
      expect(events).toEqual([]);
      for (const run of [pySpawn, pyConnect]) {
        expect(await run.exited, run.stderr()).toBe(0);
        const [burn, add] = outcomes(run.lines);
        expect(burn).toMatchObject({ ok: true, result: { type: 'int' } });
        expect(add).toEqual({ ok: true, result: { type: 'int', repr: '5' } });
      }
    } finally {
      await s.close();
    }
  }, 55_000);

  it('Python (the project module, two processes) and TS register 20 + 20 + 40 services at once: nothing lost', async () => {
    const s = scope();
    try {
      const { home, cleanup } = tempHome();
      s.defer(cleanup);
      const script = `import sys
from multifrost_worker import ServiceRegistry
r = ServiceRegistry(sys.argv[1])
prefix = sys.argv[2]
print("start", flush=True)
for i in range(20):
    r.register("%s-%d" % (prefix, i), 20000 + i, timeout=20)
print("registered", flush=True)
sys.stdin.read()`;
      const registrars = ['pa', 'pb'].map((prefix) => {
        const p = spawn(PYTHON, ['-c', script, home, prefix], { stdio: ['pipe', 'pipe', 'inherit'] });
        s.defer(killed(p));
        return p;
      });
      // One reader per registrar from the start: "start" and "registered" may come in one chunk.
      const said = (p: (typeof registrars)[number], word: string) =>
        new Promise<void>((resolve, reject) => {
          let text = '';
          p.stdout!.on('data', (d: Buffer) => {
            text += d.toString();
            if (text.split('\n').includes(word)) resolve();
          });
          p.on('exit', (code) => reject(new Error(`python registrar exited (${code}) before "${word}"`)));
        });
      const started = registrars.map((p) => said(p, 'start'));
      const done = registrars.map((p) => said(p, 'registered'));
      for (const d of done) d.catch(() => {});
      // TS starts once both interpreters are up, so the three writers really overlap.
      await Promise.all(started);
      const registry = new FileServiceRegistry({ home });
      const leases = await Promise.all(
        Array.from({ length: 40 }, (_, i) => registry.register(`ts-${i}`, async () => `tcp://127.0.0.1:${30_000 + i}`)),
      );
      await Promise.all(done);
      const entries = registered(home);
      const expected = [
        ...Array.from({ length: 20 }, (_, i) => `pa-${i}`),
        ...Array.from({ length: 20 }, (_, i) => `pb-${i}`),
        ...Array.from({ length: 40 }, (_, i) => `ts-${i}`),
      ].sort();
      expect(Object.keys(entries).sort()).toEqual(expected);
      expect(entries['pb-3']).toMatchObject({ pid: registrars[1]!.pid, port: 20_003 });
      expect(entries['ts-7']).toMatchObject({ pid: process.pid, port: 30_007 });
      for (const lease of leases) await registry.unregister(lease);
      for (const p of registrars) p.stdin!.end();
    } finally {
      await s.close();
    }
  });
});
