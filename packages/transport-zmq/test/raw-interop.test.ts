/**
 * Frame layout against plain zeromq sockets, standing in for the public Python/Go/Rust/JS peers
 * ([docs/protocol.md](../../../docs/protocol.md#transport-and-frames)): parent → child
 * `[empty, payload]`, child → parent `[routing_id, empty, payload]`.
 */
import { createCall, createResponse, encodeMessage, type Message } from '@multifrost/protocol';
import { Dealer, Router } from 'zeromq';
import { describe, expect, it } from 'vitest';
import { zmqTransport } from '../src/index.js';
import { EMPTY, nextMessage, track } from './helpers.js';

describe('wire framing with raw zeromq peers', () => {
  it('our caller sends [empty, payload]: a raw ROUTER sees [peer, empty, payload], and its reply reaches the caller', async () => {
    const caller = track(zmqTransport().caller());
    const endpoint = await caller.bind();
    const router = track(new Router({ linger: 0 }));
    router.connect(endpoint);
    const call = createCall({ function: 'ping' });
    await caller.send(call);
    const frames = await router.receive();
    expect(frames).toHaveLength(3);
    expect(frames[0]!.length).toBeGreaterThan(0);
    expect(frames[1]!.length).toBe(0);
    expect(frames[2]).toEqual(encodeMessage(call));

    const reply = nextMessage<Message>((r) => (caller.onMessage = r));
    await router.send([frames[0]!, EMPTY, encodeMessage(createResponse(call.id, 'pong'))]);
    expect(await reply).toMatchObject({ type: 'response', id: call.id, result: 'pong' });
  });

  it('our service understands a raw DEALER sending [empty, payload], and the DEALER gets [empty, payload] back', async () => {
    const service = track(zmqTransport().service());
    const endpoint = await service.bind();
    const dealer = track(new Dealer({ linger: 0 }));
    dealer.connect(endpoint);
    const got = nextMessage<[Message, Buffer]>((r) => (service.onMessage = (m, p) => r([m, p])));
    const call = createCall({ function: 'ping' });
    await dealer.send([EMPTY, encodeMessage(call)]);
    const [msg, peer] = await got;
    expect(msg).toMatchObject({ type: 'call', function: 'ping', id: call.id });

    const response = createResponse(call.id, 42);
    await service.send(peer, response);
    const frames = await dealer.receive();
    expect(frames).toHaveLength(2);
    expect(frames[0]!.length).toBe(0);
    expect(frames[1]).toEqual(encodeMessage(response));
  });
});
