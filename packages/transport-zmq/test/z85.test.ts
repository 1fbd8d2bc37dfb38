/**
 * Z85 against ZeroMQ RFC 32's own example, keys made by libzmq, and malformed input.
 */
import { curveKeyPair as nativeKeyPair } from 'zeromq';
import { describe, expect, it } from 'vitest';
import { isCurveKey, z85Decode, z85Encode } from '../src/index.js';

const RFC_BYTES = Buffer.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);

describe('Z85', () => {
  it('encodes and decodes the RFC 32 example', () => {
    expect(z85Encode(RFC_BYTES)).toBe('HelloWorld');
    expect(z85Decode('HelloWorld')).toEqual(RFC_BYTES);
  });

  it('round-trips libzmq keys: 40 characters, 32 bytes', () => {
    const { publicKey, secretKey } = nativeKeyPair();
    for (const key of [publicKey, secretKey]) {
      const raw = z85Decode(key);
      expect(raw.length).toBe(32);
      expect(z85Encode(raw)).toBe(key);
      expect(isCurveKey(key)).toBe(true);
    }
  });

  it('handles the extremes of a group', () => {
    expect(z85Encode(Buffer.alloc(4))).toBe('00000');
    expect(z85Encode(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toBe('%nSc0');
    expect(z85Decode('%nSc0')).toEqual(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  });

  it('refuses lengths and characters outside the encoding', () => {
    expect(() => z85Encode(Buffer.alloc(3))).toThrow(/4-byte/);
    expect(() => z85Decode('Hell')).toThrow(/5-character/);
    expect(() => z85Decode('Hell~')).toThrow(/Not a Z85 character/);
    // The largest 5-digit value exceeds 32 bits.
    expect(() => z85Decode('#####')).toThrow(/out of range/);
    expect(isCurveKey('HelloWorld')).toBe(false);
    expect(isCurveKey(42)).toBe(false);
  });
});
