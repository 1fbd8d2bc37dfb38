/**
 * The pieces that keep a bound socket usable at its descriptor limit: the pacing of monitor
 * events and the rate-limited out-of-descriptors warning (AcceptFloodBrake), and
 * `zmtpHandshakeTimeoutMs`, which closes connections that never greet. The whole behaviour, under
 * a real `prlimit`, is in packages/e2e/test/fd-limit.test.ts.
 */
import { connect } from 'node:net';
import { createCall, type Message } from '@multifrost/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AcceptFloodBrake, EVENT_BATCH, FD_WARNING_INTERVAL_MS } from '../src/accept-flood.js';
import { zmqTransport } from '../src/index.js';
import { resolveOptions } from '../src/options.js';
import { nextMessage, track, waitUntil } from './helpers.js';

const emfile = Object.assign(new Error('Too many open file descriptors'), { code: 'EMFILE', errno: 24 });

afterEach(() => {
  vi.useRealTimers();
});

describe('AcceptFloodBrake', () => {
  it('warns once per interval with the address, the cause and how many accepts failed', () => {
    vi.useFakeTimers();
    const warnings: string[] = [];
    const brake = new AcceptFloodBrake((m) => warnings.push(m));
    for (let i = 0; i < 5000; i++) brake.acceptFailed('tcp://127.0.0.1:4000', emfile);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('tcp://127.0.0.1:4000 cannot accept new connections');
    expect(warnings[0]).toContain('out of file descriptors (EMFILE');
    expect(warnings[0]).toContain('1 accept(s) failed');
    vi.advanceTimersByTime(FD_WARNING_INTERVAL_MS);
    brake.acceptFailed('tcp://127.0.0.1:4000', emfile);
    expect(warnings).toHaveLength(2);
    // Everything since the first warning, including the one that triggered this one.
    expect(warnings[1]).toContain('5000 accept(s) failed');
  });

  it('says nothing about accept errors that are not about descriptors', () => {
    const warnings: string[] = [];
    const brake = new AcceptFloodBrake((m) => warnings.push(m));
    brake.acceptFailed('tcp://127.0.0.1:4000', Object.assign(new Error('aborted'), { code: 'ECONNABORTED' }));
    brake.acceptFailed('tcp://127.0.0.1:4000', undefined);
    expect(warnings).toEqual([]);
  });

  it('gives way after each batch, and pauses only after a batch of mostly accept errors', async () => {
    vi.useFakeTimers();
    const brake = new AcceptFloodBrake(() => {});
    const batch = (acceptErrors: number): Promise<void> | undefined => {
      let last: Promise<void> | undefined;
      for (let i = 0; i < EVENT_BATCH; i++) {
        if (i < acceptErrors) brake.acceptFailed(undefined, emfile);
        last = brake.afterEvent();
        if (i < EVENT_BATCH - 1) expect(last).toBeUndefined();
      }
      return last;
    };
    let settled = false;
    // A batch of ordinary events: an immediate, not a timer.
    void batch(0)!.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    // A flood: the loop waits on a timer.
    settled = false;
    void batch(EVENT_BATCH)!.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    expect(vi.getTimerCount()).toBe(1);
    await vi.runOnlyPendingTimersAsync();
    expect(settled).toBe(true);
  });
});

describe('zmtpHandshakeTimeoutMs', () => {
  it('rejects a negative value', () => {
    expect(() => zmqTransport({ zmtpHandshakeTimeoutMs: -1 }).service()).toThrow(/zmtpHandshakeTimeoutMs/);
  });

  it('closes a connection that never sends a greeting, and still serves real peers', async () => {
    const service = track(zmqTransport({ zmtpHandshakeTimeoutMs: 200 }).service());
    const endpoint = await service.bind();
    const port = Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
    let closed = false;
    const idle = connect({ host: '127.0.0.1', port });
    idle.on('error', () => {});
    // Read (and ignore) the service's greeting: a paused socket would never see the end.
    idle.resume();
    idle.on('close', () => (closed = true));
    track({ close: () => idle.destroy() });
    await waitUntil(() => closed, 10_000);

    const caller = track(zmqTransport({ zmtpHandshakeTimeoutMs: 200 }).caller());
    caller.connect(endpoint);
    const got = nextMessage<Message>((resolve) => (service.onMessage = resolve));
    await caller.send(createCall({ id: 'c1', function: 'f', args: [] }));
    expect((await got).id).toBe('c1');
    // The timed-out connection's handshake:error + disconnect pair must not take the real peer away.
    await waitUntil(() => service.connectedPeers === 1);
    expect(service.stats.received).toBe(1);
  });

  it("is libzmq's 30 s by default, and 0 turns it off", () => {
    expect(resolveOptions({}).socket.handshakeInterval).toBe(30_000);
    expect(resolveOptions({ zmtpHandshakeTimeoutMs: 0 }).socket.handshakeInterval).toBe(0);
  });
});
