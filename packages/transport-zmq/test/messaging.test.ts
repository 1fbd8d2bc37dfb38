/**
 * Messages between our two transports on real sockets, in both socket layouts.
 */
import { createCall, createResponse, type Message } from '@multifrost/protocol';
import { describe, expect, it } from 'vitest';
import { nextMessage, pair, waitUntil } from './helpers.js';

describe.each(['spawn', 'connect'] as const)('DEALER↔ROUTER, %s-mode layout', (layout) => {
  it('a call reaches the service with the peer id, and the reply reaches the caller', async () => {
    const { caller, service } = await pair(layout);
    const got = nextMessage<[Message, Buffer]>((r) => (service.onMessage = (m, p) => r([m, p])));
    const call = createCall({ function: 'add', args: [1, 2] });
    await caller.send(call);
    const [msg, peer] = await got;
    expect(msg).toMatchObject({ type: 'call', id: call.id, function: 'add', args: [1, 2] });
    expect(Buffer.isBuffer(peer)).toBe(true);
    expect(peer.length).toBeGreaterThan(0);
    const reply = nextMessage<Message>((r) => (caller.onMessage = r));
    await service.send(peer, createResponse(call.id, 3));
    expect(await reply).toMatchObject({ type: 'response', id: call.id, result: 3 });
    expect(caller.connectedPeers).toBe(1);
    expect(service.connectedPeers).toBe(1);
    expect(caller.stats).toMatchObject({ sent: 1, received: 1, dropped: 0, sendErrors: 0, queued: 0 });
    expect(service.stats).toMatchObject({ sent: 1, received: 1, dropped: 0, sendErrors: 0, queued: 0 });
  });

  it('10,000 pipelined messages arrive in order, both directions', async () => {
    const { caller, service } = await pair(layout);
    const n = 10_000;
    const seen: number[] = [];
    let peer: Buffer | undefined;
    const allIn = new Promise<void>((resolve) => {
      service.onMessage = (m, p) => {
        peer = p;
        seen.push((m as { args: number[] }).args[0]!);
        if (seen.length === n) resolve();
      };
    });
    let t0 = performance.now();
    const sends = Array.from({ length: n }, (_, i) => caller.send(createCall({ function: 'f', args: [i] })));
    expect(caller.stats.queued).toBeGreaterThan(0);
    await Promise.all(sends);
    await allIn;
    const forward = performance.now() - t0;
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(caller.stats.queued).toBe(0);

    const back: unknown[] = [];
    const allBack = new Promise<void>((resolve) => {
      caller.onMessage = (m) => {
        back.push((m as { result: unknown }).result);
        if (back.length === n) resolve();
      };
    });
    t0 = performance.now();
    await Promise.all(Array.from({ length: n }, (_, i) => service.send(peer!, createResponse(`id-${i}`, i))));
    await allBack;
    const backward = performance.now() - t0;
    expect(back).toEqual(seen);
    expect(caller.stats).toMatchObject({ sent: n, received: n, sendErrors: 0 });
    expect(service.stats).toMatchObject({ sent: n, received: n, sendErrors: 0 });
    console.log(
      `[${layout}] 10,000 msgs caller→service ${forward.toFixed(0)} ms (${Math.round(n / (forward / 1000))}/s), ` +
        `service→caller ${backward.toFixed(0)} ms (${Math.round(n / (backward / 1000))}/s)`,
    );
  });

  it('post() delivers without a Promise per message and reports onSent on the service side', async () => {
    const { caller, service } = await pair(layout);
    const n = 1_000;
    const got: number[] = [];
    let peer: Buffer | undefined;
    service.onMessage = (m, p) => {
      peer = p;
      got.push((m as { args: number[] }).args[0]!);
    };
    const errors: Error[] = [];
    for (let i = 0; i < n; i++) caller.post(createCall({ function: 'f', args: [i] }), (e) => errors.push(e));
    await waitUntil(() => got.length === n);
    expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
    let sent = 0;
    const back: unknown[] = [];
    caller.onMessage = (m) => back.push((m as { result: unknown }).result);
    for (let i = 0; i < n; i++)
      service.post(
        peer!,
        createResponse(`r${i}`, i),
        (e) => errors.push(e),
        () => sent++,
      );
    await waitUntil(() => back.length === n);
    expect(sent).toBe(n);
    expect(errors).toEqual([]);
  });
});
