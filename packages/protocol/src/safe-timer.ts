/**
 * Timers for any duration. Node's timers hold a signed 32-bit delay: anything at or above 2^31 ms
 * (about 24.8 days), and Infinity, becomes a 1 ms timer with a TimeoutOverflowWarning. A long
 * deadline is real (a 25-day batch job), so instead of refusing it, it is waited out in steps of
 * the longest delay Node can hold; Infinity never fires. Both the parent and the worker arm call
 * deadlines, hence this lives here.
 */

/** The longest delay `setTimeout`/`setInterval` take as given (2^31 - 1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A delay Node's timers take without overflowing: [0, MAX_TIMER_MS]; NaN counts as 0. */
export function timerDelay(ms: number): number {
  if (!(ms > 0)) return 0;
  return ms > MAX_TIMER_MS ? MAX_TIMER_MS : ms;
}

export interface SafeTimer {
  cancel(): void;
}

/**
 * Calls `fn` once after `ms` (any non-negative number; Infinity: never). Unref'd: a far deadline
 * must not keep a process alive by itself, and callers hold the process open by other means.
 */
export function safeTimeout(fn: () => void, ms: number): SafeTimer {
  if (ms === Number.POSITIVE_INFINITY) return { cancel() {} };
  const due = performance.now() + (ms > 0 ? ms : 0);
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const left = due - performance.now();
    if (left <= 0 && timer !== undefined) {
      timer = undefined;
      fn();
      return;
    }
    timer = setTimeout(arm, timerDelay(left));
    timer.unref();
  };
  arm();
  return {
    cancel() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
