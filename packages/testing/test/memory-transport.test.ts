/**
 * The in-memory transport against the contract the ZeroMQ transport keeps: round trips in both
 * layouts, many callers at one service, invalid frames counted and rejected, send failures
 * (ENCODE, SEND_TIMEOUT, CLOSED) where ZeroMQ has them, close semantics, and the fault controls.
 */
import { createCall, createHeartbeat, createResponse, encodeMessage, type Message } from '@multifrost/protocol';
import type { CallerTransport, ServiceTransport } from '@multifrost/transport-zmq';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryTransport, type MemoryTransport } from '../src/index.js';

const EMPTY = Buffer.alloc(0);
const open: { close(): Promise<void> }[] = [];

function track<T extends { close(): Promise<void> }>(t: T): T {
  open.push(t);
  return t;
}

afterEach(async () => {
  vi.useRealTimers();
  for (const t of open.splice(0).reverse()) await t.close();
});

/** Lets every queued microtask (handshakes, deliveries) run. */
async function settle(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}

function next<T>(register: (resolve: (value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve) => register(resolve));
}

async function pair(
  mem: MemoryTransport,
  layout: 'spawn' | 'connect',
): Promise<{ caller: CallerTransport; service: ServiceTransport; endpoint: string }> {
  const caller = track(mem.caller());
  const service = track(mem.service());
  let endpoint: string;
  if (layout === 'spawn') service.connect((endpoint = await caller.bind()));
  else caller.connect((endpoint = await service.bind()));
  return { caller, service, endpoint };
}

/** Answers every call with its function name. */
function echo(service: ServiceTransport): void {
  service.onMessage = (message, peer) => {
    if (message.type === 'call') void service.send(peer, createResponse(message.id, message.function, message.app));
  };
}

describe('round trip', () => {
  for (const layout of ['spawn', 'connect'] as const) {
    it(`a call reaches the service and its response comes back (${layout} layout)`, async () => {
      const mem = createMemoryTransport();
      const { caller, service, endpoint } = await pair(mem, layout);
      expect(endpoint).toMatch(/^mem:\/\/mem-\d+$/);
      echo(service);
      const reply = next<Message>((resolve) => (caller.onMessage = resolve));
      const call = createCall({ function: 'greet', args: [1, 'two', { three: [3] }] });
      await caller.send(call);
      const got = await reply;
      expect(got).toMatchObject({ type: 'response', id: call.id, result: 'greet' });
      expect(caller.stats).toMatchObject({ sent: 1, received: 1, dropped: 0, sendErrors: 0, queued: 0 });
      expect(service.stats).toMatchObject({ sent: 1, received: 1, dropped: 0 });
      expect(caller.connectedPeers).toBe(1);
      expect(service.connectedPeers).toBe(1);
      expect(caller.port).toBeUndefined();
    });
  }

  it('goes through the real codec: undefined arrives as nil (null), a Map as a plain object', async () => {
    const { caller, service } = await pair(createMemoryTransport(), 'connect');
    const got = next<Message>((resolve) => (service.onMessage = resolve));
    await caller.send(createCall({ function: 'f', args: [undefined, new Map([['a', 1]])] }));
    const message = await got;
    expect(message.type === 'call' && message.args).toEqual([null, { a: 1 }]);
  });

  it('delivers asynchronously, never inside send/post', async () => {
    const { caller, service } = await pair(createMemoryTransport(), 'connect');
    await settle();
    const seen: string[] = [];
    service.onMessage = () => seen.push('delivered');
    expect(caller.post(createCall({ function: 'f' }), () => seen.push('error'))).toBeUndefined();
    seen.push('post returned');
    await settle();
    expect(seen).toEqual(['post returned', 'delivered']);
  });

  it('keeps the order of messages on one link', async () => {
    const { caller, service } = await pair(createMemoryTransport(), 'connect');
    const got: string[] = [];
    service.onMessage = (m) => m.type === 'call' && got.push(m.function);
    const names = Array.from({ length: 50 }, (_, i) => `f${i}`);
    for (const name of names) caller.post(createCall({ function: name }), () => {});
    await vi.waitFor(() => expect(got).toHaveLength(50));
    expect(got).toEqual(names);
  });
});

describe('a service with several callers', () => {
  it('tells the callers apart by routing id and answers each on its own link', async () => {
    const mem = createMemoryTransport();
    const service = track(mem.service());
    const endpoint = await service.bind();
    const peers = new Set<string>();
    service.onMessage = (message, peer) => {
      peers.add(peer.toString('hex'));
      if (message.type === 'call') void service.send(peer, createResponse(message.id, message.function, message.app));
    };
    const callers = [0, 1, 2].map(() => track(mem.caller()));
    const replies = callers.map((caller) => next<Message>((resolve) => (caller.onMessage = resolve)));
    callers.forEach((caller, i) => {
      caller.connect(endpoint);
      void caller.send(createCall({ function: `from-${i}` }));
    });
    const got = await Promise.all(replies);
    expect(got.map((m) => m.type === 'response' && m.result)).toEqual(['from-0', 'from-1', 'from-2']);
    expect(peers.size).toBe(3);
    expect(service.connectedPeers).toBe(3);
    for (const peer of peers) expect(Buffer.from(peer, 'hex')).toHaveLength(5);
  });

  it('a reply to a routing id that is not connected is dropped and still counts as sent (ROUTER without MANDATORY)', async () => {
    const { service } = await pair(createMemoryTransport(), 'connect');
    await service.send(Buffer.from([0, 9, 9, 9, 9]), createResponse('x', 1));
    expect(service.stats).toMatchObject({ sent: 1, sendErrors: 0 });
  });

  it('onPeersChanged follows callers arriving and leaving', async () => {
    const mem = createMemoryTransport();
    const service = track(mem.service());
    const counts: number[] = [];
    service.onPeersChanged = (n) => counts.push(n);
    const endpoint = await service.bind();
    const a = track(mem.caller());
    const b = track(mem.caller());
    a.connect(endpoint);
    b.connect(endpoint);
    await settle();
    await a.close();
    await settle();
    b.disconnect(endpoint);
    await settle();
    expect(counts).toEqual([1, 2, 1, 0]);
    expect(b.connectedPeers).toBe(0);
  });
});

describe('invalid frames', () => {
  it('are counted by reason and reported to onReject, and the transport keeps serving', async () => {
    const mem = createMemoryTransport();
    const { caller, service, endpoint } = await pair(mem, 'connect');
    const rejected: string[] = [];
    service.onReject = (rejection, peer) => {
      rejected.push(rejection.reason);
      expect(peer).toBeInstanceOf(Buffer);
    };
    let served = 0;
    service.onMessage = () => served++;
    mem.inject(endpoint, [EMPTY, Buffer.from([0x93, 0x01])]);
    mem.inject(endpoint, [EMPTY, encodeMessage(createCall({ function: 'f' })).subarray(0, 0)]);
    mem.inject(endpoint, [Buffer.from('x'), encodeMessage(createCall({ function: 'f' }))]);
    mem.inject(endpoint, [EMPTY]);
    mem.inject(endpoint, [
      EMPTY,
      encodeMessage({ ...createCall({ function: 'f' }), type: 'nope' } as unknown as Message),
    ]);
    await caller.send(createCall({ function: 'ok' }));
    await vi.waitFor(() => expect(served).toBe(1));
    expect(rejected).toEqual(['NOT_MSGPACK', 'NOT_MSGPACK', 'DELIMITER', 'FRAME_COUNT', 'UNKNOWN_TYPE']);
    expect(service.stats.dropped).toBe(5);
    expect(service.stats.droppedByReason).toMatchObject({
      NOT_MSGPACK: 2,
      DELIMITER: 1,
      FRAME_COUNT: 1,
      UNKNOWN_TYPE: 1,
    });
  });

  it('a payload over the receiver limit is rejected as TOO_LARGE; the sender refuses its own with ENCODE', async () => {
    const small = createMemoryTransport({ maxMessageBytes: 1024 });
    const { caller, service, endpoint } = await pair(small, 'connect');
    const reasons: string[] = [];
    service.onReject = (r) => reasons.push(r.reason);
    small.inject(endpoint, [EMPTY, encodeMessage(createCall({ function: 'f', args: ['x'.repeat(4096)] }))]);
    await vi.waitFor(() => expect(reasons).toEqual(['TOO_LARGE']));
    const err = caller.post(createCall({ function: 'f', args: ['x'.repeat(4096)] }), () => {
      throw new Error('a synchronous failure must not reach onError');
    });
    expect(err).toMatchObject({ code: 'ENCODE' });
    await expect(caller.send(createCall({ function: 'f', args: [() => 1] }))).rejects.toMatchObject({ code: 'ENCODE' });
    expect(caller.stats.sendErrors).toBe(2);
  });
});

describe('send failures and close', () => {
  it('a caller with no peer fails with SEND_TIMEOUT after sendTimeoutMs (fake timers)', async () => {
    vi.useFakeTimers();
    const caller = track(createMemoryTransport({ sendTimeoutMs: 300 }).caller());
    caller.connect('mem://nobody-here');
    const errors: Error[] = [];
    expect(caller.post(createHeartbeat(), (e) => errors.push(e))).toBeUndefined();
    await vi.advanceTimersByTimeAsync(299);
    expect(errors).toEqual([]);
    expect(caller.stats.queued).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'SEND_TIMEOUT' });
    expect(caller.stats).toMatchObject({ queued: 0, sendErrors: 1, sent: 0 });
  });

  it('a message queued before the service binds is delivered once it does', async () => {
    const mem = createMemoryTransport();
    const caller = track(mem.caller());
    caller.connect('mem://later');
    const sent = caller.send(createCall({ function: 'early' }));
    await settle();
    const service = track(mem.service());
    const got = next<Message>((resolve) => (service.onMessage = resolve));
    await service.bind('mem://later');
    await sent;
    expect(await got).toMatchObject({ type: 'call', function: 'early' });
  });

  it('close() rejects queued sends with CLOSED, is idempotent, and later sends are refused at once', async () => {
    const caller = track(createMemoryTransport().caller());
    caller.connect('mem://nobody');
    const queued = caller.send(createCall({ function: 'f' }));
    const errors: Error[] = [];
    caller.post(createCall({ function: 'g' }), (e) => errors.push(e));
    await settle();
    const first = caller.close();
    expect(caller.close()).toBe(first);
    await first;
    await expect(queued).rejects.toMatchObject({ code: 'CLOSED' });
    expect(errors).toMatchObject([{ code: 'CLOSED' }]);
    expect(caller.closed).toBe(true);
    expect(caller.post(createCall({ function: 'h' }), () => errors.push(new Error('late')))).toMatchObject({
      code: 'CLOSED',
    });
    await expect(caller.send(createCall({ function: 'h' }))).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(caller.bind()).rejects.toMatchObject({ code: 'CLOSED' });
    expect(() => caller.connect('mem://x')).toThrow(expect.objectContaining({ code: 'CLOSED' }) as Error);
    expect(errors).toHaveLength(1);
    expect(caller.stats).toMatchObject({ queued: 0, sendErrors: 4 });
  });

  it('close() frees the endpoint for a new bind, and a waiting caller reconnects to it', async () => {
    const mem = createMemoryTransport();
    const { caller, service, endpoint } = await pair(mem, 'connect');
    await settle();
    const counts: number[] = [];
    caller.onPeersChanged = (n) => counts.push(n);
    await service.close();
    await settle();
    expect(caller.connectedPeers).toBe(0);
    await expect(track(mem.service()).bind(endpoint)).resolves.toBe(endpoint);
    await settle();
    expect(counts).toEqual([0, 1]);
    expect(mem.openTransports).toBe(2);
  });

  it('a taken endpoint fails with TRANSPORT; a non-memory endpoint with INVALID_ARGUMENT', async () => {
    const mem = createMemoryTransport();
    const a = track(mem.service());
    const endpoint = await a.bind('mem://taken');
    await expect(track(mem.service()).bind(endpoint)).rejects.toMatchObject({ code: 'TRANSPORT' });
    await expect(track(mem.service()).bind('tcp://127.0.0.1:0')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(() => track(mem.caller()).connect('tcp://127.0.0.1:1')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error,
    );
  });

  it('two factories are separate networks', async () => {
    const service = track(createMemoryTransport().service());
    const endpoint = await service.bind();
    const caller = track(createMemoryTransport().caller());
    caller.connect(endpoint);
    await settle();
    expect(caller.connectedPeers).toBe(0);
  });
});

describe('fault controls', () => {
  it('drop, duplicate and replace decide the fate of each message', async () => {
    const mem = createMemoryTransport();
    const { caller, service } = await pair(mem, 'connect');
    const got: string[] = [];
    const reasons: string[] = [];
    service.onMessage = (m) => m.type === 'call' && got.push(m.function);
    service.onReject = (r) => reasons.push(r.reason);
    mem.faults = (packet) => {
      expect(packet.direction).toBe('to-service');
      if (packet.message.type !== 'call') return undefined;
      if (packet.message.function === 'lost') return 'drop';
      if (packet.message.function === 'twice') return { copies: 2 };
      if (packet.message.function === 'garbled') return { frames: [EMPTY, Buffer.from([0x93, 0x01])] };
      return 'deliver';
    };
    for (const name of ['a', 'lost', 'twice', 'garbled', 'b']) await caller.send(createCall({ function: name }));
    await vi.waitFor(() => expect(got).toContain('b'));
    expect(got).toEqual(['a', 'twice', 'twice', 'b']);
    expect(reasons).toEqual(['NOT_MSGPACK']);
    expect(caller.stats.sent).toBe(5);
  });

  it('a delayed message is overtaken by later ones and arrives when its timer fires', async () => {
    vi.useFakeTimers();
    const mem = createMemoryTransport();
    const { caller, service } = await pair(mem, 'connect');
    const got: string[] = [];
    service.onMessage = (m) => m.type === 'call' && got.push(m.function);
    mem.faults = (p) => (p.message.type === 'call' && p.message.function === 'slow' ? { delayMs: 1000 } : undefined);
    await caller.send(createCall({ function: 'slow' }));
    await caller.send(createCall({ function: 'fast' }));
    await vi.advanceTimersByTimeAsync(999);
    expect(got).toEqual(['fast']);
    await vi.advanceTimersByTimeAsync(1);
    expect(got).toEqual(['fast', 'slow']);
  });

  it('sever() drops the link on both sides, loses what was in flight, and the caller reconnects', async () => {
    vi.useFakeTimers();
    const mem = createMemoryTransport({ reconnectMs: 100 });
    const { caller, service, endpoint } = await pair(mem, 'connect');
    await settle();
    let served = 0;
    service.onMessage = () => served++;
    // Held in flight by a delay, then the link goes away under it.
    mem.faults = () => ({ delayMs: 50 });
    await caller.send(createCall({ function: 'in-flight' }));
    mem.faults = undefined;
    expect(mem.sever(endpoint)).toBe(1);
    await vi.advanceTimersByTimeAsync(50);
    await settle();
    expect(served).toBe(0);
    expect(caller.connectedPeers).toBe(0);
    expect(service.connectedPeers).toBe(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(caller.connectedPeers).toBe(1);
    await caller.send(createCall({ function: 'after' }));
    await settle();
    expect(served).toBe(1);
    expect(mem.sever(endpoint, { reconnect: false })).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(caller.connectedPeers).toBe(0);
  });

  it('a throwing handler is reported in warnings and the transport keeps delivering', async () => {
    const mem = createMemoryTransport();
    const { caller, service } = await pair(mem, 'connect');
    let n = 0;
    service.onMessage = () => {
      n++;
      throw new Error('boom');
    };
    await caller.send(createCall({ function: 'a' }));
    await caller.send(createCall({ function: 'b' }));
    await vi.waitFor(() => expect(n).toBe(2));
    expect(mem.warnings).toHaveLength(2);
    expect(mem.warnings[0]).toMatch(/boom/);
  });
});
