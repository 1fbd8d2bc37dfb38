/**
 * Errors on the wire ([protocol](../../../docs/protocol.md#errors)): turning a thrown value into
 * an `error` message's fields on the child side, and an `error` message back into name, message
 * and stack on the parent side, whichever peer sent it (ours adds `error_type`/`traceback`; Python sends `"<Class>: msg\n<tb>"`).
 */
import type { ErrorInit, ErrorMessage } from './messages.js';

/** What a child sends for anything a handler threw (an Error or not). */
export function errorInitFrom(thrown: unknown): ErrorInit {
  if (thrown instanceof Error) {
    const init: ErrorInit = { name: thrown.name || 'Error', message: thrown.message };
    if (thrown.stack) init.stack = thrown.stack;
    const code = (thrown as { code?: unknown }).code;
    if (typeof code === 'string' || typeof code === 'number') init.code = String(code);
    return init;
  }
  if (typeof thrown === 'object' && thrown !== null) {
    const o = thrown as { name?: unknown; message?: unknown };
    if (typeof o.message === 'string') {
      return { name: typeof o.name === 'string' ? o.name : 'Error', message: o.message };
    }
  }
  let text: string;
  try {
    text = typeof thrown === 'string' ? thrown : (JSON.stringify(thrown) ?? String(thrown));
  } catch {
    text = String(thrown);
  }
  return { name: 'Error', message: text };
}

export interface ParsedRemoteError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

/**
 * A class name, dotted or not: Python 3 names may hold any Unicode letter (`class Ошибка`), so the
 * pattern is by Unicode category (XID-like), not ASCII.
 */
const NAME_PREFIX = /^([\p{L}\p{Nl}_$][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}$.]*): ?/u;
const PY_TRACEBACK = '\nTraceback (most recent call last):';

/** Reads name, message and stack out of an `error` message from any peer. */
export function parseRemoteError(
  msg: Pick<ErrorMessage, 'error' | 'error_type' | 'traceback' | 'error_code'>,
): ParsedRemoteError {
  let text = msg.error;
  let stack = msg.traceback;
  // Python appends its traceback to `error`; it belongs in the stack, not the message.
  const at = text.indexOf(PY_TRACEBACK);
  if (at >= 0) {
    stack ??= text.slice(at + 1);
    text = text.slice(0, at);
  }
  let name = msg.error_type;
  if (name !== undefined) {
    if (text.startsWith(`${name}: `)) text = text.slice(name.length + 2);
    else if (text.startsWith(`${name}:`)) text = text.slice(name.length + 1);
  } else {
    const m = NAME_PREFIX.exec(text);
    if (m) {
      name = m[1]!;
      text = text.slice(m[0].length);
    } else {
      name = 'Error';
    }
  }
  const out: ParsedRemoteError = { name, message: text };
  if (stack !== undefined) out.stack = stack;
  if (msg.error_code !== undefined) out.code = msg.error_code;
  return out;
}
