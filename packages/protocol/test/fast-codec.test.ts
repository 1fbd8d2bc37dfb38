import { isDeepStrictEqual } from 'node:util';
import { Packr, Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeBatch, encodeMessage, createCall, createResponse, MultifrostError } from '../src/index.js';
import { packrOptions, unpackrOptions } from '../src/codec.js';
import { FAST_MAX_BYTES, NOT_FAST, fastDecode, fastEncode } from '../src/fast-codec.js';
import { prepareValue } from '../src/values.js';
import { prng } from './prng.js';

// The general path, as codec.ts builds it: the fast path must agree with it byte for byte.
const packr = new Packr(packrOptions);
const unpackr = new Unpackr(unpackrOptions);
const general = (v: unknown): Buffer => packr.pack(prepareValue(v));
/**
 * Node's deep strict equality (prototypes, NaN, -0): vitest's toStrictEqual reads `.constructor`,
 * which the generated objects may have as an own key.
 */
const same = (a: unknown, b: unknown): boolean => isDeepStrictEqual(a, b);

const INTS = [0, 1, 0x1f, 0x20, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffff_ffff, -1, -0x20, -0x21, -0x80, -0x81];
const MORE_INTS = [-0x8000, -0x8001, -0x8000_0000, 2 ** 31 - 1];
const FLOATS = [0.5, -1.25, 1e-300, 1.7976931348623157e308, Number.NaN, Infinity, -Infinity, Math.PI];
const STRING_LENGTHS = [0, 1, 4, 5, 15, 16, 31, 32, 63, 64, 255, 256, 1000];

/** Plain values only: every one of them must take the fast path. */
function plain(r: () => number, depth: number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  switch (depth > 3 ? Math.floor(r() * 5) : Math.floor(r() * 8)) {
    case 0:
      return pick([null, undefined, true, false]);
    case 1:
      return r() < 0.5 ? pick([...INTS, ...MORE_INTS]) : Math.floor((r() - 0.5) * 2 ** 32) | 0;
    case 2:
      return r() < 0.5 ? pick(FLOATS) : (r() - 0.5) * 1e6;
    case 3:
    case 4: {
      const n = r() < 0.7 ? pick(STRING_LENGTHS) : Math.floor(r() * 40);
      let s = '';
      for (let i = 0; i < n; i++) s += String.fromCharCode(32 + Math.floor(r() * 95));
      return s;
    }
    case 5:
    case 6: {
      const n = pick([0, 1, 2, 15, 16, 17, Math.floor(r() * 6)]);
      return Array.from({ length: n }, () => plain(r, depth + 1));
    }
    default: {
      const out: Record<string, unknown> = {};
      const n = pick([0, 1, 3, 15, 16, Math.floor(r() * 6)]);
      for (let i = 0; i < n; i++)
        out[pick(['a', 'id', 'x_y', '0', '17', 'constructor', `k${i}`, 'a'.repeat(40)])] = plain(r, depth + 1);
      return out;
    }
  }
}

describe('fast codec: same bytes and values as msgpackr', () => {
  it('encodes 3,000 random plain values exactly as msgpackr does, and reads them back as msgpackr does', () => {
    const r = prng(16);
    let fast = 0;
    for (let i = 0; i < 3_000; i++) {
      const value = plain(r, 0);
      const bytes = fastEncode(value, 100);
      const expected = general(value);
      if (expected.length > FAST_MAX_BYTES) {
        expect(bytes).toBe(NOT_FAST);
        continue;
      }
      expect(bytes, `value ${i}`).not.toBe(NOT_FAST);
      expect(Buffer.from(bytes as Buffer).toString('hex'), `value ${i}`).toBe(expected.toString('hex'));
      expect(same(fastDecode(expected), unpackr.unpack(expected)), `value ${i}`).toBe(true);
      fast++;
    }
    expect(fast).toBeGreaterThan(2_500);
  });

  it('earlier results keep their bytes while later ones are encoded (shared chunks)', () => {
    const first = fastEncode({ a: 'first' }, 100) as Buffer;
    const copy = Buffer.from(first);
    for (let i = 0; i < 2_000; i++) fastEncode({ i, s: 'x'.repeat(100) }, 100);
    expect(first.equals(copy)).toBe(true);
  });

  it('reads what other encoders write: non-minimal integers, str8 for short strings, map16 and array16 of few items', () => {
    const cases: [string, unknown][] = [
      ['cd0005', 5],
      ['ce00000005', 5],
      ['d0ff', -1],
      ['d1fffe', -2],
      ['d2fffffffd', -3],
      ['d903616263', 'abc'],
      ['da0003616263', 'abc'],
      ['de0001a16101', { a: 1 }],
      ['dc0002c3c2', [true, false]],
      ['cb3ff8000000000000', 1.5],
    ];
    for (const [hex, value] of cases) {
      const bytes = Buffer.from(hex, 'hex');
      expect(fastDecode(bytes), hex).toStrictEqual(value);
      expect(unpackr.unpack(bytes), hex).toStrictEqual(value);
    }
  });

  it('gives up on everything that is not plain, so the general path decides', () => {
    const deep: unknown[] = [];
    let at = deep;
    for (let i = 0; i < 20; i++) at.push((at = []));
    const notPlain: unknown[] = [
      Buffer.from('ab'),
      new Uint8Array(2),
      new Float64Array(1),
      new Date(0),
      new Map([['a', 1]]),
      new Set([1]),
      10n,
      -0,
      2 ** 40,
      -(2 ** 40),
      'é',
      '😀',
      JSON.parse('{"__proto__": 1}'),
      { toJSON: () => 1 },
      { f: () => 1 },
      Symbol('s'),
      new (class Point {
        x = 1;
      })(),
      deep,
      'x'.repeat(FAST_MAX_BYTES + 1),
      [new Uint8Array(1)],
    ];
    for (const value of notPlain) expect(fastEncode(value, 100), String(value)).toBe(NOT_FAST);
    expect(fastEncode([[1]], 1), 'an object at maxDepth').toBe(NOT_FAST);
    for (const hex of [
      'd6ff00000000',
      'ca3fc00000',
      'cf0000000000000001',
      'd30000000000000001',
      'a2c3a9',
      '81a9 5f5f70726f746f5f5f 01'.replace(/ /g, ''),
      '81 01 02'.replace(/ /g, ''),
      'c1',
    ])
      expect(fastDecode(Buffer.from(hex, 'hex')), hex).toBe(NOT_FAST);
  });

  it('reads binary values as views of the input, as msgpackr does, so a batch of messages is read by it too', () => {
    const input = Buffer.from('93c403616263c5000178c40100', 'hex');
    const fast = fastDecode(input) as Buffer[];
    expect(same(fast, unpackr.unpack(input))).toBe(true);
    expect(fast.map((b) => Buffer.isBuffer(b) && b.buffer === input.buffer)).toEqual([true, true, true]);
    const items = [encodeMessage(createResponse('a', 1)), encodeMessage(createResponse('b', 'two'))];
    const batch = encodeBatch('comlink_ipc_v3', items);
    expect(same(fastDecode(batch), unpackr.unpack(batch))).toBe(true);
    expect(fastDecode(new Uint8Array(input)), 'a plain Uint8Array').toBe(NOT_FAST);
    expect(fastDecode(Buffer.from('c40561', 'hex')), 'a bin past the input').toBe(NOT_FAST);
  });

  it('reads calls and responses (made in one step) as msgpackr does, and their near misses too', () => {
    const r = prng(11);
    const messages: Record<string, unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      const call = createCall({ function: `f${i}`, args: [plain(r, 1), i], namespace: i % 2 ? 'default' : 'ns' });
      messages.push(
        call as unknown as Record<string, unknown>,
        createResponse(call.id, plain(r, 1), i % 2 ? 'comlink_ipc_v3' : 'comlink_ipc_v4') as unknown as Record<
          string,
          unknown
        >,
      );
    }
    const near: Record<string, unknown>[] = [];
    for (const m of messages.slice(0, 40)) {
      const { app, id, type, ...rest } = m;
      near.push({ id, app, type, ...rest }); // keys in another order
      near.push({ ...m, extra: 1 }); // a key more
      near.push({ app, id, type, timestamp: m.timestamp }); // keys fewer
      near.push({ ...m, type: type === 'call' ? 'response' : 'call' }); // the other type's value
      near.push({ ...m, app: 'comlink_ipc_v9', id: 7, timestamp: 3 }); // other values for the same keys
      const renamed: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(m)) renamed[k === 'timestamp' ? 'timestamq' : k] = v;
      near.push(renamed); // a key one letter off
    }
    for (const m of [...messages, ...near]) {
      const bytes = general(m);
      const fast = fastDecode(bytes);
      expect(same(fast, unpackr.unpack(bytes)), bytes.toString('hex')).toBe(true);
      expect(Object.keys(fast as object)).toEqual(Object.keys(m));
    }
    // A value the fast path cannot read (a non-ASCII string, a 64-bit int) still gives up, in either shape.
    for (const odd of ['é', 2 ** 40]) {
      expect(fastDecode(general(createCall({ function: 'f', args: [odd] })))).toBe(NOT_FAST);
      expect(fastDecode(general(createResponse('id', odd)))).toBe(NOT_FAST);
    }
    // Each byte of a call, corrupted in turn: whatever the fast path accepts, msgpackr reads the same way.
    const call = general(createCall({ function: 'add', args: [1, 2] }));
    for (let i = 0; i < call.length; i++) {
      for (const v of [0x00, 0xa3, 0xff]) {
        const bad = Buffer.from(call);
        bad[i] = v;
        const fast = fastDecode(bad);
        if (fast !== NOT_FAST) expect(same(fast, unpackr.unpack(bad)), bad.toString('hex')).toBe(true);
      }
    }
  });

  it('gives up on truncated or trailing input instead of guessing, and never throws', () => {
    const r = prng(7);
    for (let i = 0; i < 2_000; i++) {
      const good = general(plain(r, 0));
      const bytes = Buffer.from(good);
      const mode = i % 3;
      const cut = mode === 0 ? bytes.subarray(0, Math.floor(r() * bytes.length)) : bytes;
      if (mode === 1) bytes[Math.floor(r() * bytes.length)] = Math.floor(r() * 256);
      const input = mode === 2 ? Buffer.concat([bytes, Buffer.from([0x01])]) : cut;
      const fast = fastDecode(input);
      if (fast === NOT_FAST) continue;
      // Whatever the fast path accepts, msgpackr reads the same way.
      expect(same(fast, unpackr.unpack(input)), input.toString('hex')).toBe(true);
    }
    expect(fastDecode(Buffer.from('dcffff', 'hex')), 'a count past the input').toBe(NOT_FAST);
  });

  it('gives up while Object.prototype has an enumerable key (for-in would see it), and is fast again after', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.polluted = 1;
    try {
      expect(fastEncode({ a: 1 }, 100)).toBe(NOT_FAST);
    } finally {
      delete proto.polluted;
    }
    expect(Buffer.from(fastEncode({ a: 1 }, 100) as Buffer).toString('hex')).toBe('81a16101');
  });

  it('a getter that encodes while a message is encoded gets its own bytes, and the outer message stays intact', () => {
    let inner: Buffer | undefined;
    const value = {
      a: 1,
      get b() {
        inner = encodeMessage(createResponse('inner', 'x'.repeat(40)));
        return 'outer';
      },
      c: [true, null],
    };
    const outer = encodeMessage(createResponse('outer', value));
    expect(decodeValue(outer)).toStrictEqual({
      ...JSON.parse(JSON.stringify(createResponse('outer', null))),
      timestamp: (decodeValue(outer) as { timestamp: number }).timestamp,
      result: { a: 1, b: 'outer', c: [true, null] },
    });
    expect((decodeValue(inner!) as { result: string }).result).toBe('x'.repeat(40));
  });

  it('writes maps of 16 keys or more with a map16 header, as msgpackr does', () => {
    for (const n of [15, 16, 17, 300]) {
      const obj = Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
      expect(Buffer.from(fastEncode(obj, 100) as Buffer).toString('hex'), `${n} keys`).toBe(
        general(obj).toString('hex'),
      );
    }
  });

  it('messages keep their behaviour: limits, depth and errors come from the general path', () => {
    const call = createCall({ function: 'add', args: [1, 2] });
    expect(decodeValue(encodeMessage(call))).toStrictEqual(JSON.parse(JSON.stringify(call)));
    expect(() => encodeMessage(createResponse('r', 'x'.repeat(200)), { maxMessageBytes: 100 })).toThrow(
      /over the 100-byte limit/,
    );
    let err: unknown;
    try {
      encodeMessage(createCall({ function: 'f', args: [[[1]]] }), { maxDepth: 2 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MultifrostError);
    expect((err as MultifrostError).message).toMatch(/args\[0\]\[0\]: nesting deeper than 2 levels/);
  });
});
