/**
 * The typed call proxy: `worker.call.add(1, 2)` → `Promise<number>`. Answers `undefined` for
 * `then` (so `await worker.call` is harmless), symbols and the other names in `NOT_CALLS`; the
 * `Remote<T>` type leaves out the same names, so what typechecks can be called. Each proxy is bound to its own options, so there is no shared mutable state between callers.
 */

import type { CallOptions as CallOptionsLike } from './options.js';
import type { RemoteStream } from './remote-stream.js';
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

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Whether a method's return type makes it a streaming method: a generator, an async generator, or
 * an async iterable. Only those: an array or a string is iterable too, but it is one value.
 * `any` (an untyped API) is neither, so both surfaces accept it.
 */
type IsStreaming<R> = 0 extends 1 & R
  ? false
  : [R] extends [never] // a method that always throws is a call (it rejects), not a stream
    ? false
    : [R] extends [AsyncGenerator<any, any, any> | Generator<any, any, any> | AsyncIterable<any>]
      ? true
      : false;
type IsAnyValue<R> = 0 extends 1 & R ? true : false;

/** The item type of a streaming return type. */
type StreamItem<R> =
  R extends AsyncIterable<infer I>
    ? I
    : R extends Generator<infer I, any, any>
      ? I
      : R extends Iterable<infer I>
        ? I
        : never;
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Names a proxy may reach at all: not reserved, not blocked, not `_`-prefixed, not symbols, functions only. */
type Reachable<T, K extends keyof T> = K extends ReservedName | BlockedName
  ? false
  : K extends `_${string}`
    ? false
    : K extends symbol
      ? false
      : T[K] extends AnyFunction
        ? true
        : false;

/**
 * The remote view of a worker class: its public methods, each returning a Promise of what really
 * arrives over the wire (`Wire<R>`: a `Map` arrives as a plain object, a `Set` as an array, a
 * `void` method resolves to `null`, ...). Data members, `_`-prefixed names and the base class's
 * reserved names are left out. Arguments keep the method's own types. A function-valued field
 * (`greet = (n: string) => ...`) counts as a method, as it does for the worker.
 */
export type Remote<T> = {
  [K in keyof T as Reachable<T, K> extends true
    ? T[K] extends (...args: any[]) => infer R // eslint-disable-line @typescript-eslint/no-explicit-any
      ? IsStreaming<R> extends true
        ? never // a generator method streams: `worker.stream.name()`, a call of it is refused (STREAMING_METHOD)
        : K
      : never
    : never]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Wire<Awaited<R>>> : never;
};

/**
 * The streaming view of a worker class: its generator methods (and, untyped, every name), each
 * returning a `RemoteStream` of what arrives over the wire per item.
 * `worker.stream.tokens('hi')` for `async *tokens(prompt: string): AsyncGenerator<string>`.
 */
export type Streams<T> = {
  [K in keyof T as Reachable<T, K> extends true
    ? T[K] extends (...args: any[]) => infer R // eslint-disable-line @typescript-eslint/no-explicit-any
      ? IsStreaming<R> extends true
        ? K
        : IsAnyValue<R> extends true
          ? K
          : never
      : never
    : never]: T[K] extends (...args: infer A) => infer R
    ? (...args: A) => RemoteStream<IsAnyValue<R> extends true ? any : Wire<StreamItem<R>>> // eslint-disable-line @typescript-eslint/no-explicit-any
    : never;
};

/** What `worker.with(options)` returns: the call surfaces of a worker, bound to those options. */
export interface WorkerView<T> {
  readonly call: Remote<T>;
  /** Calls a function by name; `options` are merged over the view's. */
  callFunction<R = unknown>(fn: string, args?: unknown[], options?: CallOptionsLike): Promise<R>;
  /** The worker's functions, asked with the view's namespace and timeout. */
  listFunctions(): Promise<string[]>;
}

/** What `worker.with(options)` also offers on a single worker: streams bound to those options. */
export interface StreamView<T> {
  readonly stream: Streams<T>;
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

/** `worker.stream.fn(...args)`: like the call proxy, with the same names left out. */
export function createStreamProxy<T>(open: (fn: string, args: unknown[]) => RemoteStream<unknown>): Streams<T> {
  const cache = new Map<string, (...args: unknown[]) => RemoteStream<unknown>>();
  return new Proxy(Object.create(null) as object, {
    get(_target, prop) {
      if (typeof prop !== 'string' || NOT_CALLS.has(prop)) return undefined;
      let fn = cache.get(prop);
      if (!fn) {
        fn = (...args: unknown[]) => open(prop, args);
        cache.set(prop, fn);
      }
      return fn;
    },
    has: () => false,
    set: () => false,
  }) as Streams<T>;
}
