/**
 * `Wire<T>`: the type of what actually arrives when a value of type `T` crosses the wire, so that
 * `Remote<T>` promises what the codec delivers rather than what the worker's code declared. Each
 * branch is a row of the value table in docs/interop.md, checked by a real round trip in
 * packages/e2e/test/wire-types.test.ts:
 *
 * | sent                                   | arrives                                      |
 * |----------------------------------------|----------------------------------------------|
 * | `undefined`, `void`                    | `null` (a `void` method resolves to `null`)  |
 * | `bigint`                               | `number` if \|n\| ≤ 2^53, else `bigint`      |
 * | `Uint8Array`, `Buffer`, other views    | `Buffer` (typed arrays: their bytes)         |
 * | `Map<string, V>`                       | plain object `Record<string, Wire<V>>`       |
 * | `Set<T>`                               | `Wire<T>[]`                                  |
 * | `Date`                                 | `Date`                                       |
 * | class instance                         | plain object of its data (no methods)        |
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (...args: any[]) => any;

/** True for `any`, which must stay `any` rather than spread into every branch below. */
type IsAny<T> = 0 extends 1 & T ? true : false;

/** The data members of an object type: methods and symbol keys do not travel. */
type WireObject<T> = {
  [K in keyof T as K extends symbol ? never : T[K] extends AnyFunction ? never : K]: Wire<T[K]>;
};

type WireMap<K, V> = string extends K ? Record<string, Wire<V>> : Partial<Record<K & string, Wire<V>>>;

/** What a value of type `T` becomes after a msgpack round trip through Multifrost's codec. */
export type Wire<T> =
  IsAny<T> extends true
    ? any // eslint-disable-line @typescript-eslint/no-explicit-any
    : T extends void
      ? null
      : T extends null | string | number | boolean
        ? T
        : T extends bigint
          ? number | bigint
          : T extends Date
            ? Date
            : T extends ArrayBufferView | ArrayBuffer
              ? Buffer
              : T extends AnyFunction | PromiseLike<unknown> | symbol
                ? never
                : T extends ReadonlyMap<infer K, infer V>
                  ? WireMap<K, V>
                  : T extends ReadonlySet<infer U>
                    ? Wire<U>[]
                    : T extends readonly unknown[]
                      ? { -readonly [I in keyof T]: Wire<T[I]> }
                      : T extends object
                        ? WireObject<T>
                        : T;
