/**
 * The context of the call a handler is serving: its id, function, namespace, and an AbortSignal
 * that fires when the parent cancels the call or its deadline passes. Reached from anywhere inside
 * the handler (including after awaits) through `callContext()`.
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

export const callStorage = new AsyncLocalStorage<CallContext>();

/**
 * The context of the call being handled. Throws when called outside a handler, since a signal
 * that never fires would silently hide a bug.
 */
export function callContext(): CallContext {
  const ctx = callStorage.getStore();
  if (!ctx) throw new Error('callContext() can only be used while a Multifrost call is being handled');
  return ctx;
}

/** Like `callContext()`, but undefined outside a handler. */
export function currentCall(): CallContext | undefined {
  return callStorage.getStore();
}
