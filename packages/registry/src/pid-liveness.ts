/**
 * Is the process that registered a service still the one alive under that PID? `kill(pid, 0)`
 * (EPERM counts as alive), plus a guard against PID reuse on Linux: a process that started well
 * after the entry's `started` time is not the one that registered.
 */
import { readFileSync } from 'node:fs';

const REUSE_SLACK_MS = 5_000;
let bootTimeMs: number | undefined | null;

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
 * it; that can last seconds. On Linux, /proc tells the difference.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state === 'Z' || state === 'X';
  } catch {
    return false;
  }
}

function readBootTimeMs(): number | null {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    return m ? Number(m[1]) * 1000 : null;
  } catch {
    return null;
  }
}

/** When the process started (ms since the epoch), from /proc; undefined where unavailable. */
export function processStartTimeMs(pid: number): number | undefined {
  if (bootTimeMs === undefined) bootTimeMs = readBootTimeMs();
  if (bootTimeMs === null) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[19]); // field 22 overall
    if (!Number.isFinite(startTicks)) return undefined;
    // /proc counts in USER_HZ, which the kernel fixes at 100 on every Linux architecture Node runs
    // on (whatever CONFIG_HZ is), so no `getconf CLK_TCK` subprocess is needed.
    return bootTimeMs + (startTicks * 1000) / 100;
  } catch {
    return undefined;
  }
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
