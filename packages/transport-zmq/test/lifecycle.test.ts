/**
 * Binding, connecting, peer tracking, option handling and close.
 */
import { createCall, type MultifrostError } from '@multifrost/protocol';
import net from 'node:net';
import { Dealer } from 'zeromq';
import { describe, expect, it } from 'vitest';
import { createCallerTransport, createServiceTransport, ZmqCallerTransport, ZmqServiceTransport } from '../src/index.js';
import { EMPTY, pair, sleep, track, waitUntil } from './helpers.js';

describe('bind', () => {
  it('binds a free port on 127.0.0.1 and reports it', async () => {
    const service = track(createServiceTransport());
    expect(service.port).toBeUndefined();
    const port = await service.bind();
    expect(port).toBeGreaterThan(0);
    expect(service.port).toBe(port);
  });

  it('binding a non-loopback interface warns that messages are unauthenticated; loopback does not', async () => {
    const warnings: string[] = [];
    const exposed = track(createServiceTransport({ host: '0.0.0.0', onWarning: (m) => warnings.push(m) }));
    await exposed.bind();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/0\.0\.0\.0.*not authenticated/);
    const quiet: string[] = [];
    const local = track(createServiceTransport({ onWarning: (m) => quiet.push(m) }));
    await local.bind();
    expect(quiet).toEqual([]);
  });

  it('a port already in use fails with TRANSPORT', async () => {
    const a = track(createServiceTransport());
    const port = await a.bind();
    const b = track(createServiceTransport());
    await expect(b.bind(port)).rejects.toMatchObject({ code: 'TRANSPORT' });
  });

  it('rejects bad ports and options with INVALID_ARGUMENT', async () => {
    const t = track(createCallerTransport());
    await expect(t.bind(70_000)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(() => t.connect(0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error);
    expect(() => createCallerTransport({ sendTimeoutMs: 0 })).toThrow(/sendTimeoutMs/);
    expect(() => createServiceTransport({ maxMessageBytes: -1 })).toThrow(/maxMessageBytes/);
    expect(() => createServiceTransport({ sendHighWaterMark: 1.5 })).toThrow(/sendHighWaterMark/);
  });

  it('applies the socket options under their zeromq 6 names', async () => {
    const t = track(
      new ZmqServiceTransport({ maxMessageBytes: 4096, sendTimeoutMs: 1234, zmtpHeartbeatIntervalMs: 200, zmtpHeartbeatTimeoutMs: 700, sendHighWaterMark: 50 }),
    );
    const socket = (t as unknown as { socket: Record<string, unknown> }).socket;
    expect(socket).toMatchObject({
      linger: 0,
      sendTimeout: 1234,
      maxMessageSize: 4096 + 1024,
      heartbeatInterval: 200,
      heartbeatTimeout: 700,
      heartbeatTimeToLive: 700,
      sendHighWaterMark: 50,
      receiveHighWaterMark: 10_000,
    });
    const off = track(new ZmqCallerTransport({ zmtpHeartbeatIntervalMs: 0 }));
    expect((off as unknown as { socket: Record<string, unknown> }).socket).toMatchObject({ heartbeatInterval: 0, sendTimeout: 5000 });
  });
});

describe('close', () => {
  it('is idempotent (same promise) and frees the port at once for a new bind', async () => {
    const caller = track(createCallerTransport());
    const port = await caller.bind();
    const first = caller.close();
    expect(caller.close()).toBe(first);
    expect(caller.closed).toBe(true);
    await first;
    const again = track(createCallerTransport());
    expect(await again.bind(port)).toBe(port);
  });

  it('frees the port of a service with a connected peer too', async () => {
    const { caller, service } = await pair('connect');
    await caller.send(createCall({ function: 'f' }));
    await waitUntil(() => service.connectedPeers === 1);
    const port = service.port!;
    await service.close();
    expect(service.connectedPeers).toBe(0);
    const again = track(createServiceTransport());
    expect(await again.bind(port)).toBe(port);
  });

  it('closing a transport that never bound or connected resolves', async () => {
    await createServiceTransport().close();
  });

  it('bind and connect after close fail with CLOSED', async () => {
    const t = track(createServiceTransport());
    await t.close();
    await expect(t.bind()).rejects.toMatchObject({ code: 'CLOSED' });
    expect(() => t.connect(5555)).toThrow(expect.objectContaining({ code: 'CLOSED' }) as MultifrostError);
  });
});

describe('peer tracking', () => {
  it('connectedPeers goes up on connect and down when the peer closes', async () => {
    const service = track(createServiceTransport());
    const port = await service.bind();
    const counts: number[] = [];
    service.onPeersChanged = (n) => counts.push(n);
    const caller = track(createCallerTransport());
    const callerCounts: number[] = [];
    caller.onPeersChanged = (n) => callerCounts.push(n);
    caller.connect(port);
    await waitUntil(() => service.connectedPeers === 1 && caller.connectedPeers === 1);
    const second = track(new Dealer({ linger: 0 }));
    second.connect(`tcp://127.0.0.1:${port}`);
    await waitUntil(() => service.connectedPeers === 2);
    await caller.close();
    expect(caller.connectedPeers).toBe(0);
    await waitUntil(() => service.connectedPeers === 1);
    second.close();
    await waitUntil(() => service.connectedPeers === 0);
    expect(counts).toEqual([1, 2, 1, 0]);
    expect(callerCounts).toEqual([1, 0]);
  });

  it('a failed handshake (port scanner, HTTP probe) does not take away a real peer', async () => {
    const { caller, service } = await pair('connect');
    await waitUntil(() => service.connectedPeers === 1);
    for (const payload of ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', '']) {
      const probe = net.connect(service.port!, '127.0.0.1');
      await new Promise((r) => probe.once('connect', r));
      if (payload) probe.write(payload);
      await sleep(50);
      probe.destroy();
    }
    await sleep(100);
    expect(service.connectedPeers).toBe(1);
    // And the real peer is still served.
    const got = new Promise((r) => (service.onMessage = r));
    await caller.send(createCall({ function: 'after-probe' }));
    await expect(got).resolves.toMatchObject({ function: 'after-probe' });
  });

  it('disconnect() drops the peer count (libzmq reports no event for it) and connect() re-points the caller', async () => {
    const a = track(createServiceTransport());
    const b = track(createServiceTransport());
    const portA = await a.bind();
    const portB = await b.bind();
    const caller = track(createCallerTransport({ sendTimeoutMs: 2000 }));
    caller.connect(portA);
    await waitUntil(() => caller.connectedPeers === 1);
    caller.disconnect(portA);
    expect(caller.connectedPeers).toBe(0);
    caller.connect(portB);
    expect(caller.port).toBe(portB);
    await waitUntil(() => caller.connectedPeers === 1);
    const seenA: unknown[] = [];
    a.onMessage = (m) => seenA.push(m);
    const got = new Promise((r) => (b.onMessage = r));
    await caller.send(createCall({ function: 'to-b' }));
    await expect(got).resolves.toMatchObject({ function: 'to-b' });
    expect(seenA).toEqual([]);
    // Disconnecting an endpoint never connected is a no-op.
    caller.disconnect(1234);
    expect(caller.connectedPeers).toBe(1);
  });

  it('a raw DEALER is counted and its frames still flow after a peer change', async () => {
    const service = track(createServiceTransport());
    const port = await service.bind();
    const dealer = track(new Dealer({ linger: 0 }));
    dealer.connect(`tcp://127.0.0.1:${port}`);
    await waitUntil(() => service.connectedPeers === 1);
    const got = new Promise((r) => (service.onMessage = r));
    await dealer.send([EMPTY, Buffer.from([0x80])]); // {} : counted as a rejection
    await dealer.send([EMPTY, (await import('@multifrost/protocol')).encodeMessage(createCall({ function: 'x' }))]);
    await expect(got).resolves.toMatchObject({ function: 'x' });
    expect(service.stats.dropped).toBe(1);
  });
});
