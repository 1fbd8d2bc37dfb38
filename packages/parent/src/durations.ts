/**
 * Reading the millisecond options: one check, one wording. A call timeout of 0 is refused rather
 * than silently meaning "never", since a caller who writes 0 rarely means forever.
 */
import * as messages from './messages.js';

/** A non-negative number of ms, or `fallback` when not given. */
export function durationMs(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) throw messages.invalidMs(name, value);
  return value;
}

/** A call timeout: more than 0, `Infinity` for none. */
export function timeoutMs(value: number | undefined, name: string, fallback: number): number {
  const ms = durationMs(value, name, fallback);
  if (ms === 0) throw messages.zeroTimeout(name);
  return ms;
}
