// A flood of calls against a worker whose slots and queue are full: the worker runs exactly
// maxConcurrency + maxQueue of them and refuses the rest at once with code BUSY, on real sockets.
import { ParentWorker, isMultifrostError } from 'multifrost';
import { describe, expect, it } from 'vitest';
import type { BusyWorker } from './fixtures/busy-worker.js';
import { fixture, quiet, waitFor } from './helpers/workers.js';

describe('a busy worker', () => {
  it('runs maxConcurrency + maxQueue calls of a flood and refuses the others with BUSY before any finishes', async () => {
    await using w = await ParentWorker.spawn<BusyWorker>(fixture('busy-worker.ts'), {
      ...quiet,
      env: { MF_MAX_CONCURRENCY: '4', MF_MAX_QUEUE: '8' },
    });
    const n = 200;
    let refused = 0;
    const calls = Array.from({ length: n }, (_, i) =>
      w.call.hold(i).then(
        (value) => ({ value }),
        (err: unknown) => {
          refused++;
          return { err };
        },
      ),
    );
    // Every refusal arrives while the admitted calls are still held: nothing beyond the queue waits.
    await waitFor(() => refused === n - 12, 15_000, `${n - 12} BUSY refusals`);
    process.kill(w.pid!, 'SIGUSR2');
    const outcomes = await Promise.all(calls);

    const served = outcomes.flatMap((o) => ('value' in o ? [o.value] : []));
    expect(served).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]); // the first to arrive, in order
    const errors = outcomes.flatMap((o) => ('err' in o ? [o.err] : []));
    expect(errors).toHaveLength(n - 12);
    for (const err of errors) {
      expect(isMultifrostError(err) && err.code).toBe('BUSY');
      expect((err as { remoteType?: string }).remoteType).toBe('BusyError');
    }
    // The slots were freed: the worker takes calls again.
    expect(await w.call.hold(999)).toBe(999);
  });
});
