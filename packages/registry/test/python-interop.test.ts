// The registry shared with a real Python peer (stdlib only): the O_EXCL services.lock excludes both
// ways, Python's and Go's entry formats are read and preserved, and Python can read what we write.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileServiceRegistry } from '../src/index.js';
import { PYTHON, killAndWait, removeHome, sleep, tempHome, until, waitForLine } from './helpers.js';

const children: ChildProcess[] = [];
const homes: string[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map(killAndWait));
  for (const h of homes.splice(0)) removeHome(h);
});

function home(): string {
  const h = tempHome();
  homes.push(h);
  return h;
}

function python(script: string, args: string[]): ChildProcess & { output: () => string } {
  const proc = spawn(PYTHON, ['-c', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(proc, { output: () => out });
}

const exited = (proc: ChildProcess) =>
  proc.exitCode !== null
    ? Promise.resolve(proc.exitCode)
    : new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));

describe('with a Python peer', () => {
  it('a Python process holding services.lock (O_CREAT|O_EXCL) makes our register wait until it releases', async () => {
    const h = home();
    const py = python(
      `import os, sys, time
fd = os.open(sys.argv[1], os.O_CREAT | os.O_EXCL | os.O_WRONLY)
os.write(fd, str(os.getpid()).encode()); os.close(fd)
print("locked", flush=True)
time.sleep(1.0)
released = time.time()
os.unlink(sys.argv[1])
print("released %.6f" % released, flush=True)`,
      [path.join(h, 'services.lock')],
    );
    await waitForLine(py, 'locked');
    const registry = new FileServiceRegistry({ home: h });
    const startedAt = Date.now();
    await registry.register('after-python', 4444);
    const doneAt = Date.now();
    expect(await exited(py)).toBe(0);
    const releasedAt = Number(/released ([\d.]+)/.exec(py.output())![1]) * 1000;
    expect(doneAt - startedAt).toBeGreaterThan(500);
    expect(doneAt).toBeGreaterThanOrEqual(releasedAt);
    expect((await registry.lookup('after-python'))?.port).toBe(4444);
  });

  it('our lock excludes Python: its O_EXCL open fails while we hold the lock and succeeds after', async () => {
    const h = home();
    const lock = path.join(h, 'services.lock');
    const registry = new FileServiceRegistry({ home: h });
    const py = python(
      `import os, sys, time
attempts = 0
while True:
    try:
        fd = os.open(sys.argv[1], os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        break
    except FileExistsError:
        attempts += 1
        time.sleep(0.01)
got = time.time()
os.close(fd); os.unlink(sys.argv[1])
print("got %.6f after %d failed attempts" % (got, attempts), flush=True)`,
      [lock],
    );
    let releasedAt = 0;
    await registry.register('ours', async () => {
      await sleep(800);
      releasedAt = Date.now();
      return 1;
    });
    expect(await exited(py)).toBe(0);
    const m = /got ([\d.]+) after (\d+) failed attempts/.exec(py.output())!;
    // Python may have started before we took the lock, but it can only have got it after our release.
    if (Number(m[2]) > 0) expect(Number(m[1]) * 1000).toBeGreaterThanOrEqual(releasedAt - 1);
  });

  it('Python and us registering concurrently under the shared lock lose nothing', async () => {
    const h = home();
    // Neither side may get more than LEAD registrations ahead of the other (each counts the other's
    // entries in the file, which both replace atomically), so the two runs overlap however late
    // Python's interpreter starts. A fixed head start did not: under a loaded suite Python could
    // start after our 40 registrations (about 130 ms) were already done, and nothing interleaved.
    const LEAD = 4;
    const py = python(
      // Python v4's register: O_EXCL lock (retrying), read, add, write services.tmp, rename, unlock.
      `import json, os, sys, time, datetime
home, lead = sys.argv[1], int(sys.argv[2])
lock, reg, tmp = (os.path.join(home, n) for n in ("services.lock", "services.json", "services.tmp"))
def theirs():
    try:
        return sum(1 for k in json.load(open(reg)) if k.startswith("ts-"))
    except (OSError, ValueError):
        return 0
for i in range(40):
    deadline = time.time() + 20
    while theirs() < i - lead and time.time() < deadline:
        time.sleep(0.001)
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY); os.write(fd, str(os.getpid()).encode()); os.close(fd); break
        except FileExistsError:
            time.sleep(0.001)
    try:
        data = json.load(open(reg)) if os.path.exists(reg) and os.path.getsize(reg) else {}
        data["py-%d" % i] = {"port": 40000 + i, "pid": os.getpid(), "started": datetime.datetime.now().isoformat()}
        with open(tmp, "w") as f: json.dump(data, f, indent=2)
        os.replace(tmp, reg)
    finally:
        os.unlink(lock)
    time.sleep(0.005)  # a real peer doesn't re-register back-to-back; give our waiter a turn
print("done", flush=True)
time.sleep(30)`,
      [h, String(LEAD)],
    );
    const registry = new FileServiceRegistry({ home: h });
    const pythons = () => {
      try {
        return Object.keys(JSON.parse(readFileSync(registry.file, 'utf8')) as object).filter((k) => k.startsWith('py-'))
          .length;
      } catch {
        return 0; // not written yet
      }
    };
    for (let i = 0; i < 40; i++) {
      await until(() => pythons() >= i - LEAD, 20_000);
      await registry.register(`ts-${i}`, 41_000 + i);
    }
    await until(() => py.output().includes('done'), 20_000);
    const data = JSON.parse(readFileSync(registry.file, 'utf8')) as Record<string, { pid: number }>;
    expect(Object.keys(data)).toHaveLength(80);
    // Insertion order is registration order: interleaved means the two really ran at the same time.
    const switches = Object.keys(data).filter((k, i, all) => i > 0 && k.slice(0, 2) !== all[i - 1]!.slice(0, 2)).length;
    expect(switches).toBeGreaterThan(2);
    const live = await registry.list();
    expect(live.filter((e) => e.pid === py.pid)).toHaveLength(40); // Python's local-time `started` reads as alive
    expect(live.filter((e) => e.pid === process.pid)).toHaveLength(40);
  }, 30_000);

  it('reads and preserves a Python entry (local ISO started) and a Go entry (RFC3339 start_time); Python reads our file', async () => {
    const h = home();
    const py = python(
      `import json, os, sys, datetime, time
now = datetime.datetime.now(datetime.timezone.utc)
entries = {
  "py-svc": {"port": 5001, "pid": os.getpid(), "started": datetime.datetime.now().isoformat()},
  "go-svc": {"port": 5002, "pid": os.getpid(), "start_time": now.strftime("%Y-%m-%dT%H:%M:%S.%f") + "789Z", "go_extra": [1, {"k": None}]},
}
with open(os.path.join(sys.argv[1], "services.json"), "w") as f: json.dump(entries, f)
print("written", flush=True)
while not os.path.exists(os.path.join(sys.argv[1], "ts-done")): time.sleep(0.02)
data = json.load(open(os.path.join(sys.argv[1], "services.json")))
print("python sees " + json.dumps(sorted((k, v["port"]) for k, v in data.items())), flush=True)
time.sleep(30)`,
      [h],
    );
    await waitForLine(py, 'written');
    const registry = new FileServiceRegistry({ home: h });
    const pyEntry = await registry.lookup('py-svc');
    expect(pyEntry).toMatchObject({ port: 5001, pid: py.pid });
    expect(pyEntry?.started).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    expect(await registry.lookup('go-svc')).toMatchObject({
      port: 5002,
      pid: py.pid,
      started: expect.stringMatching(/\.\d{9}Z$/),
    });
    const before = JSON.parse(readFileSync(registry.file, 'utf8')) as Record<string, unknown>;
    await registry.register('ts-svc', 5003);
    await registry.register('ts-other', 5004);
    await registry.unregister('ts-other');
    const after = JSON.parse(readFileSync(registry.file, 'utf8')) as Record<string, unknown>;
    expect(after).toEqual({ ...before, 'ts-svc': expect.objectContaining({ port: 5003, pid: process.pid }) });
    // Python parses what we wrote.
    writeFileSync(path.join(h, 'ts-done'), '');
    await until(() => py.output().includes('python sees'));
    expect(py.output()).toContain('python sees [["go-svc", 5002], ["py-svc", 5001], ["ts-svc", 5003]]');
    expect(existsSync(path.join(h, 'services.lock'))).toBe(false);
  });
});
