/**
 * The [value table](../../../docs/protocol.md#values), enforced before encoding: one walk that
 * rejects what cannot cross the wire (naming the path of the bad value) and rewrites the few
 * things msgpackr would otherwise encode in a way other peers misread. Values are copied only
 * where a rewrite happens.
 */
import { DEFAULT_LIMITS } from './constants.js';
import { MultifrostError } from './errors.js';

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
/** msgpackr writes integers outside [-2^31, 2^32) as float64; beyond that we go through BigInt. */
const UINT32_MAX = 0xffff_ffff;
const INT32_MIN = -0x8000_0000;
const EXACT_INT_LIMIT = 2 ** 53;

/** Stands for -0 between the walk and the encoder, which writes it as float64 (codec.ts). */
export class NegativeZero {}
export const NEGATIVE_ZERO = new NegativeZero();

/** A binary value sent as ZeroMQ frame `index` after the payload (payload-frames.ts). */
export class FrameRef {
  constructor(readonly index: number) {}
}

/**
 * Where the walk moves large binary values while a framed message is encoded: undefined (the
 * usual case) keeps every value inline. Module-level like `binaryTally`: walks are synchronous.
 */
export const frameSink: { frames: Uint8Array[] | undefined; minBytes: number } = { frames: undefined, minBytes: 0 };

/** A binary value: inline (counted for the exact-size encoder) or moved out into a frame. */
function binary(bytes: Uint8Array): unknown {
  const frames = frameSink.frames;
  if (frames !== undefined && bytes.byteLength >= frameSink.minBytes) {
    frames.push(bytes);
    return new FrameRef(frames.length - 1);
  }
  binaryTally.bytes += bytes.byteLength;
  return bytes;
}

/**
 * Bytes of binary values the walks have seen since the caller last zeroed it: the encoder reads it
 * to pick an exactly sized output buffer for big payloads (exact-size.ts) without a second walk.
 */
export const binaryTally = { bytes: 0 };

function describe(value: unknown): string {
  if (typeof value === 'function') return 'functions cannot be sent';
  if (typeof value === 'symbol') return 'symbols cannot be sent';
  if (typeof value === 'bigint') return `BigInt ${value} is beyond 64 bits`;
  return `${Object.prototype.toString.call(value)} cannot be sent`;
}

/**
 * An Error would otherwise go out as `{}` (its name, message and stack are not own enumerable
 * keys), and the receiver could not tell it from an empty result.
 */
function describeError(err: Error): string {
  const name = typeof err.name === 'string' && err.name !== '' ? err.name : 'Error';
  return `an Error (${name}) cannot be sent (throw it to fail the call, or send its message as a string)`;
}

function isIterable(obj: object): boolean {
  return Symbol.iterator in obj || Symbol.asyncIterator in obj;
}

/**
 * Generators and iterators keep their state on the sender's side: encoded as maps they would
 * arrive as `{}`, silently losing every item. Refused until the protocol has streams.
 */
function describeIterator(obj: object): string {
  const tag = Object.prototype.toString.call(obj);
  const what =
    tag === '[object Generator]'
      ? 'a generator'
      : tag === '[object AsyncGenerator]'
        ? 'an async generator'
        : 'an iterator';
  return `${what} cannot be sent (streams are not supported yet; spread it into an array first)`;
}

/**
 * Thrown inside the walk; path segments are added while it unwinds, so the happy path never
 * builds a path string (this runs on every message).
 */
class BadValue {
  readonly segments: (string | number)[] = [];
  constructor(readonly reason: string) {}
}

function fail(reason: string): never {
  throw new BadValue(reason);
}

function within(err: unknown, segment: string | number): never {
  if (err instanceof BadValue) err.segments.push(segment);
  throw err;
}

function renderPath(root: string, segments: (string | number)[]): string {
  let path = root;
  for (let i = segments.length - 1; i >= 0; i--) {
    const s = segments[i]!;
    path += typeof s === 'number' ? `[${s}]` : /^[A-Za-z_$][\w$]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
  }
  return path;
}

/** False for the values the walk would hand back untouched without looking inside (the common case). */
export function needsPreparing(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return false;
    case 'number':
      return (Number.isInteger(value) && (value > UINT32_MAX || value < INT32_MIN)) || Object.is(value, -0);
    case 'object':
      return value !== null;
    default:
      return true;
  }
}

/**
 * The objects on the path from the root to the value being walked, for the circular-reference
 * check. A module-level stack rather than a Set per call: this runs on every message, and a walk
 * is synchronous, so a nested walk (a getter that encodes) only ever works above its caller's part.
 */
const ancestors: object[] = [];

/**
 * Checks `value` against the value table and returns what should be handed to msgpackr: `value`
 * itself when nothing needs rewriting. Throws `MultifrostError('ENCODE')` naming the path.
 */
export function prepareValue(value: unknown, path = 'value', maxDepth = DEFAULT_LIMITS.maxDepth): unknown {
  if (!needsPreparing(value)) return value;
  const base = ancestors.length;
  try {
    return walk(value, 0, maxDepth, base);
  } catch (err) {
    if (!(err instanceof BadValue)) throw err;
    const where = renderPath(path, err.segments);
    throw new MultifrostError('ENCODE', `${where}: ${err.reason}`, { details: { path: where } });
  } finally {
    ancestors.length = base;
  }
}

function walk(value: unknown, depth: number, maxDepth: number, base: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return value;
    case 'number':
      // msgpackr writes -0 as the integer 0; the sign is part of the value (1 / -0 is -Infinity).
      if (Object.is(value, -0)) return NEGATIVE_ZERO;
      if (Number.isInteger(value) && (value > UINT32_MAX || value < INT32_MIN) && Math.abs(value) <= EXACT_INT_LIMIT) {
        // A whole Number msgpackr would write as float64: send it as an int (Python must see int).
        return BigInt(value);
      }
      return value;
    case 'bigint':
      if (value < INT64_MIN || value > UINT64_MAX) fail(describe(value));
      return value;
    case 'function':
    case 'symbol':
      fail(describe(value));
  }
  if (value === null) return value;
  const obj = value as object;
  if (obj instanceof Uint8Array) return binary(obj);
  if (obj instanceof Date) {
    if (Number.isNaN(obj.getTime())) fail('invalid Date cannot be sent');
    return obj;
  }
  if (ArrayBuffer.isView(obj)) return binary(Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength));
  if (obj instanceof ArrayBuffer) return binary(Buffer.from(obj));
  if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth} levels`);
  for (let i = base; i < ancestors.length; i++) if (ancestors[i] === obj) fail('circular reference');
  ancestors.push(obj);
  let out: unknown;
  if (Array.isArray(obj)) out = walkArray(obj, depth, maxDepth, base);
  else if (obj instanceof Map) out = walkMap(obj, depth, maxDepth, base);
  else if (obj instanceof Set) out = walkArray([...obj], depth, maxDepth, base);
  else if (obj instanceof Promise) fail('a Promise cannot be sent (did you forget an await?)');
  else if (obj instanceof WeakMap || obj instanceof WeakSet) fail(describe(obj));
  else if (obj instanceof Error) fail(describeError(obj));
  else if (typeof (obj as { next?: unknown }).next === 'function' && isIterable(obj)) fail(describeIterator(obj));
  else out = walkObject(obj as Record<string, unknown>, depth, maxDepth, base);
  // On a throw the stack is cut back by prepareValue, so no finally is needed here.
  ancestors.pop();
  return out;
}

function walkArray(arr: unknown[], depth: number, maxDepth: number, base: number): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < arr.length; i++) {
    const item = arr[i];
    let next: unknown;
    try {
      next = walk(item, depth + 1, maxDepth, base);
    } catch (err) {
      within(err, i);
    }
    if (next !== item && out === undefined) out = arr.slice(0, i);
    if (out !== undefined) out.push(next);
  }
  return out ?? arr;
}

function walkObject(
  obj: Record<string, unknown>,
  depth: number,
  maxDepth: number,
  base: number,
): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const item = obj[key];
    let next: unknown;
    try {
      next = walk(item, depth + 1, maxDepth, base);
    } catch (err) {
      within(err, key);
    }
    if (next !== item && out === undefined) {
      out = {};
      for (let j = 0; j < i; j++) setKey(out, keys[j]!, obj[keys[j]!]);
    }
    if (out !== undefined) setKey(out, key, next);
  }
  return out ?? obj;
}

function walkMap(map: Map<unknown, unknown>, depth: number, maxDepth: number, base: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of map) {
    if (typeof key !== 'string') fail(`Map keys must be strings (found ${typeof key})`);
    let next: unknown;
    try {
      next = walk(item, depth + 1, maxDepth, base);
    } catch (err) {
      within(err, key);
    }
    setKey(out, key, next);
  }
  return out;
}

/** Plain assignment, except that a `__proto__` key stays an own data property. */
function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
