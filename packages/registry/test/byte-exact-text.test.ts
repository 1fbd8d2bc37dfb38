import { describe, expect, it } from 'vitest';
import { decodeKeepingBytes, encodeKeepingBytes } from '../src/byte-exact-text.js';

const roundTrip = (bytes: Buffer) =>
  encodeKeepingBytes(JSON.stringify(JSON.parse(decodeKeepingBytes(bytes)) as unknown));

describe('registry text keeps every byte', () => {
  it('valid UTF-8 takes the plain path', () => {
    const bytes = Buffer.from(JSON.stringify({ 'café-😀': 'naïve' }));
    expect(roundTrip(bytes).equals(bytes)).toBe(true);
  });

  it('bytes that are not UTF-8 come back as they were, wherever they are', () => {
    for (const bad of [[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80, 0xbf]]) {
      const bytes = Buffer.concat([
        Buffer.from('{"k'),
        Buffer.from(bad),
        Buffer.from('":"v'),
        Buffer.from(bad),
        Buffer.from('"}'),
      ]);
      expect(roundTrip(bytes).equals(bytes)).toBe(true);
    }
  });

  it('a literal backslash before "udc80" in the text is not mistaken for an escape', () => {
    const bytes = Buffer.from(JSON.stringify({ path: 'C:\\udc80', other: '\\\\udc81' }));
    expect(roundTrip(bytes).equals(bytes)).toBe(true);
  });
});
