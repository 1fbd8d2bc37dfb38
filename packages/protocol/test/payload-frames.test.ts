/**
 * Payload frames (docs/protocol.md#payload-frames): large binary values leave the payload for
 * frames of their own and come back as those very frames; stray, missing or unasked-for frame
 * references are refused with a reason, and without a frame list nothing changes on the wire.
 */
import { describe, expect, it } from 'vitest';
import { createCall, createResponse, encodeMessage, parseFrames } from '../src/index.js';
import { PAYLOAD_FRAME_MIN_BYTES as MIN } from '../src/internal.js';

const EMPTY = Buffer.alloc(0);
const RID = Buffer.from('peer1');
const big = (n: number, fill = 7) => Buffer.alloc(n, fill);

describe('payload frames', () => {
  it('moves each binary value of 8 MiB or more into a frame and gets the same bytes back, uncopied', () => {
    expect(MIN).toBe(8 * 1024 * 1024);
    const a = big(MIN, 1);
    const b = new Float64Array(MIN / 8 + 20_000).fill(1.5); // a typed array over the threshold
    const small = big(MIN - 1, 3); // one byte under it: copied into the payload
    const frames: Uint8Array[] = [];
    const payload = encodeMessage(createCall({ function: 'f', args: [a, { nested: [b] }, small] }), {}, frames);
    expect(frames.map((f) => f.byteLength)).toEqual([MIN, MIN + 160_000]);
    expect(payload.length).toBeGreaterThan(MIN - 1); // the smaller value stays inline
    expect(payload.length).toBeLessThan(MIN + 1_000);
    const received = frames.map((f) => Buffer.from(f)); // what the socket hands over
    const result = parseFrames([RID, EMPTY, payload, ...received], 'child');
    if (!result.ok) throw new Error(result.detail);
    const [ra, rb, rsmall] = (result.message as unknown as { args: [Buffer, { nested: [Buffer] }, Buffer] }).args;
    expect(ra).toBe(received[0]); // the frame itself, not a copy
    expect(rb.nested[0]).toBe(received[1]);
    expect(new Float64Array(rb.nested[0].buffer, rb.nested[0].byteOffset, MIN / 8 + 20_000)[MIN / 8 + 19_999]).toBe(
      1.5,
    );
    expect(rsmall.equals(small)).toBe(true);
  });

  it('without a frame list the payload is exactly the ordinary encoding', () => {
    const msg = createResponse('id', big(MIN + 1));
    const frames: Uint8Array[] = [];
    encodeMessage(msg, {}, frames);
    expect(frames).toHaveLength(1);
    const plain = encodeMessage(msg);
    expect(plain.length).toBeGreaterThan(MIN + 1);
    expect(parseFrames([EMPTY, plain], 'parent')).toMatchObject({ ok: true });
  });

  it('stray frames after an ordinary payload are still FRAME_COUNT, as before payload frames', () => {
    const plain = encodeMessage(createCall({ function: 'f', args: [1] }));
    expect(parseFrames([EMPTY, plain, big(10)], 'parent')).toMatchObject({
      ok: false,
      reason: 'FRAME_COUNT',
      detail: 'received 3 frames, expected 2 ([empty, payload])',
    });
  });

  it('a frame the payload does not refer to, or a reference to a frame that is not there, is refused', () => {
    const frames: Uint8Array[] = [];
    const payload = encodeMessage(createCall({ function: 'f', args: [big(MIN)] }), {}, frames);
    expect(parseFrames([RID, EMPTY, payload, frames[0]!, big(5)], 'child')).toMatchObject({
      ok: false,
      reason: 'FRAME_COUNT',
      detail: 'frame 4 follows the payload but the payload does not refer to it',
    });
    const two: Uint8Array[] = [];
    const payload2 = encodeMessage(createCall({ function: 'f', args: [big(MIN), big(MIN)] }), {}, two);
    // Only one of the two frames sent: the reference to frame 1 fails, the call is still answerable.
    expect(parseFrames([RID, EMPTY, payload2, two[0]!], 'child')).toMatchObject({
      ok: false,
      reason: 'NOT_MSGPACK',
      type: 'call',
      function: 'f',
    });
    // A frame reference in an ordinary two-frame message.
    expect(parseFrames([EMPTY, payload], 'parent')).toMatchObject({ ok: false, reason: 'NOT_MSGPACK' });
  });

  it('the frames count toward maxMessageBytes, on both sides', () => {
    const value = big(MIN);
    expect(() => encodeMessage(createCall({ function: 'f', args: [value] }), { maxMessageBytes: MIN / 2 }, [])).toThrow(
      new RegExp(`over the ${MIN / 2}-byte limit`),
    );
    const frames: Uint8Array[] = [];
    const payload = encodeMessage(createCall({ function: 'f', args: [value] }), {}, frames);
    expect(parseFrames([RID, EMPTY, payload, ...frames], 'child', { maxMessageBytes: MIN / 2 })).toMatchObject({
      ok: false,
      reason: 'TOO_LARGE',
      function: 'f',
    });
  });
});
