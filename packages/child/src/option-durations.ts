/**
 * The worker's millisecond options, checked once at construction (docs/api.md, "Durations"): a
 * value that is not a non-negative number is refused with INVALID_ARGUMENT rather than becoming a
 * 1 ms timer, and anything beyond Node's timer range (2^31 - 1 ms), Infinity included, is clamped
 * to it. For the shutdown grace that means "wait for the calls in flight"; the parent check
 * interval must be positive, since 0 would poll without pause.
 */
import { MultifrostError } from '@multifrost/protocol';
import { MAX_TIMER_MS } from '@multifrost/protocol/internal';
import type { ChildWorkerOptions } from './child-worker-options.js';

export interface WorkerDurations {
  shutdownGraceMs: number;
  parentCheckIntervalMs: number;
}

export function workerDurations(options: ChildWorkerOptions): WorkerDurations {
  return {
    shutdownGraceMs: duration(options.shutdownGraceMs, 'shutdownGraceMs', 5_000, false),
    parentCheckIntervalMs: duration(options.parentCheckIntervalMs, 'parentCheckIntervalMs', 200, true),
  };
}

function duration(value: number | undefined, name: string, fallback: number, positive: boolean): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (positive && value === 0)) {
    throw new MultifrostError(
      'INVALID_ARGUMENT',
      `${name} must be a ${positive ? 'positive' : 'non-negative'} number of milliseconds, got ${String(value)}`,
      { details: { option: name } },
    );
  }
  return Math.min(value, MAX_TIMER_MS);
}
