/**
 * Reads the few top-level string keys of a msgpack message (`type`, `id`, `app`, `function`)
 * without decoding the rest, for a payload too large to decode. A call over the size limit can then
 * still be answered with an error that names the call, instead of silence until its timeout.
 * Everything else is skipped by length, so the cost is a walk over the top-level structure, and
 * any malformed input just yields fewer keys. Never throws.
 */
const WANTED = new Set(['type', 'id', 'app', 'function']);

export type PeekedHeader = Partial<Record<'type' | 'id' | 'app' | 'function', string>>;

export function peekHeader(bytes: Uint8Array): PeekedHeader {
  const out: PeekedHeader = {};
  try {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const first = readHead(bytes, view, 0);
    if (!first || first.kind !== 'map') return out;
    let pos = first.next;
    for (let i = 0; i < first.count; i++) {
      const key = readHead(bytes, view, pos);
      if (!key) return out;
      const name = key.kind === 'str' ? Buffer.from(bytes.subarray(key.next, key.next + key.count)).toString() : '';
      pos = skipValues(bytes, view, pos, 1);
      if (pos < 0) return out;
      const value = readHead(bytes, view, pos);
      if (!value) return out;
      if (WANTED.has(name) && value.kind === 'str' && value.count <= 1024) {
        out[name as keyof PeekedHeader] = Buffer.from(bytes.subarray(value.next, value.next + value.count)).toString();
      }
      pos = skipValues(bytes, view, pos, 1);
      if (pos < 0) return out;
    }
  } catch {
    // Truncated or odd input: whatever was read so far.
  }
  return out;
}

interface Head {
  kind: 'map' | 'array' | 'str' | 'bytes' | 'scalar';
  /** Items (map: pairs) for containers, byte length otherwise. */
  count: number;
  /** Where the body starts. */
  next: number;
}

function readHead(b: Uint8Array, v: DataView, pos: number): Head | undefined {
  if (pos >= b.length) return undefined;
  const t = b[pos]!;
  const at = pos + 1;
  if (t <= 0x7f || t >= 0xe0) return { kind: 'scalar', count: 0, next: at };
  if (t <= 0x8f) return { kind: 'map', count: t & 0x0f, next: at };
  if (t <= 0x9f) return { kind: 'array', count: t & 0x0f, next: at };
  if (t <= 0xbf) return { kind: 'str', count: t & 0x1f, next: at };
  switch (t) {
    case 0xc0:
    case 0xc2:
    case 0xc3:
      return { kind: 'scalar', count: 0, next: at };
    case 0xc4:
      return { kind: 'bytes', count: v.getUint8(at), next: at + 1 };
    case 0xc5:
      return { kind: 'bytes', count: v.getUint16(at), next: at + 2 };
    case 0xc6:
      return { kind: 'bytes', count: v.getUint32(at), next: at + 4 };
    case 0xc7:
      return { kind: 'bytes', count: v.getUint8(at), next: at + 2 };
    case 0xc8:
      return { kind: 'bytes', count: v.getUint16(at), next: at + 3 };
    case 0xc9:
      return { kind: 'bytes', count: v.getUint32(at), next: at + 5 };
    case 0xca:
      return { kind: 'bytes', count: 4, next: at };
    case 0xcb:
      return { kind: 'bytes', count: 8, next: at };
    case 0xcc:
    case 0xd0:
      return { kind: 'bytes', count: 1, next: at };
    case 0xcd:
    case 0xd1:
      return { kind: 'bytes', count: 2, next: at };
    case 0xce:
    case 0xd2:
      return { kind: 'bytes', count: 4, next: at };
    case 0xcf:
    case 0xd3:
      return { kind: 'bytes', count: 8, next: at };
    case 0xd4:
      return { kind: 'bytes', count: 1, next: at + 1 };
    case 0xd5:
      return { kind: 'bytes', count: 2, next: at + 1 };
    case 0xd6:
      return { kind: 'bytes', count: 4, next: at + 1 };
    case 0xd7:
      return { kind: 'bytes', count: 8, next: at + 1 };
    case 0xd8:
      return { kind: 'bytes', count: 16, next: at + 1 };
    case 0xd9:
      return { kind: 'str', count: v.getUint8(at), next: at + 1 };
    case 0xda:
      return { kind: 'str', count: v.getUint16(at), next: at + 2 };
    case 0xdb:
      return { kind: 'str', count: v.getUint32(at), next: at + 4 };
    case 0xdc:
      return { kind: 'array', count: v.getUint16(at), next: at + 2 };
    case 0xdd:
      return { kind: 'array', count: v.getUint32(at), next: at + 4 };
    case 0xde:
      return { kind: 'map', count: v.getUint16(at), next: at + 2 };
    case 0xdf:
      return { kind: 'map', count: v.getUint32(at), next: at + 4 };
    default:
      return undefined; // 0xc1 is never used
  }
}

/** Position after `n` whole values starting at `pos`, or -1 when the input ends first. */
function skipValues(b: Uint8Array, v: DataView, pos: number, n: number): number {
  let pending = n;
  while (pending > 0) {
    const head = readHead(b, v, pos);
    if (!head) return -1;
    pending--;
    if (head.kind === 'map') pending += head.count * 2;
    else if (head.kind === 'array') pending += head.count;
    pos = head.kind === 'map' || head.kind === 'array' ? head.next : head.next + head.count;
    if (pos > b.length || pending > b.length) return -1;
  }
  return pos;
}
