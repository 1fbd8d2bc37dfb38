/**
 * Text for `services.json` that keeps other peers' bytes exactly, even where they are not valid
 * UTF-8. A plain UTF-8 decode turns each bad byte into U+FFFD, and the next rewrite of the file
 * replaces another peer's entry with different bytes. Like Python's `surrogateescape`, each byte
 * that is not part of a valid UTF-8 sequence decodes to the lone surrogate U+DC80 + (byte - 0x80),
 * which JSON.parse carries through untouched; JSON.stringify writes such a surrogate as the escape
 * `\udcXX`, which the encoder here turns back into the original byte. Valid files (nearly all)
 * take the fast path both ways.
 */
const strict = new TextDecoder('utf-8', { fatal: true });

export function decodeKeepingBytes(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    return decodeSlowly(bytes);
  }
}

/** `json` as written by JSON.stringify: ASCII escapes of lone low surrogates become raw bytes. */
export function encodeKeepingBytes(json: string): Buffer {
  // An escape counts only when its backslash is not itself escaped (an even run before it).
  const escape = /(?<!\\)((?:\\\\)*)\\udc([89a-f][0-9a-f])/g;
  if (!escape.test(json)) return Buffer.from(json, 'utf8');
  escape.lastIndex = 0;
  const parts: Buffer[] = [];
  let from = 0;
  for (const match of json.matchAll(escape)) {
    const at = match.index + match[1]!.length;
    parts.push(Buffer.from(json.slice(from, at), 'utf8'), Buffer.from([Number.parseInt(match[2]!, 16)]));
    from = match.index + match[0].length;
  }
  parts.push(Buffer.from(json.slice(from), 'utf8'));
  return Buffer.concat(parts);
}

function decodeSlowly(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const length = sequenceLength(bytes, i);
    if (length === 0) {
      out += String.fromCharCode(0xdc00 + bytes[i]!);
      i += 1;
    } else {
      out += strict.decode(bytes.subarray(i, i + length));
      i += length;
    }
  }
  return out;
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 if the byte there starts none. */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}
