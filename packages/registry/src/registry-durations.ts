/**
 * The registry's millisecond options (docs/api.md, "Durations"): a value that is not a
 * non-negative number is refused with INVALID_ARGUMENT, since NaN would make a deadline that never
 * passes and a negative one a loop with no pause. Timeouts keep their value (Infinity: wait for as
 * long as it takes); the poll interval must be more than 0 and, like the stale-lock age, is
 * clamped to what Node's timers hold (2^31 - 1 ms), so it can never become a 1 ms timer.
 */
import { MultifrostError } from '@multifrost/protocol';
import { MAX_TIMER_MS } from '@multifrost/protocol/internal';

export type DurationKind = 'timeout' | 'clamped' | 'interval';

export function registryMs(value: number | undefined, name: string, fallback: number, kind: DurationKind): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (kind === 'interval' && value === 0)) {
    throw new MultifrostError(
      'INVALID_ARGUMENT',
      `${name} must be a ${kind === 'interval' ? 'positive' : 'non-negative'} number of milliseconds, got ${String(value)}`,
      { details: { option: name } },
    );
  }
  return kind === 'timeout' ? value : Math.min(value, MAX_TIMER_MS);
}
