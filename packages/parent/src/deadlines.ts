/**
 * Call timeouts with one timer per worker instead of one per call. A timer per call costs a
 * Timeout object (kept alive as long as the call is in flight) and two timer-list operations; with
 * thousands of calls in flight that is memory and collector work on every call. Here the timer is
 * set for the earliest deadline that may still be pending; when it fires, the owner expires what is
 * due and names the next deadline. Calls that share a timeout (the default) arrive in deadline
 * order, so the timer is set once per timeout period, not once per call.
 *
 * A deadline beyond Node's timer range (2^31 - 1 ms) is reached in steps: the timer fires early,
 * `expire` finds nothing due and names the same deadline again, and the timer is set once more.
 */
import { timerDelay } from '@multifrost/protocol/internal';

export class Deadlines {
  private timer: NodeJS.Timeout | undefined;
  /** The deadline the timer is set for (ms, performance.now() clock); Infinity when unset. */
  private armedFor = Infinity;

  /**
   * @param expire called when the timer fires, with the current time: must reject every call whose
   *   deadline has passed and return the earliest deadline still pending (Infinity for none).
   */
  constructor(private readonly expire: (now: number) => number) {}

  /** A call with this deadline is now pending. */
  add(deadline: number): void {
    if (deadline < this.armedFor) this.arm(deadline);
  }

  /** No call is pending any more (close). */
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private arm(deadline: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = deadline;
    this.timer = setTimeout(this.fire, timerDelay(deadline - performance.now()));
    // The worker's socket and process keep the event loop alive while calls are pending; this timer
    // must not keep it alive after the last call, since it is not cleared when calls settle.
    this.timer.unref();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedFor = Infinity;
    const next = this.expire(performance.now());
    if (next < this.armedFor && Number.isFinite(next)) this.arm(next);
  };
}
