/**
 * `with(options)` for anything that calls and streams by name (a ParentWorker, a WorkerPool): the
 * call and stream proxies, `callFunction` and `listFunctions`, all bound to those options.
 */
import { listFunctions } from './list-functions.js';
import type { CallOptions } from './options.js';
import { createCallProxy, createStreamProxy, type StreamView, type WorkerView } from './proxy.js';
import type { RemoteStream } from './remote-stream.js';

export function boundView<T>(
  options: CallOptions,
  invoke: (fn: string, args: unknown[], options: CallOptions) => Promise<unknown>,
  open: (fn: string, args: unknown[], options: CallOptions) => RemoteStream<unknown>,
): WorkerView<T> & StreamView<T> {
  const fixed = { ...options };
  return {
    call: createCallProxy<T>((fn, args) => invoke(fn, args, fixed)),
    stream: createStreamProxy<T>((fn, args) => open(fn, args, fixed)),
    callFunction: <R = unknown>(fn: string, args: unknown[] = [], more: CallOptions = {}) =>
      invoke(fn, args, { ...fixed, ...more }) as Promise<R>,
    listFunctions: () => listFunctions((fn) => invoke(fn, [], fixed)),
  };
}
