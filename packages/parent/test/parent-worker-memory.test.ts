// ParentWorker over the in-memory transport with fake timers: heartbeats, timeouts, cancel, the
// circuit and the start timeout in milliseconds of test time instead of tens of real seconds.
// The same behaviours over ZeroMQ and real processes stay covered in packages/e2e.
import { describe, expect, it, vi } from 'vitest';
import { RemoteCallError } from '@multifrost/protocol';
import { ParentWorker } from '../src/parent-worker.js';
import type { ConnectOptions } from '../src/options.js';
import { failure, useFakeClock } from './helpers/fake-clock.js';
import { FakeService } from './helpers/fake-service.js';

const cleanup = useFakeClock();

async function connect(service: FakeService, options: ConnectOptions = {}): Promise<ParentWorker> {
  const pending = ParentWorker.connect('svc', {
    registry: service.registry(),
    transport: service.mem,
    output: 'ignore',
    ...options,
  });
  pending.catch(() => {});
  // Delivery runs on microtasks; a few timer ticks let the first heartbeat go round.
  await vi.advanceTimersByTimeAsync(10);
  const w = await pending;
  cleanup.push(() => w.close());
  return w;
}

async function startService(): Promise<FakeService> {
  const s = await new FakeService().start();
  cleanup.push(() => s.close());
  return s;
}

describe('ParentWorker on the memory transport', () => {
  it('calls go over the given transport factory and resolve with the reply', async () => {
    const s = await startService();
    const w = await connect(s);
    const r = w.call.echo!(1, 'two');
    await vi.advanceTimersByTimeAsync(1);
    expect(await r).toEqual([1, 'two']);
    expect(s.of('call').map((c) => c.function)).toEqual(['echo']);
  });

  it('a call timeout rejects with TIMEOUT and sends cancel for that call to the worker', async () => {
    const s = await startService();
    s.handler = () => 'hold';
    const w = await connect(s);
    const p = w.with({ timeoutMs: 1000 }).call.slow!();
    p.catch(() => {});
    await vi.advanceTimersByTimeAsync(999);
    expect(s.of('cancel')).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    const err = await failure(p);
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toBe('Call to slow() on worker svc timed out after 1000 ms');
    await vi.advanceTimersByTimeAsync(1);
    const [call] = s.of('call');
    expect(s.of('cancel').map((c) => c.id)).toEqual([call!.id]);
  });

  it('an idle worker that stops answering is marked unresponsive after exactly maxMisses real misses', async () => {
    const s = await startService();
    const w = await connect(s, { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 50, heartbeatMaxMisses: 3 });
    const events: number[] = [];
    w.on('unresponsive', ({ misses }) => events.push(misses));
    // Answering: a long quiet stretch never counts as a miss.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(events).toEqual([]);
    expect(w.isHealthy).toBe(true);
    s.answerHeartbeats = false;
    await vi.advanceTimersByTimeAsync(250);
    expect(events).toEqual([]); // two misses so far
    await vi.advanceTimersByTimeAsync(100);
    expect(events).toEqual([3]);
    expect(w.isHealthy).toBe(false);
    expect(w.metrics.heartbeat.misses).toBeGreaterThanOrEqual(3);
    const back = new Promise<void>((r) => w.once('responsive', () => r()));
    s.answerHeartbeats = true;
    await vi.advanceTimersByTimeAsync(200);
    await back;
  });

  it('a busy worker (a call in flight) that misses heartbeats is not declared dead, and its call succeeds', async () => {
    const s = await startService();
    s.handler = () => 'hold';
    const w = await connect(s, { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 50, heartbeatMaxMisses: 2 });
    const events: number[] = [];
    w.on('unresponsive', ({ misses }) => events.push(misses));
    s.answerHeartbeats = false;
    const p = w.with({ timeoutMs: Infinity }).call.crunch!();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(events).toEqual([]);
    await s.reply(s.of('call')[0]!.id, 'done');
    await vi.advanceTimersByTimeAsync(1);
    expect(await p).toBe('done');
  });

  it('timeoutMs: 0 is refused with INVALID_ARGUMENT and nothing is sent', async () => {
    const s = await startService();
    const w = await connect(s);
    const err = await failure(w.with({ timeoutMs: 0 }).call.f!());
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/timeoutMs must be more than 0 ms/);
    await expect(
      ParentWorker.connect('svc', { registry: s.registry(), transport: s.mem, defaultTimeoutMs: 0 }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(s.of('call')).toEqual([]);
  });

  it("'ready' can be heard by a listener attached after connect() resolved", async () => {
    const s = await startService();
    // Awaited the way an app does (no timer turn in between): the reply arrives on microtasks.
    const w = await ParentWorker.connect('svc', { registry: s.registry(), transport: s.mem, output: 'ignore' });
    cleanup.push(() => w.close());
    let ready = 0;
    w.on('ready', () => ready++);
    await vi.advanceTimersByTimeAsync(1);
    expect(ready).toBe(1);
  });

  it('with() views have callFunction, using the view options', async () => {
    const s = await startService();
    const w = await connect(s);
    const p = w.with({ namespace: 'ns1', metadata: { trace: 't1' } }).callFunction('echo', [7]);
    await vi.advanceTimersByTimeAsync(1);
    expect(await p).toEqual([7]);
    const [call] = s.of('call');
    expect(call!.namespace).toBe('ns1');
    expect(call!.metadata).toMatchObject({ trace: 't1' });
  });

  it('protocol-level remote errors carry their own code and stay RemoteCallErrors', async () => {
    const s = await startService();
    s.handler = (c) => ({
      error: { name: c.function === 'gone' ? 'FunctionNotFoundError' : 'NamespaceError', message: 'nope' },
    });
    const w = await connect(s);
    const a = w.callFunction('gone');
    const b = w.callFunction('other');
    a.catch(() => {});
    b.catch(() => {});
    await vi.advanceTimersByTimeAsync(1);
    const ea = await failure(a);
    expect(ea).toBeInstanceOf(RemoteCallError);
    expect(ea.code).toBe('FUNCTION_NOT_FOUND');
    expect((ea as RemoteCallError).remoteType).toBe('FunctionNotFoundError');
    expect((await failure(b)).code).toBe('NAMESPACE_MISMATCH');
  });

  it('connect() honours startTimeoutMs when the service never answers', async () => {
    const s = await startService();
    s.answerHeartbeats = false;
    const pending = ParentWorker.connect('svc', { registry: s.registry(), transport: s.mem, startTimeoutMs: 2000 });
    pending.catch(() => {});
    await vi.advanceTimersByTimeAsync(1999);
    let settled = false;
    void pending.finally(() => (settled = true)).catch(() => {});
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const err = await failure(pending);
    expect(err.code).toBe('START_FAILED');
    expect(err.message).toMatch(/within startTimeoutMs \(2000 ms\)/);
  });

  it('the circuit moves to half-open on its own timer, with nobody reading its state', async () => {
    const s = await startService();
    s.handler = () => 'hold';
    const w = await connect(s, { circuitBreaker: { failureThreshold: 1, resetTimeoutMs: 5000 } });
    const seen: string[] = [];
    w.on('circuit-open', () => seen.push('open'));
    w.on('circuit-half-open', () => seen.push('half-open'));
    w.with({ timeoutMs: 100 }).call.f!().catch(() => {});
    await vi.advanceTimersByTimeAsync(100);
    expect(seen).toEqual(['open']);
    await vi.advanceTimersByTimeAsync(5000);
    expect(seen).toEqual(['open', 'half-open']);
  });
});
