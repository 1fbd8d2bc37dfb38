/**
 * Keeps a `__proto__` key of a received map as itself. msgpackr, decoding maps as objects, renames
 * that key to `__proto_` so that decoding cannot set a prototype; the value then arrives under a
 * name its sender never used, and a real `__proto_` key is indistinguishable from it.
 *
 * The fast path stays msgpackr's: after decoding, a walk over the objects (binary leaves and
 * numbers cost one typeof each) looks for a `__proto_` key. Only a message that has one is decoded
 * again with maps as Maps, which keep every key as sent, and rebuilt with `__proto__` as an own
 * data property. Object.prototype is never touched.
 */
import { Unpackr, type Options } from 'msgpackr';

const RENAMED = '__proto_';

/** True when some object inside `value` has a `__proto_` key (possibly msgpackr's rename). */
export function mayHaveRenamedKey(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (mayHaveRenamedKey(value[i])) return true;
    return false;
  }
  if (ArrayBuffer.isView(value) || value instanceof Date) return false;
  if (Object.hasOwn(value, RENAMED)) return true;
  for (const key in value) {
    if (mayHaveRenamedKey((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

/** Decodes with maps as Maps and turns them into plain objects, keys exactly as sent. */
export function makeFaithfulDecoder(options: Options): (bytes: Uint8Array) => unknown {
  const unpackr = new Unpackr({ ...options, mapsAsObjects: false });
  return (bytes) => toPlain(unpackr.unpack(bytes));
}

function toPlain(value: unknown): unknown {
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of value) {
      // msgpackr's object mode turns any key into a property name the same way.
      const name = typeof key === 'string' ? key : String(key);
      Object.defineProperty(out, name, { value: toPlain(item), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = toPlain(value[i]);
  }
  return value;
}
