// Streams end to end on real processes: a TypeScript parent reading generator methods of a spawned
// TypeScript worker (docs/streaming.md). Sizes are small; the big figures are in packages/bench.
import { ParentWorker, RemoteCallError, isMultifrostError } from 'multifrost';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamWorker } from './fixtures/stream-worker.js';
import { fixture, isAlive, quiet, waitFor } from './helpers/workers.js';

let w: ParentWorker<StreamWorker>;

beforeAll(async () => {
  w = await ParentWorker.spawn<StreamWorker>(fixture('stream-worker.ts'), quiet);
});
afterAll(async () => {
  await w?.close();
});

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return isMultifrostError(err) ? err.code : `not a MultifrostError: ${String(err)}`;
  }
}

describe('streams', () => {
  it('streams the items of an async generator, in order, then ends', async () => {
    const words: string[] = [];
    for await (const t of w.stream.tokens('the quick brown fox')) words.push(t);
    expect(words).toEqual(['the', 'quick', 'brown', 'fox']);
  });

  it('1,000,000 small items through one stream arrive complete and in order', async () => {
    let expected = 0;
    // A wide window: the default (64) works too, at about half the rate (the bench has both).
    for await (const i of w.with({ streamWindow: 1024 }).stream.count(1_000_000)) {
      if (i !== expected) throw new Error(`item ${expected} was ${i}`);
      expected++;
    }
    expect(expected).toBe(1_000_000);
    const m = w.metrics.streams;
    expect(m.items).toBeGreaterThanOrEqual(1_000_000);
    expect(m.open).toBe(0);
  });

  it('a slow reader keeps the producer within the window', async () => {
    await w.call.reset();
    const window = 16;
    const seen: number[] = [];
    const s = w.with({ streamWindow: window }).stream.endless();
    for await (const produced of s) {
      seen.push(produced);
      if (seen.length === 10) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const { produced, finallies } = await w.call.stats();
    // The producer made what we read plus at most one window granted ahead (and the item it was yielding).
    expect(produced).toBeLessThanOrEqual(10 + window + 1);
    expect(produced).toBeGreaterThanOrEqual(10);
    expect(finallies).toBe(1);
  });

  it('break after 3 items runs the producer finally and fires its signal', async () => {
    await w.call.reset();
    const got: number[] = [];
    for await (const i of w.stream.ticks(5)) {
      got.push(i);
      if (got.length === 3) break;
    }
    expect(got).toEqual([0, 1, 2]);
    await expect.poll(() => w.call.stats()).toMatchObject({ finallies: 1, aborts: 1 });
  });

  it('an abort mid-stream rejects with ABORTED and reaches the producer', async () => {
    await w.call.reset();
    const ac = new AbortController();
    const got: number[] = [];
    const read = (async () => {
      for await (const i of w.with({ signal: ac.signal }).stream.ticks(10)) {
        got.push(i);
        if (got.length === 3) ac.abort();
      }
    })();
    expect(await codeOf(read)).toBe('ABORTED');
    expect(got).toEqual([0, 1, 2]);
    await expect.poll(() => w.call.stats()).toMatchObject({ finallies: 1, aborts: 1 });
  });

  it('a timeout covers the whole stream: TIMEOUT, and the producer stops', async () => {
    await w.call.reset();
    const got: number[] = [];
    const read = (async () => {
      for await (const i of w.with({ timeoutMs: 300 }).stream.ticks(20)) got.push(i);
    })();
    expect(await codeOf(read)).toBe('TIMEOUT');
    expect(got.length).toBeGreaterThan(2);
    await expect.poll(() => w.call.stats()).toMatchObject({ finallies: 1, aborts: 1 });
  });

  it('an error after 10 items: the 10 items, then the remote error', async () => {
    const got: number[] = [];
    let error: unknown;
    try {
      for await (const i of w.stream.failsAfter(10)) got.push(i);
    } catch (err) {
      error = err;
    }
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(error).toBeInstanceOf(RemoteCallError);
    const e = error as RemoteCallError;
    expect(e.code).toBe('REMOTE_ERROR');
    expect(e.remoteType).toBe('RangeError');
    expect(e.remoteMessage).toBe('no item after 10');
    expect(e.remoteStack).toContain('failsAfter');
    expect(e.functionName).toBe('failsAfter');
  });

  it('a producer stuck in an await: break still returns at once, and its signal fires', async () => {
    await w.call.reset();
    for await (const _ of w.stream.hangs()) break;
    await expect.poll(() => w.call.stats()).toMatchObject({ aborts: 1 });
    // Its finally waits for the await it is stuck in: that is what the signal is for.
    expect((await w.call.stats()).finallies).toBe(0);
  });

  it('an item that cannot be sent ends the stream with an error naming it', async () => {
    const got: unknown[] = [];
    const err = await (async () => {
      for await (const x of w.stream.badItem()) got.push(x);
    })().catch((e: unknown) => e);
    expect(got).toEqual([1]);
    expect(err).toBeInstanceOf(RemoteCallError);
    expect((err as RemoteCallError).remoteCode).toBe('ENCODE');
    expect((err as RemoteCallError).remoteMessage).toContain('Cannot send item 1 of the stream');
    expect((err as RemoteCallError).remoteMessage).toContain('functions cannot be sent');
  });

  it('binary items arrive intact', async () => {
    const got: Buffer[] = [];
    for await (const b of w.stream.binary(20, 65_536)) got.push(b);
    expect(got.length).toBe(20);
    got.forEach((b, i) => {
      expect(Buffer.isBuffer(b)).toBe(true);
      expect(b.length).toBe(65_536);
      expect(b.every((x) => x === i % 256)).toBe(true);
    });
  });

  it('100 concurrent streams on one worker', async () => {
    const results = await Promise.all(
      Array.from({ length: 100 }, async (_, k) => {
        let sum = 0;
        for await (const i of w.with({ streamWindow: 8 }).stream.count(50 + k)) sum += i;
        return sum;
      }),
    );
    results.forEach((sum, k) => expect(sum).toBe(((50 + k) * (49 + k)) / 2));
    expect(w.metrics.streams.open).toBe(0);
  });

  it('a streaming method named send streams like any other', async () => {
    const got: string[] = [];
    for await (const s of w.stream.send(3)) got.push(s);
    expect(got).toEqual(['s0', 's1', 's2']);
  });

  it('mismatches: call of a streaming method, stream of a plain one', async () => {
    const untyped = w as unknown as ParentWorker;
    const asCall = await untyped.call.count!(3).catch((e: unknown) => e);
    expect(asCall).toBeInstanceOf(RemoteCallError);
    expect((asCall as RemoteCallError).code).toBe('STREAMING_METHOD');
    expect((asCall as RemoteCallError).message).toContain('count() streams; iterate it with worker.stream.count()');
    const asStream = untyped.stream.plain!();
    expect(await codeOf(asStream.next())).toBe('NOT_A_STREAM');
    expect(await codeOf(untyped.stream.nope!().next())).toBe('FUNCTION_NOT_FOUND');
  });

  it('a stream is read once', async () => {
    const s = w.stream.count(2);
    for await (const _ of s) break;
    expect(() => s[Symbol.asyncIterator]()).toThrow(/can be read once/);
  });

  it('counts streams, items and bytes', async () => {
    const before = w.metrics.streams;
    for await (const _ of w.stream.binary(3, 1000));
    const after = w.metrics.streams;
    expect(after.opened - before.opened).toBe(1);
    expect(after.ended - before.ended).toBe(1);
    expect(after.items - before.items).toBe(3);
    expect(after.bytes - before.bytes).toBe(3000);
  });
});

describe('streams: faults', () => {
  it('SIGKILL of the worker mid-stream rejects with WORKER_EXITED at once', async () => {
    const v = await ParentWorker.spawn<StreamWorker>(fixture('stream-worker.ts'), quiet);
    try {
      const pid = v.pid!;
      const got: number[] = [];
      const read = (async () => {
        for await (const i of v.stream.ticks(20)) {
          got.push(i);
          if (got.length === 2) process.kill(pid, 'SIGKILL');
        }
      })();
      expect(await codeOf(read)).toBe('WORKER_EXITED');
      expect(got.length).toBeGreaterThanOrEqual(2);
      await waitFor(() => !isAlive(pid), 5000, 'the worker to be gone');
    } finally {
      await v.close();
    }
  });

  it('with autoRestart, a stream cut by a crash is not replayed; a new stream works on the new worker', async () => {
    const v = await ParentWorker.spawn<StreamWorker>(fixture('stream-worker.ts'), {
      ...quiet,
      autoRestart: { initialDelayMs: 50 },
    });
    try {
      const first = v.pid!;
      const got: number[] = [];
      const read = (async () => {
        for await (const i of v.stream.ticks(20)) {
          got.push(i);
          if (got.length === 2) process.kill(first, 'SIGKILL');
        }
      })();
      expect(await codeOf(read)).toBe('WORKER_EXITED');
      const count = got.length;
      const words: string[] = [];
      // Opened while the worker restarts: it waits for the new one.
      for await (const t of v.stream.tokens('after the crash')) words.push(t);
      expect(words).toEqual(['after', 'the', 'crash']);
      expect(v.pid).not.toBe(first);
      expect(got.length).toBe(count);
      // The new process never ran the cut stream again.
      expect(await v.call.stats()).toMatchObject({ finallies: 0, aborts: 0 });
    } finally {
      await v.close();
    }
  });

  it('close() mid-stream rejects with CLOSED; a stream of a closed worker fails at its first next()', async () => {
    const v = await ParentWorker.spawn<StreamWorker>(fixture('stream-worker.ts'), quiet);
    const read = (async () => {
      for await (const _ of v.stream.ticks(10)) void v.close();
    })();
    expect(await codeOf(read)).toBe('CLOSED');
    await v.close();
    expect(await codeOf(v.stream.count(1).next())).toBe('CLOSED');
  });

  it('a public-peer-shaped child (no capabilities) fails fast with UNSUPPORTED', async () => {
    const p = await ParentWorker.spawn(fixture('public-v4-child.mjs'), { ...quiet, channel: 'tcp' });
    try {
      const err = await p.stream.add!(1, 2)
        .next()
        .catch((e: unknown) => e);
      expect(isMultifrostError(err) && err.code).toBe('UNSUPPORTED');
      expect(String((err as Error).message)).toContain('did not list the `stream` capability');
      expect(await p.call.add!(1, 2)).toBe(3);
    } finally {
      await p.close();
    }
  });
});
