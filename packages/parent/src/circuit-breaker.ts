/**
 * Circuit breaker (pure logic): counts transport failures (timeouts, exits, unresponsive, send
 * failures), never application errors. Opens after N consecutive failures, lets one probe call
 * through after a reset delay (half-open), and closes on that probe's success. The public peers
 * never close their breaker once open; this one always can. The move from open to half-open is
 * made by a timer, so reading `state` never changes it and no event fires from a getter.
 */
import { durationMs } from './durations.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive transport failures that open the circuit. Default 5. */
  failureThreshold?: number;
  /**
   * Time the circuit stays open before a probe is allowed. Default 10000 ms. A negative or NaN
   * value is refused with INVALID_ARGUMENT; anything above 2^31 - 1 ms (Infinity too) is clamped
   * to it, which in practice means the circuit stays open.
   */
  resetTimeoutMs?: number;
}

export class CircuitBreaker {
  private failures = 0;
  private stateValue: CircuitState = 'closed';
  private probeInFlight = false;
  private timer: NodeJS.Timeout | undefined;
  trips = 0;
  readonly failureThreshold: number;
  readonly resetTimeoutMs: number;

  constructor(
    options: CircuitBreakerOptions = {},
    private readonly onChange: (state: CircuitState) => void = () => {},
  ) {
    this.failureThreshold = Math.max(1, options.failureThreshold ?? 5);
    this.resetTimeoutMs = durationMs(options.resetTimeoutMs, 'circuitBreaker.resetTimeoutMs', 10_000);
  }

  get state(): CircuitState {
    return this.stateValue;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /**
   * Asks to send a call. Returns 'probe' when this call is the half-open probe (its outcome decides
   * the circuit), true when allowed normally, false when the call must fail fast.
   */
  admit(): boolean | 'probe' {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'half-open' && !this.probeInFlight) {
      this.probeInFlight = true;
      return 'probe';
    }
    return false;
  }

  success(): void {
    this.failures = 0;
    this.probeInFlight = false;
    if (this.stateValue !== 'closed') this.set('closed');
  }

  failure(): void {
    this.failures++;
    this.probeInFlight = false;
    if (this.stateValue === 'half-open' || (this.stateValue === 'closed' && this.failures >= this.failureThreshold)) {
      this.trips++;
      this.set('open');
      this.armHalfOpen();
    }
  }

  /** A probe that ended without telling us anything (aborted, encode error): let another try. */
  releaseProbe(): void {
    this.probeInFlight = false;
  }

  reset(): void {
    this.success();
  }

  /** Stops the half-open timer (the worker is closed). */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private armHalfOpen(): void {
    this.dispose();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stateValue === 'open') this.set('half-open');
    }, this.resetTimeoutMs);
    // An open circuit alone must not keep the process alive.
    this.timer.unref();
  }

  private set(state: CircuitState): void {
    if (state === this.stateValue) return;
    if (state !== 'open') this.dispose();
    this.stateValue = state;
    this.onChange(state);
  }
}
