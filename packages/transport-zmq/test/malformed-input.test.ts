/**
 * Hostile or broken input from raw zeromq peers: every bad frame set is counted by reason and
 * reported, and the transport keeps delivering good messages afterwards.
 */
import {
  APP_V3,
  REJECT_REASONS,
  createCall,
  createResponse,
  encodeMessage,
  type Message,
  type Rejection,
} from '@multifrost/protocol';
import { pack } from 'msgpackr';
import { Dealer, Router } from 'zeromq';
import { describe, expect, it } from 'vitest';
import { zmqTransport } from '../src/index.js';
import { EMPTY, nextMessage, track, waitUntil } from './helpers.js';

describe('malformed input', () => {
  it('starts every reject reason at 0', () => {
    const service = track(zmqTransport().service());
    expect(Object.keys(service.stats.droppedByReason).sort()).toEqual([...REJECT_REASONS].sort());
    expect(Object.values(service.stats.droppedByReason).every((n) => n === 0)).toBe(true);
  });

  it('the service counts every bad frame set by reason, calls onReject, and keeps delivering good messages', async () => {
    const service = track(zmqTransport().service());
    const endpoint = await service.bind();
    const dealer = track(new Dealer({ linger: 0 }));
    dealer.connect(endpoint);
    const rejected: [string, Buffer | undefined][] = [];
    service.onReject = (r, peer) => rejected.push([r.reason, peer]);
    const good = nextMessage<Message>((r) => (service.onMessage = r));
    await dealer.send([EMPTY, Buffer.from([0x85, 0xa1])]); // truncated msgpack map
    await dealer.send([EMPTY, Buffer.from([0xc1, 0xff, 0x00, 0x13])]); // garbage
    await dealer.send([EMPTY]); // wrong frame count (2 at the ROUTER)
    await dealer.send([EMPTY, EMPTY, encodeMessage(createCall({ function: 'f' }))]); // wrong frame count (4)
    await dealer.send([Buffer.from('x'), encodeMessage(createCall({ function: 'f' }))]); // non-empty delimiter
    await dealer.send([EMPTY, pack([1, 2, 3])]); // valid msgpack, not a map
    await dealer.send([EMPTY, pack({ app: 'other_app', id: 'x', type: 'call', timestamp: 1 })]); // unknown app id
    await dealer.send([EMPTY, pack({ app: APP_V3, id: 7, type: 'call', timestamp: 1 })]); // id not a string
    await dealer.send([EMPTY, pack({ app: APP_V3, id: 'a', type: 'call', timestamp: 1, function: 'f', args: 'nope' })]); // bad args
    await dealer.send([EMPTY, encodeMessage(createCall({ function: 'ok' }))]);
    expect(await good).toMatchObject({ function: 'ok' });
    expect(rejected.map(([reason]) => reason)).toEqual([
      'NOT_MSGPACK',
      'NOT_MSGPACK',
      'FRAME_COUNT',
      'FRAME_COUNT',
      'DELIMITER',
      'NOT_A_MAP',
      'UNKNOWN_APP',
      'BAD_KEY_TYPE',
      'INVALID_CALL',
    ]);
    // The ROUTER always knows who sent the bad frames, so a child could answer a decodable id.
    expect(rejected.every(([, peer]) => Buffer.isBuffer(peer) && peer.length > 0)).toBe(true);
    expect(service.stats.dropped).toBe(9);
    expect(service.stats.droppedByReason).toEqual({
      ...Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])),
      NOT_MSGPACK: 2,
      FRAME_COUNT: 2,
      DELIMITER: 1,
      NOT_A_MAP: 1,
      UNKNOWN_APP: 1,
      BAD_KEY_TYPE: 1,
      INVALID_CALL: 1,
    });
    expect(service.stats.received).toBe(1);
  });

  it('the caller counts bad frame sets from a raw ROUTER the same way', async () => {
    const caller = track(zmqTransport().caller());
    const endpoint = await caller.bind();
    const router = track(new Router({ linger: 0 }));
    router.connect(endpoint);
    await caller.send(createCall({ function: 'hello' }));
    const [peer] = await router.receive();
    const rejected: Rejection[] = [];
    caller.onReject = (r, p) => {
      expect(p).toBeUndefined();
      rejected.push(r);
    };
    const good = nextMessage<Message>((r) => (caller.onMessage = r));
    await router.send([peer!, encodeMessage(createResponse('a', 1))]); // no delimiter: 1 frame at the DEALER
    await router.send([peer!, Buffer.from('x'), encodeMessage(createResponse('a', 1))]); // non-empty delimiter
    await router.send([peer!, EMPTY, Buffer.from([0x85, 0xa1])]); // truncated msgpack map
    await router.send([peer!, EMPTY, pack({ app: APP_V3, id: 'a', type: 'response', timestamp: 'now' })]); // timestamp not a number
    await router.send([peer!, EMPTY, pack({ app: APP_V3, id: 'a', type: 'no_such_type', timestamp: 1 })]); // unknown type: ignored, counted
    await router.send([peer!, EMPTY, encodeMessage(createResponse('ok', 2))]);
    expect(await good).toMatchObject({ id: 'ok', result: 2 });
    expect(rejected.map((r) => r.reason)).toEqual([
      'FRAME_COUNT',
      'DELIMITER',
      'NOT_MSGPACK',
      'BAD_KEY_TYPE',
      'UNKNOWN_TYPE',
    ]);
    expect(caller.stats).toMatchObject({ dropped: 5, received: 1 });
    expect(caller.stats.droppedByReason).toMatchObject({
      FRAME_COUNT: 1,
      DELIMITER: 1,
      NOT_MSGPACK: 1,
      BAD_KEY_TYPE: 1,
      UNKNOWN_TYPE: 1,
    });
  });

  it('a throwing onMessage or onReject handler is reported and does not stop the receive loop', async () => {
    const warnings: string[] = [];
    const service = track(zmqTransport({ onWarning: (m) => warnings.push(m) }).service());
    const endpoint = await service.bind();
    const dealer = track(new Dealer({ linger: 0 }));
    dealer.connect(endpoint);
    const seen: string[] = [];
    service.onMessage = (m) => {
      seen.push((m as { function: string }).function);
      if (seen.length === 1) throw new Error('handler bug');
    };
    service.onReject = () => {
      throw new Error('reject handler bug');
    };
    await dealer.send([EMPTY, encodeMessage(createCall({ function: 'first' }))]);
    await dealer.send([EMPTY, Buffer.from([0xc1])]);
    await dealer.send([EMPTY, encodeMessage(createCall({ function: 'second' }))]);
    await waitUntil(() => seen.length === 2);
    expect(seen).toEqual(['first', 'second']);
    expect(warnings.some((w) => w.includes('handler bug'))).toBe(true);
    expect(warnings.some((w) => w.includes('reject handler bug'))).toBe(true);
    expect(service.stats).toMatchObject({ received: 2, dropped: 1 });
  });
});

describe('over-size input', () => {
  it('a payload just over maxMessageBytes (within libzmq slack) is dropped as TOO_LARGE', async () => {
    const service = track(zmqTransport({ maxMessageBytes: 1024 }).service());
    const endpoint = await service.bind();
    const dealer = track(new Dealer({ linger: 0 }));
    dealer.connect(endpoint);
    const good = nextMessage<Message>((r) => (service.onMessage = r));
    await dealer.send([EMPTY, Buffer.alloc(1500, 0x80)]);
    await dealer.send([EMPTY, encodeMessage(createCall({ function: 'ok' }))]);
    expect(await good).toMatchObject({ function: 'ok' });
    expect(service.stats.droppedByReason.TOO_LARGE).toBe(1);
  });

  it('a frame far over maxMessageBytes costs the sender its connection, and the service keeps serving others and the reconnected sender', async () => {
    const service = track(zmqTransport({ maxMessageBytes: 1024 }).service());
    const endpoint = await service.bind();
    const good = track(new Dealer({ linger: 0 }));
    good.connect(endpoint);
    const rogue = track(new Dealer({ linger: 0 }));
    rogue.connect(endpoint);
    await waitUntil(() => service.connectedPeers === 2);
    const rogueEvents: string[] = [];
    rogue.events.on('disconnect', () => rogueEvents.push('disconnect'));
    rogue.events.on('handshake', () => rogueEvents.push('handshake'));

    const seen: string[] = [];
    service.onMessage = (m) => seen.push((m as { function: string }).function);
    await rogue.send([EMPTY, Buffer.alloc(64 * 1024, 1)]);
    await waitUntil(() => rogueEvents.includes('disconnect'));
    await good.send([EMPTY, encodeMessage(createCall({ function: 'still-here' }))]);
    await waitUntil(() => seen.includes('still-here'));

    // libzmq reconnects the rogue DEALER by itself; once it has, it is served again.
    await waitUntil(() => rogueEvents.at(-1) === 'handshake');
    await rogue.send([EMPTY, encodeMessage(createCall({ function: 'after-reconnect' }))]);
    await waitUntil(() => seen.includes('after-reconnect'));
    await waitUntil(() => service.connectedPeers === 2);
    expect(service.stats.dropped).toBe(0); // libzmq refused the frame before it was a message
  });

  it('the caller survives an over-size frame from a raw ROUTER', async () => {
    const caller = track(zmqTransport({ maxMessageBytes: 1024 }).caller());
    const endpoint = await caller.bind();
    const router = track(new Router({ linger: 0 }));
    router.connect(endpoint);
    await caller.send(createCall({ function: 'hello' }));
    const [peer] = await router.receive();
    await router.send([peer!, EMPTY, Buffer.alloc(64 * 1024, 1)]);
    await waitUntil(() => caller.connectedPeers === 0);
    // The ROUTER reconnects with a new routing id, learnt from the caller's next message.
    await waitUntil(() => caller.connectedPeers === 1);
    await caller.send(createCall({ function: 'again' }));
    const [peer2] = await router.receive();
    const reply = nextMessage<Message>((r) => (caller.onMessage = r));
    await router.send([peer2!, EMPTY, encodeMessage(createResponse('r', 'fine'))]);
    expect(await reply).toMatchObject({ result: 'fine' });
  });
});
