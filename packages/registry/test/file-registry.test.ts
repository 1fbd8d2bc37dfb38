// FileServiceRegistry on real files, each test in its own temporary MULTIFROST_HOME.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileServiceRegistry, defaultRegistryHome, registryPaths } from '../src/index.js';
import { deadPid, failure, removeHome, tempHome } from './helpers.js';

const homes: string[] = [];
function registry(options: ConstructorParameters<typeof FileServiceRegistry>[0] = {}) {
  const home = tempHome();
  homes.push(home);
  return new FileServiceRegistry({ home, ...options });
}
afterEach(() => {
  for (const h of homes.splice(0)) removeHome(h);
});

const readJson = (r: FileServiceRegistry) =>
  JSON.parse(readFileSync(r.file, 'utf8')) as Record<string, Record<string, unknown>>;
/** Alive, and started long before "now": the test runner's parent. */
const livePid = () => process.ppid;

describe('FileServiceRegistry basics', () => {
  it('registers, looks up, lists and unregisters', async () => {
    const r = registry();
    const entry = await r.register('math', 4242);
    expect(entry).toMatchObject({ serviceId: 'math', port: 4242, pid: process.pid });
    expect(Date.parse(entry.started!)).toBeGreaterThan(Date.now() - 5_000);
    expect(readJson(r).math).toEqual({ port: 4242, pid: process.pid, started: entry.started });
    expect(await r.lookup('math')).toEqual(entry);
    await r.register('algebra', 4243);
    expect((await r.list()).map((e) => e.serviceId)).toEqual(['algebra', 'math']);
    expect(await r.unregister('math')).toBe(true);
    expect(await r.lookup('math')).toBeUndefined();
    expect(await r.unregister('math')).toBe(false);
    expect(Object.keys(readJson(r))).toEqual(['algebra']);
    // Nothing left behind: no lock, no temp files.
    expect(readdirSync(r.home).sort()).toEqual(['services.json']);
  });

  it('creates the home directory as needed, and unregister on a missing registry creates nothing', async () => {
    const parent = tempHome();
    homes.push(parent);
    const home = path.join(parent, 'nested', 'home');
    const r = new FileServiceRegistry({ home });
    expect(await r.unregister('x')).toBe(false);
    expect(existsSync(home)).toBe(false);
    await r.register('x', 1000);
    expect(readdirSync(home)).toEqual(['services.json']);
  });

  it('resolves the default home from MULTIFROST_HOME at construction', () => {
    const saved = process.env.MULTIFROST_HOME;
    try {
      process.env.MULTIFROST_HOME = 'relative/home';
      const r = new FileServiceRegistry();
      expect(r.home).toBe(path.resolve('relative/home'));
      expect(defaultRegistryHome()).toBe(r.home);
      process.env.MULTIFROST_HOME = '/elsewhere';
      expect(r.file).toBe(path.resolve('relative/home/services.json'));
      expect(registryPaths('/h')).toEqual({
        file: '/h/services.json',
        lock: '/h/services.lock',
        legacyLock: '/h/registry.lock',
      });
    } finally {
      if (saved === undefined) delete process.env.MULTIFROST_HOME;
      else process.env.MULTIFROST_HOME = saved;
    }
  });

  it('calls bind under the lock and records the port it returns', async () => {
    const r = registry();
    let lockHeld = false;
    const entry = await r.register('svc', async () => {
      lockHeld = existsSync(r.lockFile);
      return 5151;
    });
    expect(lockHeld).toBe(true);
    expect(entry.port).toBe(5151);
    expect(existsSync(r.lockFile)).toBe(false);
  });

  it('releases the lock and writes nothing when bind fails or returns a bad port', async () => {
    const r = registry();
    const boom = await failure(r.register('svc', () => Promise.reject(new Error('EADDRINUSE'))));
    expect(boom.message).toBe('EADDRINUSE');
    expect((await failure(r.register('svc', 70_000))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(r.register('svc', async () => 1.5))).code).toBe('INVALID_ARGUMENT');
    expect(existsSync(r.lockFile)).toBe(false);
    expect(existsSync(r.file)).toBe(false);
  });

  it('rejects bad service ids', async () => {
    const r = registry();
    for (const id of ['', 'x'.repeat(257), 42 as unknown as string, undefined as unknown as string]) {
      expect((await failure(r.register(id, 1))).code).toBe('INVALID_ARGUMENT');
      expect((await failure(r.lookup(id))).code).toBe('INVALID_ARGUMENT');
    }
    await r.register('x'.repeat(256), 1);
  });

  it('treats ids like __proto__ and constructor as plain keys', async () => {
    const r = registry();
    expect(await r.lookup('constructor')).toBeUndefined();
    for (const [i, id] of ['__proto__', 'constructor', 'toString', 'hasOwnProperty'].entries())
      await r.register(id, 1000 + i);
    expect(Object.keys(readJson(r)).sort()).toEqual(['__proto__', 'constructor', 'hasOwnProperty', 'toString']);
    expect((await r.lookup('__proto__'))?.port).toBe(1000);
    expect((await r.list()).map((e) => e.port).sort()).toEqual([1000, 1001, 1002, 1003]);
    expect(await r.unregister('__proto__')).toBe(true);
    expect(Object.keys(readJson(r))).not.toContain('__proto__');
  });
});

describe('ownership and liveness', () => {
  it('refuses an id a live process holds, naming its pid and port; never calls bind then', async () => {
    const r = registry();
    writeFileSync(r.file, JSON.stringify({ busy: { port: 9999, pid: livePid(), started: new Date().toISOString() } }));
    let bound = false;
    const err = await failure(
      r.register('busy', async () => {
        bound = true;
        return 1;
      }),
    );
    expect(err.code).toBe('ALREADY_REGISTERED');
    expect(err.message).toBe(`Service 'busy' already running (PID: ${livePid()}, port: 9999)`);
    expect(err.details).toMatchObject({ pid: livePid(), port: 9999 });
    expect(bound).toBe(false);
    expect(existsSync(r.lockFile)).toBe(false);
  });

  it('lets this process re-register its own id (overwrite with the new port)', async () => {
    const r = registry();
    await r.register('mine', 1111);
    expect((await r.register('mine', 2222)).port).toBe(2222);
    expect(readJson(r).mine).toMatchObject({ port: 2222, pid: process.pid });
  });

  it('reclaims the entry of a dead process', async () => {
    const r = registry();
    writeFileSync(
      r.file,
      JSON.stringify({ old: { port: 1111, pid: await deadPid(), started: '2020-01-01T00:00:00Z' } }),
    );
    expect(await r.lookup('old')).toBeUndefined();
    expect(await r.list()).toEqual([]);
    expect((await r.register('old', 2222)).port).toBe(2222);
    expect(readJson(r).old).toMatchObject({ port: 2222, pid: process.pid });
  });

  it('treats a reused PID (a process that started after the entry was written) as dead', async () => {
    const r = registry();
    // Our own PID, but "registered" a day before this process started.
    writeFileSync(
      r.file,
      JSON.stringify({ ghost: { port: 1, pid: livePid(), started: new Date(Date.now() - 86_400_000).toISOString() } }),
    );
    expect(await r.lookup('ghost')).toBeUndefined();
    expect((await r.register('ghost', 2)).port).toBe(2);
  });

  it('treats pid 0, negative, fractional or missing pids as not live, and keeps such entries', async () => {
    const r = registry();
    const odd = {
      zero: { port: 1, pid: 0 },
      negative: { port: 1, pid: -5 },
      fraction: { port: 1, pid: 1.5 },
      stringPort: { port: '8080', pid: livePid() },
      nothing: {},
      notAnObject: 'hello',
    };
    writeFileSync(r.file, JSON.stringify(odd));
    for (const id of Object.keys(odd)) expect(await r.lookup(id)).toBeUndefined();
    expect(await r.list()).toEqual([]);
    await r.register('mine', 3000);
    expect(readJson(r)).toEqual({ ...odd, mine: expect.objectContaining({ port: 3000 }) });
    // A non-integer pid is not a live holder, so its id can be taken over.
    await r.register('stringPort', 3001);
  });

  it('unregisters only its own entries', async () => {
    const r = registry();
    writeFileSync(r.file, JSON.stringify({ theirs: { port: 1, pid: livePid(), started: new Date().toISOString() } }));
    expect(await r.unregister('theirs')).toBe(false);
    expect(await r.unregister('absent')).toBe(false);
    expect(readJson(r).theirs).toBeDefined();
  });
});

describe('other peers\u2019 entries', () => {
  it('reads start_time (Go) as started and keeps other entries and unknown keys untouched', async () => {
    const r = registry();
    const others = {
      go: {
        port: 7001,
        pid: livePid(),
        start_time: new Date().toISOString(),
        extra: { nested: [1, 2, { deep: null }] },
      },
      rust: { port: 7002, pid: await deadPid(), started: '1700000000', custom: true },
      weird: { port: 'x', pid: 'y', note: 'not ours to judge' },
    };
    writeFileSync(r.file, JSON.stringify(others));
    expect(await r.lookup('go')).toEqual({
      serviceId: 'go',
      endpoint: 'tcp://127.0.0.1:7001',
      host: '127.0.0.1',
      port: 7001,
      pid: livePid(),
      started: others.go.start_time,
    });
    await r.register('mine', 7003);
    expect(readJson(r)).toEqual({ ...others, mine: expect.objectContaining({ port: 7003 }) });
    expect(readJson(r).go).not.toHaveProperty('started');
    await r.unregister('mine');
    expect(readJson(r)).toEqual(others);
  });

  it('replacing a dead entry writes a fresh entry, without the old one\u2019s extra keys', async () => {
    const r = registry();
    writeFileSync(r.file, JSON.stringify({ svc: { port: 1, pid: await deadPid(), started: '1', extra: 1 } }));
    await r.register('svc', 2);
    expect(Object.keys(readJson(r).svc!).sort()).toEqual(['pid', 'port', 'started']);
  });
});

describe('discover', () => {
  it('finds an entry written later', async () => {
    const r = registry({ pollMs: 20 });
    const writer = new FileServiceRegistry({ home: r.home });
    const t0 = Date.now();
    setTimeout(() => void writer.register('late', 3333), 150);
    const found = await r.discover('late', { timeoutMs: 2_000 });
    expect(found.port).toBe(3333);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('times out with the id, the limit and the registry path', async () => {
    const r = registry({ pollMs: 20 });
    const t0 = Date.now();
    const err = await failure(r.discover('never', { timeoutMs: 200 }));
    expect(err.code).toBe('SERVICE_NOT_FOUND');
    expect(err.message).toBe(`Service 'never' not found within 200ms (registry ${r.file})`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(195);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('ignores entries of dead processes while polling', async () => {
    const r = registry({ pollMs: 20 });
    writeFileSync(r.file, JSON.stringify({ gone: { port: 1, pid: await deadPid() } }));
    expect((await failure(r.discover('gone', { timeoutMs: 100 }))).code).toBe('SERVICE_NOT_FOUND');
  });

  it('honours an AbortSignal at once, mid-wait and before starting', async () => {
    const r = registry({ pollMs: 1_000 });
    const t0 = Date.now();
    const aborted = await failure(r.discover('never', { timeoutMs: 5_000, signal: AbortSignal.timeout(50) }));
    expect(aborted.code).toBe('ABORTED');
    expect(aborted.message).toContain("'never'");
    expect(Date.now() - t0).toBeLessThan(500); // not at the next 1 s poll
    const early = new AbortController();
    early.abort(new Error('caller gave up'));
    const err = await failure(r.discover('never', { signal: early.signal }));
    expect(err.code).toBe('ABORTED');
    expect((err.cause as Error).message).toBe('caller gave up');
  });

  it('keeps polling through a corrupt file and finds the entry once the file is repaired', async () => {
    const r = registry({ pollMs: 20 });
    writeFileSync(r.file, '{"svc": ');
    setTimeout(() => writeFileSync(r.file, JSON.stringify({ svc: { port: 4545, pid: process.pid } })), 150);
    expect((await r.discover('svc', { timeoutMs: 2_000 })).port).toBe(4545);
  });

  it('reports the corruption as the reason when the file stays corrupt until the timeout', async () => {
    const r = registry({ pollMs: 20 });
    writeFileSync(r.file, 'not json');
    const err = await failure(r.discover('svc', { timeoutMs: 150 }));
    expect(err.code).toBe('REGISTRY_CORRUPT');
    expect(err.message).toContain(r.file);
    // Polled many times, copied once.
    expect(readdirSync(r.home).filter((f) => f.includes('.corrupt-'))).toHaveLength(1);
  });
});

describe('corrupt and empty files', () => {
  it('reports a corrupt file, keeps one byte-exact copy, and never overwrites it', async () => {
    const r = registry();
    const garbage = Buffer.from([0x7b, 0x22, 0x68, 0x22, 0x3a, 0xff, 0xfe, 0x00, 0x31]); // {"h":<bad bytes>
    writeFileSync(r.file, garbage);
    const err = await failure(r.register('x', 1));
    expect(err.code).toBe('REGISTRY_CORRUPT');
    expect(err.message).toContain(`Registry ${r.file} is corrupt: invalid JSON (`);
    expect(readFileSync(r.file).equals(garbage)).toBe(true);
    const copies = readdirSync(r.home).filter((f) => f.startsWith('services.json.corrupt-'));
    expect(copies).toHaveLength(1);
    expect(err.message).toContain(`a copy is in ${path.join(r.home, copies[0]!)}`);
    expect(readFileSync(path.join(r.home, copies[0]!)).equals(garbage)).toBe(true);
    // Another instance (or process) meeting the same bytes reuses that copy.
    const again = await failure(new FileServiceRegistry({ home: r.home }).lookup('x'));
    expect(again.message).toContain(copies[0]);
    expect((await failure(r.unregister('x'))).code).toBe('REGISTRY_CORRUPT');
    expect(readdirSync(r.home).filter((f) => f.startsWith('services.json.corrupt-'))).toHaveLength(1);
    expect(existsSync(r.lockFile)).toBe(false);
  });

  it('a file holding JSON that is not an object is corrupt too', async () => {
    const r = registry();
    for (const [text, found] of [
      ['[1,2]', 'an array'],
      ['null', 'null'],
      ['42', 'a number'],
      ['"x"', 'a string'],
    ] as const) {
      writeFileSync(r.file, text);
      const err = await failure(r.list());
      expect(err.code).toBe('REGISTRY_CORRUPT');
      expect(err.message).toContain(`expected a JSON object keyed by service id, found ${found}`);
      expect(readFileSync(r.file, 'utf8')).toBe(text);
    }
    expect(readdirSync(r.home).filter((f) => f.startsWith('services.json.corrupt-'))).toHaveLength(4);
  });

  it('an empty, whitespace-only or missing file is an empty registry', async () => {
    const r = registry();
    expect(await r.list()).toEqual([]);
    for (const text of ['', '  \n']) {
      writeFileSync(r.file, text);
      expect(await r.list()).toEqual([]);
      expect(await r.lookup('a')).toBeUndefined();
    }
    await r.register('a', 1);
    expect(Object.keys(readJson(r))).toEqual(['a']);
  });
});
