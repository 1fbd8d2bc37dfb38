/** The stream message types: creators and the validator's checks of their keys. */
import { describe, expect, it } from 'vitest';
import {
  createStreamCredit,
  createStreamEnd,
  createStreamItem,
  decodeMessage,
  encodeMessage,
  validateMessage,
} from '../src/index.js';

describe('stream messages', () => {
  it('round-trip through the codec and validator', () => {
    for (const msg of [
      createStreamItem('c1', 0, Buffer.from([1, 2, 3])),
      createStreamEnd('c1', 1),
      createStreamCredit('c1', 32),
      createStreamCredit('c1', 0),
    ]) {
      const back = decodeMessage(encodeMessage(msg));
      expect(back.ok).toBe(true);
      if (back.ok) expect(back.message).toEqual(msg);
    }
  });

  it('fills a nil item absent on the wire', () => {
    const r = validateMessage({ app: 'comlink_ipc_v3', id: 'c', type: 'stream_item', timestamp: 1.5, seq: 3 });
    expect(r.ok && r.message.type === 'stream_item' && r.message.item).toBe(null);
  });

  it.each([
    ['stream_item', 'seq', -1],
    ['stream_item', 'seq', 1.5],
    ['stream_item', 'seq', 'x'],
    ['stream_end', 'count', undefined],
    ['stream_end', 'count', -2],
    ['stream_credit', 'credit', null],
    ['stream_credit', 'credit', 2 ** 60],
  ])('refuses %s with %s = %s', (type, key, value) => {
    const r = validateMessage({ app: 'comlink_ipc_v3', id: 'c', type, timestamp: 1.5, [key]: value });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe('BAD_KEY_TYPE');
      expect(r.detail).toContain(`'${key}'`);
      expect(r.id).toBe('c');
    }
  });
});
