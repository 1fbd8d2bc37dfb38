// The call table alone: a fake sender records what would go on the wire, fake timers drive the
// deadlines. No sockets, no processes.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MultifrostError, createCall, createError, isMultifrostError, type Message } from '@multifrost/protocol';
import { CallTable, type CallSender } from '../src/call-table.js';
import { CircuitBreaker } from '../src/circuit-breaker.js';
import { Metrics } from '../src/metrics.js';

function setup(options: { failPost?: Error; threshold?: number } = {}) {
  const posted: Message[] = [];
  const cancelled: string[] = [];
  const later: { err: Error; msg: Message; onError: (err: Error, msg: Message) => void }[] = [];
  const sender: CallSender = {
    post(msg, onError) {
      posted.push(msg);
      later.push({ err: new Error('late'), msg, onError });
      return options.failPost;
    },
    cancel: (id) => cancelled.push(id),
  };
  const metrics = new Metrics();
  const circuit = new CircuitBreaker({ failureThreshold: options.threshold ?? 100 });
  const table = new CallTable('w1', sender, metrics, circuit);
  const call = (fn: string, timeoutMs: number, sendNow = true, signal?: AbortSignal) => {
    const msg = createCall({ function: fn, args: [] });
    const promise = table.add(msg, fn, timeoutMs, signal, false, sendNow);
    promise.catch(() => {});
    return { id: msg.id, promise };
  };
  return { table, posted, cancelled, later, metrics, circuit, call };
}

async function rejection(p: Promise<unknown>): Promise<MultifrostError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMultifrostError(err)) throw new Error(`expected a MultifrostError, got ${String(err)}`);
  return err;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('CallTable', () => {
  it('a reply settles its call and only its call', async () => {
    const { table, call, metrics } = setup();
    const a = call('a', 1000);
    const b = call('b', 1000);
    table.onResponse(b.id, 42);
    await expect(b.promise).resolves.toBe(42);
    expect(table.size).toBe(1);
    table.onResponse(a.id, 'x');
    await expect(a.promise).resolves.toBe('x');
    expect(
      metrics.snapshot({
        inFlight: 0,
        circuit: { state: 'closed', trips: 0, consecutiveFailures: 0 },
        droppedMessages: 0,
      }).requestsSucceeded,
    ).toBe(2);
  });

  it('a timed-out call is rejected with TIMEOUT and the worker is sent cancel for it', async () => {
    const { call, cancelled, table } = setup();
    const { id, promise } = call('slow', 500);
    vi.advanceTimersByTime(499);
    expect(cancelled).toEqual([]);
    vi.advanceTimersByTime(1);
    const err = await rejection(promise);
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toBe('Call to slow() on worker w1 timed out after 500 ms');
    expect(cancelled).toEqual([id]);
    expect(table.size).toBe(0);
    // A reply arriving after the timeout is ignored.
    table.onResponse(id, 1);
  });

  it('calls with different deadlines time out in deadline order, each cancelled once', async () => {
    const { call, cancelled } = setup();
    const long = call('long', 3000);
    const short = call('short', 1000);
    vi.advanceTimersByTime(1000);
    expect((await rejection(short.promise)).code).toBe('TIMEOUT');
    expect(cancelled).toEqual([short.id]);
    vi.advanceTimersByTime(2000);
    expect((await rejection(long.promise)).code).toBe('TIMEOUT');
    expect(cancelled).toEqual([short.id, long.id]);
  });

  it('Infinity never times out', () => {
    const { call, table, cancelled } = setup();
    call('forever', Infinity);
    vi.advanceTimersByTime(10 * 60_000);
    expect(table.size).toBe(1);
    expect(cancelled).toEqual([]);
  });

  it('an abort rejects at once with ABORTED and sends cancel; a waiting call is not cancelled', async () => {
    const { call, cancelled, posted } = setup();
    const c1 = new AbortController();
    const sent = call('sent', 1000, true, c1.signal);
    const c2 = new AbortController();
    const waiting = call('waiting', 1000, false, c2.signal);
    c1.abort(new Error('user'));
    c2.abort(new Error('user'));
    expect((await rejection(sent.promise)).code).toBe('ABORTED');
    expect((await rejection(waiting.promise)).code).toBe('ABORTED');
    expect(cancelled).toEqual([sent.id]);
    expect(posted.map((m) => m.id)).toEqual([sent.id]);
  });

  it('waiting calls are sent in order when flushed; settled ones are skipped', async () => {
    const { call, posted, table } = setup();
    const a = call('a', 1000, false);
    const b = call('b', 200, false);
    const c = call('c', 1000, false);
    expect(posted).toEqual([]);
    vi.advanceTimersByTime(200);
    expect((await rejection(b.promise)).code).toBe('TIMEOUT');
    table.flushWaiting();
    expect(posted.map((m) => m.id)).toEqual([a.id, c.id]);
  });

  it('a send failure known at once rejects the call with that error, and counts for the circuit', async () => {
    const { call, circuit } = setup({ failPost: new MultifrostError('CLOSED', 'closed'), threshold: 1 });
    const { promise } = call('f', 1000);
    expect((await rejection(promise)).code).toBe('CLOSED');
    expect(circuit.state).toBe('open');
    circuit.dispose();
  });

  it('an ENCODE failure reported later rejects the call but does not count against the worker', async () => {
    const { call, later, circuit } = setup({ threshold: 1 });
    const { promise } = call('f', 1000);
    const { msg, onError } = later[0]!;
    onError(new MultifrostError('ENCODE', 'cannot encode'), msg);
    expect((await rejection(promise)).code).toBe('ENCODE');
    expect(circuit.state).toBe('closed');
  });

  it('a remote error rejects with the remote name and a protocol-level code', async () => {
    const { call, table } = setup();
    const { id, promise } = call('nope', 1000);
    table.onError(createError(id, { name: 'FunctionNotFoundError', message: "Function 'nope' not found" }));
    const err = await rejection(promise);
    expect(err.code).toBe('FUNCTION_NOT_FOUND');
    expect(err.message).toMatch(/FunctionNotFoundError: Function 'nope' not found \(remote in nope\(\) on w1\)/);
  });

  it('rejectAll with sentOnly leaves waiting calls alone; rejectWaiting takes them', async () => {
    const { call, table } = setup();
    const sent = call('sent', 1000);
    const waiting = call('waiting', 1000, false);
    table.rejectAll(() => new MultifrostError('WORKER_EXITED', 'gone'), true);
    expect((await rejection(sent.promise)).code).toBe('WORKER_EXITED');
    expect(table.size).toBe(1);
    table.rejectWaiting(() => new MultifrostError('NOT_RUNNING', 'not running'));
    expect((await rejection(waiting.promise)).code).toBe('NOT_RUNNING');
    expect(table.size).toBe(0);
  });
});
