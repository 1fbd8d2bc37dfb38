/**
 * Binding, connecting, peer tracking, option handling and close.
 */
import { createCall, type MultifrostError } from '@multifrost/protocol';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Dealer } from 'zeromq';
import { describe, expect, it } from 'vitest';
import { createCallerTransport, createServiceTransport, portOf, tcpEndpoint, zmqTransport } from '../src/index.js';
import { ZmqCallerTransport, ZmqServiceTransport } from '../src/internal.js';
import { EMPTY, pair, sleep, track, waitUntil } from './helpers.js';

describe('bind', () => {
  it('binds a free port on 127.0.0.1 and reports the real endpoint (and its port)', async () => {
    const service = track(zmqTransport().service());
    expect(service.port).toBeUndefined();
    expect(service.endpoint).toBeUndefined();
    const endpoint = await service.bind();
    expect(endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(portOf(endpoint)).toBeGreaterThan(0);
    expect(service.endpoint).toBe(endpoint);
    expect(service.port).toBe(portOf(endpoint));
  });

  it('tcp://host:0 also means any free port, and an ipc:// endpoint binds too (port is then undefined)', async () => {
    const a = track(zmqTransport().service());
    expect(portOf(await a.bind('tcp://127.0.0.1:0'))).toBeGreaterThan(0);
    const dir = mkdtempSync(path.join(tmpdir(), 'mf-ipc-'));
    try {
      const b = track(zmqTransport().service());
      const endpoint = await b.bind(`ipc://${dir}/s.sock`);
      expect(endpoint).toBe(`ipc://${dir}/s.sock`);
      expect(b.port).toBeUndefined();
      const caller = track(zmqTransport().caller());
      caller.connect(endpoint);
      const got = new Promise((r) => (b.onMessage = r));
      await caller.send(createCall({ function: 'over-ipc' }));
      await expect(got).resolves.toMatchObject({ function: 'over-ipc' });
      await caller.close();
      await b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the deprecated createCallerTransport/createServiceTransport still make working transports', async () => {
    const service = track(createServiceTransport());
    const caller = track(createCallerTransport());
    caller.connect(await service.bind());
    const got = new Promise((r) => (service.onMessage = r));
    await caller.send(createCall({ function: 'old-names' }));
    await expect(got).resolves.toMatchObject({ function: 'old-names' });
  });

  it('binding a non-loopback interface warns that messages are unauthenticated; loopback does not', async () => {
    const warnings: string[] = [];
    const exposed = track(zmqTransport({ host: '0.0.0.0', onWarning: (m) => warnings.push(m) }).service());
    await exposed.bind();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/0\.0\.0\.0.*not authenticated/);
    const quiet: string[] = [];
    const local = track(zmqTransport({ onWarning: (m) => quiet.push(m) }).service());
    await local.bind();
    expect(quiet).toEqual([]);
  });

  it('a port already in use fails with TRANSPORT', async () => {
    const a = track(zmqTransport().service());
    const endpoint = await a.bind();
    const b = track(zmqTransport().service());
    await expect(b.bind(endpoint)).rejects.toMatchObject({ code: 'TRANSPORT' });
  });

  it('rejects bad endpoints, ports and options with INVALID_ARGUMENT', async () => {
    const t = track(zmqTransport().caller());
    await expect(t.bind('tcp://127.0.0.1:70000')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(t.bind('127.0.0.1:4000')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(() => t.connect(tcpEndpoint('127.0.0.1', 0))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error,
    );
    expect(() => t.connect('tcp://127.0.0.1')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error);
    expect(() => t.connect(5555 as unknown as string)).toThrow(/tcpEndpoint/);
    expect(() => zmqTransport({ sendTimeoutMs: 0 })).toThrow(/sendTimeoutMs/);
    expect(() => zmqTransport({ sendTimeoutMs: 0 }).caller()).toThrow(/sendTimeoutMs/);
    expect(() => zmqTransport({ maxMessageBytes: -1 }).service()).toThrow(/maxMessageBytes/);
    expect(() => zmqTransport({ sendHighWaterMark: 1.5 }).service()).toThrow(/sendHighWaterMark/);
  });

  it('applies the socket options under their zeromq 6 names', async () => {
    const t = track(
      new ZmqServiceTransport({
        maxMessageBytes: 4096,
        sendTimeoutMs: 1234,
        zmtpHeartbeatIntervalMs: 200,
        zmtpHeartbeatTimeoutMs: 700,
        sendHighWaterMark: 50,
      }),
    );
    const socket = (t as unknown as { socket: Record<string, unknown> }).socket;
    expect(socket).toMatchObject({
      linger: 0,
      sendTimeout: 1234,
      maxMessageSize: 4 * 4096 + 1024,
      heartbeatInterval: 200,
      heartbeatTimeout: 700,
      heartbeatTimeToLive: 700,
      sendHighWaterMark: 50,
      receiveHighWaterMark: 10_000,
    });
    const off = track(new ZmqCallerTransport({ zmtpHeartbeatIntervalMs: 0 }));
    expect((off as unknown as { socket: Record<string, unknown> }).socket).toMatchObject({
      heartbeatInterval: 0,
      sendTimeout: 5000,
    });
  });
});

describe('close', () => {
  it('is idempotent (same promise) and frees the port at once for a new bind', async () => {
    const caller = track(zmqTransport().caller());
    const endpoint = await caller.bind();
    const first = caller.close();
    expect(caller.close()).toBe(first);
    expect(caller.closed).toBe(true);
    await first;
    const again = track(zmqTransport().caller());
    expect(await again.bind(endpoint)).toBe(endpoint);
  });

  it('frees the port of a service with a connected peer too', async () => {
    const { caller, service } = await pair('connect');
    await caller.send(createCall({ function: 'f' }));
    await waitUntil(() => service.connectedPeers === 1);
    const endpoint = service.endpoint!;
    await service.close();
    expect(service.connectedPeers).toBe(0);
    const again = track(zmqTransport().service());
    expect(await again.bind(endpoint)).toBe(endpoint);
  });

  it('closing a transport that never bound or connected resolves', async () => {
    await zmqTransport().service().close();
  });

  it('bind and connect after close fail with CLOSED', async () => {
    const t = track(zmqTransport().service());
    await t.close();
    await expect(t.bind()).rejects.toMatchObject({ code: 'CLOSED' });
    expect(() => t.connect('tcp://127.0.0.1:5555')).toThrow(
      expect.objectContaining({ code: 'CLOSED' }) as MultifrostError,
    );
  });
});

describe('peer tracking', () => {
  it('connectedPeers goes up on connect and down when the peer closes', async () => {
    const service = track(zmqTransport().service());
    const endpoint = await service.bind();
    const counts: number[] = [];
    service.onPeersChanged = (n) => counts.push(n);
    const caller = track(zmqTransport().caller());
    const callerCounts: number[] = [];
    caller.onPeersChanged = (n) => callerCounts.push(n);
    caller.connect(endpoint);
    await waitUntil(() => service.connectedPeers === 1 && caller.connectedPeers === 1);
    const second = track(new Dealer({ linger: 0 }));
    second.connect(endpoint);
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
    const a = track(zmqTransport().service());
    const b = track(zmqTransport().service());
    const endpointA = await a.bind();
    const endpointB = await b.bind();
    const caller = track(zmqTransport({ sendTimeoutMs: 2000 }).caller());
    caller.connect(endpointA);
    await waitUntil(() => caller.connectedPeers === 1);
    caller.disconnect(endpointA);
    expect(caller.connectedPeers).toBe(0);
    caller.connect(endpointB);
    expect(caller.endpoint).toBe(endpointB);
    expect(caller.port).toBe(portOf(endpointB));
    await waitUntil(() => caller.connectedPeers === 1);
    const seenA: unknown[] = [];
    a.onMessage = (m) => seenA.push(m);
    const got = new Promise((r) => (b.onMessage = r));
    await caller.send(createCall({ function: 'to-b' }));
    await expect(got).resolves.toMatchObject({ function: 'to-b' });
    expect(seenA).toEqual([]);
    // Disconnecting an endpoint never connected is a no-op.
    caller.disconnect('tcp://127.0.0.1:1234');
    expect(caller.connectedPeers).toBe(1);
  });

  it('a raw DEALER is counted and its frames still flow after a peer change', async () => {
    const service = track(zmqTransport().service());
    const endpoint = await service.bind();
    const dealer = track(new Dealer({ linger: 0 }));
    dealer.connect(endpoint);
    await waitUntil(() => service.connectedPeers === 1);
    const got = new Promise((r) => (service.onMessage = r));
    await dealer.send([EMPTY, Buffer.from([0x80])]); // {} : counted as a rejection
    await dealer.send([EMPTY, (await import('@multifrost/protocol')).encodeMessage(createCall({ function: 'x' }))]);
    await expect(got).resolves.toMatchObject({ function: 'x' });
    expect(service.stats.dropped).toBe(1);
  });
});
