/**
 * Streams (issue 17): items/s of small items through one stream (1,000,000 by default, windows 64
 * and 1024) against a loop of single calls; MB/s of 64 KiB binary items against single calls of
 * the same size; and a slow reader (one item every 200 ms) of a producer that could make far more,
 * with how much the producer made and its RSS before and after.
 *
 *   pnpm --filter @multifrost/bench stream-bench [--items 1000000] [--binary 2000] [--calls 20000]
 *
 * The worker is this file re-run with STREAM_BENCH_CHILD set.
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

async function runChild(): Promise<void> {
  const { ChildWorker } = await import('@multifrost/child');
  let produced = 0;
  class StreamBenchWorker extends ChildWorker {
    *count(n: number): Generator<number> {
      for (let i = 0; i < n; i++) yield i;
    }
    *binary(n: number, size: number): Generator<Buffer> {
      const chunk = Buffer.alloc(size, 0x5a);
      for (let i = 0; i < n; i++) yield chunk;
    }
    async *endless(): AsyncGenerator<Buffer> {
      // A producer that could make items far faster than anyone reads them: 1 KiB each.
      for (;;) {
        produced++;
        yield Buffer.alloc(1024, produced % 256);
      }
    }
    one(i: number): number {
      return i;
    }
    blob(size: number): Buffer {
      return Buffer.alloc(size, 0x5a);
    }
    state(): { produced: number; rssMiB: number } {
      return { produced, rssMiB: Math.round((process.memoryUsage().rss / 1024 / 1024) * 10) / 10 };
    }
  }
  await new StreamBenchWorker().run();
}

interface Api {
  count(n: number): Generator<number>;
  binary(n: number, size: number): Generator<Buffer>;
  endless(): AsyncGenerator<Buffer>;
  one(i: number): number;
  blob(size: number): Buffer;
  state(): { produced: number; rssMiB: number };
}

async function main(): Promise<void> {
  const { ParentWorker } = await import('multifrost');
  const items = arg('items', 1_000_000);
  const binaryItems = arg('binary', 2000);
  const calls = arg('calls', 20_000);
  const w = await ParentWorker.spawn<Api>(fileURLToPath(import.meta.url), {
    output: 'inherit',
    env: { STREAM_BENCH_CHILD: '1' },
  });
  try {
    console.log(`# stream-bench (${cpus().length} cores, load ${(await loadavg()).trim()})`);
    for (const window of [64, 1024]) {
      const t0 = performance.now();
      let n = 0;
      for await (const _ of w.with({ streamWindow: window }).stream.count(items)) n++;
      const s = (performance.now() - t0) / 1000;
      console.log(
        `small items, one stream, window ${window}: ${n} items in ${s.toFixed(2)} s = ${Math.round(n / s)} items/s`,
      );
    }
    {
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) await w.call.one(i);
      const s = (performance.now() - t0) / 1000;
      console.log(`small values, a loop of single calls (one at a time): ${Math.round(calls / s)} calls/s`);
    }
    {
      const t0 = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < calls) await w.call.one(next++);
        }),
      );
      const s = (performance.now() - t0) / 1000;
      console.log(`small values, single calls, 64 in flight: ${Math.round(calls / s)} calls/s`);
    }
    const size = 64 * 1024;
    {
      const t0 = performance.now();
      let bytes = 0;
      for await (const b of w.stream.binary(binaryItems, size)) bytes += b.length;
      const s = (performance.now() - t0) / 1000;
      console.log(`64 KiB binary items, one stream (window 64): ${(bytes / 1024 / 1024 / s).toFixed(0)} MB/s`);
    }
    {
      const n = Math.min(binaryItems, 1000);
      const t0 = performance.now();
      let bytes = 0;
      for (let i = 0; i < n; i++) bytes += (await w.call.blob(size)).length;
      const s = (performance.now() - t0) / 1000;
      console.log(`64 KiB binary, a loop of single calls: ${(bytes / 1024 / 1024 / s).toFixed(0)} MB/s`);
    }
    {
      const before = await w.call.state();
      const window = 64;
      let read = 0;
      const t0 = performance.now();
      for await (const _ of w.with({ streamWindow: window }).stream.endless()) {
        if (++read === 10) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const after = await w.call.state();
      const made = after.produced - before.produced;
      console.log(
        `slow reader (1 item / 200 ms for ${((performance.now() - t0) / 1000).toFixed(1)} s, window ${window}): producer made ${made} items (read ${read}); producer RSS ${before.rssMiB} -> ${after.rssMiB} MiB`,
      );
    }
  } finally {
    await w.close();
  }
}

async function loadavg(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile('/proc/loadavg', 'utf8').catch(() => '?');
}

if (process.env.STREAM_BENCH_CHILD) void runChild();
else await main();
