/** Issue 15 defect 10: -0, unknown msgpack ext types, and non-ASCII Python exception names. */
import { describe, expect, it } from 'vitest';
import { pack } from 'msgpackr';
import {
  APP_V4,
  createCall,
  decodeMessage,
  decodeValue,
  encodeMessage,
  encodeValue,
  parseRemoteError,
} from '../src/index.js';

describe('-0', () => {
  it('is sent as a float64 -0, alone and nested, and decodes with its sign', () => {
    expect([...encodeValue(-0)]).toEqual([0xcb, 0x80, 0, 0, 0, 0, 0, 0, 0]);
    expect(Object.is(decodeValue(encodeValue(-0)), -0)).toBe(true);
    const back = decodeValue(encodeValue({ a: [1, -0, 0] })) as { a: number[] };
    expect(Object.is(back.a[1], -0)).toBe(true);
    expect(Object.is(back.a[2], 0)).toBe(true);
    const msg = decodeMessage(encodeMessage(createCall({ function: 'f', args: [-0] })));
    expect(msg.ok && Object.is((msg.message as { args: unknown[] }).args[0], -0)).toBe(true);
  });

  it('leaves 0 an integer', () => {
    expect([...encodeValue(0)]).toEqual([0x00]);
  });
});

describe('a value in an unknown msgpack ext type', () => {
  // fixext1 type 5 inside args: valid msgpack that no Multifrost value uses.
  const withExt = (fields: Record<string, unknown>) => {
    const marker = 'EXT-HERE';
    const bytes = pack({ app: APP_V4, id: 'call-1', timestamp: 1, ...fields, args: [marker] });
    const at = bytes.indexOf(Buffer.from(marker)) - 1;
    return Buffer.concat([
      bytes.subarray(0, at),
      Buffer.from([0xd4, 0x05, 0x00]),
      bytes.subarray(at + 1 + marker.length),
    ]);
  };

  it('is rejected with the id, type, app and function kept, so a call can be answered', () => {
    const rej = decodeMessage(withExt({ type: 'call', function: 'add', namespace: 'default' }));
    expect(rej.ok).toBe(false);
    if (rej.ok) return;
    expect(rej).toMatchObject({ reason: 'NOT_MSGPACK', id: 'call-1', type: 'call', app: APP_V4, function: 'add' });
    expect(rej.detail).toMatch(/ext type 5/);
  });

  it('in a reply, keeps the id so the parent can fail that call', () => {
    const rej = decodeMessage(withExt({ type: 'response' }));
    expect(rej.ok === false && rej.id).toBe('call-1');
  });
});

describe('remote error names', () => {
  it('reads a non-ASCII Python exception class name', () => {
    expect(parseRemoteError({ error: 'Ошибка: плохо\nTraceback (most recent call last):\n  x' })).toMatchObject({
      name: 'Ошибка',
      message: 'плохо',
    });
    expect(parseRemoteError({ error: 'mod.ÉchecDeCalcul: non' }).name).toBe('mod.ÉchecDeCalcul');
    expect(parseRemoteError({ error: '計算エラー2: x' }).name).toBe('計算エラー2');
  });

  it('still does not take prose for a name', () => {
    expect(parseRemoteError({ error: 'something went wrong: here' }).name).toBe('Error');
    expect(parseRemoteError({ error: '2bad: x' }).name).toBe('Error');
  });
});
