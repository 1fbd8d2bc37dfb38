/**
 * msgpack encoding and decoding of messages, on msgpackr in standard mode (plain maps, no records,
 * nil for `undefined`). See docs/protocol.md: [payload](../../../docs/protocol.md#payload) and
 * [values](../../../docs/protocol.md#values).
 */
import { Packr, Unpackr, addExtension, type Options } from 'msgpackr';
import { DEFAULT_LIMITS, type ProtocolLimits } from './constants.js';
import { MultifrostError } from './errors.js';
import type { Message } from './messages.js';
import { makeFaithfulDecoder, mayHaveRenamedKey } from './proto-keys.js';
import { exactSizeSettings, packExactSize } from './exact-size.js';
import { NOT_FAST, fastDecode, fastEncode } from './fast-codec.js';
import { PAYLOAD_FRAME_MIN_BYTES } from './payload-frames.js';
import { NegativeZero, binaryTally, frameSink, needsPreparing, prepareValue } from './values.js';

/**
 * -0 as float64 (`cb 80 00 .. 00`): written as raw bytes through msgpackr's `pack` hook, so no
 * ext wrapper reaches the wire. msgpackr insists on a type code; 0x7e is never written, and
 * reading it stays an error, as for any ext type no Multifrost value uses.
 */
const UNUSED_EXT_TYPE = 0x7e;
addExtension({
  Class: NegativeZero,
  type: UNUSED_EXT_TYPE,
  pack(_value: unknown, allocate: (size: number) => { target: Uint8Array; targetView: DataView; position: number }) {
    const { target, targetView, position } = allocate(9);
    target[position] = 0xcb;
    targetView.setFloat64(position + 1, -0);
  },
  unpack() {
    throw new Error(`Unknown extension ${UNUSED_EXT_TYPE}`);
  },
} as unknown as Parameters<typeof addExtension>[0]);

/** The encoder settings (exported for the fast path's equality tests). */
export const packrOptions: Options = {
  useRecords: false,
  variableMapSize: true,
  encodeUndefinedAsNil: true,
  useTimestamp32: false,
};
const packr = new Packr(packrOptions);

// msgpackr supports int64AsType 'auto' at run time but its typings omit it.
export const unpackrOptions: Options = {
  useRecords: false,
  mapsAsObjects: true,
  // int64/uint64 become Numbers when exactly representable (|n| <= 2^53), BigInt otherwise.
  int64AsType: 'auto' as Options['int64AsType'],
};
const unpackr = new Unpackr(unpackrOptions);
const decodeFaithfully = makeFaithfulDecoder(unpackrOptions);

/**
 * Encodes any value per the value table. Throws `MultifrostError('ENCODE')` naming the path of a
 * value that cannot be sent; nothing is produced in that case.
 */
export function encodeValue(value: unknown, path = 'value', limits: Partial<ProtocolLimits> = {}): Buffer {
  binaryTally.bytes = 0;
  const ready = prepareValue(value, path, limits.maxDepth ?? DEFAULT_LIMITS.maxDepth);
  return (
    (binaryTally.bytes >= exactSizeSettings.minBinaryBytes ? packExactSize(packr, ready) : undefined) ??
    packr.pack(ready)
  );
}

/** Decodes one msgpack value. Throws on malformed input (use `parseFrames` for hostile input). */
export function decodeValue(bytes: Uint8Array): unknown {
  const fast = fastDecode(bytes);
  if (fast !== NOT_FAST) return fast;
  const value = unpackr.unpack(bytes);
  // A `__proto__` key arrives as itself (see proto-keys.ts); msgpackr alone would rename it.
  return mayHaveRenamedKey(value) ? decodeFaithfully(bytes) : value;
}

/**
 * Encodes a message. Each top-level key is checked with its own name as the path root, so a bad
 * argument is reported as `args[1].cb: functions cannot be sent`. A message over
 * `limits.maxMessageBytes` is refused before it reaches a socket.
 *
 * With `frames` (toward a peer that listed the `frames` capability), binary values of 8 MiB or
 * more are pushed onto it instead of being copied into the payload, which refers to them by index
 * (payload-frames.ts); the caller sends them as frames after the payload, in that order.
 */
export function encodeMessage(message: Message, limits: Partial<ProtocolLimits> = {}, frames?: Uint8Array[]): Buffer {
  const maxDepth = limits.maxDepth ?? DEFAULT_LIMITS.maxDepth;
  const src = message as unknown as Record<string, unknown>;
  // Plain messages (almost all of them) need neither the walk nor msgpackr (fast-codec.ts). The
  // message itself is one level above its values, as the walk counts.
  const fast = fastEncode(message, maxDepth + 1);
  if (fast !== NOT_FAST) return checkSize(message, fast, fast.length, limits);
  let prepared: Record<string, unknown> | undefined;
  binaryTally.bytes = 0;
  if (frames !== undefined) {
    frameSink.frames = frames;
    frameSink.minBytes = PAYLOAD_FRAME_MIN_BYTES;
  }
  try {
    for (const key in src) {
      const item = src[key];
      if (!needsPreparing(item)) continue;
      const next = prepareValue(item, key, maxDepth);
      if (next !== item) {
        prepared ??= { ...src };
        prepared[key] = next;
      }
    }
  } finally {
    frameSink.frames = undefined;
  }
  const ready = prepared ?? src;
  // Read straight after the walk: a nested encode (a getter that encodes) would zero it later.
  const big = binaryTally.bytes >= exactSizeSettings.minBinaryBytes;
  const bytes = (big ? packExactSize(packr, ready) : undefined) ?? packr.pack(ready);
  let size = bytes.length;
  if (frames !== undefined) for (const frame of frames) size += frame.byteLength;
  return checkSize(message, bytes, size, limits);
}

/** `bytes`, unless the message (`size` with its frames) is over `limits.maxMessageBytes`. */
function checkSize(message: Message, bytes: Buffer, size: number, limits: Partial<ProtocolLimits>): Buffer {
  const max = limits.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes;
  if (size > max) {
    throw new MultifrostError(
      'ENCODE',
      `${message.type} message is ${size} bytes, over the ${max}-byte limit (maxMessageBytes)`,
      { details: { size, limit: max } },
    );
  }
  return bytes;
}

/**
 * The payload a transport's send path queues, or the error to hand straight back to the sender:
 * CLOSED when the transport is closed, else an ENCODE MultifrostError naming the path (anything
 * unexpected from the encoder wrapped as ENCODE).
 */
export function payloadForSend(
  message: Message,
  limits: Partial<ProtocolLimits>,
  closed: boolean,
  frames?: Uint8Array[],
): Buffer | MultifrostError {
  if (closed) return new MultifrostError('CLOSED', `Cannot send ${String(message?.type)}: the transport is closed`);
  try {
    return encodeMessage(message, limits, frames);
  } catch (err) {
    return err instanceof MultifrostError
      ? err
      : new MultifrostError('ENCODE', `Could not encode the ${String(message?.type)} message: ${String(err)}`, {
          cause: err,
        });
  }
}
