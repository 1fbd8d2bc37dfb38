/**
 * The cross-language registry lock (PROTOCOL.md §7): `services.lock` created with O_CREAT|O_EXCL —
 * the lock the Python v4, Go and Rust peers take — removed on release. A lock older than the stale
 * age was left by a crashed holder and is broken; breaking renames it away first, so two waiters
 * can never both delete a fresh lock someone just took.
 */
import { promises as fs } from 'node:fs';
import { MultifrostError } from '@multifrost/protocol';

export interface LockOptions {
  timeoutMs: number;
  staleMs: number;
  pollMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function withLock<T>(lockPath: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  await acquire(lockPath, options);
  try {
    return await fn();
  } finally {
    await fs.unlink(lockPath).catch(() => undefined);
  }
}

async function acquire(lockPath: string, { timeoutMs, staleMs, pollMs }: LockOptions): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // Start polling fast and back off to pollMs: a lock is usually held for a few milliseconds, and
  // a fixed 100 ms poll would serialise a burst of registrations into seconds. Jitter keeps
  // waiters from retrying in lock-step.
  let wait = 2;
  for (;;) {
    try {
      const handle = await fs.open(lockPath, 'wx', 0o600);
      await handle.writeFile(String(process.pid)).catch(() => undefined);
      await handle.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new MultifrostError('REGISTRY_LOCKED', `Cannot create registry lock ${lockPath}: ${(err as Error).message}`, { cause: err });
      }
    }
    const age = await lockAge(lockPath);
    if (age !== undefined && age > staleMs) {
      await breakStale(lockPath, staleMs);
      continue;
    }
    if (Date.now() >= deadline) {
      const holder = await fs.readFile(lockPath, 'utf8').catch(() => '');
      const pid = /^\d+$/.test(holder.trim()) ? `, held by PID ${holder.trim()}` : '';
      throw new MultifrostError(
        'REGISTRY_LOCKED',
        `Registry lock ${lockPath} still taken after ${timeoutMs} ms (lock age ${age === undefined ? 'unknown' : `${Math.round(age)} ms`}${pid}); it is broken once older than ${staleMs} ms`,
        { details: { lockPath, ageMs: age } },
      );
    }
    await sleep(Math.min(wait * (0.5 + Math.random()), pollMs, Math.max(1, deadline - Date.now())));
    wait = Math.min(wait * 2, pollMs);
  }
}

async function lockAge(lockPath: string): Promise<number | undefined> {
  try {
    const st = await fs.stat(lockPath);
    return Date.now() - st.mtimeMs;
  } catch {
    return undefined;
  }
}

async function breakStale(lockPath: string, staleMs: number): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  try {
    await fs.rename(lockPath, aside);
  } catch {
    return; // someone else broke or released it
  }
  // If what we moved was fresh (taken between our stat and rename), put it back.
  try {
    const st = await fs.stat(aside);
    if (Date.now() - st.mtimeMs <= staleMs) {
      await fs.link(aside, lockPath).catch(() => undefined);
    }
  } finally {
    await fs.unlink(aside).catch(() => undefined);
  }
}
