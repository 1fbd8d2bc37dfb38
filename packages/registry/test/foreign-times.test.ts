// The PID-reuse guard against the `started` times other peers write. Python writes naive local
// time, which says nothing exact to a reader in another zone, and Go writes a zero time for entries
// it did not create: neither may make a live registrant look like a reused PID. A zoned time well
// before the process started still does.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileServiceRegistry } from '../src/index.js';
import { latestRegistrationMs } from '../src/internal.js';
import { PYTHON, failure, fixtures, killAndWait, removeHome, tempHome, waitForLine } from './helpers.js';

const HOUR = 3_600_000;
const linux = process.platform === 'linux';

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

/** A live process started just now, standing in for a registered service. */
async function liveProcess(): Promise<number> {
  const proc = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
  children.push(proc);
  await new Promise<void>((resolve, reject) => {
    proc.once('spawn', resolve);
    proc.once('error', reject);
  });
  return proc.pid!;
}

/** Python's `datetime.now().isoformat()` for a wall clock reading `ms` in our own zone. */
function naiveLocal(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:` +
    `${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}123`
  );
}

function writeRegistry(h: string, data: Record<string, unknown>): void {
  writeFileSync(path.join(h, 'services.json'), `${JSON.stringify(data, null, 2)}\n`);
}

const rawEntry = (h: string, id: string) => JSON.parse(readFileSync(path.join(h, 'services.json'), 'utf8'))[id];

/** Found by lookup and discover, and a register of the same id is refused. */
async function expectLive(h: string, id: string, pid: number): Promise<void> {
  const registry = new FileServiceRegistry({ home: h });
  expect((await registry.lookup(id))?.pid).toBe(pid);
  expect((await registry.discover(id, { timeoutMs: 500 })).pid).toBe(pid);
  const err = await failure(registry.register(id, async () => 'tcp://127.0.0.1:32001'));
  expect(err.code).toBe('ALREADY_REGISTERED');
  expect(err.message).toContain(`PID: ${pid}`);
}

describe('a naive `started` (Python local time, no zone)', () => {
  for (const offsetH of [-9, 9, -13.5, 14]) {
    it(`a live registrant whose naive time is ${offsetH} h off our clock is found, and its id can't be taken`, async () => {
      const h = home();
      const pid = await liveProcess();
      writeRegistry(h, { svc: { port: 32000, pid, started: naiveLocal(Date.now() + offsetH * HOUR) } });
      await expectLive(h, 'svc', pid);
    });
  }

  for (const tz of ['XXX+9', 'XXX-9', 'XXX+12', 'XXX-14']) {
    it(`a v3 Python service running with TZ=${tz} (POSIX sign) is found, and its id can't be taken`, async () => {
      const h = home();
      const py = spawn(PYTHON, [path.join(fixtures, 'v3-python-registrant.py'), 'serve', h, 'svc'], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, TZ: tz },
      });
      children.push(py);
      await waitForLine(py, 'registered');
      expect(rawEntry(h, 'svc').started).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$/);
      await expectLive(h, 'svc', py.pid!);
    });
  }

  it.runIf(linux)('is still a reuse verdict when it is more than 14 h before the process started', async () => {
    const h = home();
    const pid = await liveProcess();
    writeRegistry(h, { svc: { port: 32000, pid, started: naiveLocal(Date.now() - 3 * 24 * HOUR) } });
    const registry = new FileServiceRegistry({ home: h });
    expect(await registry.lookup('svc')).toBeUndefined();
    await registry.register('svc', async () => 'tcp://127.0.0.1:32002');
    expect(rawEntry(h, 'svc').pid).toBe(process.pid);
  });

  it.runIf(linux)('a zoned time 9 h before the process started is a reuse verdict, as before', async () => {
    const h = home();
    const pid = await liveProcess();
    writeRegistry(h, { svc: { port: 32000, pid, started: new Date(Date.now() - 9 * HOUR).toISOString() } });
    expect(await new FileServiceRegistry({ home: h }).lookup('svc')).toBeUndefined();
  });
});

describe('zero and pre-1971 times (Go rewrites entries it did not create with 0001-01-01T00:00:00Z)', () => {
  const placeholders: [string, Record<string, unknown>][] = [
    ['Go start_time 0001-01-01T00:00:00Z', { start_time: '0001-01-01T00:00:00Z' }],
    ['started 0001-01-01T00:00:00Z', { started: '0001-01-01T00:00:00Z' }],
    ['Rust-style "0"', { started: '0' }],
    ['the number 0', { started: 0 }],
    ['1970-06-01T00:00:00Z', { started: '1970-06-01T00:00:00Z' }],
    ['1969-12-31T23:59:59Z', { started: '1969-12-31T23:59:59Z' }],
  ];
  for (const [what, time] of placeholders) {
    it(`a live pid with ${what} is live`, async () => {
      const h = home();
      const pid = await liveProcess();
      writeRegistry(h, { svc: { port: 32000, pid, ...time } });
      await expectLive(h, 'svc', pid);
    });
  }

  it("registering another id keeps the Go-shaped entry's fields and values", async () => {
    const h = home();
    const pid = await liveProcess();
    const file = path.join(h, 'services.json');
    writeFileSync(file, `{"go": {"port": 32000, "pid": ${pid}, "start_time": "0001-01-01T00:00:00Z", "x": "\\u00e9"}}`);
    await new FileServiceRegistry({ home: h }).register('ts', async () => 'tcp://127.0.0.1:32003');
    const text = readFileSync(file, 'utf8');
    expect(JSON.parse(text).go).toEqual({ port: 32000, pid, start_time: '0001-01-01T00:00:00Z', x: 'é' });
    await expectLive(h, 'go', pid);
  });
});

describe('latestRegistrationMs', () => {
  it('reads zoned times exactly and naive ones as late as their wall clock in UTC+14', () => {
    expect(latestRegistrationMs('2026-01-02T03:04:05.000Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(latestRegistrationMs('2026-01-02T03:04:05.123456789+02:00')).toBe(Date.UTC(2026, 0, 2, 1, 4, 5, 123));
    expect(latestRegistrationMs('2026-01-02T03:04:05.123456')).toBe(Date.UTC(2026, 0, 2, 17, 4, 5, 123));
    expect(latestRegistrationMs('2026-01-02T03:04:05')).toBe(Date.UTC(2026, 0, 2, 17, 4, 5));
    expect(latestRegistrationMs('1700000000')).toBe(1_700_000_000_000);
  });

  it('gives nothing for placeholders, garbage, or words that may or may not name a zone', () => {
    for (const t of ['0001-01-01T00:00:00Z', '0', 0, '1970-12-31T23:59:59Z', '', 'garbage', 'Tue Dec 01 2026', null]) {
      expect(latestRegistrationMs(t)).toBeUndefined();
    }
  });
});
