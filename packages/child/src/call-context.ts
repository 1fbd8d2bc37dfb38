/**
 * The context of the call a handler is serving: its id, function, namespace, and an AbortSignal
 * that fires when the parent cancels the call or its deadline passes. Reached from anywhere inside
 * the handler (including after awaits) through `callContext()`.
 *
 * Cost model. On Node 20 an AsyncLocalStorage that is in use installs promise hooks, and while
 * they are installed *every* promise in the process is several times slower (measured: an await
 * goes from ~120 ns to ~500 ns), sockets included. A handler that finishes synchronously does
 * not need them: its context is simply "the call being run right now". So:
 * - a method that is an `async function`, or that returned a promise before, runs inside the
 *   AsyncLocalStorage, which follows its awaits;
 * - any other method runs with a plain "current call" slot set around it, and pays nothing;
 * - when the last call running inside the AsyncLocalStorage ends, it is disabled again, so a
 *   worker whose handlers are synchronous never pays for the hooks.
 * The one case this misses: a plain (non-async) method that returns a promise for the first
 * time, and reads `callContext()` in a continuation. Its later calls carry the context.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface CallContext {
  /** The call id (the parent's correlation id). */
  readonly id: string;
  readonly functionName: string;
  readonly namespace: string;
  /** The caller's `client_name`, when it sent one. */
  readonly clientName: string | undefined;
  /** Fires on `cancel` from the parent, on the call's deadline, or when the worker stops. */
  readonly signal: AbortSignal;
  /** The deadline the parent set (ms since the epoch), if any. */
  readonly deadline: number | undefined;
}

type Handler = (...args: unknown[]) => unknown;

const storage = new AsyncLocalStorage<CallContext>();
/** The call whose handler is running synchronously right now (not inside the storage). */
let running: CallContext | undefined;
/** Calls started inside the storage whose handlers have not settled yet. */
let storedCalls = 0;
/** Plain methods seen returning a promise: from then on they run inside the storage. */
const returnsPromises = new WeakSet<Handler>();

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as unknown;
const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {}).constructor as unknown;

function needsStorage(method: Handler): boolean {
  const ctor = method.constructor;
  return ctor === AsyncFunction || ctor === AsyncGeneratorFunction || returnsPromises.has(method);
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

function apply(method: Handler, self: unknown, args: unknown[]): unknown {
  return method.apply(self, args);
}

/**
 * Runs `method` for the call `ctx`, with the context reachable through `callContext()`. Returns
 * what the method returned (a thenable for async handlers) and whether it ran inside the storage;
 * if it did, `storedCallDone()` must be called once that value has settled. A throw is counted
 * out here.
 */
export function runHandler(
  ctx: CallContext,
  method: Handler,
  self: unknown,
  args: unknown[],
): { value: unknown; stored: boolean } {
  if (needsStorage(method)) {
    storedCalls++;
    try {
      return { value: storage.run(ctx, apply, method, self, args), stored: true };
    } catch (err) {
      // A plain method seen returning promises may still throw at once: it is over, count it out.
      storedCallDone();
      throw err;
    }
  }
  const outer = running;
  running = ctx;
  try {
    const value = method.apply(self, args);
    if (isThenable(value)) returnsPromises.add(method);
    return { value, stored: false };
  } finally {
    running = outer;
  }
}

/**
 * Runs one step of a call already started by `runHandler` (a stream's `next()` or `return()`) with
 * its context reachable again: a generator's body runs inside `next()`, not inside the call that
 * made the generator. `stored` is what `runHandler` returned for it.
 */
export function resumeHandler<R>(ctx: CallContext, stored: boolean, step: () => R): R {
  if (stored) return storage.run(ctx, step);
  const outer = running;
  running = ctx;
  try {
    return step();
  } finally {
    running = outer;
  }
}

/** Marks the end of a call started by `runHandler` with `stored: true`. */
export function storedCallDone(): void {
  if (--storedCalls === 0) {
    // Nothing left that needs its context carried across awaits: take the promise hooks out.
    storage.disable();
  }
}

/**
 * The context of the call being handled. Throws when called outside a handler, since a signal
 * that never fires would silently hide a bug.
 */
export function callContext(): CallContext {
  const ctx = currentCall();
  if (!ctx) throw new Error('callContext() can only be used while a Multifrost call is being handled');
  return ctx;
}

/** Like `callContext()`, but undefined outside a handler. */
export function currentCall(): CallContext | undefined {
  return running ?? (storedCalls > 0 ? storage.getStore() : undefined);
}
