// The parent's stream books over the in-memory transport with fake timers, against a scripted
// worker that lists the `stream` capability and sends what a test says (including lies): the
// keep-alive when heartbeats are off, a producer ignoring its credit, the whole-stream timeout.
import { describe, expect, it, vi } from 'vitest';
import {
  CAP_STREAM,
  STREAM_KEY,
  WORKER_CAPABILITIES_KEY,
  createHeartbeatReply,
  createStreamEnd,
  createStreamItem,
  type CallMessage,
  type Message,
} from '@multifrost/protocol';
import type { ServiceTransport } from '@multifrost/transport-zmq';
import { createMemoryTransport } from '@multifrost/testing';
import { ParentWorker } from '../src/parent-worker.js';
import type { ConnectOptions } from '../src/options.js';
import { failure, useFakeClock } from './helpers/fake-clock.js';
import { OneServiceRegistry } from './helpers/fake-service.js';

const cleanup = useFakeClock();

class StreamingService {
  readonly mem = createMemoryTransport();
  readonly received: Message[] = [];
  onCall: (call: CallMessage, send: (m: Message) => void) => void = () => {};
  private t: ServiceTransport | undefined;
  endpoint = '';

  async start(): Promise<this> {
    const t = this.mem.service();
    this.t = t;
    this.endpoint = await t.bind();
    t.onMessage = (msg, peer) => {
      this.received.push(msg);
      if (msg.type === 'heartbeat' && msg.metadata?.hb_response !== true) {
        const reply = createHeartbeatReply(msg);
        reply.metadata = { ...reply.metadata, [WORKER_CAPABILITIES_KEY]: [CAP_STREAM] };
        void t.send(peer, reply);
      } else if (msg.type === 'call') this.onCall(msg, (m) => void t.send(peer, m));
    };
    cleanup.push(() => t.close());
    return this;
  }

  of<T extends Message['type']>(type: T): Extract<Message, { type: T }>[] {
    return this.received.filter((m): m is Extract<Message, { type: T }> => m.type === type);
  }

  async connect(options: ConnectOptions = {}): Promise<ParentWorker> {
    const pending = ParentWorker.connect('svc', {
      registry: new OneServiceRegistry({ serviceId: 'svc', endpoint: this.endpoint }),
      transport: this.mem,
      output: 'ignore',
      ...options,
    });
    pending.catch(() => {});
    await vi.advanceTimersByTimeAsync(10);
    const w = await pending;
    cleanup.push(() => w.close());
    return w;
  }
}

describe('streams on the parent', () => {
  it('opens with mf_stream = the window, and sends keep-alive credit 0 every 5 s when heartbeats are off', async () => {
    const s = await new StreamingService().start();
    const w = await s.connect({ heartbeatIntervalMs: 0, streamWindow: 16 });
    const stream = w.stream.slow!();
    const first = stream.next();
    await vi.advanceTimersByTimeAsync(1);
    const [call] = s.of('call');
    expect(call!.metadata?.[STREAM_KEY]).toBe(16);
    await vi.advanceTimersByTimeAsync(15_000);
    const alive = s.of('stream_credit');
    expect(alive.length).toBe(3);
    expect(alive.every((c) => c.credit === 0 && c.id === call!.id)).toBe(true);
    await stream.return();
    expect(await first).toEqual({ done: true, value: undefined });
    await vi.advanceTimersByTimeAsync(1);
    expect(s.of('cancel').map((c) => c.id)).toEqual([call!.id]);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(s.of('stream_credit').length).toBe(3); // no keep-alive for a closed stream
  });

  it('a worker flooding beyond its credit fails the stream with PROTOCOL and is cancelled', async () => {
    const s = await new StreamingService().start();
    s.onCall = (call, send) => {
      for (let i = 0; i < 1000; i++) send(createStreamItem(call.id, i, i, call.app));
    };
    const w = await s.connect({ streamWindow: 8 });
    const stream = w.stream.flood!();
    const got: unknown[] = [];
    const read = (async () => {
      for await (const x of stream) {
        got.push(x);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    read.catch(() => {});
    await vi.advanceTimersByTimeAsync(200);
    const err = await failure(read);
    expect(err.code).toBe('PROTOCOL');
    expect(err.message).toContain('more than the 8 items granted');
    expect(got.length).toBeLessThanOrEqual(1);
    expect(s.of('cancel').length).toBe(1);
    expect(w.metrics.streams).toMatchObject({ opened: 1, open: 0, failed: 1 });
  });

  it('timeoutMs is for the whole stream: TIMEOUT after the items, and cancel sent', async () => {
    const s = await new StreamingService().start();
    s.onCall = (call, send) => send(createStreamItem(call.id, 0, 'a', call.app));
    const w = await s.connect();
    const stream = w.with({ timeoutMs: 1000 }).stream.one!();
    expect(await stream.next()).toEqual({ done: false, value: 'a' });
    const next = stream.next();
    next.catch(() => {});
    await vi.advanceTimersByTimeAsync(1000);
    const err = await failure(next);
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toContain('covers the whole stream');
    await vi.advanceTimersByTimeAsync(1);
    expect(s.of('cancel').length).toBe(1);
    expect(s.of('call')[0]!.metadata?.deadline).toBeTypeOf('number');
  });

  it('an end with the right count is done; a late item after it is dropped', async () => {
    const s = await new StreamingService().start();
    s.onCall = (call, send) => {
      send(createStreamItem(call.id, 0, 1, call.app));
      send(createStreamEnd(call.id, 1, call.app));
      send(createStreamItem(call.id, 1, 2, call.app));
    };
    const w = await s.connect();
    const got: unknown[] = [];
    for await (const x of w.stream.one!()) got.push(x);
    expect(got).toEqual([1]);
    expect(w.metrics.streams).toMatchObject({ opened: 1, ended: 1, items: 1 });
  });

  it('a bad streamWindow is refused with INVALID_ARGUMENT: on the worker at once, in with() at the first next()', async () => {
    const s = await new StreamingService().start();
    const err = await failure(s.connect({ streamWindow: 0 }));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toContain('streamWindow');
    const w = await s.connect();
    const bad = await failure(w.with({ streamWindow: 2.5 }).stream.one!().next());
    expect(bad.code).toBe('INVALID_ARGUMENT');
    expect(s.of('call')).toEqual([]);
  });
});
