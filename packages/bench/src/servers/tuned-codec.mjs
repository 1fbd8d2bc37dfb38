// msgpack for the tuned baselines: msgpackr's shared scratch buffer for small messages, and for a
// message carrying a big Buffer one fresh buffer of the right size (no growth copies, no 2× buffer
// over glibc's mmap threshold). Shared by the tuned parent clients and children.
import { Packr, Unpackr } from 'msgpackr';

const small = new Packr({ useRecords: false, variableMapSize: true });
const big = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
const BIG = 64 * 1024;

/** `payload`: the one big Buffer the message carries, if any (the caller knows its shape). */
export function encode(message, payload) {
  if (!payload || payload.length < BIG) return small.pack(message);
  big.useBuffer(Buffer.allocUnsafe(payload.length + 1024));
  return big.pack(message);
}

export const decode = (buf) => unpackr.unpack(buf);
