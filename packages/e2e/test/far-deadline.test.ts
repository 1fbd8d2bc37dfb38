// A call timeout past Node's timer range (about 25 days) is a real deadline, not a 1 ms timer: the
// worker's signal stays quiet, and neither side prints a TimeoutOverflowWarning.
import { ParentWorker } from 'multifrost';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture } from './helpers/workers.js';

const DAY = 24 * 3600 * 1000;
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

interface FarDeadline {
  hold(ms: number): { aborted: boolean; deadline: number | null };
}

describe('a 25-day call timeout', () => {
  it('reaches the worker as a deadline that does not fire, with no TimeoutOverflowWarning on either side', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    cleanup.push(() => void process.off('warning', onWarning));
    const stderr: string[] = [];
    const w = await ParentWorker.spawn<FarDeadline>(fixture('far-deadline-worker.ts'), {
      output: (line, stream) => {
        if (stream === 'stderr') stderr.push(line);
      },
    });
    cleanup.push(() => w.close());
    const before = Date.now();
    const results = await Promise.all(Array.from({ length: 20 }, () => w.with({ timeoutMs: 25 * DAY }).call.hold(200)));
    for (const r of results) {
      expect(r.aborted).toBe(false);
      expect(r.deadline).toBeGreaterThan(before + 24 * DAY);
    }
    expect(w.metrics.inFlight).toBe(0);
    await w.close();
    expect(warnings).not.toContain('TimeoutOverflowWarning');
    expect(stderr.join('\n')).not.toMatch(/TimeoutOverflowWarning/);
  });
});
