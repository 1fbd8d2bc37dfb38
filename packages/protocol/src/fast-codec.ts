/**
 * A fast path for the plain messages that make up almost all traffic: values made only of nil,
 * booleans, 32-bit integers, float64s, ASCII strings, arrays and plain objects. It writes and
 * reads exactly the bytes msgpackr does for those values (codec.ts's settings: standard maps, no
 * records, nil for `undefined`), without msgpackr's general machinery: per call, that machinery
 * was a fifth of the parent's CPU in a profile of small pipelined calls (issue 16).
 *
 * The decoder also reads binary values (as views of the input, as msgpackr does), so a batch of
 * messages takes it too. Anything else (binary values when encoding, typed arrays, Dates, Maps,
 * Sets, BigInts, -0, integers beyond 32 bits, non-ASCII strings, ext types, float32, 64-bit
 * integers, `__proto__` keys, deep nesting, a message over FAST_MAX_BYTES to encode, a getter that
 * encodes while an encode runs) makes the fast path give up, and the caller takes the general path,
 * which validates, rewrites and reports errors as before. Equality with msgpackr is checked by
 * test/fast-codec.test.ts on random values and by the golden vectors.
 */

/** Given up: the caller encodes or decodes with the general codec. */
export const NOT_FAST: unique symbol = Symbol('not fast');

/** Messages larger than this (encoded) take the general path. */
export const FAST_MAX_BYTES = 8 * 1024;
/**
 * Inputs larger than this take the general decoder (a batch of small messages is up to 256 KiB).
 * Only Buffers are read: a binary value is then a Buffer view of the input, as msgpackr gives.
 */
const FAST_DECODE_MAX_BYTES = 1024 * 1024;
/** Nesting deeper than this takes the general path (which enforces maxDepth and finds cycles). */
const FAST_MAX_DEPTH = 16;
const CHUNK_BYTES = 64 * 1024;

// ---- encoding -------------------------------------------------------------------------------

/**
 * Encoded messages are cut from a shared chunk (as msgpackr does): each result is a view of its
 * own bytes, and a chunk is dropped once full (the views keep it alive until they go).
 */
let chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
let view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
let start = 0;
let pos = 0;
let limit = 0;
/** Objects at this depth or deeper make the encoder give up (the general path enforces maxDepth). */
let depthLimit = FAST_MAX_DEPTH;

/**
 * The msgpack bytes of `value` when it is plain (see above), or NOT_FAST. The bytes are those
 * msgpackr's `pack` would produce for it. An object at `maxDepth` levels below `value` (or 16)
 * gives up too, so the general walk reports the nesting (or the cycle) with its path.
 */
export function fastEncode(value: unknown, maxDepth: number): Buffer | typeof NOT_FAST {
  // A getter can run user code mid-encode, and that code can encode too: the inner encode takes
  // the general path (msgpackr saves and restores its own state), so this one's stays intact.
  if (encoding || prototypePolluted()) return NOT_FAST;
  depthLimit = Math.min(FAST_MAX_DEPTH, maxDepth);
  if (chunk.length - start < FAST_MAX_BYTES) {
    chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
    view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    start = 0;
  }
  pos = start;
  limit = start + FAST_MAX_BYTES;
  encoding = true;
  let done: boolean;
  try {
    done = writeValue(value, 0);
  } finally {
    encoding = false;
  }
  if (!done) return NOT_FAST;
  const out = chunk.subarray(start, pos);
  start = pos;
  return out;
}

/** Set while fastEncode writes (see there). */
let encoding = false;

function writeValue(value: unknown, depth: number): boolean {
  // Nine bytes is the largest scalar (float64); strings and containers check their own sizes.
  if (pos + 9 > limit) return false;
  switch (typeof value) {
    case 'string':
      return writeString(value);
    case 'number':
      return writeNumber(value);
    case 'boolean':
      chunk[pos++] = value ? 0xc3 : 0xc2;
      return true;
    case 'undefined':
      chunk[pos++] = 0xc0;
      return true;
    case 'object':
      if (value === null) {
        chunk[pos++] = 0xc0;
        return true;
      }
      if (depth >= depthLimit) return false;
      if (Array.isArray(value)) return writeArray(value, depth);
      return writeObject(value as Record<string, unknown>, depth);
    default:
      return false;
  }
}

function writeString(s: string): boolean {
  const length = s.length;
  const header = length < 0x20 ? 1 : length < 0x100 ? 2 : 3;
  if (length >= 0x10000 || pos + header + length > limit) return false;
  let at = pos + header;
  for (let i = 0; i < length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return false;
    chunk[at++] = c;
  }
  if (header === 1) chunk[pos] = 0xa0 | length;
  else if (header === 2) {
    chunk[pos] = 0xd9;
    chunk[pos + 1] = length;
  } else {
    chunk[pos] = 0xda;
    chunk[pos + 1] = length >> 8;
    chunk[pos + 2] = length & 0xff;
  }
  pos = at;
  return true;
}

function writeNumber(n: number): boolean {
  if (n >>> 0 === n) {
    // -0 passes this test (msgpackr would write 0): the general path keeps its sign.
    if (Object.is(n, -0)) return false;
    if (n < 0x80) chunk[pos++] = n;
    else if (n < 0x100) {
      chunk[pos++] = 0xcc;
      chunk[pos++] = n;
    } else if (n < 0x10000) {
      chunk[pos++] = 0xcd;
      chunk[pos++] = n >> 8;
      chunk[pos++] = n & 0xff;
    } else {
      chunk[pos++] = 0xce;
      view.setUint32(pos, n);
      pos += 4;
    }
    return true;
  }
  if (n >> 0 === n) {
    if (n >= -0x20) chunk[pos++] = 0x100 + n;
    else if (n >= -0x80) {
      chunk[pos++] = 0xd0;
      chunk[pos++] = n + 0x100;
    } else if (n >= -0x8000) {
      chunk[pos++] = 0xd1;
      view.setInt16(pos, n);
      pos += 2;
    } else {
      chunk[pos++] = 0xd2;
      view.setInt32(pos, n);
      pos += 4;
    }
    return true;
  }
  // Whole numbers beyond 32 bits (up to 2^53) go out as integers on the general path (values.ts).
  if (Number.isInteger(n) && Math.abs(n) <= 2 ** 53) return false;
  chunk[pos++] = 0xcb;
  view.setFloat64(pos, n);
  pos += 8;
  return true;
}

function writeLength(length: number, fix: number, x16: number): boolean {
  if (length < 0x10) chunk[pos++] = fix | length;
  else if (length < 0x10000) {
    if (pos + 3 > limit) return false;
    chunk[pos] = x16;
    chunk[pos + 1] = length >> 8;
    chunk[pos + 2] = length & 0xff;
    pos += 3;
  } else return false;
  return true;
}

function writeArray(arr: unknown[], depth: number): boolean {
  if (Object.getPrototypeOf(arr) !== Array.prototype) return false;
  const length = arr.length;
  if (!writeLength(length, 0x90, 0xdc)) return false;
  for (let i = 0; i < length; i++) if (!writeValue(arr[i], depth + 1)) return false;
  return true;
}

function writeObject(obj: Record<string, unknown>, depth: number): boolean {
  const proto = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== null) return false;
  // for-in (V8 reads each value straight from the object's layout) rather than Object.keys and a
  // keyed load per key; it sees own keys only, as fastEncode checked that Object.prototype has no
  // enumerable ones. The count is known at the end: a fixmap header is patched in, a map16 moves
  // the entries two bytes on.
  const header = pos++;
  let count = 0;
  for (const key in obj) {
    // The general path keeps a `__proto__` key an own property, and msgpackr calls toJSON.
    if (key === '__proto__' || key === 'toJSON') return false;
    if (pos + 3 > limit || !writeString(key) || !writeValue(obj[key], depth + 1)) return false;
    count++;
  }
  if (count < 0x10) {
    chunk[header] = 0x80 | count;
    return true;
  }
  if (count >= 0x10000 || pos + 2 > limit) return false;
  chunk.copyWithin(header + 3, header + 1, pos);
  chunk[header] = 0xde;
  chunk[header + 1] = count >> 8;
  chunk[header + 2] = count & 0xff;
  pos += 2;
  return true;
}

/** True when some enumerable key sits on Object.prototype (for-in would see it). */
function prototypePolluted(): boolean {
  for (const _ in Object.prototype) return true;
  return false;
}

// ---- decoding -------------------------------------------------------------------------------

let src: Uint8Array = Buffer.alloc(0);
let at = 0;
let end = 0;
/** Set when the input is not plain; the value read so far is thrown away. */
let bail = false;

const latin1 = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;
/** float64 read through a scratch array (no DataView per message); msgpack is big-endian. */
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The value msgpackr (with codec.ts's settings) would decode from `bytes`, when every part of it
 * is plain; else NOT_FAST, also for malformed or truncated input (the general path says why).
 */
export function fastDecode(bytes: Uint8Array): unknown {
  if (bytes.length > FAST_DECODE_MAX_BYTES || !Buffer.isBuffer(bytes)) return NOT_FAST;
  src = bytes;
  at = 0;
  end = bytes.length;
  bail = false;
  const value = readValue(0);
  const ok = !bail && at === end;
  src = EMPTY;
  return ok ? value : NOT_FAST;
}

/** A Buffer, as the inputs are: `src` keeps one element kind (a mixed one slows every read). */
const EMPTY = Buffer.alloc(0);

function give(): undefined {
  bail = true;
  return undefined;
}

/** The next `n` bytes as an unsigned big-endian integer (n ≤ 4); the caller checked the bounds. */
function uint(n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + src[at++]!;
  return v;
}

function float64(): number {
  const b = src;
  const i = at;
  at += 8;
  if (!LITTLE_ENDIAN) {
    for (let k = 0; k < 8; k++) f64Bytes[k] = b[i + k]!;
    return f64[0]!;
  }
  f64Bytes[7] = b[i]!;
  f64Bytes[6] = b[i + 1]!;
  f64Bytes[5] = b[i + 2]!;
  f64Bytes[4] = b[i + 3]!;
  f64Bytes[3] = b[i + 4]!;
  f64Bytes[2] = b[i + 5]!;
  f64Bytes[1] = b[i + 6]!;
  f64Bytes[0] = b[i + 7]!;
  return f64[0]!;
}

function readValue(depth: number): unknown {
  if (at >= end) return give();
  const token = src[at++]!;
  if (token < 0x80) return token;
  if (token < 0x90) return readMap(token & 0x0f, depth);
  if (token < 0xa0) return readArray(token & 0x0f, depth);
  if (token < 0xc0) return readString(token & 0x1f);
  if (token >= 0xe0) return token - 0x100;
  // Bytes after the token: 1 for 0xcc/0xd0/0xd9, 2 for 0xcd/0xd1/0xda/0xdc/0xde, 4, 8.
  const size = SIZES[token - 0xc0]!;
  if (at + size > end) return give();
  switch (token) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xcb:
      return float64();
    case 0xcc:
    case 0xcd:
    case 0xce:
      return uint(size);
    case 0xd0:
      return (uint(1) << 24) >> 24;
    case 0xd1:
      return (uint(2) << 16) >> 16;
    case 0xd2:
      return uint(4) | 0;
    case 0xd9:
    case 0xda:
      return readString(uint(size));
    case 0xc4:
    case 0xc5:
    case 0xc6: {
      // A view of the input, as msgpackr gives without copyBuffers (a batch's items, small binaries).
      const length = uint(size);
      if (at + length > end) return give();
      at += length;
      return src.subarray(at - length, at);
    }
    case 0xdc:
      return readArray(uint(2), depth);
    case 0xde:
      return readMap(uint(2), depth);
    default:
      // ext, float32, 64-bit integers, 32-bit lengths, and 0xc1 (never used).
      return give();
  }
}

/** Bytes that follow each token from 0xc0 to 0xdf on the fast path (0 for those it gives up on). */
const SIZES = new Uint8Array(0x20);
for (const [token, size] of [
  [0xc4, 1],
  [0xc5, 2],
  [0xc6, 4],
  [0xcb, 8],
  [0xcc, 1],
  [0xcd, 2],
  [0xce, 4],
  [0xd0, 1],
  [0xd1, 2],
  [0xd2, 4],
  [0xd9, 1],
  [0xda, 2],
  [0xdc, 2],
  [0xde, 2],
] as const)
  SIZES[token - 0xc0] = size;

/**
 * Short strings (keys, and values such as app ids, types and names) come from a small table, so a
 * repeated one is one string, neither allocated again nor hashed again when used as a key (as
 * msgpackr does for keys). Longer ones are cut from the input.
 */
const CACHED_MAX = 24;
const SLOTS = 1024;
const cached: (string | undefined)[] = new Array(SLOTS);

function readString(length: number): string | undefined {
  const from = at;
  const to = from + length;
  if (to > end) return give();
  const b = src;
  if (length <= CACHED_MAX && length > 0) {
    // The slot from the length and two bytes: a hit is then one pass over the bytes (a cached
    // string is ASCII, so bytes equal to it are too).
    const slot = (length * 0x9e37 + b[from]! * 0x3b + b[to - 1]!) & (SLOTS - 1);
    const known = cached[slot];
    if (known !== undefined && known.length === length) {
      let i = 0;
      while (i < length && known.charCodeAt(i) === b[from + i]) i++;
      if (i === length) {
        at = to;
        return known;
      }
    }
    const made = asciiString(b, from, to);
    if (made !== undefined) cached[slot] = made;
    return made;
  }
  return asciiString(b, from, to);
}

/** The ASCII string of `b[from, to)`, or give up (non-ASCII text is the general decoder's). */
function asciiString(b: Uint8Array, from: number, to: number): string | undefined {
  let high = 0;
  for (let i = from; i < to; i++) high |= b[i]!;
  if (high >= 0x80) return give();
  at = to;
  const length = to - from;
  if (length === 0) return '';
  if (length === 1) return String.fromCharCode(b[from]!);
  if (length === 2) return String.fromCharCode(b[from]!, b[from + 1]!);
  return latin1.call(b, from, to);
}

function readArray(length: number, depth: number): unknown[] | undefined {
  // Every item takes a byte at least: a count past the input is malformed, not a big allocation.
  if (depth >= FAST_MAX_DEPTH || length > end - at) return give();
  const out: unknown[] = new Array(length);
  for (let i = 0; i < length; i++) {
    out[i] = readValue(depth + 1);
    if (bail) return undefined;
  }
  return out;
}

function readMap(length: number, depth: number): Record<string, unknown> | undefined {
  if (depth >= FAST_MAX_DEPTH || 2 * length > end - at) return give();
  if (depth === 0 && (length === RESPONSE_KEYS || length === CALL_KEYS)) {
    const from = at;
    const known = readKnownMessage(length);
    if (known !== undefined || bail) return known;
    at = from;
  }
  const out: Record<string, unknown> = {};
  for (let i = 0; i < length; i++) {
    const key = readKey();
    if (bail) return undefined;
    const value = readValue(depth + 1);
    if (bail) return undefined;
    out[key!] = value;
  }
  return out;
}

function readKey(): string | undefined {
  if (at >= end) return give();
  const token = src[at++]!;
  let key: string | undefined;
  if (token >= 0xa0 && token < 0xc0) key = readString(token & 0x1f);
  else if (token === 0xd9 && at < end) key = readString(src[at++]!);
  else return give(); // a non-string key (msgpackr would stringify it) or a long one
  // msgpackr renames it, and the faithful decoder keeps it: the general path settles which.
  if (key === '__proto__') return give();
  return key;
}

/**
 * A call or a response with the keys createCall and createResponse give, in that order: keys and
 * type are matched as bytes, the values read as readValue reads them, and the object is made in one
 * step, with a shape V8 already knows. Set key by key (through a store that sees every key of every
 * map) such an object cost a third of its decoding: this decodes a reply in two thirds of the time
 * (issue 16). Undefined for any other map, which the caller then reads key by key (both give the
 * same object), and when a value cannot be read (bail).
 */
function readKnownMessage(length: number): Record<string, unknown> | undefined {
  if (!match(KEY_APP)) return undefined;
  const app = readValue(1);
  if (bail || !match(KEY_ID)) return undefined;
  const id = readValue(1);
  if (bail) return undefined;
  if (length === RESPONSE_KEYS) {
    if (!match(TYPE_RESPONSE)) return undefined;
    const timestamp = readValue(1);
    if (bail || !match(KEY_RESULT)) return undefined;
    const result = readValue(1);
    if (bail) return undefined;
    return { app, id, type: 'response', timestamp, result };
  }
  if (!match(TYPE_CALL)) return undefined;
  const timestamp = readValue(1);
  if (bail || !match(KEY_FUNCTION)) return undefined;
  const fn = readValue(1);
  if (bail || !match(KEY_ARGS)) return undefined;
  const args = readValue(1);
  if (bail || !match(KEY_NAMESPACE)) return undefined;
  const namespace = readValue(1);
  if (bail) return undefined;
  return { app, id, type: 'call', timestamp, function: fn, args, namespace };
}

/** True, and past them, when the next bytes are `bytes`. */
function match(bytes: Uint8Array): boolean {
  const n = bytes.length;
  if (at + n > end) return false;
  const b = src;
  for (let i = 0; i < n; i++) if (b[at + i] !== bytes[i]) return false;
  at += n;
  return true;
}

/** The msgpack bytes of ASCII strings, one after the other (each a fixstr). */
function fixstrs(...texts: string[]): Uint8Array {
  const out: number[] = [];
  for (const t of texts) out.push(0xa0 | t.length, ...Buffer.from(t, 'latin1'));
  return Uint8Array.from(out);
}

/** How many keys a response and a call have, as createResponse and createCall make them. */
const RESPONSE_KEYS = 5;
const CALL_KEYS = 7;
/**
 * Their keys, in that order, as msgpack bytes (with the type's value and the key after it):
 * readKnownMessage matches them. (Writing messages from these bytes measured no faster.)
 */
const KEY_APP = fixstrs('app');
const KEY_ID = fixstrs('id');
/** The `type` key, its value, and the `timestamp` key. */
const TYPE_RESPONSE = fixstrs('type', 'response', 'timestamp');
const TYPE_CALL = fixstrs('type', 'call', 'timestamp');
const KEY_RESULT = fixstrs('result');
const KEY_FUNCTION = fixstrs('function');
const KEY_ARGS = fixstrs('args');
const KEY_NAMESPACE = fixstrs('namespace');
