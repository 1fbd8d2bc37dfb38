/**
 * The dispatcher alone: plain call messages in, replies recorded by a fake sink, handlers whose
 * promises the test settles by hand. No socket, no process, fake timers for the grace period.
 */
import {
  APP_V3,
  APP_V4,
  createCall,
  type AppId,
  type ErrorMessage,
  type Message,
  type ResponseMessage,
} from '@multifrost/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { callContext } from '../src/call-context.js';
import { Dispatcher, type Method, type ReplySink } from '../src/dispatcher.js';

const peer = Buffer.from('parent-1');

class RecordingSink implements ReplySink {
  readonly sent: Message[] = [];
  send(to: Buffer, message: Message): void {
    expect(to).toBe(peer);
    this.sent.push(message);
  }
  byId(id: string): Message | undefined {
    return this.sent.find((m) => m.id === id);
  }
}

/** A promise the test resolves or rejects from outside. */
function deferred<T = unknown>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets promise continuations (a handler's settle, the dispatcher's finish) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

function make(methods: Record<string, Method>, maxConcurrency?: number, owner: object = {}) {
  const sink = new RecordingSink();
  const dispatcher = new Dispatcher(
    { owner, methods: new Map(Object.entries(methods)), namespace: 'default', maxConcurrency },
    sink,
  );
  dispatcher.open();
  return { sink, dispatcher };
}

function call(id: string, fn: string, args: unknown[] = [], app: AppId = APP_V3, namespace = 'default') {
  return createCall({ id, function: fn, args, app, namespace });
}

function errorName(m: Message | undefined): string | undefined {
  return m?.type === 'error' ? (m as ErrorMessage).error_type : undefined;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Dispatcher: answers', () => {
  it('answers a synchronous handler before call() returns, with the handler this and args', () => {
    const owner = { base: 10 };
    const { sink, dispatcher } = make(
      {
        add(this: { base: number }, a: unknown, b: unknown) {
          return this.base + (a as number) + (b as number);
        },
      },
      undefined,
      owner,
    );
    dispatcher.call(call('c1', 'add', [1, 2]), peer);
    expect(sink.sent).toHaveLength(1);
    expect(sink.sent[0]).toMatchObject({ type: 'response', id: 'c1', result: 13 });
    expect(dispatcher.running).toBe(0);
  });

  it.each<AppId>([APP_V3, APP_V4])('replies carry the caller app id (%s) on every path', async (app) => {
    const gate = deferred();
    const { sink, dispatcher } = make({
      ok: () => 1,
      boom: () => {
        throw new TypeError('bad');
      },
      later: () => gate.promise,
    });
    dispatcher.call(call('ok', 'ok', [], app), peer);
    dispatcher.call(call('boom', 'boom', [], app), peer);
    dispatcher.call(call('missing', 'nope', [], app), peer);
    dispatcher.call(call('private', '_secret', [], app), peer);
    dispatcher.call(call('ns', 'ok', [], app, 'other'), peer);
    dispatcher.call(call('list', '__multifrost_list_functions__', [], app), peer);
    dispatcher.call(call('later', 'later', [], app), peer);
    gate.resolve('done');
    await settle();
    expect(sink.sent.map((m) => m.id).sort()).toEqual(['boom', 'later', 'list', 'missing', 'ns', 'ok', 'private']);
    for (const m of sink.sent) expect(m.app, `reply to ${m.id}`).toBe(app);
  });

  it('refuses calls it cannot serve, by name', () => {
    const sink = new RecordingSink();
    const dispatcher = new Dispatcher({ owner: {}, methods: new Map([['ok', () => 1]]), namespace: 'math' }, sink);
    dispatcher.call(call('early', 'ok', [], APP_V3, 'math'), peer);
    expect(errorName(sink.byId('early'))).toBe('ShuttingDownError');
    dispatcher.open();
    dispatcher.call(call('ns', 'ok', [], APP_V3, 'default'), peer);
    dispatcher.call(call('priv', '_ok', [], APP_V3, 'math'), peer);
    dispatcher.call(call('nf', 'nope', [], APP_V3, 'math'), peer);
    dispatcher.call(call('list', '__multifrost_list_functions__', [], APP_V3, 'math'), peer);
    expect(errorName(sink.byId('ns'))).toBe('NamespaceError');
    expect(errorName(sink.byId('priv'))).toBe('PrivateMethodError');
    expect(errorName(sink.byId('nf'))).toBe('FunctionNotFoundError');
    expect((sink.byId('list') as ResponseMessage).result).toEqual(['ok']);
  });

  it('turns a rejection into an error reply with the remote name and message', async () => {
    const { sink, dispatcher } = make({ fail: async () => Promise.reject(new RangeError('too far')) });
    dispatcher.call(call('c', 'fail'), peer);
    await settle();
    expect(sink.sent[0]).toMatchObject({ type: 'error', id: 'c', error_type: 'RangeError' });
    expect((sink.sent[0] as ErrorMessage).error).toContain('too far');
  });
});

describe('Dispatcher: concurrency', () => {
  it('never runs more than maxConcurrency handlers, and starts queued calls in order as slots free', async () => {
    const gates = Array.from({ length: 5 }, () => deferred());
    let runningNow = 0;
    let peak = 0;
    const started: number[] = [];
    const { sink, dispatcher } = make(
      {
        async work(i: unknown) {
          started.push(i as number);
          runningNow++;
          peak = Math.max(peak, runningNow);
          try {
            return await gates[i as number]!.promise;
          } finally {
            runningNow--;
          }
        },
      },
      2,
    );
    for (let i = 0; i < 5; i++) dispatcher.call(call(`c${i}`, 'work', [i]), peer);
    await settle();
    expect(started).toEqual([0, 1]);
    expect(dispatcher.running).toBe(2);
    expect(dispatcher.queued).toBe(3);
    gates[1]!.resolve('one');
    await settle();
    expect(started).toEqual([0, 1, 2]);
    expect(dispatcher.running).toBe(2);
    for (const g of gates) g.resolve('x');
    for (let i = 0; i < 5; i++) await settle();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(2);
    expect(sink.sent).toHaveLength(5);
    expect(dispatcher.running).toBe(0);
  });

  it('with maxConcurrency 1, a second async call waits for the first', async () => {
    const gate = deferred();
    let second = 0;
    const { dispatcher } = make({ first: () => gate.promise, second: () => ++second }, 1);
    dispatcher.call(call('a', 'first'), peer);
    dispatcher.call(call('b', 'second'), peer);
    expect(second).toBe(0);
    expect(dispatcher.queued).toBe(1);
    gate.resolve(1);
    await settle();
    expect(second).toBe(1);
  });
});

describe('Dispatcher: cancel', () => {
  it('drops a queued call that has not started: it never runs and gets no reply', async () => {
    const gate = deferred();
    let ranQueued = 0;
    const { sink, dispatcher } = make({ block: () => gate.promise, queued: () => ++ranQueued }, 1);
    dispatcher.call(call('a', 'block'), peer);
    dispatcher.call(call('b', 'queued'), peer);
    dispatcher.call(call('c', 'queued'), peer);
    expect(dispatcher.queued).toBe(2);
    dispatcher.cancel('b');
    expect(dispatcher.queued).toBe(1);
    gate.resolve('a done');
    await settle();
    expect(ranQueued).toBe(1);
    expect(sink.byId('b')).toBeUndefined();
    expect(sink.sent.map((m) => m.id)).toEqual(['a', 'c']);
  });

  it('aborts the signal of a running call with ABORTED', async () => {
    let seen: AbortSignal | undefined;
    const { sink, dispatcher } = make({
      async wait() {
        const signal = callContext().signal;
        seen = signal;
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      },
    });
    dispatcher.call(call('w', 'wait'), peer);
    await settle();
    expect(seen?.aborted).toBe(false);
    dispatcher.cancel('w');
    expect(seen?.aborted).toBe(true);
    expect((seen?.reason as { code?: string }).code).toBe('ABORTED');
    await settle();
    expect(sink.byId('w')?.type).toBe('error');
  });

  it('ignores a cancel for an unknown or finished call', () => {
    const { sink, dispatcher } = make({ ok: () => 1 });
    dispatcher.call(call('done', 'ok'), peer);
    dispatcher.cancel('done');
    dispatcher.cancel('never-seen');
    expect(sink.sent).toHaveLength(1);
  });
});

describe('Dispatcher: drain', () => {
  it('refuses the queued calls and later calls, and resolves once running handlers finish', async () => {
    const gate = deferred();
    let queuedRan = 0;
    const { sink, dispatcher } = make({ block: () => gate.promise, queued: () => ++queuedRan }, 1);
    dispatcher.call(call('a', 'block'), peer);
    dispatcher.call(call('b', 'queued'), peer);
    let drained = false;
    const done = dispatcher.drain(5000).then(() => (drained = true));
    expect(errorName(sink.byId('b'))).toBe('ShuttingDownError');
    dispatcher.call(call('late', 'queued'), peer);
    expect(errorName(sink.byId('late'))).toBe('ShuttingDownError');
    await settle();
    expect(drained).toBe(false);
    gate.resolve('a');
    await done;
    expect(sink.byId('a')).toMatchObject({ type: 'response', result: 'a' });
    expect(queuedRan).toBe(0);
  });

  it('aborts handlers still running when the grace period ends', async () => {
    vi.useFakeTimers();
    let signal: AbortSignal | undefined;
    const stuck = deferred();
    const { dispatcher } = make({
      async stubborn() {
        signal = callContext().signal;
        return stuck.promise; // ignores the signal: only the grace period can end the wait
      },
    });
    dispatcher.call(call('s', 'stubborn'), peer);
    await settle();
    let drained = false;
    const done = dispatcher.drain(3000).then(() => (drained = true));
    await vi.advanceTimersByTimeAsync(2999);
    expect(drained).toBe(false);
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(signal?.aborted).toBe(true);
    expect((signal?.reason as { code?: string; message?: string }).code).toBe('ABORTED');
    expect((signal?.reason as Error).message).toBe('Worker is stopping');
  });

  it('does not wait for a call the parent already cancelled', async () => {
    vi.useFakeTimers();
    const stuck = deferred();
    const { dispatcher } = make({ stubborn: () => stuck.promise });
    dispatcher.call(call('s', 'stubborn'), peer);
    let drained = false;
    const done = dispatcher.drain(60_000).then(() => (drained = true));
    await settle();
    expect(drained).toBe(false);
    dispatcher.cancel('s');
    await done;
    expect(drained).toBe(true);
  });
});
