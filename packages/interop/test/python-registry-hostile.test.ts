// The Python peer's registry (multifrost_worker.registry) against services.json and services.lock
// as something no peer writes: a FIFO, a symlink, a directory, a huge file, bytes that are not
// UTF-8, a lock that is never released. Each run of the installed module is bounded by a
// subprocess timeout, so a hang or a spin fails the test instead of stalling the suite.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PYTHON, tempHome } from './helpers.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0).reverse()) fn();
});

function home(): string {
  const { home: dir, cleanup: rm } = tempHome();
  cleanup.push(rm);
  return dir;
}

interface Outcome {
  ok: boolean;
  value?: unknown;
  error?: string;
  kinds?: string[];
  message?: string;
  code?: string;
}

// Runs each `ops` expression against ServiceRegistry(home) as `r`, one outcome per expression.
const driver = `
import json, sys
from multifrost_worker.registry import ServiceRegistry
r = ServiceRegistry(sys.argv[1])
for op in json.loads(sys.argv[2]):
    try:
        print(json.dumps({"ok": True, "value": eval(op)}), flush=True)
    except Exception as e:
        print(json.dumps({"ok": False, "error": type(e).__name__, "kinds": [k.__name__ for k in type(e).__mro__],
                          "message": str(e), "code": getattr(e, "code", None)}), flush=True)
`;

function run(dir: string, ops: string[]): Outcome[] {
  const result = spawnSync(PYTHON, ['-c', driver, dir, JSON.stringify(ops)], {
    encoding: 'utf8',
    env: { ...process.env, MULTIFROST_HOME: dir },
    // Far above any timeout given to the registry below: reaching it means the module hung.
    timeout: 30_000,
    killSignal: 'SIGKILL',
  });
  if (result.error) throw new Error(`python registry did not finish: ${result.error.message}`);
  expect(result.status, result.stderr).toBe(0);
  const lines = result.stdout.trim().split('\n').filter(Boolean);
  expect(lines).toHaveLength(ops.length);
  return lines.map((l) => JSON.parse(l) as Outcome);
}

const REGISTER = "r.register('svc', 40001, timeout=1.5)";

describe.skipIf(process.platform === 'win32')('the Python peer registry and hostile files', () => {
  it('a FIFO at services.json: register, lookup and discover fail with REGISTRY_CORRUPT instead of blocking', () => {
    const dir = home();
    const file = path.join(dir, 'services.json');
    spawnSync('mkfifo', [file]);
    expect(lstatSync(file).isFIFO()).toBe(true);
    const outcomes = run(dir, [REGISTER, "r.lookup('svc', 1.5)", "r.discover('svc', 1.5)"]);
    for (const o of outcomes) {
      expect(o).toMatchObject({ ok: false, error: 'RegistryCorruptError', code: 'REGISTRY_CORRUPT' });
      expect(o.message).toContain(file);
      expect(o.message).toContain('a FIFO, not a regular file');
    }
  });

  it('a symlink at services.json is refused and its target is left alone', () => {
    const dir = home();
    const target = path.join(dir, 'elsewhere.json');
    const original = '{"other": {"port": 1, "pid": 1}}';
    writeFileSync(target, original);
    symlinkSync(target, path.join(dir, 'services.json'));
    const [reg, look] = run(dir, [REGISTER, "r.lookup('other', 1.5)"]);
    for (const o of [reg, look]) {
      expect(o).toMatchObject({ ok: false, code: 'REGISTRY_CORRUPT' });
      expect(o!.message).toContain('symbolic link');
    }
    expect(readFileSync(target, 'utf8')).toBe(original);
  });

  it('a services.json over the 16 MiB cap is refused with its size and the cap, and left as it was', () => {
    const dir = home();
    const file = path.join(dir, 'services.json');
    writeFileSync(file, Buffer.alloc(17 * 1024 * 1024, 0x20));
    const [o] = run(dir, [REGISTER]);
    expect(o).toMatchObject({ ok: false, code: 'REGISTRY_CORRUPT' });
    expect(o!.message).toContain(`${17 * 1024 * 1024} bytes, over the ${16 * 1024 * 1024}-byte cap`);
    expect(lstatSync(file).size).toBe(17 * 1024 * 1024);
  });

  it('a dangling symlink at services.lock is broken at once and registration goes through', () => {
    const dir = home();
    const lock = path.join(dir, 'services.lock');
    symlinkSync(path.join(dir, 'nowhere'), lock);
    const [reg, pid] = run(dir, [REGISTER, "r.lookup('svc', 1.5)['port']"]);
    expect(reg).toMatchObject({ ok: true });
    expect(pid).toMatchObject({ ok: true, value: 40001 });
    // The lock was released after use, and the symlink's target was never created.
    expect(existsSync(lock) || isLink(lock)).toBe(false);
    expect(existsSync(path.join(dir, 'nowhere'))).toBe(false);
  });

  it("a symlink at services.lock to someone's file is broken without touching the file", () => {
    const dir = home();
    const target = path.join(dir, 'precious');
    writeFileSync(target, 'keep me');
    symlinkSync(target, path.join(dir, 'services.lock'));
    const [reg] = run(dir, [REGISTER]);
    expect(reg).toMatchObject({ ok: true });
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    expect(JSON.parse(readFileSync(path.join(dir, 'services.json'), 'utf8')).svc).toMatchObject({ port: 40001 });
  });

  it('a directory at services.lock is reported as what it is (REGISTRY_LOCKED), not waited on', () => {
    const dir = home();
    mkdirSync(path.join(dir, 'services.lock'));
    const [reg, unreg] = run(dir, ["r.register('svc', 40001, timeout=60)", "r.unregister('svc', timeout=60)"]);
    for (const o of [reg, unreg]) {
      expect(o).toMatchObject({ ok: false, error: 'RegistryLockedError', code: 'REGISTRY_LOCKED' });
      expect(o!.message).toContain('is a directory');
    }
  });

  it('a lock held by a live peer makes register and unregister raise a TimeoutError when their timeout passes', () => {
    const dir = home();
    const lock = path.join(dir, 'services.lock');
    writeFileSync(lock, String(process.pid));
    const outcomes = run(dir, ["r.register('svc', 40001, timeout=0.3)", "r.unregister('svc', timeout=0.3)"]);
    for (const o of outcomes) {
      expect(o).toMatchObject({ ok: false, error: 'RegistryLockTimeout', code: 'REGISTRY_LOCKED' });
      expect(o.kinds).toContain('TimeoutError');
      expect(o.message).toContain(lock);
    }
    // Somebody else's lock is theirs to release.
    expect(readFileSync(lock, 'utf8')).toBe(String(process.pid));
    expect(existsSync(path.join(dir, 'services.json'))).toBe(false);
  });

  it('lookup gives up with a TimeoutError at its deadline, and a timeout that is not a number is refused', () => {
    const dir = home();
    const [missing, nan, negative] = run(dir, [
      "r.lookup('absent', 0.3)",
      "r.register('svc', 40001, timeout=float('nan'))",
      "r.lookup('absent', -1)",
    ]);
    expect(missing).toMatchObject({ ok: false, error: 'TimeoutError' });
    expect(missing!.message).toContain("'absent'");
    expect(nan).toMatchObject({ ok: false, error: 'ValueError' });
    expect(negative).toMatchObject({ ok: false, error: 'ValueError' });
  });

  it("another peer's bytes that are not UTF-8 are written back exactly, rewrite after rewrite", () => {
    const dir = home();
    const file = path.join(dir, 'services.json');
    // A lone 0xff, a truncated sequence and an encoded surrogate: none is valid UTF-8. Plus a JSON
    // escape of a lone surrogate, which must stay an escape.
    const odd = Buffer.from([0xff, 0x41, 0xe2, 0x82, 0x20, 0xed, 0xa0, 0x80]);
    const before = Buffer.concat([
      Buffer.from('{"other": {"port": 2, "pid": 1, "note": "'),
      odd,
      Buffer.from('", "esc": "\\ud800"}}'),
    ]);
    writeFileSync(file, before);
    const quoted = Buffer.concat([Buffer.from('"'), odd, Buffer.from('"')]);
    const replacement = Buffer.from([0xef, 0xbf, 0xbd]);

    const [reg] = run(dir, [REGISTER]);
    expect(reg).toMatchObject({ ok: true });
    const afterRegister = readFileSync(file);
    expect(afterRegister.includes(quoted)).toBe(true);
    expect(afterRegister.includes(replacement)).toBe(false);
    expect(afterRegister.includes(Buffer.from('"\\ud800"'))).toBe(true);
    expect(afterRegister.includes(Buffer.from('"svc"'))).toBe(true);

    // A second process (its own PID) rewrites the file again: still the same bytes.
    const [other] = run(dir, ["r.register('svc2', 40002, timeout=1.5)"]);
    expect(other).toMatchObject({ ok: true });
    const afterSecond = readFileSync(file);
    expect(afterSecond.includes(quoted)).toBe(true);
    expect(afterSecond.includes(replacement)).toBe(false);
    expect(afterSecond.includes(Buffer.from('"\\ud800"'))).toBe(true);
  });
});

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
