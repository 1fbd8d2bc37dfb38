/**
 * The big-payload encode path (src/exact-size.ts): same bytes as the growing path, one buffer of
 * about the message's size, never overwritten by a later encode; and typed arrays as bin.
 */
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { createCall, createResponse, decodeValue, encodeMessage, encodeValue, type Message } from '../src/index.js';
import { EXACT_SIZE_MIN_BINARY_BYTES, encodedSizeBound } from '../src/exact-size.js';
import { prepareValue } from '../src/values.js';

/** Today's path, for reference: one shared growing buffer, same options as codec.ts. */
const growing = new Packr({
  useRecords: false,
  variableMapSize: true,
  encodeUndefinedAsNil: true,
  useTimestamp32: false,
});
const viaGrowing = (value: unknown): Buffer => Buffer.from(growing.pack(prepareValue(value, 'value', 1000)));

function filled(size: number, seed: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) buf[i] = (i * 31 + seed) & 0xff;
  return buf;
}

const MiB = 1024 * 1024;
const call = (args: unknown[]): Message => createCall({ function: 'f', args, id: 'c-1' });
const reply = (result: unknown): Message => createResponse('c-1', result);

const floats = new Float64Array(20_000).map((_, i) => i / 7);
const shapes: [string, Message][] = [
  ['a bin at top level', reply(filled(MiB, 1))],
  ['a bin just over the threshold', reply(filled(EXACT_SIZE_MIN_BINARY_BYTES, 2))],
  ['a bin nested in objects and arrays', call([{ a: [1, { blob: filled(200_000, 3), n: -0 }], s: 'x' }, 2 ** 40])],
  ['many bins', call(Array.from({ length: 40 }, (_, i) => filled(4096 + i, i)))],
  ['a large str beside a bin', call(['é'.repeat(300_000), 'plain'.repeat(50_000), filled(70_000, 4)])],
  ['typed arrays', call([floats, new Int32Array(30_000).fill(-7), new DataView(filled(80_000, 5).buffer)])],
  [
    'a 16 MiB bin with dates, BigInt, null, undefined',
    call([filled(16 * MiB, 6), new Date(1e12), 2n ** 63n, null, undefined]),
  ],
  ['a Map and a Set around a bin', call([new Map([['k', filled(100_000, 7)]]), new Set([1, 'two'])])],
];

describe('exact-size encoding of big payloads', () => {
  it.each(shapes)('%s: the same bytes as the growing path, in a buffer of about its size', (_name, message) => {
    const reference = viaGrowing(message);
    const bytes = encodeMessage(message);
    expect(bytes.equals(reference)).toBe(true);
    // The growing path leaves the message in a buffer up to 4x its size; this one is within the bound.
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBeLessThanOrEqual(encodedSizeBound(prepareValue(message)) + 10);
    expect(bytes.buffer.byteLength).toBeLessThan(reference.length * 3 + 4096);
  });

  it('encodeValue takes the same path and gives the same bytes', () => {
    const value = { data: filled(300_000, 9), list: [1, 'a', true] };
    const bytes = encodeValue(value);
    expect(bytes.equals(viaGrowing(value))).toBe(true);
    expect(bytes.buffer.byteLength).toBeLessThan(bytes.length + 4096);
  });

  it('a big message is never overwritten by the encodes that follow it', () => {
    const first = encodeMessage(reply(filled(200_000, 11)));
    const copy = Buffer.from(first);
    const small: Buffer[] = [];
    for (let i = 0; i < 2000; i++) small.push(encodeMessage(call([i, `s${i}`])));
    const second = encodeMessage(reply(filled(300_000, 12)));
    for (let i = 0; i < 200; i++) small.push(encodeMessage(call([i])));
    expect(first.equals(copy)).toBe(true);
    expect((decodeValue(second) as { result: Buffer }).result.equals(filled(300_000, 12))).toBe(true);
    small.forEach((bytes, i) => {
      const args = (decodeValue(bytes) as { args: unknown[] }).args;
      expect(args[0]).toBe(i < 2000 ? i : i - 2000);
    });
  });

  it('small messages keep the shared buffer (many messages per buffer)', () => {
    const a = encodeMessage(call([1, 2]));
    const b = encodeMessage(call([3, 4]));
    expect(a.buffer).toBe(b.buffer);
  });

  it('a failed encode on the big path leaves the encoder working', () => {
    expect(() => encodeMessage(reply({ big: filled(100_000, 1), bad: () => 1 }))).toThrow(/result\.bad/);
    const over = reply(filled(200_000, 2));
    expect(() => encodeMessage(over, { maxMessageBytes: 100_000 })).toThrow(/over the 100000-byte limit/);
    expect((decodeValue(encodeMessage(call([5]))) as { args: unknown[] }).args).toEqual([5]);
  });

  it('a class instance falls back to the growing path with the same bytes', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly blob: Buffer,
      ) {}
    }
    const message = call([new Point(1, filled(100_000, 3))]);
    expect(encodedSizeBound(prepareValue(message))).toBe(-1);
    expect(encodeMessage(message).equals(viaGrowing(message))).toBe(true);
  });
});

describe('typed arrays travel as bin of their bytes', () => {
  it('Float64Array, Int32Array, Uint8Array, DataView: bin on the wire, a Buffer to reinterpret on arrival', () => {
    const f64 = new Float64Array([1.5, -2.25, Math.PI]);
    const i32 = new Int32Array([1, -1, 2 ** 31 - 1]);
    const u8 = new Uint8Array([0, 1, 255]);
    const window = new Float32Array(new Float32Array([9, 8, 7, 6]).buffer, 4, 2);
    const view = new DataView(new Uint8Array([10, 20, 30, 40]).buffer, 1, 2);
    for (const [array, bytes] of [
      [f64, 24],
      [i32, 12],
      [u8, 3],
      [window, 8],
      [view, 2],
    ] as const) {
      const wire = encodeValue(array);
      expect(wire[0]).toBe(0xc4); // bin 8: no ext type, so every peer reads plain bytes
      expect(wire[1]).toBe(bytes);
      const got = decodeValue(wire) as Buffer;
      expect(Buffer.isBuffer(got)).toBe(true);
      expect(got.equals(Buffer.from(array.buffer, array.byteOffset, array.byteLength))).toBe(true);
    }
    // What docs/protocol.md tells the receiver to do (copy first if byteOffset is not aligned).
    const got = decodeValue(encodeValue(f64)) as Buffer;
    const aligned = got.byteOffset % 8 === 0 ? got : Buffer.from(got);
    expect([...new Float64Array(aligned.buffer, aligned.byteOffset, aligned.length / 8)]).toEqual([...f64]);
  });

  it('a 1e6-number Float64Array goes through the big path as one bin', () => {
    const big = new Float64Array(1_000_000).map((_, i) => i * 0.5);
    const message = call([big]);
    const bytes = encodeMessage(message);
    expect(bytes.equals(viaGrowing(message))).toBe(true);
    const arg = (decodeValue(bytes) as { args: Buffer[] }).args[0]!;
    const copy = Buffer.from(arg);
    const back = new Float64Array(copy.buffer, copy.byteOffset, copy.length / 8);
    expect(back[999_999]).toBe(499_999.5);
    expect(back.length).toBe(1_000_000);
  });
});
