/**
 * The cross-language registry locks
 * ([protocol](../../../docs/protocol.md#connect-mode-and-the-registry)): files created with
 * O_CREAT|O_EXCL — `services.lock`, which the Python v4, Go and Rust peers take, and
 * `registry.lock`, which the v3 Python peer takes — holding our PID (informational only), removed
 * on release. A lock older than the stale age was left by a crashed holder and is broken; each
 * lock name is judged and broken on its own, the same way.
 *
 * Three hazards of a plain O_EXCL lock file, and what this module does about them:
 * - Two waiters both judge the lock stale; the first breaks it, a third process takes a fresh
 *   one, and the second waiter deletes that fresh lock. Breaking is therefore serialised by a
 *   second O_EXCL file (`services.lock.break`), the lock is re-checked under it, moved aside by
 *   rename (atomic: we remove exactly what we looked at) and put back if it turns out fresh.
 * - A holder slower than the stale age (a slow `bind()`) has its lock broken under it. While
 *   held, we touch the lock's mtime every few seconds (for at most the lock wait timeout), so only
 *   a dead or stuck holder's lock ages — for our waiters and for Go/Rust, which break at 10 s.
 * - A holder whose lock was broken anyway must not delete the next holder's lock on release: we
 *   unlink only if the path still names the file we created.
 *
 * The lock is looked at with lstat, never stat: a dangling symlink at `services.lock` makes every
 * O_EXCL create fail while stat cannot read its age, which blocked registration forever. A lock
 * is only ever a regular file, so a symlink there is broken at once, and anything else that is not
 * a regular file (a directory, a FIFO) is reported as what it is instead of waited on.
 */
import { promises as fs, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { MultifrostError } from '@multifrost/protocol';
import { pause } from '@multifrost/protocol/internal';
import { isPidAlive } from './pid-liveness.js';
import { readRegularFile } from './safe-read.js';

export interface LockOptions {
  /** Give up waiting after this long. */
  timeoutMs: number;
  /** A lock whose mtime is older than this is stale. */
  staleMs: number;
  /** Longest pause between attempts. */
  pollMs: number;
  /** Stops waiting for the lock (rejects with the signal's error); a held lock is unaffected. */
  signal?: AbortSignal;
}

/** Other peers break locks older than 10 s whatever our staleMs is; refresh well inside that. */
const PEER_STALE_MS = 10_000;

export async function withLock<T>(lockPath: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  return withLocks([lockPath], options, fn);
}

/**
 * Takes every lock, in the order given, within one shared `timeoutMs`, runs `fn`, and releases them
 * in reverse. The public peers take one lock name each (v3 Python `registry.lock`, the others
 * `services.lock`), so only holding all of them excludes every peer. Every process taking several
 * takes them in the same order (ours and the project's Python peer), so two of them never wait on
 * each other crosswise. A holder that dies between two acquisitions leaves only locks that age and
 * are broken like any crashed holder's.
 */
export async function withLocks<T>(
  lockPaths: readonly string[],
  options: LockOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const held: HeldLock[] = [];
  try {
    for (const lockPath of lockPaths) {
      held.push(
        await acquire(lockPath, { ...options, timeoutMs: Math.max(0, deadline - Date.now()) }, options.timeoutMs),
      );
    }
    return await fn();
  } finally {
    for (const lock of held.reverse()) await lock.release();
  }
}

interface HeldLock {
  release(): Promise<void>;
}

/**
 * `totalTimeoutMs`: the caller's whole wait, which `timeoutMs` may be what is left of; a held lock
 * is refreshed for that long (more locks may follow), and a timeout reports it.
 */
async function acquire(
  lockPath: string,
  { timeoutMs, staleMs, pollMs, signal }: LockOptions,
  totalTimeoutMs: number,
): Promise<HeldLock> {
  const deadline = Date.now() + timeoutMs;
  // Start polling fast and back off to pollMs: a lock is usually held for a few milliseconds, and a
  // fixed 100 ms poll serialises a burst of registrations into seconds. Jitter keeps waiters from
  // retrying in lock-step.
  let wait = 2;
  for (;;) {
    signal?.throwIfAborted();
    const held = await tryCreate(lockPath, staleMs, totalTimeoutMs);
    if (held) return held;
    const st = await statOrUndefined(lockPath);
    if (st && !st.isFile() && !st.isSymbolicLink()) throw notALock(lockPath, st);
    // A symlink was never made by a peer's O_EXCL create: stale whatever its age.
    const stale = st && (st.isSymbolicLink() || Date.now() - st.mtimeMs > staleMs);
    if (stale && (await breakStale(lockPath, staleMs))) continue;
    if (Date.now() >= deadline) throw await timeoutError(lockPath, totalTimeoutMs, staleMs);
    await pause(Math.max(1, Math.min(wait * (0.5 + Math.random()), pollMs, deadline - Date.now())), signal);
    wait = Math.min(wait * 2, pollMs);
  }
}

/** One O_EXCL attempt: the held lock, or undefined if someone else has it. */
async function tryCreate(lockPath: string, staleMs: number, maxRefreshMs: number): Promise<HeldLock | undefined> {
  let handle: FileHandle;
  try {
    handle = await fs.open(lockPath, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw new MultifrostError('REGISTRY_LOCKED', `Cannot create registry lock ${lockPath}: ${(err as Error).message}`, {
      cause: err,
      details: { lockPath },
    });
  }
  // Python writes its PID too; nobody may rely on it (Go's lock is empty), it only helps a human.
  await handle.writeFile(String(process.pid)).catch(() => undefined);
  const own = await handle.stat().catch(() => undefined);
  const refreshMs = Math.max(10, Math.floor(Math.min(staleMs, PEER_STALE_MS) / 3));
  const takenAt = Date.now();
  const refresh = setInterval(() => {
    // A holder stuck longer than anyone would wait for it (a bind() that never returns) stops
    // refreshing, so its lock ages out as a dead holder's would instead of blocking every peer.
    if (Date.now() - takenAt > maxRefreshMs) return clearInterval(refresh);
    const now = new Date();
    // Through our own descriptor: if the path was broken and re-taken, this touches only our file.
    handle.utimes(now, now).catch(() => undefined);
  }, refreshMs);
  refresh.unref();
  return {
    async release() {
      clearInterval(refresh);
      const current = await statOrUndefined(lockPath);
      // Close before unlinking: on Windows an open file can't be re-created until it is closed.
      await handle.close().catch(() => undefined);
      if (current && (!own || (current.ino === own.ino && current.dev === own.dev))) {
        await fs.unlink(lockPath).catch(() => undefined);
      }
    },
  };
}

/**
 * Breaks a stale lock; true if the caller should retry at once. Serialised by `<lock>.break` so
 * that only one waiter at a time can remove the lock, and it re-checks under that guard.
 */
async function breakStale(lockPath: string, staleMs: number): Promise<boolean> {
  const guardPath = `${lockPath}.break`;
  let guard: FileHandle;
  try {
    guard = await fs.open(guardPath, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return false;
    // A breaker holds the guard for a few milliseconds; one that has it for seconds crashed there.
    const st = await statOrUndefined(guardPath);
    if (st && Date.now() - st.mtimeMs > Math.min(staleMs, 2_000)) await fs.unlink(guardPath).catch(() => undefined);
    return false;
  }
  try {
    const st = await statOrUndefined(lockPath);
    if (!st) return true; // released meanwhile
    if (!st.isSymbolicLink() && Date.now() - st.mtimeMs <= staleMs) return false; // re-taken meanwhile: a live holder
    const aside = `${lockPath}.stale-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    try {
      await fs.rename(lockPath, aside);
    } catch {
      return true; // gone already
    }
    // Between our stat and the rename a slow holder could have released and someone re-taken the
    // lock (they don't need the guard to take it). Then what we moved is fresh: put it back; link
    // fails rather than clobbering if yet another process took the free path in between.
    const moved = await statOrUndefined(aside);
    const same = moved && moved.ino === st.ino && moved.dev === st.dev && moved.mtimeMs === st.mtimeMs;
    if (moved && !same && moved.isFile() && Date.now() - moved.mtimeMs <= staleMs)
      await fs.link(aside, lockPath).catch(() => undefined);
    await fs.unlink(aside).catch(() => undefined);
    return true;
  } finally {
    await guard.close().catch(() => undefined);
    await fs.unlink(guardPath).catch(() => undefined);
  }
}

async function timeoutError(lockPath: string, timeoutMs: number, staleMs: number): Promise<MultifrostError> {
  const st = await statOrUndefined(lockPath);
  const ageMs = st ? Math.max(0, Math.round(Date.now() - st.mtimeMs)) : undefined;
  const read = await readRegularFile(lockPath, 64);
  const content = read.kind === 'bytes' ? read.bytes.toString('utf8').trim() : '';
  const pid = /^\d+$/.test(content) ? Number(content) : undefined;
  const holder = pid === undefined ? '' : `, held by PID ${pid}${isPidAlive(pid) ? '' : ', not running'}`;
  return new MultifrostError(
    'REGISTRY_LOCKED',
    `Registry lock ${lockPath} still taken after ${timeoutMs} ms (lock age ${ageMs === undefined ? 'unknown' : `${ageMs} ms`}${holder}); it is broken once older than ${staleMs} ms`,
    { details: { lockPath, ageMs, pid, timeoutMs, staleMs } },
  );
}

function notALock(lockPath: string, st: Stats): MultifrostError {
  const what = st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : 'not a regular file';
  return new MultifrostError(
    'REGISTRY_LOCKED',
    `Registry lock ${lockPath} is ${what}, which no peer creates; remove it to let registrations through`,
    { details: { lockPath } },
  );
}

/** lstat: the lock path itself, never what a symlink there points to. */
async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(p);
  } catch {
    return undefined;
  }
}
