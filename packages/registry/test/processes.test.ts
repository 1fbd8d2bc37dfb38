// The registry under real concurrency: many processes, a Python peer holding the lock, a holder
// killed with SIGKILL.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MultifrostError } from '@multifrost/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileServiceRegistry } from '../src/index.js';
import { Driver, PYTHON, fixtures, removeHome, tempHome, waitForLine } from './helpers.js';

const N = 20;
let drivers: Driver[] = [];
beforeAll(() => {
  drivers = Array.from({ length: N }, () => new Driver());
});
afterAll(() => {
  for (const d of drivers) d.kill();
});

describe('registry races with real processes', () => {
  it(`${N} processes registering ${N} different ids at once, 50 rounds: every id is there, the file always parses`, async () => {
    let reads = 0;
    let readerHome = '';
    let stop = false;
    const badReads: string[] = [];
    const reader = (async () => {
      while (!stop) {
        try {
          const text = readFileSync(path.join(readerHome, 'services.json'), 'utf8');
          JSON.parse(text);
          reads++;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') badReads.push(String(err));
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let round = 0; round < 50; round++) {
      const home = tempHome();
      readerHome = home;
      const results = await Promise.all(drivers.map((d, i) => d.send({ op: 'register', home, id: `svc-${i}`, port: 20_000 + i })));
      expect(results.every((r) => r.ok), JSON.stringify(results.find((r) => !r.ok))).toBe(true);
      const data = JSON.parse(readFileSync(path.join(home, 'services.json'), 'utf8')) as Record<string, { pid: number; port: number }>;
      expect(Object.keys(data).sort()).toEqual(drivers.map((_, i) => `svc-${i}`).sort());
      drivers.forEach((d, i) => expect(data[`svc-${i}`]).toMatchObject({ pid: d.pid, port: 20_000 + i }));
      removeHome(home);
    }
    stop = true;
    await reader;
    expect(badReads).toEqual([]);
    expect(reads).toBeGreaterThan(0);
  }, 120_000);

  it(`${N} processes registering the SAME id at once: exactly one wins`, async () => {
    for (let round = 0; round < 3; round++) {
      const home = tempHome();
      const results = await Promise.all(drivers.map((d, i) => d.send({ op: 'register', home, id: 'contested', port: 30_000 + i })));
      const winners = results.filter((r) => r.ok);
      const losers = results.filter((r) => !r.ok);
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(N - 1);
      for (const l of losers) {
        expect(l.code).toBe('ALREADY_REGISTERED');
        expect(l.message).toMatch(/^Service 'contested' already running \(PID: \d+, port: 3\d{4}\)$/);
      }
      removeHome(home);
    }
  }, 60_000);
});

describe('cross-language lock and entries', () => {
  it('a Python process holding services.lock makes register wait until it releases', async () => {
    const home = tempHome();
    const lock = path.join(home, 'services.lock');
    const py = spawn(
      PYTHON,
      [
        '-c',
        `import os, sys, time
fd = os.open(sys.argv[1], os.O_CREAT | os.O_EXCL | os.O_WRONLY)
os.write(fd, str(os.getpid()).encode()); os.close(fd)
print("locked", flush=True)
time.sleep(1.0)
os.unlink(sys.argv[1])
print("released %.3f" % time.time(), flush=True)`,
        lock,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    py.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => py.on('exit', r));
    try {
      await waitForLine(py, 'locked');
      const registry = new FileServiceRegistry({ home });
      await registry.register('after-python', 4444);
      const doneAt = Date.now();
      await exited;
      const releasedAt = Number(/released ([\d.]+)/.exec(out)![1]) * 1000;
      expect(doneAt).toBeGreaterThanOrEqual(releasedAt - 5);
      expect((await registry.lookup('after-python'))?.port).toBe(4444);
    } finally {
      py.kill('SIGKILL');
      removeHome(home);
    }
  });

  it('reads and preserves a Python-written entry (local ISO started) and a Go-style entry (start_time)', async () => {
    const home = tempHome();
    const py = spawn(
      PYTHON,
      [
        '-c',
        `import json, os, sys, datetime, time
entries = {"py-svc": {"port": 5001, "pid": os.getpid(), "started": datetime.datetime.now().isoformat()},
           "go-svc": {"port": 5002, "pid": os.getpid(), "start_time": datetime.datetime.now(datetime.timezone.utc).isoformat()}}
with open(os.path.join(sys.argv[1], "services.json"), "w") as f: json.dump(entries, f)
print("written", flush=True)
time.sleep(30)`,
        home,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await waitForLine(py, 'written');
      const registry = new FileServiceRegistry({ home });
      expect(await registry.lookup('py-svc')).toMatchObject({ port: 5001, pid: py.pid });
      expect(await registry.lookup('go-svc')).toMatchObject({ port: 5002, pid: py.pid });
      const before = JSON.parse(readFileSync(registry.file, 'utf8'));
      await registry.register('ts-svc', 5003);
      const after = JSON.parse(readFileSync(registry.file, 'utf8'));
      expect(after['py-svc']).toEqual(before['py-svc']);
      expect(after['go-svc']).toEqual(before['go-svc']);
      expect(after['ts-svc']).toMatchObject({ port: 5003, pid: process.pid });
    } finally {
      py.kill('SIGKILL');
      removeHome(home);
    }
  });
});

describe('crash safety', () => {
  it('a lock left by a holder killed with SIGKILL is broken after 10 s, not forever', async () => {
    const home = tempHome();
    const lock = path.join(home, 'services.lock');
    const holder = spawn(process.execPath, [path.join(fixtures, 'hold-lock.mjs'), lock], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await waitForLine(holder, 'locked');
      holder.kill('SIGKILL');
      await new Promise((r) => holder.on('exit', r));
      const registry = new FileServiceRegistry({ home, lockTimeoutMs: 15_000 });
      const t0 = Date.now();
      await registry.register('after-crash', 6000);
      const waited = Date.now() - t0;
      expect(waited).toBeGreaterThanOrEqual(9_000);
      expect(waited).toBeLessThan(12_000);
      // With the default lock timeout (also 10 s) a waiter gives up with a clear error instead.
      writeFileSync(lock, '');
      const err = (await new FileServiceRegistry({ home, lockTimeoutMs: 200 }).register('y', 1).catch((e: unknown) => e)) as MultifrostError;
      expect(err.code).toBe('REGISTRY_LOCKED');
    } finally {
      holder.kill('SIGKILL');
      removeHome(home);
    }
  }, 30_000);
});
