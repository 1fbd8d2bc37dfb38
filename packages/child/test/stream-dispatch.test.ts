/** The worker's stream cases, driven through the dispatcher with plain messages and a recording sink. */
import { describe, expect, it, vi } from 'vitest';
import { STREAM_KEY, createCall, createCancel, type Message } from '@multifrost/protocol';
import { callContext } from '../src/call-context.js';
import { Dispatcher, type Method } from '../src/dispatcher.js';

const PEER = Buffer.from('peer');

async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

function make(owner: object) {
  const sent: Message[] = [];
  const methods = new Map<string, Method>();
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(owner)))
    if (name !== 'constructor') methods.set(name, (owner as Record<string, Method>)[name]!);
  const dispatcher = new Dispatcher({ owner, methods, namespace: 'default' }, { send: (_p, m) => sent.push(m) });
  dispatcher.open();
  return { sent, dispatcher };
}

class Api {
  pulled = 0;
  finallies = 0;
  aborted = false;
  *count(n: number) {
    try {
      for (let i = 0; i < n; i++) {
        this.pulled++;
        yield i;
      }
    } finally {
      this.finallies++;
    }
  }
  async *ticks() {
    const signal = callContext().signal;
    signal.addEventListener('abort', () => (this.aborted = true));
    try {
      for (let i = 0; ; i++) {
        this.pulled++;
        yield i;
        await new Promise((r) => setTimeout(r, 1));
      }
    } finally {
      this.finallies++;
    }
  }
  async *failsAfter(n: number) {
    for (let i = 0; i < n; i++) yield i;
    throw new RangeError('no more');
  }
  plain() {
    return 1;
  }
}

const open = (fn: string, args: unknown[], window?: number) =>
  createCall({
    function: fn,
    args,
    id: `s-${fn}`,
    metadata: window === undefined ? undefined : { [STREAM_KEY]: window },
  });

describe('streams in the dispatcher', () => {
  it('sends no more items than the credit, then resumes on credit, then ends', async () => {
    const api = new Api();
    const { sent, dispatcher } = make(api);
    dispatcher.call(open('count', [10], 4), PEER);
    await settle();
    expect(sent.map((m) => m.type)).toEqual(['stream_item', 'stream_item', 'stream_item', 'stream_item']);
    expect(api.pulled).toBe(4); // paused: the generator is not pulled without credit
    dispatcher.credit('s-count', 0);
    await settle();
    expect(api.pulled).toBe(4);
    dispatcher.credit('s-count', 100);
    await settle();
    const items = sent.filter((m) => m.type === 'stream_item');
    expect(items.map((m) => (m as { item: unknown }).item)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(items.map((m) => (m as { seq: number }).seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sent.at(-1)).toMatchObject({ type: 'stream_end', count: 10, id: 's-count' });
    expect(api.finallies).toBe(1);
    expect(dispatcher.streamCount).toBe(0);
  });

  it('cancel fires the signal and runs finally, and nothing more is sent', async () => {
    const api = new Api();
    const { sent, dispatcher } = make(api);
    dispatcher.call(open('ticks', [], 2), PEER);
    await new Promise((r) => setTimeout(r, 50));
    expect(sent.length).toBe(2);
    dispatcher.cancel('s-ticks');
    await settle();
    expect(api.aborted).toBe(true);
    expect(api.finallies).toBe(1);
    dispatcher.credit('s-ticks', 50);
    await settle();
    expect(sent.length).toBe(2);
    expect(dispatcher.streamCount).toBe(0);
  });

  it('an error mid-stream is an error reply after the items', async () => {
    const { sent, dispatcher } = make(new Api());
    dispatcher.call(open('failsAfter', [3], 64), PEER);
    await settle();
    expect(sent.map((m) => m.type)).toEqual(['stream_item', 'stream_item', 'stream_item', 'error']);
    expect(sent[3]).toMatchObject({ error_type: 'RangeError', error: 'RangeError: no more' });
  });

  it('refuses mismatches with clear errors', async () => {
    const { sent, dispatcher } = make(new Api());
    dispatcher.call(open('count', [1]), PEER);
    dispatcher.call(open('plain', [], 8), PEER);
    dispatcher.call(open('count', [1], 0), PEER);
    expect(sent[0]).toMatchObject({
      type: 'error',
      error_code: 'STREAMING_METHOD',
      error: 'StreamingMethodError: count() streams; iterate it with worker.stream.count()',
    });
    expect(sent[1]).toMatchObject({
      type: 'error',
      error_code: 'NOT_A_STREAM',
      error: 'NotAStreamError: plain() does not stream; call it with worker.call.plain()',
    });
    expect(sent[2]).toMatchObject({ type: 'error', error_type: 'InvalidCallError' });
    expect(String((sent[2] as { error: string }).error)).toContain('mf_stream');
  });

  it('a stop ends open streams with ShuttingDownError and runs their finally', async () => {
    const api = new Api();
    const { sent, dispatcher } = make(api);
    dispatcher.call(open('ticks', [], 1), PEER);
    await settle();
    await dispatcher.drain(100);
    await settle();
    expect(sent.at(-1)).toMatchObject({ type: 'error', error_type: 'ShuttingDownError' });
    expect(api.finallies).toBe(1);
  });

  it('a late cancel of an unknown id is harmless', () => {
    const { sent, dispatcher } = make(new Api());
    dispatcher.cancel(createCancel('nope').id);
    dispatcher.credit('nope', 3);
    expect(sent).toEqual([]);
  });

  it('cancels the streams of a parent silent for 30 s, not those of one that keeps talking', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    try {
      const api = new Api();
      const { dispatcher } = make(api);
      const quiet = Buffer.from('quiet');
      const talking = Buffer.from('talking');
      dispatcher.call({ ...open('count', [10], 1), id: 'q' }, quiet);
      dispatcher.call({ ...open('count', [10], 1), id: 't' }, talking);
      await settle();
      expect(dispatcher.streamCount).toBe(2);
      for (let i = 0; i < 7; i++) {
        vi.advanceTimersByTime(5_000);
        dispatcher.heard(talking);
      }
      await settle();
      expect(api.finallies).toBe(1);
      expect(dispatcher.streamCount).toBe(1);
      dispatcher.cancel('t');
      expect(dispatcher.streamCount).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
