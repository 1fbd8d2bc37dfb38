/**
 * Is the process that registered a service still the one alive under that PID? `kill(pid, 0)`
 * (EPERM counts as alive), plus a guard against PID reuse on Linux: a process that started well
 * after the entry's `started` time is not the one that registered. Only a time that pins the
 * moment down can give that verdict (see `latestRegistrationMs`).
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
 * Parses the `started` of any peer: ISO with Z (JS), local ISO without zone (Python, read as our
 * local time, so only a guess: the reuse check uses `latestRegistrationMs`), RFC3339 (Go
 * `start_time`), or Unix seconds as a string (Rust).
 */
export function parseStarted(started: unknown): number | undefined {
  if (typeof started === 'number' && Number.isFinite(started)) return started > 1e12 ? started : started * 1000;
  if (typeof started !== 'string' || started.length === 0) return undefined;
  if (/^\d+(\.\d+)?$/.test(started)) return Number(started) * 1000;
  const t = Date.parse(started);
  return Number.isNaN(t) ? undefined : t;
}

/** The widest gap between a local wall clock and UTC (UTC-12 to UTC+14), rounded up to both sides. */
export const ZONE_SLACK_MS = 14 * 60 * 60 * 1000;

/**
 * Before this, a `started` is a placeholder, not a time: Go writes `0001-01-01T00:00:00Z` for the
 * entries it did not create, and a `0` from anyone means "unknown" just the same.
 */
export const EARLIEST_REAL_START_MS = Date.UTC(1971, 0, 1);

const ZONED_ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;
const NAIVE_ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?$/;

/**
 * The latest moment the registration behind `started` can have been written, or undefined when
 * `started` says nothing usable: unparseable, or a placeholder before 1971. A time without a zone
 * (Python's `datetime.now().isoformat()`) is the writer's local wall clock, and the writer may be
 * in any zone, so it can be as late as that wall clock read as UTC plus 14 h.
 */
export function latestRegistrationMs(started: unknown): number | undefined {
  let latest: number | undefined;
  if (typeof started === 'number') latest = parseStarted(started);
  else if (typeof started === 'string') {
    const naive = NAIVE_ISO.exec(started);
    if (naive) {
      const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = ''] = naive;
      const wallAsUtc = Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +sec, Number(frac.slice(0, 3).padEnd(3, '0')));
      latest = wallAsUtc + ZONE_SLACK_MS;
    } else if (ZONED_ISO.test(started) || /^\d+(\.\d+)?$/.test(started)) {
      latest = parseStarted(started);
    }
    // Anything else (a date in some other words) may or may not name a zone: no verdict from it.
  }
  return latest !== undefined && Number.isFinite(latest) && latest >= EARLIEST_REAL_START_MS ? latest : undefined;
}

/**
 * Alive, and (where we can tell) the same process that registered at `started`. The verdict
 * "reused" needs the process to have started after the latest moment the registration can have
 * been written, so a `started` without a zone or with a placeholder time never condemns a live
 * registrant.
 */
export function isRegistrantAlive(pid: unknown, started: unknown): boolean {
  if (!isPidAlive(pid)) return false;
  const registeredBy = latestRegistrationMs(started);
  if (registeredBy === undefined) return true;
  const startedAt = processStartTimeMs(pid as number);
  if (startedAt === undefined) return true;
  return startedAt <= registeredBy + REUSE_SLACK_MS;
}
