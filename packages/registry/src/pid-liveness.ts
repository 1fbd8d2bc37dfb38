/**
 * Is the process that registered a service still the one alive under that PID? `kill(pid, 0)`
 * (EPERM counts as alive), plus a guard against PID reuse on Linux: a process that started well
 * after the entry's `started` time is not the one that registered.
 */
import { processStartTimeMs, readProcStat } from '@multifrost/protocol/internal';

export { processStartTimeMs };

const REUSE_SLACK_MS = 5_000;

export function isPidAlive(pid: unknown): boolean {
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * A killed process stays a zombie until its parent reaps it, and `kill(pid, 0)` still succeeds on
 * it; that can last seconds. On Linux, /proc tells the difference (elsewhere: not a zombie).
 */
function isZombie(pid: number): boolean {
  const state = readProcStat(pid)?.state;
  return state === 'Z' || state === 'X';
}

/**
 * Parses the `started` of any peer: ISO with Z (JS), local ISO without zone (Python, read as local
 * time), RFC3339 (Go `start_time`), or Unix seconds as a string (Rust).
 */
export function parseStarted(started: unknown): number | undefined {
  if (typeof started === 'number' && Number.isFinite(started)) return started > 1e12 ? started : started * 1000;
  if (typeof started !== 'string' || started.length === 0) return undefined;
  if (/^\d+(\.\d+)?$/.test(started)) return Number(started) * 1000;
  const t = Date.parse(started);
  return Number.isNaN(t) ? undefined : t;
}

/** Alive, and (where we can tell) the same process that registered at `started`. */
export function isRegistrantAlive(pid: unknown, started: unknown): boolean {
  if (!isPidAlive(pid)) return false;
  const registeredAt = parseStarted(started);
  if (registeredAt === undefined) return true;
  const startedAt = processStartTimeMs(pid as number);
  if (startedAt === undefined) return true;
  return startedAt <= registeredAt + REUSE_SLACK_MS;
}
