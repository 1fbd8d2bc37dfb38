/**
 * CURVE on real sockets: an allowed client talks to a CURVE service; a client whose key is not
 * allowed, or a plain one, is refused at the handshake (counted, told through onHandshakeFailed,
 * gets nothing); a server without the secret of the key the client expects never gets a message.
 */
import { createCall, createResponse, type Message } from '@multifrost/protocol';
import { describe, expect, it } from 'vitest';
import { curveKeyPair, type HandshakeFailure, zmqTransport } from '../src/index.js';
import { nextMessage, sleep, track, waitUntil } from './helpers.js';

const server = curveKeyPair();
const allowed = curveKeyPair();
const stranger = curveKeyPair();

async function curveService(): Promise<{ endpoint: string; calls: Message[]; refused: () => number }> {
  const service = track(zmqTransport().service());
  const calls: Message[] = [];
  service.onMessage = (msg, peer) => {
    calls.push(msg);
    void service.send(peer, createResponse(msg.id, 'pong'));
  };
  const endpoint = await service.bind(undefined, { curve: { ...server, allow: [allowed.publicKey] } });
  return { endpoint, calls, refused: () => service.stats.refusedPeers ?? 0 };
}

/** A send to a peer whose handshake was refused may time out instead of queueing: both deliver nothing. */
const sendTimedOut = (err: { code?: string }) => expect(err.code).toBe('SEND_TIMEOUT');

describe('CURVE transport', () => {
  it('reports that it can do CURVE', () => {
    expect(zmqTransport().caller().capabilities?.curve).toBe(true);
  });

  it('an allowed client and a CURVE service exchange messages', async () => {
    const { endpoint, calls } = await curveService();
    const caller = track(zmqTransport().caller());
    const reply = nextMessage<Message>((resolve) => {
      caller.onMessage = resolve;
    });
    caller.connect(endpoint, { curve: { ...allowed, serverKey: server.publicKey } });
    await caller.send(createCall({ function: 'ping', args: [] }));
    expect(await reply).toMatchObject({ type: 'response', result: 'pong' });
    expect(calls).toHaveLength(1);
  });

  it('a client whose key is not allowed is refused, told so, and its call never arrives', async () => {
    const { endpoint, calls, refused } = await curveService();
    const caller = track(zmqTransport({ sendTimeoutMs: 300 }).caller());
    const failure = nextMessage<HandshakeFailure>((resolve) => {
      caller.onHandshakeFailed = resolve;
    });
    caller.connect(endpoint, { curve: { ...stranger, serverKey: server.publicKey } });
    expect(await failure).toMatchObject({ kind: 'auth', detail: '400', endpoint });
    // libzmq either queues the message for the connection that never completes, or (once the
    // refused pipe is gone) accepts it nowhere: SEND_TIMEOUT. Either way it is never delivered.
    await caller.send(createCall({ function: 'ping', args: [] })).catch(sendTimedOut);
    await sleep(100);
    expect(refused()).toBeGreaterThanOrEqual(1);
    expect(calls).toHaveLength(0);
    expect(caller.connectedPeers).toBe(0);
  });

  it('a plain (NULL) client cannot reach a CURVE service, and is counted as refused', async () => {
    const { endpoint, calls, refused } = await curveService();
    const caller = track(zmqTransport({ sendTimeoutMs: 300 }).caller());
    const failure = nextMessage<HandshakeFailure>((resolve) => {
      caller.onHandshakeFailed = resolve;
    });
    caller.connect(endpoint);
    await caller.send(createCall({ function: 'ping', args: [] })).catch(sendTimedOut);
    await failure;
    await waitUntil(() => refused() >= 1);
    await sleep(100);
    expect(calls).toHaveLength(0);
    expect(caller.connectedPeers).toBe(0);
  });

  it('a server that lacks the secret of the expected key fails the handshake and gets nothing', async () => {
    const impostor = track(zmqTransport().service());
    const seen: Message[] = [];
    impostor.onMessage = (msg) => seen.push(msg);
    const fake = curveKeyPair();
    const endpoint = await impostor.bind(undefined, { curve: { ...fake, allow: [allowed.publicKey] } });
    const caller = track(zmqTransport({ sendTimeoutMs: 300 }).caller());
    const failures: HandshakeFailure[] = [];
    caller.onHandshakeFailed = (f) => failures.push(f);
    // The client expects the real server's key; the impostor holds another pair.
    caller.connect(endpoint, { curve: { ...allowed, serverKey: server.publicKey } });
    await waitUntil(() => failures.length > 0);
    expect(failures[0]!.kind).not.toBe('auth');
    await caller.send(createCall({ function: 'ping', args: [] })).catch(sendTimedOut);
    await sleep(100);
    expect(seen).toHaveLength(0);
    expect(caller.connectedPeers).toBe(0);
  });

  it('refuses malformed keys and an empty allow-list', async () => {
    const service = track(zmqTransport().service());
    await expect(service.bind(undefined, { curve: { ...server, allow: [] } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    const caller = track(zmqTransport().caller());
    expect(() => caller.connect('tcp://127.0.0.1:1', { curve: { ...allowed, serverKey: 'short' } })).toThrow(
      /curve.serverKey/,
    );
  });
});
