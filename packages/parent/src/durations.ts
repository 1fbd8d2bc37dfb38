/**
 * Reading the millisecond options: one check, one wording, one rule for values beyond what Node's
 * timers hold (2^31 - 1 ms, about 24.8 days; see docs/api.md, "Durations"). A value that is not
 * a non-negative number is refused with INVALID_ARGUMENT. A call timeout keeps its value, however
 * large, because the call table and the worker wait out long deadlines in steps (safeTimeout);
 * Infinity means none. Every other duration is clamped to 2^31 - 1 ms, so a grace, interval or
 * start limit of Infinity means "effectively never" and can never become a 1 ms timer. A call
 * timeout of 0 is refused rather than silently meaning "never", since a caller who writes 0 rarely
 * means forever.
 */
import { MAX_TIMER_MS } from '@multifrost/protocol/internal';
import * as messages from './messages.js';
import type { RestartOptions } from './options.js';

/** A non-negative number of ms, clamped to the timer range, or `fallback` when not given. */
export function durationMs(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) throw messages.invalidMs(name, value);
  return Math.min(value, MAX_TIMER_MS);
}

/** A call timeout: more than 0, kept as given (the deadline may be far), `Infinity` for none. */
export function timeoutMs(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) throw messages.invalidMs(name, value);
  if (value === 0) throw messages.zeroTimeout(name);
  return value;
}

/** `autoRestart` with its delays checked and clamped, so a backoff can never be a 1 ms loop. */
export function restartOptions(options: RestartOptions): RestartOptions {
  const checked: RestartOptions = { ...options };
  if (options.initialDelayMs !== undefined)
    checked.initialDelayMs = durationMs(options.initialDelayMs, 'autoRestart.initialDelayMs', 100);
  if (options.maxDelayMs !== undefined)
    checked.maxDelayMs = durationMs(options.maxDelayMs, 'autoRestart.maxDelayMs', 5_000);
  return checked;
}
