// Lock holders killed with SIGKILL: their lock is broken once stale (10 s by default), not never,
// and a live holder's lock is not broken however long it holds it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { MultifrostError } from '@multifrost/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { FileServiceRegistry } from '../src/index.js';
import { Driver, fixtures, killAndWait, removeHome, tempHome, until, waitForLine } from './helpers.js';

const children: ChildProcess[] = [];
const drivers: Driver[] = [];
const homes: string[] = [];
afterEach(async () => {
  await Promise.all([...children.splice(0).map(killAndWait), ...drivers.splice(0).map((d) => d.kill())]);
  for (const h of homes.splice(0)) removeHome(h);
});

function home(): string {
  const h = tempHome();
  homes.push(h);
  return h;
}

describe('crashed lock holders', () => {
  it('a Go-style lock (O_EXCL, never refreshed) left by a SIGKILLed holder is broken after the default 10 s, not forever', async () => {
    const h = home();
    const lock = path.join(h, 'services.lock');
    const holder = spawn(process.execPath, [path.join(fixtures, 'hold-lock.mjs'), lock], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(holder);
    await waitForLine(holder, 'locked');
    await killAndWait(holder);
    // Default staleLockMs; a lock timeout longer than it, so the wait ends by breaking the lock.
    const registry = new FileServiceRegistry({ home: h, lockTimeoutMs: 15_000 });
    const t0 = Date.now();
    await registry.register('after-crash', 6000);
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(9_500);
    expect(waited).toBeLessThan(11_500);
    expect(existsSync(lock)).toBe(false);
    expect((await registry.lookup('after-crash'))?.port).toBe(6000);
  }, 30_000);

  it('our own lock: kept fresh while its holder lives, broken soon after the holder is SIGKILLed', async () => {
    const h = home();
    const driver = new Driver();
    drivers.push(driver);
    const lock = path.join(h, 'services.lock');
    // The driver takes the lock and sits in a bind() that never returns.
    driver.post({ op: 'hang', home: h, id: 'stuck', port: 1, staleLockMs: 500, lockTimeoutMs: 30_000 });
    await until(() => existsSync(lock) && readFileSync(lock, 'utf8') === String(driver.pid));

    // Alive: 1.5 s of waiting, three times the stale age, and the lock still stands.
    const waiter = new FileServiceRegistry({ home: h, staleLockMs: 500, lockTimeoutMs: 1_500 });
    const err = (await waiter.register('waiter', 2).catch((e: unknown) => e)) as MultifrostError;
    expect(err.code).toBe('REGISTRY_LOCKED');
    expect(err.message).toContain(`held by PID ${driver.pid})`);
    expect(err.details.ageMs).toBeLessThan(500);

    await driver.kill();
    const t0 = Date.now();
    await new FileServiceRegistry({ home: h, staleLockMs: 500, lockTimeoutMs: 5_000 }).register('waiter', 2);
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(Object.keys(JSON.parse(readFileSync(path.join(h, 'services.json'), 'utf8')))).toEqual(['waiter']);
  }, 30_000);
});
