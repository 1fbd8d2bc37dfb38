// The worker's durations: refused with INVALID_ARGUMENT when not a number of ms, clamped beyond
// the timer range; and a call deadline 25 days away does not abort the handler's signal early.
import type { CallMessage } from '@multifrost/protocol';
import { MAX_TIMER_MS } from '@multifrost/protocol/internal';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CallState } from '../src/call-state.js';
import { workerDurations } from '../src/option-durations.js';

const DAY = 24 * 3600 * 1000;

afterEach(() => {
  vi.useRealTimers();
});

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'accepted';
}

describe('workerDurations', () => {
  it('fills in the defaults', () => {
    expect(workerDurations({})).toEqual({ shutdownGraceMs: 5000, parentCheckIntervalMs: 200 });
  });

  it('clamps Infinity and values past the timer range', () => {
    expect(workerDurations({ shutdownGraceMs: Number.POSITIVE_INFINITY, parentCheckIntervalMs: 2 ** 40 })).toEqual({
      shutdownGraceMs: MAX_TIMER_MS,
      parentCheckIntervalMs: MAX_TIMER_MS,
    });
  });

  it('refuses negatives, NaN, non-numbers, and a parent check interval of 0', () => {
    expect(code(() => workerDurations({ shutdownGraceMs: -1 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => workerDurations({ shutdownGraceMs: Number.NaN }))).toBe('INVALID_ARGUMENT');
    expect(code(() => workerDurations({ shutdownGraceMs: '5' as unknown as number }))).toBe('INVALID_ARGUMENT');
    expect(code(() => workerDurations({ parentCheckIntervalMs: 0 }))).toBe('INVALID_ARGUMENT');
    expect(workerDurations({ shutdownGraceMs: 0 }).shutdownGraceMs).toBe(0);
  });
});

describe('a call deadline past the timer range', () => {
  it('aborts the signal only when the 25 days are up', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const msg = {
      type: 'call',
      id: 'c1',
      function: 'f',
      namespace: 'default',
      metadata: { deadline: (Date.now() + 25 * DAY) / 1000 },
    } as unknown as CallMessage;
    const state = new CallState(msg);
    const signal = state.signal;
    vi.advanceTimersByTime(10);
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(MAX_TIMER_MS);
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(25 * DAY - MAX_TIMER_MS);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as { code: string }).code).toBe('TIMEOUT');
    state.dispose();
  });
});
