/**
 * Payload frames on real sockets: toward a peer that listed `frames`, a large binary value leaves
 * as a frame of its own and arrives intact; toward any other peer, or with `payloadFrames: false`,
 * every message keeps the two-frame layout the public peers expect.
 */
import { CAP_FRAMES, createCall, createResponse, type Message } from '@multifrost/protocol';
import { PAYLOAD_FRAME_MIN_BYTES } from '@multifrost/protocol/internal';
import { describe, expect, it } from 'vitest';
import { pair, waitUntil } from './helpers.js';

const FRAMES = new Set([CAP_FRAMES]);
const value = Buffer.alloc(PAYLOAD_FRAME_MIN_BYTES + 4096);
for (let i = 0; i < value.length; i += 4096) value[i] = i & 0xff;

describe.each(['spawn', 'connect'] as const)('payload frames, %s-mode layout', (layout) => {
  it('carry a large value both ways to a peer that listed them', async () => {
    const { caller, service } = await pair(layout);
    caller.setPeerCapabilities?.(FRAMES);
    let got: [Message, Buffer] | undefined;
    service.onMessage = (m, p) => (got = [m, p]);
    await caller.send(createCall({ function: 'echo', args: [value, 'tag'] }));
    await waitUntil(() => got !== undefined);
    const [msg, peer] = got!;
    expect((msg as unknown as { args: [Buffer, string] }).args[0].equals(value)).toBe(true);
    expect((msg as { args: unknown[] }).args[1]).toBe('tag');
    expect(caller.stats.framedMessages).toBe(1);

    service.setPeerCapabilities?.(FRAMES, peer);
    let back: Message | undefined;
    caller.onMessage = (m) => (back = m);
    await service.send(peer, createResponse(msg.id, { data: value }));
    await waitUntil(() => back !== undefined);
    expect((back as { result: { data: Buffer } }).result.data.equals(value)).toBe(true);
    expect(service.stats.framedMessages).toBe(1);
  });

  it('are not used toward a peer that did not list them, nor with payloadFrames: false', async () => {
    for (const options of [{}, { payloadFrames: false }]) {
      const { caller, service } = await pair(layout, options);
      if ('payloadFrames' in options) caller.setPeerCapabilities?.(FRAMES);
      let got: Message | undefined;
      service.onMessage = (m) => (got = m);
      await caller.send(createCall({ function: 'echo', args: [value] }));
      await waitUntil(() => got !== undefined);
      expect((got as unknown as { args: [Buffer] }).args[0].equals(value)).toBe(true);
      expect(caller.stats.framedMessages ?? 0).toBe(0);
    }
  });
});
