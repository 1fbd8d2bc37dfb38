// A TypeScript parent streaming from the pip-installed multifrost_worker: sync and async generator
// methods of a Python worker, read with `for await (... of worker.stream.fn())`.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ParentWorker } from 'multifrost';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON } from './helpers.js';
import { pyStreamWorker, tempDir } from './python-stream-support.js';

type Gen<T> = AsyncGenerator<T, void, undefined>;
interface Api {
  square(x: number): number;
  produced(): number;
  count(n: number): Gen<number>;
  acount(n: number): Gen<number>;
  fail_after(n: number): Gen<number>;
  afail_after(n: number): Gen<number>;
  guarded(marker: string): Gen<number>;
  aguarded(marker: string): Gen<number>;
  fast(n: number): Gen<number>;
  afast(n: number): Gen<number>;
  blob(n: number, size: number): Gen<Buffer>;
  ablob(n: number, size: number): Gen<Buffer>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(file: string): Promise<boolean> {
  for (let i = 0; i < 250 && !existsSync(file); i++) await sleep(20);
  return existsSync(file);
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of stream) out.push(x);
  return out;
}

describe('TS parent → Python worker streams', () => {
  let worker: ParentWorker<Api>;
  let temp: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    temp = tempDir();
    worker = await ParentWorker.spawn<Api>(pyStreamWorker, { executable: PYTHON, output: 'ignore' });
  });
  afterAll(async () => {
    await worker?.close();
    temp?.cleanup();
  });

  describe.each([
    ['sync', ''],
    ['async', 'a'],
  ] as const)('%s generators', (_kind, p) => {
    // The method names are picked at run time (`count` or `acount`), so these views are untyped.
    type Streams = Record<string, (...args: unknown[]) => AsyncIterableIterator<unknown>>;
    const streams = (streamWindow?: number) =>
      (streamWindow ? worker.with({ streamWindow }) : worker).stream as unknown as Streams;

    it('delivers every item in order', async () => {
      expect(await collect(streams(8)[`${p}count`]!(500))).toEqual(Array.from({ length: 500 }, (_, i) => i));
    });

    it('rejects with the Python error after the 10 items sent before it', async () => {
      const got: unknown[] = [];
      const err = await (async () => {
        for await (const x of streams()[`${p}fail_after`]!(10)) got.push(x);
      })().catch((e: unknown) => e);
      expect(got).toEqual(Array.from({ length: 10 }, (_, i) => i));
      expect(err).toMatchObject({ code: 'REMOTE_ERROR', remoteType: 'ValueError', remoteMessage: 'failed after 10' });
      expect((err as { remoteStack?: string }).remoteStack).toMatch(/fail_after/);
    });

    it('break after 3 items runs the Python finally, and the worker serves on', async () => {
      const marker = path.join(temp.dir, `${p}guarded.ts`);
      const got: unknown[] = [];
      for await (const x of streams(4)[`${p}guarded`]!(marker)) {
        got.push(x);
        if (got.length === 3) break;
      }
      expect(got).toEqual([0, 1, 2]);
      expect(await waitFor(marker)).toBe(true);
      expect(await worker.call.square(6)).toBe(36);
    });

    it('keeps the Python producer within the window while the consumer is slow', async () => {
      const it = streams(4)[`${p}fast`]!(1_000_000);
      expect((await it.next()).value).toBe(0);
      expect((await it.next()).value).toBe(1);
      await sleep(400);
      const produced = await worker.call.produced();
      expect(produced).toBeGreaterThanOrEqual(4);
      expect(produced).toBeLessThanOrEqual(6); // window 4 + the 2 items read
      await it.return?.();
    });

    it('streams Python bytes as Buffers', async () => {
      const items = (await collect(streams(2)[`${p}blob`]!(3, 70_000))) as Buffer[];
      expect(items.map((b) => [Buffer.isBuffer(b), b.length, b[0]])).toEqual([
        [true, 70_000, 0],
        [true, 70_000, 1],
        [true, 70_000, 2],
      ]);
    });

    it('says which way to call a method when a stream and a call are mixed up', async () => {
      const calls = worker.call as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      await expect(calls[`${p}count`]!(3)).rejects.toMatchObject({
        remoteType: 'StreamingMethodError',
        remoteCode: 'STREAMING_METHOD',
        remoteMessage: `${p}count() streams; iterate it with worker.stream.${p}count()`,
      });
      await expect(collect(streams().square!(3))).rejects.toMatchObject({
        remoteType: 'NotAStreamError',
        remoteCode: 'NOT_A_STREAM',
        remoteMessage: 'square() does not stream; call it with worker.call.square()',
      });
    });
  });
});
