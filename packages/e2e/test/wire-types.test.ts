// Each row of the value table, sent by a real worker: the value that arrives matches the type
// `Remote<T>` gives it (checked here by expectTypeOf under `tsc`, and by value at run time).
import { ParentWorker } from 'multifrost';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { WireValuesWorker } from './fixtures/wire-values-worker.js';
import { fixture, quiet } from './helpers/workers.js';

let w: ParentWorker<WireValuesWorker>;
beforeAll(async () => {
  w = await ParentWorker.spawn<WireValuesWorker>(fixture('wire-values-worker.ts'), quiet);
});
afterAll(async () => {
  await w?.close();
});

describe('values arrive as Remote<T> says', () => {
  it('Map → plain object', async () => {
    const v = await w.call.map();
    expectTypeOf(v).toEqualTypeOf<Record<string, number>>();
    expect(v).not.toBeInstanceOf(Map);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(v).toEqual({ a: 1, b: 2 });
  });

  it('Set → Array', async () => {
    const v = await w.call.set();
    expectTypeOf(v).toEqualTypeOf<string[]>();
    expect(Array.isArray(v)).toBe(true);
    expect(v).toEqual(['x', 'y']);
  });

  it('bigint → number when exact, bigint beyond 2^53', async () => {
    const small = await w.call.smallBigint();
    const large = await w.call.largeBigint();
    expectTypeOf(small).toEqualTypeOf<number | bigint>();
    expect(small).toBe(42);
    expect(large).toBe(2n ** 60n);
  });

  it('Uint8Array and other typed arrays → Buffer of their bytes', async () => {
    const bytes = await w.call.bytes();
    const floats = await w.call.floats();
    expectTypeOf(bytes).toEqualTypeOf<Buffer>();
    expectTypeOf(floats).toEqualTypeOf<Buffer>();
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect([...bytes]).toEqual([1, 2, 3]);
    expect(Buffer.isBuffer(floats)).toBe(true);
    expect(floats.readDoubleLE(0)).toBe(1.5);
  });

  it('void and undefined → null; an undefined property → null', async () => {
    const nothing = await w.call.nothing();
    const undef = await w.call.undef();
    const optional = await w.call.optional();
    expectTypeOf(nothing).toEqualTypeOf<null>();
    expectTypeOf(undef).toEqualTypeOf<null>();
    expectTypeOf(optional).toEqualTypeOf<{ a: number; b?: string | null }>();
    expect(nothing).toBeNull();
    expect(undef).toBeNull();
    expect(optional).toEqual({ a: 1, b: null });
    expect('b' in optional).toBe(true);
  });

  it('Date → Date', async () => {
    const v = await w.call.date();
    expectTypeOf(v).toEqualTypeOf<Date>();
    expect(v).toBeInstanceOf(Date);
    expect(v.toISOString()).toBe('2024-01-02T03:04:05.006Z');
  });

  it('class instance → plain object of its data, without methods', async () => {
    const v = await w.call.point();
    expectTypeOf(v).toEqualTypeOf<{ x: number; y: number }>();
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect((v as Record<string, unknown>).norm).toBeUndefined();
    expect(v).toEqual({ x: 3, y: 4 });
  });

  it('nested values are mapped at every level', async () => {
    const v = await w.call.nested();
    expectTypeOf(v).toEqualTypeOf<{
      tags: string[];
      byId: Record<string, { at: Date; big: number | bigint }>;
      list: Buffer[];
    }>();
    expect(v.tags).toEqual(['t']);
    expect(v.byId.k!.at).toBeInstanceOf(Date);
    expect(v.byId.k!.at.getTime()).toBe(0);
    expect(v.byId.k!.big).toBe(7);
    expect(Buffer.isBuffer(v.list[0])).toBe(true);
  });

  it('what the worker receives for arguments follows the same table', async () => {
    const seen = await w.call.describeArgs(
      new Map([['a', 1]]),
      new Set([1]),
      5n,
      new Uint8Array([1]),
      undefined,
      new Date(),
      new Float32Array([1]),
    );
    expect(seen).toEqual(['object:true', 'Array', 'number', 'Buffer', 'null', 'Date', 'Buffer']);
  });
});
