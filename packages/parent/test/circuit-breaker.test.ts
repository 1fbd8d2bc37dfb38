import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, type CircuitState } from '../src/circuit-breaker.js';

// The open → half-open move is a timer, so the clock here is vitest's fake one.
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function breaker(threshold = 3, resetMs = 1000) {
  const changes: CircuitState[] = [];
  const cb = new CircuitBreaker({ failureThreshold: threshold, resetTimeoutMs: resetMs }, (s) => changes.push(s));
  return { cb, changes, advance: (ms: number) => vi.advanceTimersByTime(ms) };
}

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures and fails fast', () => {
    const { cb, changes } = breaker(3);
    cb.failure();
    cb.failure();
    expect(cb.state).toBe('closed');
    expect(cb.admit()).toBe(true);
    cb.failure();
    expect(cb.state).toBe('open');
    expect(cb.admit()).toBe(false);
    expect(cb.trips).toBe(1);
    expect(changes).toEqual(['open']);
  });

  it('a success resets the count', () => {
    const { cb } = breaker(2);
    cb.failure();
    cb.success();
    cb.failure();
    expect(cb.state).toBe('closed');
  });

  it('allows exactly one probe after the reset delay and closes on its success', () => {
    const { cb, changes, advance } = breaker(1, 1000);
    cb.failure();
    advance(999);
    expect(cb.admit()).toBe(false);
    advance(1);
    expect(cb.state).toBe('half-open');
    expect(cb.admit()).toBe('probe');
    expect(cb.admit()).toBe(false);
    cb.success();
    expect(cb.state).toBe('closed');
    expect(changes).toEqual(['open', 'half-open', 'closed']);
  });

  it('re-opens when the probe fails', () => {
    const { cb, advance } = breaker(1, 500);
    cb.failure();
    advance(500);
    expect(cb.admit()).toBe('probe');
    cb.failure();
    expect(cb.state).toBe('open');
    expect(cb.trips).toBe(2);
    advance(499);
    expect(cb.admit()).toBe(false);
  });

  it('a released probe lets another probe through', () => {
    const { cb, advance } = breaker(1, 10);
    cb.failure();
    advance(10);
    expect(cb.admit()).toBe('probe');
    cb.releaseProbe();
    expect(cb.admit()).toBe('probe');
  });
});
