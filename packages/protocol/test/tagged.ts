// JSON cannot hold every value of the value table, so fixtures tag the special ones:
// {"$bigint":"…"}, {"$bytes":"hex"}, {"$float":"NaN"|"Infinity"|"-Infinity"}, {"$date":"ISO"},
// {"$undefined":true}, {"$map":[[key, value], …]} (a JS Map).

export function fromTagged(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromTagged);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if ('$bigint' in o) return BigInt(o.$bigint as string);
  if ('$bytes' in o) return Buffer.from(o.$bytes as string, 'hex');
  if ('$float' in o) return Number(o.$float);
  if ('$date' in o) return new Date(o.$date as string);
  if ('$undefined' in o) return undefined;
  if ('$map' in o) return new Map((o.$map as [string, unknown][]).map(([k, x]) => [k, fromTagged(x)]));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = fromTagged(x);
  return out;
}

export interface ValueVector {
  name: string;
  value: unknown;
  /** What decoding gives, when it differs from `value` (undefined → null, Map → object, …). */
  decoded?: unknown;
  hex: string;
  /** The Python type `msgpack.unpackb(raw=False)` must produce. */
  python: string;
}

export interface MessageVector {
  name: string;
  message: Record<string, unknown>;
  decoded?: Record<string, unknown>;
  hex: string;
}

export interface PeerBytesVector {
  name: string;
  description: string;
  hex: string;
  decoded: Record<string, unknown>;
}
