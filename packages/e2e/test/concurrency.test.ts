import { ParentWorker } from 'multifrost';
import { describe, expect, it } from 'vitest';
import type { MathWorker } from './fixtures/math-worker.js';
import { fixture, quiet } from './helpers/workers.js';

describe('child concurrency', () => {
  it('async handlers run concurrently; heartbeats and other calls are answered while they await', async () => {
    await using w = await ParentWorker.spawn<MathWorker>(fixture('math-worker.ts'), {
      ...quiet,
      heartbeatIntervalMs: 50,
      heartbeatTimeoutMs: 40,
    });
    const t0 = Date.now();
    let sleepsDone = 0;
    const slow = Promise.all(Array.from({ length: 10 }, () => w.call.sleep(400).then(() => sleepsDone++)));
    await new Promise((r) => setTimeout(r, 100));
    expect(await w.call.add(1, 1)).toBe(2);
    expect(sleepsDone).toBe(0); // answered while the ten sleeps are still pending
    await new Promise((r) => setTimeout(r, 150));
    expect(w.metrics.heartbeat.rttLastMs).toBeDefined();
    expect(w.metrics.heartbeat.misses).toBe(0);
    await slow;
    expect(Date.now() - t0).toBeLessThan(3_000); // ten 400 ms sleeps overlapped (sequentially: 4 s)
  });

  it('maxConcurrency bounds the handlers running at once; the rest wait in order', async () => {
    await using w = await ParentWorker.spawn<MathWorker>(fixture('math-worker.ts'), {
      ...quiet,
      env: { MF_MAX_CONCURRENCY: '2' },
    });
    const t0 = Date.now();
    const done: number[] = [];
    await Promise.all([0, 1, 2, 3].map((i) => w.call.sleep(200).then(() => done.push(i))));
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(390); // two waves of two
    expect(done.slice(0, 2).sort()).toEqual([0, 1]);
  });
});
