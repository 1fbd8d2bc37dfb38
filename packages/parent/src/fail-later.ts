/**
 * Fast-fail rejections (CIRCUIT_OPEN, CLOSED, NOT_RUNNING, an aborted signal, a send that fails at
 * once) settle on a later turn of the event loop, never in the turn that made the call.
 *
 * Why: a retry loop of the usual shape, `while (!stop) { try { await w.call.f() } catch {} }`,
 * awaiting a promise that is already rejected, only ever runs microtasks. The event loop then
 * never reaches I/O or timers, so the half-open probe's reply is never read and no timeout fires:
 * the process spins forever (issue 14 item 8). `setImmediate` runs after the I/O poll phase, so
 * each failed attempt lets I/O and timers through, at a cost of one loop turn per failure.
 *
 * The host's `setImmediate` is taken once, when this module loads: the deferral is part of the
 * library's contract, and a fake clock installed later (tests of code that uses the library)
 * must not turn every fast failure into a promise that never settles.
 */
const hostSetImmediate = globalThis.setImmediate;

/** Runs `fn(...args)` on a later turn of the event loop, after pending I/O and timers. */
export function later<A extends unknown[]>(fn: (...args: A) => void, ...args: A): void {
  hostSetImmediate(() => fn(...args));
}

export function failLater(error: Error): Promise<never> {
  return new Promise<never>((_, reject) => later(reject, error));
}
