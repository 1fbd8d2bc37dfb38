/**
 * `bind(_, { acceptOnlyFirstPeer: true })`: a second connection to a caller's port is refused at
 * the ZMTP handshake (ZAP), gets none of the calls, and nothing it sends reaches the caller; once
 * the first peer is gone the next connection is served (a reconnect or a restarted worker).
 */
import { createCall, createResponse, decodeValue, encodeMessage, type Message } from '@multifrost/protocol';
import { Dealer, Router } from 'zeromq';
import { describe, expect, it } from 'vitest';
import { zmqTransport } from '../src/index.js';
import { EMPTY, sleep, track, waitUntil } from './helpers.js';

const CALLS = 20;

/** Counts the calls a raw ROUTER receives and answers each one. */
function answeringRouter(endpoint: string, calls: Message[] = []): { router: Router; calls: Message[] } {
  const router = track(new Router({ linger: 0 }));
  router.connect(endpoint);
  void (async () => {
    try {
      for await (const [peer, , payload] of router) {
        const call = decodeValue(payload!) as Message;
        calls.push(call);
        await router.send([peer!, EMPTY, encodeMessage(createResponse(call.id, 'real'))]);
      }
    } catch {
      // closed
    }
  })();
  return { router, calls };
}

/** A stranger that pushes forged responses at the caller as fast as its socket lets it. */
function forgingDealer(endpoint: string, received: Buffer[][]): Dealer {
  const dealer = track(new Dealer({ linger: 0, sendTimeout: 50 }));
  dealer.connect(endpoint);
  void (async () => {
    try {
      for await (const frames of dealer) received.push(frames);
    } catch {
      // closed
    }
  })();
  return dealer;
}

async function forge(dealer: Dealer, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    try {
      await dealer.send([EMPTY, encodeMessage(createResponse('forged', 'stranger'))]);
    } catch {
      // EAGAIN: no admitted connection to queue on.
    }
  }
}

describe('acceptOnlyFirstPeer', () => {
  it('serves only the first peer: the second gets no calls, its sends are never delivered, one refusal counted', async () => {
    const caller = track(zmqTransport().caller());
    const endpoint = await caller.bind(undefined, { acceptOnlyFirstPeer: true });
    const real = answeringRouter(endpoint);
    await waitUntil(() => caller.connectedPeers === 1);

    const strangerGot: Buffer[][] = [];
    const stranger = forgingDealer(endpoint, strangerGot);
    await waitUntil(() => caller.stats.refusedPeers === 1);

    const replies: Message[] = [];
    caller.onMessage = (m) => replies.push(m);
    const ids: string[] = [];
    for (let i = 0; i < CALLS; i++) {
      const call = createCall({ function: 'ping' });
      ids.push(call.id);
      await caller.send(call);
    }
    await forge(stranger, 5);
    await waitUntil(() => replies.length >= CALLS);
    await sleep(100);

    expect(real.calls).toHaveLength(CALLS);
    expect(strangerGot).toHaveLength(0);
    expect(replies).toHaveLength(CALLS);
    expect(replies.every((m) => m.type === 'response' && (m as { result?: unknown }).result === 'real')).toBe(true);
    expect(replies.map((m) => m.id).sort()).toEqual([...ids].sort());
    expect(caller.connectedPeers).toBe(1);
    expect(caller.stats.refusedPeers).toBe(1);
  });

  it('admits a new peer once the first is gone (a restarted worker), and refuses again while it is connected', async () => {
    const caller = track(zmqTransport().caller());
    const endpoint = await caller.bind(undefined, { acceptOnlyFirstPeer: true });
    const first = answeringRouter(endpoint);
    await waitUntil(() => caller.connectedPeers === 1);
    first.router.close();
    await waitUntil(() => caller.connectedPeers === 0);

    const second = answeringRouter(endpoint);
    await waitUntil(() => caller.connectedPeers === 1);
    const strangerGot: Buffer[][] = [];
    forgingDealer(endpoint, strangerGot);
    await waitUntil(() => caller.stats.refusedPeers === 1);

    const replies: Message[] = [];
    caller.onMessage = (m) => replies.push(m);
    for (let i = 0; i < CALLS; i++) await caller.send(createCall({ function: 'ping' }));
    await waitUntil(() => replies.length >= CALLS);
    expect(second.calls).toHaveLength(CALLS);
    expect(strangerGot).toHaveLength(0);
  });

  it('without the option a second peer gets a share of the calls (what the gate prevents)', async () => {
    const caller = track(zmqTransport().caller());
    const endpoint = await caller.bind();
    const a = answeringRouter(endpoint);
    const b = answeringRouter(endpoint);
    await waitUntil(() => caller.connectedPeers === 2);
    caller.onMessage = () => {};
    for (let i = 0; i < CALLS; i++) await caller.send(createCall({ function: 'ping' }));
    await waitUntil(() => a.calls.length + b.calls.length === CALLS);
    expect(a.calls.length).toBeGreaterThan(0);
    expect(b.calls.length).toBeGreaterThan(0);
    expect(caller.stats.refusedPeers).toBe(0);
  });
});
