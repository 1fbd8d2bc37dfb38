// Timers for any delay: a deadline past Node's 2^31 - 1 ms range is waited out in steps instead of
// firing at once with a TimeoutOverflowWarning, and Infinity never fires.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, safeTimeout, timerDelay } from '../src/safe-timer.js';

const DAY = 24 * 3600 * 1000;

afterEach(() => {
  vi.useRealTimers();
});

describe('timerDelay', () => {
  it('keeps delays in range and clamps the rest, NaN and negatives to 0', () => {
    expect(timerDelay(1500)).toBe(1500);
    expect(timerDelay(MAX_TIMER_MS)).toBe(MAX_TIMER_MS);
    expect(timerDelay(2 ** 31)).toBe(MAX_TIMER_MS);
    expect(timerDelay(Number.POSITIVE_INFINITY)).toBe(MAX_TIMER_MS);
    expect(timerDelay(-5)).toBe(0);
    expect(timerDelay(Number.NaN)).toBe(0);
  });
});

describe('safeTimeout', () => {
  it('fires a 25-day timer after 25 days, not before', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const fn = vi.fn();
    safeTimeout(fn, 25 * DAY);
    vi.advanceTimersByTime(1);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(MAX_TIMER_MS);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(25 * DAY - MAX_TIMER_MS - 10);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(20);
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(100 * DAY);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('never fires for Infinity, and a cancelled timer never fires', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const never = vi.fn();
    const cancelled = vi.fn();
    safeTimeout(never, Number.POSITIVE_INFINITY);
    const t = safeTimeout(cancelled, 50);
    t.cancel();
    vi.advanceTimersByTime(1000 * DAY);
    expect(never).not.toHaveBeenCalled();
    expect(cancelled).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fires a short timer on a later turn, never synchronously', async () => {
    const fn = vi.fn();
    safeTimeout(fn, 0);
    expect(fn).not.toHaveBeenCalled();
    await new Promise((r) => setTimeout(r, 5));
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('prints no TimeoutOverflowWarning for delays past the timer range', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const fn = vi.fn();
      const timers = [2 ** 31, 25 * DAY, Number.MAX_VALUE].map((ms) => safeTimeout(fn, ms));
      await new Promise((r) => setTimeout(r, 20));
      for (const t of timers) t.cancel();
      expect(fn).not.toHaveBeenCalled();
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
