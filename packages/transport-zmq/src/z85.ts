/**
 * Z85 (ZeroMQ RFC 32), the text form of CURVE keys in our API, in zmq.auth certificate files and
 * in services.json. libzmq has `zmq_z85_encode`, but zeromq.js does not expose it, and the ZAP
 * handler receives a client's key as 32 raw bytes that must be compared with Z85 allow-lists.
 */
import { MultifrostError } from '@multifrost/protocol';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const DECODE = new Map<string, number>([...ALPHABET].map((ch, i) => [ch, i]));

/** Encodes bytes whose length is a multiple of 4 (RFC 32 leaves padding to the caller). */
export function z85Encode(data: Uint8Array): string {
  if (data.length % 4 !== 0) {
    throw new MultifrostError('INVALID_ARGUMENT', `Z85 encodes whole 4-byte groups; got ${data.length} bytes`);
  }
  let out = '';
  for (let i = 0; i < data.length; i += 4) {
    // Multiplication instead of << keeps the value an unsigned 32-bit number.
    let value = ((data[i]! * 256 + data[i + 1]!) * 256 + data[i + 2]!) * 256 + data[i + 3]!;
    let chunk = '';
    for (let k = 0; k < 5; k++) {
      chunk = ALPHABET[value % 85]! + chunk;
      value = Math.floor(value / 85);
    }
    out += chunk;
  }
  return out;
}

/** Decodes a Z85 string whose length is a multiple of 5; anything else is INVALID_ARGUMENT. */
export function z85Decode(text: string): Buffer {
  if (text.length % 5 !== 0) {
    throw new MultifrostError(
      'INVALID_ARGUMENT',
      `Z85 text comes in 5-character groups; got ${text.length} characters`,
    );
  }
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let value = 0;
    for (let k = 0; k < 5; k++) {
      const digit = DECODE.get(text[i + k]!);
      if (digit === undefined) {
        throw new MultifrostError('INVALID_ARGUMENT', `Not a Z85 character: ${JSON.stringify(text[i + k])}`);
      }
      value = value * 85 + digit;
    }
    if (value > 0xffffffff)
      throw new MultifrostError('INVALID_ARGUMENT', `Z85 group out of range: ${text.slice(i, i + 5)}`);
    out.writeUInt32BE(value, o);
  }
  return out;
}

/** A CURVE key in Z85: 40 characters that decode to 32 bytes. */
export function isCurveKey(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== 40) return false;
  try {
    z85Decode(value);
    return true;
  } catch {
    return false;
  }
}
