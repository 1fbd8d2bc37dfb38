// Every duration is valid or refused with INVALID_ARGUMENT, and none can become a 1 ms timer: call
// timeouts keep their value (far deadlines are waited out in steps), other durations are clamped.
import { MAX_TIMER_MS } from '@multifrost/protocol/internal';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from '../src/circuit-breaker.js';
import { Deadlines } from '../src/deadlines.js';
import { durationMs, restartOptions, timeoutMs } from '../src/durations.js';
import { heartbeatOptions } from '../src/heartbeat.js';

const DAY = 24 * 3600 * 1000;

afterEach(() => {
  vi.useRealTimers();
});

function refused(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'accepted';
}

describe('durationMs', () => {
  it('refuses what is not a non-negative number', () => {
    for (const bad of [-1, Number.NaN, Number.NEGATIVE_INFINITY, '5' as unknown as number, null as unknown as number])
      expect(refused(() => durationMs(bad, 'closeGraceMs', 5000))).toBe('INVALID_ARGUMENT');
  });

  it('keeps values in the timer range, clamps Infinity and larger values to 2^31 - 1 ms', () => {
    expect(durationMs(undefined, 'closeGraceMs', 5000)).toBe(5000);
    expect(durationMs(0, 'closeGraceMs', 5000)).toBe(0);
    expect(durationMs(1234, 'closeGraceMs', 5000)).toBe(1234);
    expect(durationMs(2 ** 31, 'closeGraceMs', 5000)).toBe(MAX_TIMER_MS);
    expect(durationMs(Number.POSITIVE_INFINITY, 'closeGraceMs', 5000)).toBe(MAX_TIMER_MS);
  });
});

describe('timeoutMs', () => {
  it('refuses 0 and what is not a non-negative number, naming the option', () => {
    expect(refused(() => timeoutMs(0, 'timeoutMs', 60_000))).toBe('INVALID_ARGUMENT');
    expect(() => timeoutMs(0, 'timeoutMs', 60_000)).toThrow(/timeoutMs must be more than 0 ms/);
    expect(refused(() => timeoutMs(-5, 'timeoutMs', 60_000))).toBe('INVALID_ARGUMENT');
    expect(refused(() => timeoutMs(Number.NaN, 'timeoutMs', 60_000))).toBe('INVALID_ARGUMENT');
  });

  it('keeps a far deadline as given and Infinity as none', () => {
    expect(timeoutMs(25 * DAY, 'timeoutMs', 60_000)).toBe(25 * DAY);
    expect(timeoutMs(Number.POSITIVE_INFINITY, 'timeoutMs', 60_000)).toBe(Number.POSITIVE_INFINITY);
    expect(timeoutMs(undefined, 'timeoutMs', 60_000)).toBe(60_000);
  });
});

describe('the options built on them', () => {
  it('heartbeat interval and timeout of Infinity are clamped, never a spinning timer', () => {
    const hb = heartbeatOptions({ heartbeatIntervalMs: Number.POSITIVE_INFINITY, heartbeatTimeoutMs: 2 ** 40 });
    expect(hb.intervalMs).toBe(MAX_TIMER_MS);
    expect(hb.timeoutMs).toBe(MAX_TIMER_MS);
    expect(refused(() => heartbeatOptions({ heartbeatIntervalMs: -1 }))).toBe('INVALID_ARGUMENT');
  });

  it('restart delays are checked and clamped', () => {
    expect(restartOptions({ initialDelayMs: Number.POSITIVE_INFINITY, maxDelayMs: 2 ** 33 })).toEqual({
      initialDelayMs: MAX_TIMER_MS,
      maxDelayMs: MAX_TIMER_MS,
    });
    expect(restartOptions({ maxAttempts: 2 })).toEqual({ maxAttempts: 2 });
    expect(refused(() => restartOptions({ initialDelayMs: Number.NaN }))).toBe('INVALID_ARGUMENT');
  });

  it('a circuit breaker reset of Infinity keeps the circuit open instead of probing at once', () => {
    vi.useFakeTimers();
    expect(refused(() => new CircuitBreaker({ resetTimeoutMs: Number.NaN }))).toBe('INVALID_ARGUMENT');
    const cb = new CircuitBreaker({ failureThreshold: 1, resetTimeoutMs: Number.POSITIVE_INFINITY });
    cb.failure();
    expect(cb.state).toBe('open');
    vi.advanceTimersByTime(DAY);
    expect(cb.state).toBe('open');
  });
});

describe('Deadlines with a deadline past the timer range', () => {
  it('expires nothing early and expires the call when its 25 days are up', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const expired: number[] = [];
    let pending: number | undefined;
    const deadlines = new Deadlines((now) => {
      if (pending !== undefined && pending <= now) {
        expired.push(pending);
        pending = undefined;
      }
      return pending ?? Number.POSITIVE_INFINITY;
    });
    pending = performance.now() + 25 * DAY;
    deadlines.add(pending);
    vi.advanceTimersByTime(10);
    vi.advanceTimersByTime(MAX_TIMER_MS);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(25 * DAY - MAX_TIMER_MS);
    expect(expired).toHaveLength(1);
    deadlines.clear();
  });
});
