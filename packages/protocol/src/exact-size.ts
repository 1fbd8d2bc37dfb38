/**
 * The big-payload encode path: a message carrying large binary values is packed into one fresh
 * buffer sized from an upper bound of its encoding, so the bytes are copied once instead of
 * through msgpackr's growth steps (each doubling copies everything written so far, and past 16 MiB
 * the doubled buffer lands in fresh pages). The bytes written are msgpackr's own, so the wire is
 * unchanged.
 */
import type { Packr } from 'msgpackr';
import { FrameRef, NegativeZero } from './values.js';

/** Below this many bytes of binary values, msgpackr's shared scratch buffer is cheaper. */
export const EXACT_SIZE_MIN_BINARY_BYTES = 64 * 1024;

/**
 * The threshold in force, mutable so a benchmark can measure both paths in one run (exported only
 * from `@multifrost/protocol/internal`; Infinity turns the exact-size path off).
 */
export const exactSizeSettings = { minBinaryBytes: EXACT_SIZE_MIN_BINARY_BYTES };

/** msgpackr grows its buffer when a write would come within this many bytes of the end. */
const MSGPACKR_END_SLACK = 10;
/** Header of the largest str/bin/array/map form (marker + 32-bit length). */
const HEADER = 5;
/** float64, int64, uint64: marker + 8 bytes. */
const NUMBER = 9;
/** A payload frame reference: fixext 4 (marker, type, 4 bytes). */
const FRAME_REF = 6;
/** Timestamp ext with 96-bit payload: marker, length, type, 12 bytes. */
const DATE = 15;

/**
 * An upper bound of the encoded size of a value already prepared by `prepareValue`, at least as
 * large as every room check msgpackr makes while writing it (it asks for three bytes per UTF-16
 * unit before writing a string), or -1 for anything whose encoding it cannot bound (a class
 * instance msgpackr might write through `toJSON` or an extension): those keep the growing path.
 */
export function encodedSizeBound(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return HEADER + value.length * 3;
    case 'number':
    case 'bigint':
      return NUMBER;
    case 'boolean':
    case 'undefined':
      return 1;
    case 'object':
      break;
    default:
      return -1;
  }
  if (value === null) return 1;
  if (value instanceof Uint8Array) return HEADER + value.byteLength;
  if (Array.isArray(value)) {
    let size = HEADER;
    for (let i = 0; i < value.length; i++) {
      const item = encodedSizeBound(value[i]);
      if (item < 0) return -1;
      size += item;
    }
    return size;
  }
  if (value instanceof Date) return DATE;
  if (value instanceof NegativeZero) return NUMBER;
  if (value instanceof FrameRef) return FRAME_REF;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return -1;
  let size = HEADER;
  const obj = value as Record<string, unknown>;
  for (const key in obj) {
    const item = encodedSizeBound(obj[key]);
    if (item < 0) return -1;
    size += HEADER + key.length * 3 + item;
  }
  return size;
}

/**
 * Packs `value` into a buffer of its own, or returns undefined when its size cannot be bounded.
 * msgpackr writes every Packr into one module-wide target, and `useBuffer` makes the given buffer
 * that target: the next pack would write into it right after this message. So the target is
 * handed a fresh scratch buffer afterwards, and nothing returned here is ever written again.
 */
export function packExactSize(packr: Packr, value: unknown): Buffer | undefined {
  const bound = encodedSizeBound(value);
  if (bound < 0) return undefined;
  try {
    packr.useBuffer(Buffer.allocUnsafeSlow(bound + MSGPACKR_END_SLACK));
    return packr.pack(value);
  } finally {
    // The size of msgpackr's own first buffer: small messages go on as from a fresh start.
    packr.useBuffer(Buffer.allocUnsafeSlow(8192));
  }
}
