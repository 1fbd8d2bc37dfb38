// Both registry locks against the peers that take only one: the v3 Python peer locks only
// `registry.lock` (emulated in fixtures/v3-python-registrant.py), the v4/Go/Rust peers only
// `services.lock`. We and the project's Python peer take both, services.lock first, so a burst of
// registrations from us and from v3 loses nothing, and a holder that dies between the two locks
// leaves nothing that blocks for good.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FileServiceRegistry } from '../src/index.js';
import { Driver, PYTHON, failure, fixtures, killAndWait, removeHome, tempHome, waitForLine } from './helpers.js';

const pythonSources = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../multifrost/python');
const v3 = path.join(fixtures, 'v3-python-registrant.py');

const children: ChildProcess[] = [];
const drivers: Driver[] = [];
const homes: string[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map(killAndWait));
  await Promise.all(drivers.splice(0).map((d) => d.kill()));
  for (const h of homes.splice(0)) removeHome(h);
});

function home(): string {
  const h = tempHome();
  homes.push(h);
  return h;
}

/** A Python process; the project's Python sources come first on its path, not an installed copy. */
function python(args: string[]): ChildProcess & { output: () => string } {
  const env = { ...process.env, PYTHONPATH: pythonSources };
  const proc = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  children.push(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(proc, { output: () => out });
}

const exitCode = (proc: ChildProcess) =>
  proc.exitCode !== null
    ? Promise.resolve(proc.exitCode)
    : new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const registered = (h: string) => Object.keys(JSON.parse(readFileSync(path.join(h, 'services.json'), 'utf8'))).sort();

/** The project's Python registry registering `count` ids from `at` (epoch ms) on. */
const PROJECT_PYTHON_REGISTRANT = `import sys, time
from multifrost_worker.registry import ServiceRegistry
home, prefix, count, at = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) / 1000
registry = ServiceRegistry(home)
time.sleep(max(0.0, at - time.time()))
for i in range(count):
    registry.register(prefix + str(i), 20000 + i)
print("done", flush=True)`;

describe('both locks, against the v3 Python peer that takes only registry.lock', () => {
  it('20 registrations from us and 20 from v3 Python, all at once: all 40 are in the file', async () => {
    for (let round = 0; round < 3; round++) {
      const h = home();
      const at = Date.now() + 400;
      const py = python([v3, 'register', h, 'v3-', '20', String(at)]);
      const registry = new FileServiceRegistry({ home: h });
      await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
      const leases = await Promise.all(
        ids('ts-', 20).map((id, i) => registry.register(id, async () => `tcp://127.0.0.1:${30000 + i}`)),
      );
      expect(leases).toHaveLength(20);
      expect(await exitCode(py), py.output()).toBe(0);
      expect(registered(h)).toEqual([...ids('ts-', 20), ...ids('v3-', 20)].sort());
      expect(existsSync(path.join(h, 'services.lock'))).toBe(false);
      expect(existsSync(path.join(h, 'registry.lock'))).toBe(false);
    }
  });

  it('20 from the project Python peer and 20 from v3 Python, all at once: all 40 are in the file', async () => {
    const h = home();
    const at = Date.now() + 800;
    const ours = python(['-c', PROJECT_PYTHON_REGISTRANT, h, 'py-', '20', String(at)]);
    const theirs = python([v3, 'register', h, 'v3-', '20', String(at)]);
    expect(await exitCode(ours), ours.output()).toBe(0);
    expect(await exitCode(theirs), theirs.output()).toBe(0);
    expect(registered(h)).toEqual([...ids('py-', 20), ...ids('v3-', 20)].sort());
    expect(existsSync(path.join(h, 'services.lock'))).toBe(false);
    expect(existsSync(path.join(h, 'registry.lock'))).toBe(false);
  });

  it('while v3 Python holds registry.lock, our register waits for its release', async () => {
    const h = home();
    const py = python([v3, 'hold', h, '1.0']);
    await waitForLine(py, 'locked');
    const registry = new FileServiceRegistry({ home: h });
    await registry.register('svc', async () => 'tcp://127.0.0.1:31000');
    const doneAt = Date.now() / 1000;
    expect(await exitCode(py)).toBe(0);
    const released = Number(/released ([\d.]+)/.exec(py.output())![1]);
    expect(doneAt).toBeGreaterThanOrEqual(released);
  });

  it('giving up on registry.lock (held by v3) names it and lets go of services.lock, in TS and Python', async () => {
    const h = home();
    const held = python([v3, 'hold', h, '2.0']);
    await waitForLine(held, 'locked');
    const registry = new FileServiceRegistry({ home: h, lockTimeoutMs: 300 });
    const err = await failure(registry.register('svc', async () => 'tcp://127.0.0.1:31006'));
    expect(err.code).toBe('REGISTRY_LOCKED');
    expect(err.message).toContain(path.join(h, 'registry.lock'));
    expect(existsSync(path.join(h, 'services.lock'))).toBe(false);
    const py = python([
      '-c',
      `import os, sys
from multifrost_worker.registry import ServiceRegistry, RegistryLockTimeout
try:
    ServiceRegistry(sys.argv[1]).register("svc", 31007, timeout=0.3)
except RegistryLockTimeout as err:
    print("timeout", "registry.lock" in str(err), os.path.exists(os.path.join(sys.argv[1], "services.lock")), flush=True)`,
      h,
    ]);
    expect(await exitCode(py), py.output()).toBe(0);
    expect(py.output().trim()).toBe('timeout True False');
    expect(await exitCode(held)).toBe(0);
  });

  it('while v3 Python holds registry.lock, the project Python register waits for its release', async () => {
    const h = home();
    const held = python([v3, 'hold', h, '1.0']);
    await waitForLine(held, 'locked');
    const ours = python([
      '-c',
      `import sys, time
from multifrost_worker.registry import ServiceRegistry
ServiceRegistry(sys.argv[1]).register("svc", 31001)
print("registered %.6f" % time.time(), flush=True)`,
      h,
    ]);
    expect(await exitCode(ours), ours.output()).toBe(0);
    expect(await exitCode(held)).toBe(0);
    const released = Number(/released ([\d.]+)/.exec(held.output())![1]);
    const registeredAt = Number(/registered ([\d.]+)/.exec(ours.output())![1]);
    expect(registeredAt).toBeGreaterThanOrEqual(released);
  });
});

describe('stale and crashed locks, on both lock names', () => {
  const old = (file: string) => {
    writeFileSync(file, '999999');
    const t = new Date(Date.now() - 60_000);
    utimesSync(file, t, t);
  };

  for (const left of [['registry.lock'], ['services.lock'], ['services.lock', 'registry.lock']]) {
    it(`a stale ${left.join(' and ')} left by a crashed holder is broken (TS and project Python)`, async () => {
      const h = home();
      for (const name of left) old(path.join(h, name));
      const registry = new FileServiceRegistry({ home: h, staleLockMs: 500, lockTimeoutMs: 5_000 });
      await registry.register('ts', async () => 'tcp://127.0.0.1:31002');
      for (const name of left) old(path.join(h, name));
      const py = python([
        '-c',
        `import sys
from multifrost_worker.registry import ServiceRegistry
r = ServiceRegistry(sys.argv[1]); r.STALE_AFTER = 0.5
r.register("py", 31003, timeout=5)`,
        h,
      ]);
      expect(await exitCode(py), py.output()).toBe(0);
      expect(registered(h)).toEqual(['py', 'ts']);
      expect(existsSync(path.join(h, 'services.lock'))).toBe(false);
      expect(existsSync(path.join(h, 'registry.lock'))).toBe(false);
    });
  }

  it('a holder SIGKILLed between the two locks leaves only services.lock, which the next register breaks; v3 is never blocked', async () => {
    const h = home();
    const held = python([v3, 'hold', h, '1.5']);
    await waitForLine(held, 'locked');
    // Takes services.lock, then waits on the registry.lock v3 holds: killed right there.
    const driver = new Driver();
    drivers.push(driver);
    driver.post({ op: 'register', home: h, id: 'victim', port: 31004, staleLockMs: 500 });
    const lockPath = path.join(h, 'services.lock');
    const deadline = Date.now() + 5_000;
    while (!(existsSync(lockPath) && readFileSync(lockPath, 'utf8') === String(driver.pid))) {
      if (Date.now() > deadline) throw new Error('the driver never took services.lock');
      await new Promise((r) => setTimeout(r, 5));
    }
    await driver.kill();
    expect(await exitCode(held)).toBe(0);
    expect(existsSync(path.join(h, 'registry.lock'))).toBe(false);
    expect(existsSync(lockPath)).toBe(true);
    // v3 takes only registry.lock: the crash left it free.
    const v3After = python([v3, 'register', h, 'v3-', '1', String(Date.now())]);
    expect(await exitCode(v3After), v3After.output()).toBe(0);
    // Our next register meets the dead holder's services.lock and breaks it once stale.
    const registry = new FileServiceRegistry({ home: h, staleLockMs: 500, lockTimeoutMs: 5_000 });
    await registry.register('after', async () => 'tcp://127.0.0.1:31005');
    expect(registered(h)).toEqual(['after', 'v3-0']);
    expect(existsSync(lockPath)).toBe(false);
  });
});
