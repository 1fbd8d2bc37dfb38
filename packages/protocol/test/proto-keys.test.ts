import { describe, expect, it } from 'vitest';
import { createCall, decodeMessage, decodeValue, encodeMessage, encodeValue } from '../src/index.js';

/** An object with `__proto__` as an own data property, as JSON.parse makes it. */
const withProto = (inner: string) => JSON.parse(`{"__proto__":${inner},"a":1}`) as Record<string, unknown>;

describe('a __proto__ key arrives as itself', () => {
  it('keeps the key as an own property, without changing the prototype', () => {
    const decoded = decodeValue(encodeValue(withProto('{"polluted":true}'))) as Record<string, unknown>;
    expect(Object.keys(decoded)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(decoded, '__proto__')?.value).toEqual({ polluted: true });
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.hasOwn(decoded, '__proto_')).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('tells a real __proto_ key apart from a renamed __proto__', () => {
    const both = JSON.parse('{"__proto_":1,"__proto__":2}') as Record<string, unknown>;
    const decoded = decodeValue(encodeValue(both)) as Record<string, unknown>;
    expect(Object.getOwnPropertyDescriptor(decoded, '__proto_')?.value).toBe(1);
    expect(Object.getOwnPropertyDescriptor(decoded, '__proto__')?.value).toBe(2);
    const onlyReal = decodeValue(encodeValue({ __proto_: 'kept' })) as Record<string, unknown>;
    expect(onlyReal).toEqual({ __proto_: 'kept' });
    expect(Object.hasOwn(onlyReal, '__proto__')).toBe(false);
  });

  it('works deep inside call arguments, next to binary data and big integers', () => {
    const args = [{ list: [withProto('[1,2]')] }, Buffer.from([1, 2, 3]), 2n ** 60n];
    const message = createCall({ function: 'f', args });
    const result = decodeMessage(encodeMessage(message));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const got = result.message as unknown as { args: [{ list: Record<string, unknown>[] }, Uint8Array, bigint] };
    const inner = got.args[0].list[0]!;
    expect(Object.getOwnPropertyDescriptor(inner, '__proto__')?.value).toEqual([1, 2]);
    expect(Object.getPrototypeOf(inner)).toBe(Object.prototype);
    expect(Buffer.from(got.args[1]).equals(Buffer.from([1, 2, 3]))).toBe(true);
    expect(got.args[2]).toBe(2n ** 60n);
  });

  it('leaves messages without such a key to the fast path, unchanged', () => {
    const value = { a: [1, { b: 'c' }], d: null };
    expect(decodeValue(encodeValue(value))).toEqual(value);
  });
});
