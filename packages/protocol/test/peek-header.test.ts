import { describe, expect, it } from 'vitest';
import { createCall, createResponse, decodeMessage, encodeMessage } from '../src/index.js';
import { peekHeader } from '../src/peek-header.js';

describe('peekHeader reads the keys of a message it does not decode', () => {
  it('finds type, id, app and function around large and nested values', () => {
    const call = createCall({
      id: 'c1',
      function: 'predict',
      args: [Buffer.alloc(70_000), { a: [1, 2.5, -3, 'x'.repeat(300)] }, 2n ** 40n],
    });
    expect(peekHeader(encodeMessage(call))).toEqual({ type: 'call', id: 'c1', app: call.app, function: 'predict' });
    const reply = createResponse('r1', { nested: new Array(20_000).fill(null) });
    expect(peekHeader(encodeMessage(reply))).toMatchObject({ type: 'response', id: 'r1' });
  });

  it('returns what it could read from truncated or hostile input, and never throws', () => {
    const bytes = encodeMessage(createCall({ id: 'c2', function: 'f', args: [Buffer.alloc(5000)] }));
    for (const cut of [0, 1, 5, 40, bytes.length - 100]) expect(() => peekHeader(bytes.subarray(0, cut))).not.toThrow();
    expect(peekHeader(Buffer.from([0xc1, 0xff, 0x00]))).toEqual({});
    expect(peekHeader(Buffer.from([0xdf, 0xff, 0xff, 0xff, 0xff]))).toEqual({});
  });

  it('gives an over-size call its id, function and sizes in the rejection', () => {
    const bytes = encodeMessage(createCall({ id: 'c3', function: 'train', args: [Buffer.alloc(4096)] }));
    const result = decodeMessage(bytes, { maxMessageBytes: 1024 });
    expect(result).toMatchObject({
      ok: false,
      reason: 'TOO_LARGE',
      id: 'c3',
      type: 'call',
      function: 'train',
      limit: 1024,
    });
    if (!result.ok) expect(result.detail).toMatch(/^call to train\(\) is \d+ bytes, over the 1024-byte limit/);
  });
});
