// Rust parent (the zeromq 0.4 crate's DEALER) → TS child, spawn and connect mode, v3 and v4; the
// Rust child's own orphan check; Rust and TS registering into one services.json at once.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileServiceRegistry } from 'multifrost';
import { afterEach, describe, expect, it } from 'vitest';
import { startService, tempHome, tsxLoader } from './helpers.js';
import {
  alive,
  gone,
  isOutcome,
  rustParent,
  rustParentLive,
  rustPeer,
  type RustDescribed,
  type RustLine,
} from './rust-helpers.js';

const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'rust-ts-worker.ts');
const tsChild = [process.execPath, '--import', tsxLoader, worker];

const outcomes = (lines: RustLine[]) => lines.filter(isOutcome);
function ok(line: RustLine | undefined): RustDescribed {
  if (!line || !isOutcome(line) || !line.ok) throw new Error(`expected a result, got ${JSON.stringify(line)}`);
  return line.result;
}
const outputs = (lines: RustLine[]) =>
  lines.flatMap((l) => ('stream' in l ? [`${l.stream}:${l.via}:${l.output}`] : []));

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe.each(['comlink_ipc_v3', 'comlink_ipc_v4'])('Rust parent → TS child (spawn mode, %s)', (app) => {
  it('calls, sees every value-table row with the right msgpack type, gets TS errors by name and output over the wire', () => {
    const lines = rustParent({
      spawn: tsChild,
      app,
      calls: [
        ['add', [1, 2]],
        ['values', []],
        ['echo', [{ $bin: '00ff' }]],
        ['echo', [{ $ext: [-1, '6553f100'] }]],
        ['echo', [2 ** 40]],
        ['fail', ['bad input']],
        ['nope', []],
        ['shout', [`from ${app}`]],
        ['__multifrost_list_functions__', []],
      ],
      concurrent: ['add', [1000], 1000],
    });
    const [add, values, bin, ext, big, fail, nope, , list] = outcomes(lines);
    expect(ok(add)).toEqual({ type: 'int', repr: '3' });
    const items = ok(values).items as RustDescribed[];
    expect(items.map((v) => v.type)).toEqual([
      'nil',
      'bool',
      'int',
      'int',
      'int',
      'int',
      'uint',
      'f64',
      'f64',
      'str',
      'str',
      'bin',
      'array',
      'array',
      'map',
      'map',
      'ext',
    ]);
    expect(items.map((v) => v.repr ?? v.value ?? v.hex ?? null)).toEqual([
      null,
      'true',
      '7',
      '-5',
      '1099511627776',
      '9223372036854775807',
      '18446744073709551615',
      '1.5',
      'NaN',
      '',
      'héllo 🌍',
      '00ff',
      null,
      null,
      null,
      null,
      '-1',
    ]);
    expect(ok(bin)).toEqual({ type: 'bin', hex: '00ff' });
    expect(ok(ext)).toMatchObject({ type: 'ext', repr: '-1' }); // a Date went through the TS child and back
    expect(ok(big)).toEqual({ type: 'int', repr: '1099511627776' });
    expect(fail).toEqual({ ok: false, name: 'RangeError', message: 'bad input' });
    expect(nope).toMatchObject({ ok: false, message: "Function 'nope' not found" });
    expect((ok(list).items as RustDescribed[]).map((x) => x.value)).toEqual([
      'add',
      'burn',
      'echo',
      'fail',
      'pid',
      'shout',
      'sleep',
      'values',
    ]);
    // No MULTIFROST_PARENT_PID: a public-style parent, so the TS child forwards each line once, over the wire.
    expect(outputs(lines).filter((o) => o.endsWith(`from ${app}`))).toEqual([
      `stdout:wire:from ${app}`,
      `stderr:wire:err:from ${app}`,
    ]);
    expect(lines).toContainEqual({ concurrent: 1000, ok: 1000, wrong: 0, missing: 0 });
    expect(lines.at(-1)).toEqual({ done: true, exit: 'code 0' });
  });
});

describe('Rust parent and process lifecycles', () => {
  it('a 10 s CPU-bound TS call completes under the Rust parent', () => {
    const lines = rustParent({
      spawn: tsChild,
      calls: [
        ['burn', [10_000]],
        ['add', [2, 3]],
      ],
    });
    const [burn, add] = outcomes(lines);
    expect(ok(burn).type).toMatch(/^u?int$/);
    expect(ok(add)).toEqual({ type: 'int', repr: '5' });
  });

  it('SIGKILL of the TS child mid-call ends the pending call with WorkerExited', async () => {
    const run = rustParentLive({
      spawn: tsChild,
      calls: [
        ['pid', []],
        ['sleep', [20_000]],
      ],
    });
    cleanup.push(() => void run.proc.kill('SIGKILL'));
    const pid = Number(ok(await run.until(isOutcome)).repr);
    await new Promise((r) => setTimeout(r, 200));
    process.kill(pid, 'SIGKILL');
    expect(await run.until((l) => isOutcome(l) && !l.ok)).toEqual({
      ok: false,
      name: 'WorkerExited',
      message: 'signal 9',
    });
    expect((await run.exited).code).toBe(0);
  });

  it.each([
    ['TS', tsChild],
    ['Rust', [rustPeer, 'child']],
  ])('a %s child exits when the Rust parent is SIGKILLed (no orphan)', async (_name, cmd) => {
    const run = rustParentLive({
      spawn: cmd,
      calls: [
        ['pid', []],
        ['sleep', [cmd === tsChild ? 20_000 : 20]],
      ],
    });
    cleanup.push(() => void run.proc.kill('SIGKILL'));
    const pid = Number(ok(await run.until(isOutcome)).repr);
    expect(alive(pid)).toBe(true);
    run.proc.kill('SIGKILL');
    await run.exited;
    const ended = await gone(pid, 10_000);
    if (!ended) process.kill(pid, 'SIGKILL');
    expect(ended).toBe(true);
  });

  it('ZMTP PINGs from the TS child make the Rust DEALER panic (defect 7: why they are off by default)', async () => {
    const run = spawnSync(
      rustPeer,
      ['parent', JSON.stringify({ spawn: tsChild, env: { MF_ZMTP_HEARTBEAT_MS: '100' }, calls: [['sleep', [1_500]]] })],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(run.status).toBe(101); // Rust's exit status after a panic
    expect(run.stderr).toContain('not yet implemented');
    const spawned = run.stdout.match(/"spawned":(\d+)/);
    const pid = Number(spawned?.[1]);
    expect(await gone(pid, 10_000)).toBe(true); // and the orphaned TS child still goes away
  });
});

describe.each(['comlink_ipc_v3', 'comlink_ipc_v4'])('Rust parent → TS service (connect mode, %s)', (app) => {
  it('finds the service in the registry, calls it and gets its output', async () => {
    const { home, cleanup: rm } = tempHome();
    cleanup.push(rm);
    const env = { ...process.env, MULTIFROST_HOME: home, MF_SERVICE_ID: 'ts-for-rust' };
    const service = await startService(tsChild, env);
    cleanup.push(() => void service.kill('SIGKILL'));
    const lines = rustParent(
      {
        connect: 'ts-for-rust',
        app,
        calls: [
          ['add', [2, 3]],
          ['pid', []],
          ['shout', ['to a rust parent']],
          ['fail', ['nope']],
        ],
      },
      env,
    );
    const [add, pid, , fail] = outcomes(lines);
    expect(ok(add)).toEqual({ type: 'int', repr: '5' });
    expect(Number(ok(pid).repr)).toBe(service.pid);
    expect(fail).toEqual({ ok: false, name: 'RangeError', message: 'nope' });
    expect(outputs(lines)).toEqual(['stdout:wire:to a rust parent', 'stderr:wire:err:to a rust parent']);
    expect(alive(service.pid!)).toBe(true); // a connect-mode parent leaving does not stop the service
  });
});

describe('Rust and TS registering at once', () => {
  it('40 Rust and 40 TS registrations into one services.json: nothing lost', async () => {
    const { home, cleanup: rm } = tempHome();
    cleanup.push(rm);
    const env = { ...process.env, MULTIFROST_HOME: home };
    const registrars = ['ra', 'rb'].map((prefix) => {
      const p = spawn(rustPeer, ['register', prefix, '20'], { env, stdio: ['pipe', 'pipe', 'inherit'] });
      cleanup.push(() => void p.kill('SIGKILL'));
      return p;
    });
    const registered = registrars.map(
      (p) =>
        new Promise<void>((resolve, reject) => {
          p.stdout!.on('data', (d: Buffer) => d.toString().includes('registered') && resolve());
          p.on('exit', (code) => reject(new Error(`rust registrar exited (${code})`)));
        }),
    );
    const registry = new FileServiceRegistry({ home });
    const leases = await Promise.all(
      Array.from({ length: 40 }, (_, i) => registry.register(`ts-${i}`, async () => `tcp://127.0.0.1:${30_000 + i}`)),
    );
    await Promise.all(registered);
    const entries = JSON.parse(readFileSync(path.join(home, 'services.json'), 'utf8')) as Record<
      string,
      { pid: number; port: number }
    >;
    const ids = Object.keys(entries).sort();
    const expected = [
      ...Array.from({ length: 20 }, (_, i) => `ra-${i}`),
      ...Array.from({ length: 20 }, (_, i) => `rb-${i}`),
      ...Array.from({ length: 40 }, (_, i) => `ts-${i}`),
    ].sort();
    expect(ids).toEqual(expected);
    expect(entries['ra-3']).toMatchObject({ pid: registrars[0]!.pid, port: 20_003 });
    expect(entries['ts-7']).toMatchObject({ pid: process.pid, port: 30_007 });
    for (const lease of leases) await registry.unregister(lease);
    for (const p of registrars) p.stdin!.end();
  });
});
