/**
 * Batches on real sockets (docs/protocol.md#batches): small messages queued together for a peer
 * that listed `batch` leave as one ZeroMQ message and arrive one by one, in order; toward any other
 * peer, or with `batch: false`, every message leaves alone.
 */
import {
  CAP_BATCH,
  createCall,
  createResponse,
  decodeMessage,
  encodeBatch,
  encodeMessage,
  type Message,
} from '@multifrost/protocol';
import { Dealer, Router } from 'zeromq';
import { describe, expect, it } from 'vitest';
import { EMPTY, pair, track, waitUntil } from './helpers.js';
import { zmqTransport } from '../src/index.js';

const BATCH = new Set([CAP_BATCH]);

/** Posts n calls in one burst (as Promise.all of many calls does) and waits until all are in. */
async function burst(
  caller: ReturnType<ReturnType<typeof zmqTransport>['caller']>,
  service: ReturnType<ReturnType<typeof zmqTransport>['service']>,
  n: number,
  args: (i: number) => unknown[] = (i) => [i],
): Promise<{ seen: Message[]; peer: Buffer }> {
  const seen: Message[] = [];
  let peer: Buffer | undefined;
  service.onMessage = (m, p) => {
    seen.push(m);
    peer = p;
  };
  await Promise.all(Array.from({ length: n }, (_, i) => caller.send(createCall({ function: 'f', args: args(i) }))));
  await waitUntil(() => seen.length >= n);
  return { seen, peer: peer! };
}

describe.each(['spawn', 'connect'] as const)('batches, %s-mode layout', (layout) => {
  it('are never sent to a peer that did not list `batch`', async () => {
    const { caller, service } = await pair(layout);
    const { seen } = await burst(caller, service, 2_000);
    expect(seen.map((m) => (m as { args: number[] }).args[0])).toEqual(Array.from({ length: 2_000 }, (_, i) => i));
    expect(caller.stats.batchesSent ?? 0).toBe(0);
    expect(service.stats.received).toBe(2_000);
  });

  it('pack a burst toward a peer that listed `batch`; every message arrives, in order, counted alone', async () => {
    const { caller, service } = await pair(layout);
    caller.setPeerCapabilities?.(BATCH);
    const n = 5_000;
    const { seen, peer } = await burst(caller, service, n);
    expect(seen.map((m) => (m as { args: number[] }).args[0])).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(caller.stats.batchesSent).toBeGreaterThan(0);
    expect(caller.stats.batchesSent).toBeLessThan(n / 10);
    expect(caller.stats).toMatchObject({ sent: n, batchedMessages: n, sendErrors: 0, queued: 0 });
    expect(service.stats).toMatchObject({ received: n, dropped: 0 });

    // The other way: replies to that routing id are packed once the service knows the caller can read them.
    const back: unknown[] = [];
    caller.onMessage = (m) => back.push((m as { result: unknown }).result);
    service.setPeerCapabilities?.(BATCH, peer);
    await Promise.all(Array.from({ length: n }, (_, i) => service.send(peer, createResponse(`id-${i}`, i))));
    await waitUntil(() => back.length >= n);
    expect(back).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(service.stats.batchesSent).toBeGreaterThan(0);
    expect(caller.stats.received).toBe(n);
  });

  it('a large message travels alone, between batches, without reordering anything', async () => {
    const { caller, service } = await pair(layout);
    caller.setPeerCapabilities?.(BATCH);
    const big = Buffer.alloc(100_000, 3);
    const { seen } = await burst(caller, service, 300, (i) => (i === 150 ? [i, big] : [i]));
    expect(seen.map((m) => (m as { args: number[] }).args[0])).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(((seen[150] as { args: unknown[] }).args[1] as Buffer).equals(big)).toBe(true);
    // Every message but the big one went in a batch.
    expect(caller.stats.batchedMessages).toBe(299);
  });

  it('`batch: false` never packs, whatever the peer says', async () => {
    const { caller, service } = await pair(layout, { batch: false });
    expect(caller.capabilities?.batch).toBe(false);
    caller.setPeerCapabilities?.(BATCH);
    await burst(caller, service, 1_000);
    expect(caller.stats.batchesSent ?? 0).toBe(0);
  });

  it('an empty capability list (a restarted worker that says less) turns batches off again', async () => {
    const { caller, service } = await pair(layout);
    caller.setPeerCapabilities?.(BATCH);
    caller.setPeerCapabilities?.(new Set());
    await burst(caller, service, 1_000);
    expect(caller.stats.batchesSent ?? 0).toBe(0);
  });
});

describe('two peers of one service', () => {
  it('replies are packed only toward the peer that listed `batch`, even through one Buffer reused for both', async () => {
    const service = track(zmqTransport().service());
    const endpoint = await service.bind();
    const peers = new Map<string, Buffer>();
    service.onMessage = (m, p) => peers.set((m as { function: string }).function, Buffer.from(p));
    const raw = { a: track(new Dealer({ linger: 0 })), b: track(new Dealer({ linger: 0 })) };
    for (const [name, dealer] of Object.entries(raw)) {
      dealer.connect(endpoint);
      await dealer.send([EMPTY, encodeMessage(createCall({ function: name, args: [] }))]);
    }
    await waitUntil(() => peers.size === 2);
    service.setPeerCapabilities?.(BATCH, peers.get('a')!);
    // One Buffer object names peer a, then (its bytes overwritten once a's replies left) peer b.
    const reused = Buffer.from(peers.get('a')!);
    const burst = (tag: string) =>
      Promise.all(Array.from({ length: 200 }, (_, i) => service.send(reused, createResponse(`${tag}${i}`, i))));
    await burst('a');
    peers.get('b')!.copy(reused);
    await burst('b');
    const read = async (dealer: Dealer) => {
      const types: string[] = [];
      let messages = 0;
      while (messages < 200) {
        const frames = await dealer.receive();
        const got = decodeMessage(frames[1]!);
        if (!got.ok) throw new Error(`undecodable: ${got.reason}`);
        types.push(got.message.type);
        messages += got.message.type === 'batch' ? (got.message as { items: unknown[] }).items.length : 1;
      }
      return types;
    };
    expect((await read(raw.a)).filter((t) => t === 'batch').length).toBeGreaterThan(0);
    expect(new Set(await read(raw.b))).toEqual(new Set(['response']));
  });
});

describe('receiving batches', () => {
  it('delivers the good items of a hostile batch and drops the bad ones with their reasons', async () => {
    const service = track(zmqTransport().service());
    const endpoint = await service.bind();
    const rejected: string[] = [];
    service.onReject = (r) => rejected.push(r.reason);
    const seen: string[] = [];
    service.onMessage = (m) => seen.push((m as { function: string }).function);
    const raw = track(new Dealer({ linger: 0 }));
    raw.connect(endpoint);
    const good = (fn: string) => encodeMessage(createCall({ function: fn, args: [] }));
    const nested = encodeBatch('comlink_ipc_v4', [good('never')]);
    await raw.send([EMPTY, encodeBatch('comlink_ipc_v4', [good('a'), Buffer.from([0x85]), nested, good('b')])]);
    await waitUntil(() => seen.length + rejected.length >= 4);
    expect(seen).toEqual(['a', 'b']);
    expect(rejected).toEqual(['NOT_MSGPACK', 'UNKNOWN_TYPE']);
    expect(service.stats).toMatchObject({ received: 2, dropped: 2 });
  });

  it('a caller sends the calls its first replies caused before it handles the rest of the batch, and keeps the order', async () => {
    // The worker side, by hand: a ROUTER that answers the caller's first message with one batch of 100 replies.
    const router = track(new Router({ linger: 0 }));
    await router.bind('tcp://127.0.0.1:0');
    const caller = track(zmqTransport().caller());
    await caller.connect(router.lastEndpoint!);
    const results: number[] = [];
    let sentBeforeLast: number | undefined;
    caller.onMessage = (m) => {
      const i = (m as { result: number }).result;
      results.push(i);
      // What a caller's code does on a reply: make the next call.
      if (i === 0) caller.post(createCall({ function: 'next', args: [] }), () => undefined);
      if (i === 99) sentBeforeLast = caller.stats.sent;
    };
    await caller.send(createCall({ function: 'first', args: [] }));
    const [peer] = await router.receive();
    const replies = Array.from({ length: 100 }, (_, i) => encodeMessage(createResponse(`r${i}`, i)));
    await router.send([peer!, EMPTY, encodeBatch('comlink_ipc_v4', replies)]);
    const [, , next] = await router.receive();
    expect(decodeMessage(next!)).toMatchObject({ ok: true, message: { function: 'next' } });
    await waitUntil(() => results.length === 100);
    expect(results).toEqual(Array.from({ length: 100 }, (_, i) => i));
    // The call made on reply 0 had left (first + next = 2) before reply 99 was handled.
    expect(sentBeforeLast).toBe(2);
  });

  it('parts follow the calls in flight: with 256 in flight, 64 replies are handled in one part', async () => {
    const router = track(new Router({ linger: 0, receiveHighWaterMark: 10_000, sendHighWaterMark: 10_000 }));
    await router.bind('tcp://127.0.0.1:0');
    const caller = track(zmqTransport({ sendHighWaterMark: 10_000, receiveHighWaterMark: 10_000 }).caller());
    await caller.connect(router.lastEndpoint!);
    caller.setPeerCapabilities?.(BATCH);
    await Promise.all(Array.from({ length: 256 }, (_, i) => caller.send(createCall({ function: 'first', args: [i] }))));
    let peer: Buffer | undefined;
    for (let got = 0; got < 256; ) {
      const [p, , payload] = await router.receive();
      peer = p;
      const m = decodeMessage(payload!);
      got += m.ok && m.message.type === 'batch' ? (m.message as { items: unknown[] }).items.length : 1;
    }
    // The code awaiting each reply makes its next call; the 64 replies come in one batch.
    caller.onMessage = () => caller.post(createCall({ function: 'next', args: [] }), () => undefined);
    const replies = Array.from({ length: 64 }, (_, i) => encodeMessage(createResponse(`r${i}`, i)));
    await router.send([peer!, EMPTY, encodeBatch('comlink_ipc_v4', replies)]);
    const [, , next] = await router.receive();
    const m = decodeMessage(next!);
    // A quarter of 256 in flight is 64: the 64 next calls leave together (parts of 32 would split them).
    expect(m.ok && m.message.type).toBe('batch');
    expect(((m as { message: { items: unknown[] } }).message.items ?? []).length).toBe(64);
  });

  it('a batch over the receiver’s size limit is dropped whole, as any over-size message', async () => {
    const service = track(zmqTransport({ maxMessageBytes: 4096 }).service());
    const endpoint = await service.bind();
    const seen: Message[] = [];
    service.onMessage = (m) => seen.push(m);
    const raw = track(new Dealer({ linger: 0 }));
    raw.connect(endpoint);
    const items = Array.from({ length: 50 }, () =>
      encodeMessage(createCall({ function: 'f', args: ['x'.repeat(50)] })),
    );
    await raw.send([EMPTY, encodeBatch('comlink_ipc_v4', items)]);
    await waitUntil(() => service.stats.dropped === 1);
    expect(service.stats.droppedByReason.TOO_LARGE).toBe(1);
    expect(seen).toEqual([]);
  });
});

describe('sending batches that fail', () => {
  it('every message of a batch nobody takes fails once, with SEND_TIMEOUT', async () => {
    const caller = track(zmqTransport({ sendTimeoutMs: 200 }).caller());
    await caller.bind();
    caller.setPeerCapabilities?.(BATCH);
    const failures: string[] = [];
    const n = 50;
    for (let i = 0; i < n; i++) {
      const err = caller.post(createCall({ function: 'f', args: [i] }), (e) =>
        failures.push((e as unknown as { code: string }).code),
      );
      expect(err).toBeUndefined();
    }
    await waitUntil(() => failures.length >= n, 5_000);
    expect(failures).toEqual(Array(n).fill('SEND_TIMEOUT'));
    expect(caller.stats).toMatchObject({ sendErrors: n, sent: 0, queued: 0 });
  });
});
