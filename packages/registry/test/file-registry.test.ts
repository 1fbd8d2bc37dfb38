import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MultifrostError } from '@multifrost/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { FileServiceRegistry, isPidAlive, parseStarted } from '../src/index.js';
import { removeHome, tempHome } from './helpers.js';

const homes: string[] = [];
function registry(options: ConstructorParameters<typeof FileServiceRegistry>[0] = {}) {
  const home = tempHome();
  homes.push(home);
  return new FileServiceRegistry({ home, ...options });
}
afterEach(() => {
  for (const h of homes.splice(0)) removeHome(h);
});

const readJson = (r: FileServiceRegistry) => JSON.parse(readFileSync(r.file, 'utf8')) as Record<string, Record<string, unknown>>;

/** A PID that is certainly dead: a process we started and waited for. */
async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => p.on('exit', r));
  return p.pid!;
}

describe('FileServiceRegistry', () => {
  it('registers, looks up, lists and unregisters', async () => {
    const r = registry();
    const entry = await r.register('math', 4242);
    expect(entry).toMatchObject({ serviceId: 'math', port: 4242, pid: process.pid });
    expect(readJson(r).math).toEqual({ port: 4242, pid: process.pid, started: entry.started });
    expect(await r.lookup('math')).toMatchObject({ port: 4242 });
    expect((await r.list()).map((e) => e.serviceId)).toEqual(['math']);
    expect(await r.unregister('math')).toBe(true);
    expect(await r.lookup('math')).toBeUndefined();
    expect(await r.unregister('math')).toBe(false);
    expect(existsSync(r.lockFile)).toBe(false);
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
  });

  it('refuses an id a live process holds, naming its pid and port; never calls bind then', async () => {
    const r = registry();
    writeFileSync(r.file, JSON.stringify({ busy: { port: 9999, pid: process.ppid, started: new Date().toISOString() } }));
    let bound = false;
    const err = (await r
      .register('busy', async () => {
        bound = true;
        return 1;
      })
      .catch((e: unknown) => e)) as MultifrostError;
    expect(err.code).toBe('ALREADY_REGISTERED');
    expect(err.message).toBe(`Service 'busy' already running (PID: ${process.ppid}, port: 9999)`);
    expect(bound).toBe(false);
  });

  it('reclaims the entry of a dead process', async () => {
    const r = registry();
    writeFileSync(r.file, JSON.stringify({ old: { port: 1111, pid: await deadPid(), started: '2020-01-01T00:00:00Z' } }));
    expect(await r.lookup('old')).toBeUndefined();
    expect((await r.register('old', 2222)).port).toBe(2222);
  });

  it('treats a reused PID (process started after the entry) as dead', async () => {
    const r = registry();
    // Our own PID, but "registered" a day before this process started.
    writeFileSync(r.file, JSON.stringify({ ghost: { port: 1, pid: process.pid, started: new Date(Date.now() - 86_400_000).toISOString() } }));
    expect(await r.lookup('ghost')).toBeUndefined();
    expect(isPidAlive(process.pid)).toBe(true);
  });

  it('unregisters only its own entries', async () => {
    const r = registry();
    writeFileSync(r.file, JSON.stringify({ theirs: { port: 1, pid: process.ppid, started: new Date().toISOString() } }));
    expect(await r.unregister('theirs')).toBe(false);
    expect(readJson(r).theirs).toBeDefined();
  });

  it('keeps other entries and unknown keys untouched, and reads start_time (Go) as started', async () => {
    const r = registry();
    const others = {
      go: { port: 7001, pid: process.ppid, start_time: new Date().toISOString(), extra: { nested: [1, 2] } },
      rust: { port: 7002, pid: await deadPid(), started: '1700000000', custom: true },
    };
    writeFileSync(r.file, JSON.stringify(others));
    expect(await r.lookup('go')).toMatchObject({ port: 7001, started: others.go.start_time });
    await r.register('mine', 7003);
    await r.unregister('mine');
    expect(readJson(r)).toEqual(others);
  });

  it('discover waits for an entry written later, times out clearly, and honours an AbortSignal', async () => {
    const r = registry({ pollMs: 20 });
    setTimeout(() => void r.register('late', 3333), 150);
    expect((await r.discover('late', { timeoutMs: 2_000 })).port).toBe(3333);
    const t0 = Date.now();
    const err = (await r.discover('never', { timeoutMs: 200 }).catch((e: unknown) => e)) as MultifrostError;
    expect(err.code).toBe('SERVICE_NOT_FOUND');
    expect(err.message).toBe(`Service 'never' not found within 200ms (registry ${r.file})`);
    expect(Date.now() - t0).toBeLessThan(1_000);
    const aborted = (await r.discover('never', { timeoutMs: 5_000, signal: AbortSignal.timeout(50) }).catch((e: unknown) => e)) as MultifrostError;
    expect(aborted.code).toBe('ABORTED');
  });

  it('reports a corrupt file, keeps a copy, and never overwrites it', async () => {
    const r = registry();
    writeFileSync(r.file, '{"half": {"port": 1');
    const err = (await r.register('x', 1).catch((e: unknown) => e)) as MultifrostError;
    expect(err.code).toBe('REGISTRY_CORRUPT');
    expect(err.message).toMatch(/services\.json is corrupt: invalid JSON/);
    expect(readFileSync(r.file, 'utf8')).toBe('{"half": {"port": 1');
    const copies = readdirSync(r.home).filter((f) => f.startsWith('services.json.corrupt-'));
    expect(copies).toHaveLength(1);
    expect(readFileSync(path.join(r.home, copies[0]!), 'utf8')).toBe('{"half": {"port": 1');
    writeFileSync(r.file, '[1,2]');
    expect(((await r.lookup('x').catch((e: unknown) => e)) as MultifrostError).message).toMatch(/expected a JSON object/);
  });

  it('an empty or missing file is an empty registry', async () => {
    const r = registry();
    expect(await r.list()).toEqual([]);
    writeFileSync(r.file, '');
    expect(await r.list()).toEqual([]);
    await r.register('a', 1);
    expect(Object.keys(readJson(r))).toEqual(['a']);
  });

  it('a held lock makes register fail after lockTimeoutMs, with the holder and its age', async () => {
    const r = registry({ lockTimeoutMs: 300 });
    writeFileSync(r.lockFile, '12345');
    const t0 = Date.now();
    const err = (await r.register('x', 1).catch((e: unknown) => e)) as MultifrostError;
    expect(err.code).toBe('REGISTRY_LOCKED');
    expect(err.message).toMatch(/still taken after 300 ms \(lock age \d+ ms, held by PID 12345\)/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
  });

  it('a lock older than 10 s (the default) is stale and broken', async () => {
    const r = registry();
    writeFileSync(r.lockFile, '');
    const old = (Date.now() - 11_000) / 1000;
    utimesSync(r.lockFile, old, old);
    await r.register('x', 1);
    expect(existsSync(r.lockFile)).toBe(false);
  });

  it('rejects bad service ids', async () => {
    const r = registry();
    for (const id of ['', 'x'.repeat(300), 42 as unknown as string]) {
      expect(((await r.register(id, 1).catch((e: unknown) => e)) as MultifrostError).code).toBe('INVALID_ARGUMENT');
    }
  });

  it('parses the started formats of every peer', () => {
    expect(parseStarted('2026-01-02T03:04:05.000Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(parseStarted('1700000000')).toBe(1_700_000_000_000);
    expect(parseStarted('2026-01-02T03:04:05.123456')).toBe(new Date(2026, 0, 2, 3, 4, 5, 123).getTime());
    expect(parseStarted('2026-01-02T03:04:05+02:00')).toBe(Date.UTC(2026, 0, 2, 1, 4, 5));
    expect(parseStarted('garbage')).toBeUndefined();
  });
});
