/**
 * The typed call proxy: `worker.call.add(1, 2)` → `Promise<number>`. Answers `undefined` for
 * `then` (so `await worker.call` is harmless), symbols and the other names in `NOT_CALLS`; the
 * `Remote<T>` type leaves out the same names, so what typechecks can be called. Each proxy is bound to its own options, so there is no shared mutable state between callers.
 */

import type { CallOptions as CallOptionsLike } from './options.js';
import type { Wire } from './wire-type.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (...args: any[]) => any;

/** Names of the worker base class that are never callable remotely. */
type ReservedName = 'run' | 'start' | 'stop' | 'listFunctions' | 'mode' | 'port' | 'namespace' | 'constructor';

/**
 * Names the proxy answers with `undefined` instead of a call, so that awaiting, printing or
 * serialising `worker.call` (and test matchers probing it) never sends a call. Keep in step with
 * `NOT_CALLS` below.
 */
export type BlockedName =
  | 'then'
  | 'catch'
  | 'finally'
  | 'inspect'
  | 'toString'
  | 'valueOf'
  | 'toJSON'
  | 'constructor'
  | 'asymmetricMatch'
  | '$$typeof'
  | 'nodeType';

/**
 * The remote view of a worker class: its public methods, each returning a Promise of what really
 * arrives over the wire (`Wire<R>`: a `Map` arrives as a plain object, a `Set` as an array, a
 * `void` method resolves to `null`, ...). Data members, `_`-prefixed names and the base class's
 * reserved names are left out. Arguments keep the method's own types. A function-valued field
 * (`greet = (n: string) => ...`) counts as a method, as it does for the worker.
 */
export type Remote<T> = {
  [K in keyof T as K extends ReservedName | BlockedName
    ? never
    : K extends `_${string}`
      ? never
      : K extends symbol
        ? never
        : T[K] extends AnyFunction
          ? K
          : never]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Wire<Awaited<R>>> : never;
};

/** What `worker.with(options)` returns: the call surfaces of a worker, bound to those options. */
export interface WorkerView<T> {
  readonly call: Remote<T>;
  /** Calls a function by name; `options` are merged over the view's. */
  callFunction<R = unknown>(fn: string, args?: unknown[], options?: CallOptionsLike): Promise<R>;
  /** The worker's functions, asked with the view's namespace and timeout. */
  listFunctions(): Promise<string[]>;
}

/** What `call` offers when no worker type is given. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type UntypedApi = Record<string, (...args: any[]) => any>;

const BLOCKED: Record<BlockedName, true> = {
  then: true,
  catch: true,
  finally: true,
  inspect: true,
  toString: true,
  valueOf: true,
  toJSON: true,
  constructor: true,
  asymmetricMatch: true,
  $$typeof: true,
  nodeType: true,
};
// A Record keyed by the type makes the compiler check that the list and the type agree.
const NOT_CALLS = new Set<string>(Object.keys(BLOCKED));

export function createCallProxy<T>(invoke: (fn: string, args: unknown[]) => Promise<unknown>): Remote<T> {
  const cache = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  return new Proxy(Object.create(null) as object, {
    get(_target, prop) {
      if (typeof prop !== 'string' || NOT_CALLS.has(prop)) return undefined;
      let fn = cache.get(prop);
      if (!fn) {
        fn = (...args: unknown[]) => invoke(prop, args);
        cache.set(prop, fn);
      }
      return fn;
    },
    has: () => false,
    set: () => false,
  }) as Remote<T>;
}
