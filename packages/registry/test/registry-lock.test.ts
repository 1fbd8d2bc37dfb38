// The services.lock protocol within one process: timeouts, stale locks, a slow holder, release.
import { existsSync, readdirSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { FileServiceRegistry } from '../src/index.js';
import { deadPid, failure, removeHome, sleep, tempHome, until } from './helpers.js';

const homes: string[] = [];
function registry(options: ConstructorParameters<typeof FileServiceRegistry>[0] = {}) {
  const home = tempHome();
  homes.push(home);
  return new FileServiceRegistry({ home, ...options });
}
afterEach(() => {
  for (const h of homes.splice(0)) removeHome(h);
});

const ageLock = (file: string, ms: number) => {
  const t = (Date.now() - ms) / 1000;
  utimesSync(file, t, t);
};

describe('services.lock', () => {
  it('is an O_EXCL file holding our PID while held', async () => {
    const r = registry();
    let content = '';
    await r.register('svc', async () => {
      content = readFileSync(r.lockFile, 'utf8');
      return 1;
    });
    expect(content).toBe(String(process.pid));
    expect(existsSync(r.lockFile)).toBe(false);
  });

  it('a held lock makes register fail after lockTimeoutMs, naming the lock, the holder and its age', async () => {
    const r = registry({ lockTimeoutMs: 300 });
    writeFileSync(r.lockFile, String(process.ppid));
    const t0 = Date.now();
    const err = await failure(r.register('x', 1));
    expect(err.code).toBe('REGISTRY_LOCKED');
    expect(err.message).toMatch(
      new RegExp(
        `^Registry lock ${r.lockFile} still taken after 300 ms \\(lock age \\d+ ms, held by PID ${process.ppid}\\); it is broken once older than 10000 ms$`,
      ),
    );
    expect(err.details.ageMs).toBeGreaterThanOrEqual(280);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(Date.now() - t0).toBeLessThan(1_500);
    // The lock is someone else's: left alone.
    expect(readFileSync(r.lockFile, 'utf8')).toBe(String(process.ppid));
  });

  it('says when the PID in the lock is not running, and copes with an empty (Go-style) lock', async () => {
    const r = registry({ lockTimeoutMs: 100 });
    const pid = await deadPid();
    writeFileSync(r.lockFile, String(pid));
    expect((await failure(r.register('x', 1))).message).toContain(`held by PID ${pid}, not running)`);
    writeFileSync(r.lockFile, '');
    expect((await failure(r.register('x', 1))).message).toMatch(/\(lock age \d+ ms\); it is broken/);
  });

  it('the default stale age is 10000 ms: a 9 s old lock is respected, an 11 s old one is broken', async () => {
    const r = registry({ lockTimeoutMs: 200 });
    writeFileSync(r.lockFile, '');
    ageLock(r.lockFile, 9_000);
    expect((await failure(r.register('x', 1))).message).toContain('it is broken once older than 10000 ms');
    ageLock(r.lockFile, 11_000);
    await r.register('x', 1);
    expect(existsSync(r.lockFile)).toBe(false);
    expect(readdirSync(r.home).sort()).toEqual(['services.json']); // no guard or moved-aside files left
  });

  it('staleLockMs sets the stale age', async () => {
    const r = registry({ staleLockMs: 300, lockTimeoutMs: 5_000 });
    writeFileSync(r.lockFile, '');
    const t0 = Date.now();
    await r.register('x', 1);
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(280);
    expect(waited).toBeLessThan(1_500);
  });

  it('a register started while another holds the lock waits for the release', async () => {
    const r = registry();
    const other = new FileServiceRegistry({ home: r.home });
    let releasedAt = 0;
    const first = r.register('a', async () => {
      await sleep(300);
      releasedAt = Date.now();
      return 1;
    });
    await until(() => existsSync(r.lockFile));
    await other.register('b', 2);
    await first;
    expect(Date.now()).toBeGreaterThanOrEqual(releasedAt);
    expect(Object.keys(JSON.parse(readFileSync(r.file, 'utf8'))).sort()).toEqual(['a', 'b']);
  });

  it('a live holder slower than the stale age keeps its lock (it refreshes the mtime)', async () => {
    const r = registry({ staleLockMs: 300 });
    const waiter = new FileServiceRegistry({ home: r.home, staleLockMs: 300 });
    let bindDone = 0;
    const slow = r.register('slow', async () => {
      await sleep(1_200);
      bindDone = Date.now();
      return 1;
    });
    await until(() => existsSync(r.lockFile));
    const mtime0 = statSync(r.lockFile).mtimeMs;
    const waiting = waiter.register('waiter', 2).then(() => Date.now());
    await sleep(600);
    expect(statSync(r.lockFile).mtimeMs).toBeGreaterThan(mtime0);
    const waiterDone = await waiting;
    await slow;
    expect(waiterDone).toBeGreaterThanOrEqual(bindDone);
    expect(Object.keys(JSON.parse(readFileSync(r.file, 'utf8'))).sort()).toEqual(['slow', 'waiter']);
  });

  it('a holder whose lock was broken and re-taken does not delete the new holder\u2019s lock on release', async () => {
    const r = registry();
    await r.register('svc', async () => {
      // Simulates: our lock judged stale, broken, and taken by another process.
      unlinkSync(r.lockFile);
      writeFileSync(r.lockFile, 'someone else');
      return 1;
    });
    expect(readFileSync(r.lockFile, 'utf8')).toBe('someone else');
  });

  it('a leftover break guard of a crashed breaker does not block breaking for long', async () => {
    const r = registry({ staleLockMs: 200, lockTimeoutMs: 5_000 });
    writeFileSync(r.lockFile, '');
    writeFileSync(`${r.lockFile}.break`, '');
    ageLock(r.lockFile, 60_000);
    const t0 = Date.now();
    await r.register('x', 1);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(readdirSync(r.home).sort()).toEqual(['services.json']);
  });
});
