/**
 * Sends that cannot succeed: no peer (SEND_TIMEOUT, once per backlog rather than once per
 * message), values that cannot be encoded or are too large (ENCODE), and a closed transport.
 */
import {
  createCall,
  createResponse,
  isMultifrostError,
  type Message,
  type MultifrostError,
} from '@multifrost/protocol';
import { describe, expect, it } from 'vitest';
import { zmqTransport } from '../src/index.js';
import { track } from './helpers.js';

const errorOf = (p: Promise<unknown>): Promise<MultifrostError> =>
  p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as MultifrostError,
  );

describe('no peer', () => {
  it('a send with no peer fails with SEND_TIMEOUT after its sendTimeoutMs, naming the endpoint and the limit', async () => {
    const caller = track(zmqTransport({ sendTimeoutMs: 300 }).caller());
    const endpoint = await caller.bind();
    const t0 = Date.now();
    const err = await errorOf(caller.send(createCall({ function: 'f' })));
    const elapsed = Date.now() - t0;
    expect(isMultifrostError(err)).toBe(true);
    expect(err.code).toBe('SEND_TIMEOUT');
    expect(err.message).toContain(endpoint);
    expect(err.message).toMatch(/within 300 ms/);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3_000);
    expect(caller.stats).toMatchObject({ sent: 0, sendErrors: 1, queued: 0 });
  });

  it('a backlog of 5 sends with no peer all fail within about one timeout, not five', async () => {
    const caller = track(zmqTransport({ sendTimeoutMs: 300 }).caller());
    await caller.bind();
    const t0 = Date.now();
    const pending = Array.from({ length: 5 }, () => caller.send(createCall({ function: 'f' })));
    expect(caller.stats.queued).toBeGreaterThanOrEqual(4); // at most one already in flight
    const results = await Promise.allSettled(pending);
    const elapsed = Date.now() - t0;
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect(((r as PromiseRejectedResult).reason as MultifrostError).code).toBe('SEND_TIMEOUT');
    }
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(800);
    expect(caller.stats).toMatchObject({ sendErrors: 5, queued: 0 });
  });

  it('post() reports SEND_TIMEOUT through onError, with the message that failed', async () => {
    const caller = track(zmqTransport({ sendTimeoutMs: 100 }).caller());
    await caller.bind();
    const calls = [createCall({ function: 'f' }), createCall({ function: 'g' })];
    const failed: [string, string][] = [];
    await new Promise<void>((resolve) => {
      // One shared handler for both: the second argument says which message it was.
      const onError = (err: Error, message: Message) => {
        failed.push([(err as MultifrostError).code, message.id]);
        if (failed.length === 2) resolve();
      };
      for (const call of calls) caller.post(call, onError);
    });
    expect(failed).toEqual(calls.map((c) => ['SEND_TIMEOUT', c.id]));
  });

  it('the socket timeout goes back to the full limit once the backlog is gone', async () => {
    const caller = track(zmqTransport({ sendTimeoutMs: 300 }).caller());
    await caller.bind();
    await Promise.allSettled(Array.from({ length: 3 }, () => caller.send(createCall({ function: 'f' }))));
    const t0 = Date.now();
    expect((await errorOf(caller.send(createCall({ function: 'f' })))).code).toBe('SEND_TIMEOUT');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });
});

describe('encoding', () => {
  it('an unsendable value fails with ENCODE and sends nothing', async () => {
    const caller = track(zmqTransport().caller());
    await caller.bind();
    const err = await errorOf(caller.send(createCall({ function: 'f', args: [Symbol('x')] })));
    expect(err.code).toBe('ENCODE');
    expect(caller.stats).toMatchObject({ sent: 0, sendErrors: 1, queued: 0 });
  });

  it('post() returns an encode error (onError is not called for it) and queues nothing', async () => {
    const service = track(zmqTransport().service());
    await service.bind();
    const reply = createResponse('r1', () => 1);
    const seen: [string, Message][] = [];
    const returned = service.post(Buffer.from('peer'), reply, (err, message) =>
      seen.push([(err as MultifrostError).code, message]),
    );
    expect((returned as MultifrostError | undefined)?.code).toBe('ENCODE');
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([]);
    expect(service.stats).toMatchObject({ sent: 0, sendErrors: 1, queued: 0 });
  });

  it('a message over maxMessageBytes fails with ENCODE on the sender, on both socket kinds', async () => {
    const caller = track(zmqTransport({ maxMessageBytes: 1024 }).caller());
    await caller.bind();
    const big = await errorOf(caller.send(createCall({ function: 'f', args: [Buffer.alloc(4096)] })));
    expect(big.code).toBe('ENCODE');
    expect(big.message).toMatch(/over the 1024-byte limit/);
    const service = track(zmqTransport({ maxMessageBytes: 1024 }).service());
    const err = await errorOf(service.send(Buffer.from('peer'), createResponse('x', 'y'.repeat(2000))));
    expect(err.code).toBe('ENCODE');
    expect(caller.stats.sent).toBe(0);
    expect(service.stats.sent).toBe(0);
  });
});

describe('closed transport', () => {
  it('queued sends reject with CLOSED on close, and later sends too', async () => {
    const caller = track(zmqTransport({ sendTimeoutMs: 10_000 }).caller());
    await caller.bind();
    const pending = Array.from({ length: 3 }, () => errorOf(caller.send(createCall({ function: 'f' }))));
    const t0 = Date.now();
    await caller.close();
    const errors = await Promise.all(pending);
    expect(errors.map((e) => e.code)).toEqual(['CLOSED', 'CLOSED', 'CLOSED']);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect((await errorOf(caller.send(createCall({ function: 'f' })))).code).toBe('CLOSED');
    // A closed transport is returned by post(), not reported to onError.
    let posted: Error | undefined;
    const returned = caller.post(createCall({ function: 'f' }), (err) => (posted = err));
    expect((returned as MultifrostError | undefined)?.code).toBe('CLOSED');
    expect(posted).toBeUndefined();
    expect(caller.stats).toMatchObject({ queued: 0, sent: 0, sendErrors: 5 });
  });
});
