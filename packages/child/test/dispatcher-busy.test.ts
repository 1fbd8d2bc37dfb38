/**
 * The dispatcher's bounds: a full queue answers BUSY at once and keeps nothing, the calls it did
 * take still run in arrival order, freed slots admit new calls again, and the limits are checked.
 */
import { createCall, type ErrorMessage, type Message, type ResponseMessage } from '@multifrost/protocol';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_CONCURRENCY, DEFAULT_MAX_QUEUE, Dispatcher, type Method } from '../src/dispatcher.js';

const peer = Buffer.from('parent-1');

function deferred(): { promise: Promise<unknown>; resolve: (v: unknown) => void } {
  let resolve!: (v: unknown) => void;
  const promise = new Promise<unknown>((res) => (resolve = res));
  return { promise, resolve };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

function make(methods: Record<string, Method>, limits: { maxConcurrency?: number; maxQueue?: number }) {
  const sent: Message[] = [];
  const dispatcher = new Dispatcher(
    { owner: {}, methods: new Map(Object.entries(methods)), namespace: 'default', ...limits },
    { send: (_to, m) => sent.push(m) },
  );
  dispatcher.open();
  return { sent, dispatcher };
}

const call = (id: string, fn: string, args: unknown[] = []) => createCall({ id, function: fn, args });

describe('Dispatcher: bounded queue', () => {
  it('answers a call beyond the queue with BUSY at once, and still runs the admitted ones in order', async () => {
    const gates = new Map<number, ReturnType<typeof deferred>>();
    const started: number[] = [];
    const { sent, dispatcher } = make(
      {
        work(i: unknown) {
          started.push(i as number);
          const g = deferred();
          gates.set(i as number, g);
          return g.promise.then(() => i);
        },
      },
      { maxConcurrency: 2, maxQueue: 3 },
    );
    for (let i = 0; i < 8; i++) dispatcher.call(call(`c${i}`, 'work', [i]), peer);

    // 2 running, 3 waiting, 3 refused before any handler settled.
    expect(dispatcher.running).toBe(2);
    expect(dispatcher.queued).toBe(3);
    expect(sent.map((m) => m.id)).toEqual(['c5', 'c6', 'c7']);
    for (const m of sent) {
      const err = m as ErrorMessage;
      expect(err.type).toBe('error');
      expect(err.error_type).toBe('BusyError');
      expect(err.error_code).toBe('BUSY');
      expect(err.error).toContain('maxQueue 3');
    }

    // Freeing slots starts the waiting calls in arrival order.
    while (started.length < 5 || dispatcher.running > 0) {
      for (const [i, g] of gates) {
        gates.delete(i);
        g.resolve(i);
      }
      await settle();
    }
    expect(started).toEqual([0, 1, 2, 3, 4]);
    const answered = sent.filter((m) => m.type === 'response') as ResponseMessage[];
    expect(answered.map((m) => m.result).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(dispatcher.queued).toBe(0);
  });

  it('admits calls again once slots and queue have room', async () => {
    const gate = deferred();
    const { sent, dispatcher } = make(
      { block: () => gate.promise, quick: () => 'ok' },
      { maxConcurrency: 1, maxQueue: 1 },
    );
    dispatcher.call(call('a', 'block'), peer);
    dispatcher.call(call('b', 'quick'), peer);
    dispatcher.call(call('c', 'quick'), peer);
    expect((sent[0] as ErrorMessage).error_code).toBe('BUSY');
    expect(sent[0]!.id).toBe('c');
    gate.resolve('done');
    await settle();
    expect(dispatcher.running).toBe(0);
    dispatcher.call(call('d', 'quick'), peer);
    const d = sent.find((m) => m.id === 'd') as ResponseMessage;
    expect(d.type).toBe('response');
    expect(d.result).toBe('ok');
  });

  it('maxQueue 0 refuses every call that finds all slots taken', () => {
    const gate = deferred();
    const { sent, dispatcher } = make({ block: () => gate.promise }, { maxConcurrency: 1, maxQueue: 0 });
    dispatcher.call(call('a', 'block'), peer);
    dispatcher.call(call('b', 'block'), peer);
    expect(dispatcher.queued).toBe(0);
    expect(sent.map((m) => [m.id, (m as ErrorMessage).error_code])).toEqual([['b', 'BUSY']]);
    gate.resolve(1);
  });

  it('a sync handler never takes a slot: thousands of calls with maxConcurrency 1 and no queue all succeed', () => {
    const { sent, dispatcher } = make(
      { add: (a: unknown, b: unknown) => (a as number) + (b as number) },
      {
        maxConcurrency: 1,
        maxQueue: 0,
      },
    );
    for (let i = 0; i < 5000; i++) dispatcher.call(call(`s${i}`, 'add', [i, 1]), peer);
    expect(sent).toHaveLength(5000);
    expect(sent.every((m) => m.type === 'response')).toBe(true);
  });

  it('has finite defaults and allows Infinity explicitly', async () => {
    expect(Number.isFinite(DEFAULT_MAX_CONCURRENCY)).toBe(true);
    expect(Number.isFinite(DEFAULT_MAX_QUEUE)).toBe(true);
    const gate = deferred();
    const byDefault = make({ block: () => gate.promise }, {});
    const n = DEFAULT_MAX_CONCURRENCY + DEFAULT_MAX_QUEUE + 10;
    for (let i = 0; i < n; i++) byDefault.dispatcher.call(call(`d${i}`, 'block'), peer);
    expect(byDefault.dispatcher.running).toBe(DEFAULT_MAX_CONCURRENCY);
    expect(byDefault.dispatcher.queued).toBe(DEFAULT_MAX_QUEUE);
    expect(byDefault.sent).toHaveLength(10);

    const unbounded = make({ block: () => gate.promise }, { maxConcurrency: Infinity, maxQueue: Infinity });
    for (let i = 0; i < n; i++) unbounded.dispatcher.call(call(`u${i}`, 'block'), peer);
    expect(unbounded.dispatcher.running).toBe(n);
    expect(unbounded.sent).toHaveLength(0);
    gate.resolve(1);
    await settle();
  });

  it('rejects limits that are not whole numbers', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => make({}, { maxConcurrency: bad })).toThrow(/maxConcurrency must be/);
    }
    for (const bad of [-1, 0.5, Number.NaN]) {
      expect(() => make({}, { maxQueue: bad })).toThrow(/maxQueue must be/);
    }
  });

  it('a stop refuses the queued calls with ShuttingDownError, not BUSY', async () => {
    const gate = deferred();
    const { sent, dispatcher } = make({ block: () => gate.promise }, { maxConcurrency: 1, maxQueue: 2 });
    for (const id of ['a', 'b', 'c']) dispatcher.call(call(id, 'block'), peer);
    const drained = dispatcher.drain(10_000);
    expect(sent.map((m) => (m as ErrorMessage).error_type)).toEqual(['ShuttingDownError', 'ShuttingDownError']);
    gate.resolve(1);
    await drained;
  });
});
