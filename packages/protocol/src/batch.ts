/**
 * The `batch` message (docs/protocol.md#batches): several already-encoded messages in one ZeroMQ
 * message, sent only to a peer that listed the `batch` capability. Each ZeroMQ message costs
 * about 7 µs of CPU per side in zeromq.js and libzmq; with many calls in flight, packing them
 * turns that into one cost per batch. The envelope is an ordinary message (`app`, `id`, `type`,
 * `timestamp`) plus `items`, an array of bin values, each the exact payload the message would have
 * had on its own; so a batch is built by copying bytes (no re-encoding), and read by slicing them.
 */
import type { AppId } from './constants.js';
import { encodeMessage } from './codec.js';
import { nowSeconds } from './messages.js';

export const BATCH_TYPE = 'batch';
/** Items in one batch at most (senders); receivers accept up to this many too. */
export const MAX_BATCH_ITEMS = 1024;

let sequence = 0;

/**
 * One payload holding `payloads` as a batch. The envelope is encoded by the ordinary codec with an
 * empty `items` array (its last byte, 0x90), and the real array header and bin items are written
 * after it. Throws a RangeError past MAX_BATCH_ITEMS (a sender bug, not hostile input).
 */
export function encodeBatch(app: AppId, payloads: readonly Uint8Array[]): Buffer {
  const count = payloads.length;
  if (count > MAX_BATCH_ITEMS) throw new RangeError(`a batch holds at most ${MAX_BATCH_ITEMS} messages, got ${count}`);
  sequence = (sequence + 1) % 0x1_0000_0000;
  const envelope = encodeMessage({
    app,
    id: `batch-${sequence.toString(16)}`,
    type: BATCH_TYPE,
    timestamp: nowSeconds(),
    items: [],
  } as never);
  let size = envelope.length - 1 + arrayHeaderSize(count);
  for (const payload of payloads) size += binHeaderSize(payload.length) + payload.length;
  const out = Buffer.allocUnsafe(size);
  let at = envelope.copy(out, 0, 0, envelope.length - 1);
  at = writeArrayHeader(out, at, count);
  for (const payload of payloads) {
    at = writeBinHeader(out, at, payload.length);
    out.set(payload, at);
    at += payload.length;
  }
  return out;
}

function arrayHeaderSize(count: number): number {
  return count < 16 ? 1 : count < 0x10000 ? 3 : 5;
}

function writeArrayHeader(out: Buffer, at: number, count: number): number {
  if (count < 16) {
    out[at] = 0x90 | count;
    return at + 1;
  }
  out[at] = 0xdc;
  out.writeUInt16BE(count, at + 1);
  return at + 3;
}

function binHeaderSize(length: number): number {
  return length < 0x100 ? 2 : length < 0x10000 ? 3 : 5;
}

function writeBinHeader(out: Buffer, at: number, length: number): number {
  if (length < 0x100) {
    out[at] = 0xc4;
    out[at + 1] = length;
    return at + 2;
  }
  if (length < 0x10000) {
    out[at] = 0xc5;
    out.writeUInt16BE(length, at + 1);
    return at + 3;
  }
  out[at] = 0xc6;
  out.writeUInt32BE(length, at + 1);
  return at + 5;
}
