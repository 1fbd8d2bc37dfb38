import { APP_V3, createCall, createResponse, encodeMessage, isMultifrostError, type Message, type MultifrostError } from '@multifrost/protocol';
import { pack } from 'msgpackr';
import { Dealer, Router } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { createCallerTransport, createServiceTransport, type CallerTransport, type ServiceTransport } from '../src/index.js';

const open: { close(): unknown }[] = [];
function track<T extends { close(): unknown }>(t: T): T {
  open.push(t);
  return t;
}
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

function nextMessage<T>(register: (resolve: (v: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve) => register(resolve));
}

async function pair(layout: 'spawn' | 'connect'): Promise<{ caller: CallerTransport; service: ServiceTransport }> {
  const caller = track(createCallerTransport());
  const service = track(createServiceTransport());
  if (layout === 'spawn') service.connect(await caller.bind());
  else caller.connect(await service.bind());
  return { caller, service };
}

describe.each(['spawn', 'connect'] as const)('DEALER↔ROUTER, %s-mode layout', (layout) => {
  it('a call reaches the service with the peer id, and the reply reaches the caller', async () => {
    const { caller, service } = await pair(layout);
    const got = nextMessage<[Message, Buffer]>((r) => (service.onMessage = (m, p) => r([m, p])));
    const call = createCall({ function: 'add', args: [1, 2] });
    await caller.send(call);
    const [msg, peer] = await got;
    expect(msg).toMatchObject({ type: 'call', id: call.id, function: 'add', args: [1, 2] });
    expect(Buffer.isBuffer(peer) && peer.length).toBeGreaterThan(0);
    const reply = nextMessage<Message>((r) => (caller.onMessage = r));
    await service.send(peer, createResponse(call.id, 3));
    expect(await reply).toMatchObject({ type: 'response', id: call.id, result: 3 });
    expect(caller.connectedPeers).toBe(1);
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
    await Promise.all(Array.from({ length: n }, (_, i) => caller.send(createCall({ function: 'f', args: [i] }))));
    await allIn;
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
    const back: unknown[] = [];
    const allBack = new Promise<void>((resolve) => {
      caller.onMessage = (m) => {
        back.push((m as { result: unknown }).result);
        if (back.length === n) resolve();
      };
    });
    await Promise.all(Array.from({ length: n }, (_, i) => service.send(peer!, createResponse(`id-${i}`, i))));
    await allBack;
    expect(back).toEqual(seen);
    expect(caller.stats.sent).toBe(n);
    expect(service.stats.received).toBe(n);
  });
});

describe('wire framing with raw zeromq peers', () => {
  it('our caller sends [empty, payload]; a raw ROUTER sees [peer, empty, payload]', async () => {
    const caller = track(createCallerTransport());
    const port = await caller.bind();
    const router = track(new Router({ linger: 0 }));
    router.connect(`tcp://127.0.0.1:${port}`);
    const call = createCall({ function: 'ping' });
    await caller.send(call);
    const frames = await router.receive();
    expect(frames).toHaveLength(3);
    expect(frames[1]!.length).toBe(0);
    expect(frames[2]).toEqual(encodeMessage(call));
  });

  it('our service understands a raw DEALER sending [empty, payload]', async () => {
    const service = track(createServiceTransport());
    const port = await service.bind();
    const dealer = track(new Dealer({ linger: 0 }));
    dealer.connect(`tcp://127.0.0.1:${port}`);
    const got = nextMessage<Message>((r) => (service.onMessage = r));
    await dealer.send([Buffer.alloc(0), encodeMessage(createCall({ function: 'ping' }))]);
    expect(await got).toMatchObject({ function: 'ping' });
  });
});

describe('send failures', () => {
  it('a send with no peer fails with SEND_TIMEOUT within its timeout, and a backlog fails within about one timeout', async () => {
    const caller = track(createCallerTransport({ sendTimeoutMs: 300 }));
    await caller.bind();
    const t0 = Date.now();
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => caller.send(createCall({ function: 'f' }))));
    const elapsed = Date.now() - t0;
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const err = (r as PromiseRejectedResult).reason as MultifrostError;
      expect(err.code).toBe('SEND_TIMEOUT');
      expect(err.message).toMatch(/within 300 ms/);
    }
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1_200);
    expect(caller.stats.sendErrors).toBe(5);
  });

  it('an unsendable value or an over-size message fails with ENCODE and sends nothing', async () => {
    const caller = track(createCallerTransport({ maxMessageBytes: 1024 }));
    await caller.bind();
    const bad = await caller.send(createCall({ function: 'f', args: [Symbol('x')] })).catch((e: unknown) => e);
    expect(isMultifrostError(bad) && bad.code).toBe('ENCODE');
    const big = (await caller.send(createCall({ function: 'f', args: [Buffer.alloc(4096)] })).catch((e: unknown) => e)) as MultifrostError;
    expect(big.code).toBe('ENCODE');
    expect(big.message).toMatch(/over the 1024-byte limit/);
    expect(caller.stats.sent).toBe(0);
  });
});

describe('malformed input', () => {
  it('counts every bad frame set by reason, calls onReject, and keeps delivering good messages', async () => {
    const service = track(createServiceTransport());
    const port = await service.bind();
    const dealer = track(new Dealer({ linger: 0 }));
    dealer.connect(`tcp://127.0.0.1:${port}`);
    const rejected: string[] = [];
    service.onReject = (r) => rejected.push(r.reason);
    const good = nextMessage<Message>((r) => (service.onMessage = r));
    const e = Buffer.alloc(0);
    await dealer.send([e, Buffer.from([0x85, 0xa1])]); // truncated map
    await dealer.send([e]); // wrong frame count (2 at the ROUTER)
    await dealer.send([Buffer.from('x'), encodeMessage(createCall({ function: 'f' }))]); // non-empty delimiter
    await dealer.send([e, pack([1, 2, 3])]); // not a map
    await dealer.send([e, pack({ app: 'other_app', id: 'x', type: 'call', timestamp: 1 })]); // unknown app
    await dealer.send([e, pack({ app: APP_V3, id: 7, type: 'call', timestamp: 1 })]); // id not a string
    await dealer.send([e, pack({ app: APP_V3, id: 'a', type: 'call', timestamp: 1, function: 'f', args: 'nope' })]); // bad args
    await dealer.send([e, encodeMessage(createCall({ function: 'ok' }))]);
    expect(await good).toMatchObject({ function: 'ok' });
    expect(rejected).toEqual(['NOT_MSGPACK', 'FRAME_COUNT', 'DELIMITER', 'NOT_A_MAP', 'UNKNOWN_APP', 'BAD_KEY_TYPE', 'INVALID_CALL']);
    expect(service.stats.dropped).toBe(7);
    expect(service.stats.droppedByReason).toMatchObject({ NOT_MSGPACK: 1, FRAME_COUNT: 1, DELIMITER: 1, NOT_A_MAP: 1, UNKNOWN_APP: 1, BAD_KEY_TYPE: 1, INVALID_CALL: 1 });
    expect(service.stats.received).toBe(1);
  });

  it('a frame over maxMessageBytes from a raw peer does not crash the receiver', async () => {
    const service = track(createServiceTransport({ maxMessageBytes: 1024 }));
    const port = await service.bind();
    const rogue = track(new Dealer({ linger: 0 }));
    rogue.connect(`tcp://127.0.0.1:${port}`);
    await rogue.send([Buffer.alloc(0), Buffer.alloc(64 * 1024, 1)]);
    const good = track(new Dealer({ linger: 0 }));
    good.connect(`tcp://127.0.0.1:${port}`);
    const got = nextMessage<Message>((r) => (service.onMessage = r));
    await good.send([Buffer.alloc(0), encodeMessage(createCall({ function: 'still-here' }))]);
    expect(await got).toMatchObject({ function: 'still-here' });
  });
});

describe('lifecycle', () => {
  it('close is idempotent, frees the port at once, and rejects queued and later sends with CLOSED', async () => {
    const caller = createCallerTransport({ sendTimeoutMs: 10_000 });
    const port = await caller.bind();
    const queued = caller.send(createCall({ function: 'f' })).catch((e: unknown) => e);
    await Promise.all([caller.close(), caller.close()]);
    expect(((await queued) as MultifrostError).code).toBe('CLOSED');
    expect(((await caller.send(createCall({ function: 'f' })).catch((e: unknown) => e)) as MultifrostError).code).toBe('CLOSED');
    expect(caller.closed).toBe(true);
    const again = track(createCallerTransport());
    expect(await again.bind(port)).toBe(port);
  });

  it('tracks connected peers', async () => {
    const service = track(createServiceTransport());
    const port = await service.bind();
    const counts: number[] = [];
    service.onPeersChanged = (n) => counts.push(n);
    const caller = createCallerTransport();
    caller.connect(port);
    await caller.send(createCall({ function: 'f' }));
    await waitUntil(() => service.connectedPeers === 1);
    await caller.close();
    await waitUntil(() => service.connectedPeers === 0);
    expect(counts).toEqual([1, 0]);
  });

  it('binding a non-loopback interface warns that messages are unauthenticated', async () => {
    const warnings: string[] = [];
    const t = track(createServiceTransport({ host: '0.0.0.0', onWarning: (m) => warnings.push(m) }));
    await t.bind();
    expect(warnings.join('\n')).toMatch(/not authenticated/);
    const quiet: string[] = [];
    const local = track(createServiceTransport({ onWarning: (m) => quiet.push(m) }));
    await local.bind();
    expect(quiet).toEqual([]);
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
