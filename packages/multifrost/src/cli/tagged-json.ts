/**
 * JSON for values JSON has no type for, in both directions: bytes travel as
 * `{"$bytes":"<base64>"}` and integers beyond 2^53 as `{"$bigint":"<digits>"}`, so `--json` output
 * is lossless and the same text can be passed back as an argument.
 */

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const INTEGER = /^-?(0|[1-9]\d*)$/;

/** One JSON document; compact unless `indent` is given. Bytes and BigInts are tagged. */
export function toTaggedJson(value: unknown, indent?: number): string {
  const text = JSON.stringify(
    value,
    function (this: Record<string, unknown>, key: string, v: unknown) {
      // `v` has already been through toJSON (a Buffer would be {type,data}); the holder has the original.
      const original = this[key];
      if (original instanceof Uint8Array)
        return { $bytes: Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64') };
      if (typeof original === 'bigint') return { $bigint: original.toString() };
      if (original instanceof Map) return Object.fromEntries(original);
      if (original instanceof Set) return [...original];
      return v;
    },
    indent,
  );
  // A bare undefined (a void function over a peer that sends it) has no JSON form; nil is what it means.
  return text ?? 'null';
}

/** Parses a JSON argument, turning the two tags back into a Buffer and a BigInt. */
export function fromTaggedJson(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const keys = Object.keys(v);
    if (keys.length !== 1) return v;
    const tagged = (v as Record<string, unknown>)[keys[0]!];
    if (keys[0] === '$bytes') {
      if (typeof tagged !== 'string' || !BASE64.test(tagged)) {
        throw new Error(`{"$bytes": ...} needs a padded standard base64 string, got ${JSON.stringify(tagged)}`);
      }
      return Buffer.from(tagged, 'base64');
    }
    if (keys[0] === '$bigint') {
      if (typeof tagged !== 'string' || !INTEGER.test(tagged)) {
        throw new Error(`{"$bigint": ...} needs a string of decimal digits, got ${JSON.stringify(tagged)}`);
      }
      return BigInt(tagged);
    }
    return v;
  });
}
