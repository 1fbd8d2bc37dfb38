// DEBUG=multifrost:child:calls in a spawned worker: one formatted stderr line per received call,
// reply, failure and cancellation; and nothing from it when only another namespace is on.
import { ParentWorker } from 'multifrost';
import { describe, expect, it } from 'vitest';
import type { MathWorker } from './fixtures/math-worker.js';
import { fixture, tempHome, waitFor } from './helpers/workers.js';

async function withWorker(
  debugSpec: string,
  body: (w: ParentWorker<MathWorker>, stderr: string[]) => Promise<void>,
): Promise<void> {
  const home = tempHome();
  const stderr: string[] = [];
  const w = await ParentWorker.spawn<MathWorker>(fixture('math-worker.ts'), {
    env: { MULTIFROST_HOME: home.home, DEBUG: debugSpec },
    output: (line, stream) => {
      if (stream === 'stderr') stderr.push(line);
    },
  });
  try {
    await body(w, stderr);
  } finally {
    await w.close();
    home.cleanup();
  }
}

describe('multifrost:child:calls', () => {
  it('logs received, replied, failed and cancelled calls as finished lines', async () => {
    await withWorker('multifrost:child:calls', async (w, stderr) => {
      expect(await w.call.add(2, 3)).toBe(5);
      await expect(w.call.fail('bad input')).rejects.toThrow(/bad input/);
      const controller = new AbortController();
      const pending = w.with({ signal: controller.signal }).call.waitForCancel();
      await waitFor(() => stderr.some((l) => /waitForCancel\(\) received/.test(l)), 10_000, 'the call to arrive');
      controller.abort();
      await pending.catch(() => undefined);
      await waitFor(() => stderr.some((l) => /cancelled while running/.test(l)), 10_000, 'the cancel line');
      const ours = stderr.filter((l) => l.includes(' multifrost:child:calls '));
      expect(ours.some((l) => / call [0-9a-f]{32} add\(\) received$/.test(l))).toBe(true);
      expect(ours.some((l) => / call [0-9a-f]{32} add\(\) replied$/.test(l))).toBe(true);
      expect(ours.some((l) => /fail\(\) failed: bad input$/.test(l))).toBe(true);
      expect(ours.every((l) => !l.includes('%'))).toBe(true);
      // Only the namespace asked for: the worker's general debug lines stay off.
      expect(stderr.some((l) => l.includes(' multifrost:child running'))).toBe(false);
    });
  });

  it('prints nothing when only the general child namespace is on', async () => {
    await withWorker('multifrost:child', async (w, stderr) => {
      expect(await w.call.add(1, 1)).toBe(2);
      await waitFor(
        () => stderr.some((l) => l.includes(' multifrost:child running in spawn mode on ')),
        10_000,
        'the running line',
      );
      expect(stderr.some((l) => l.includes('multifrost:child:calls'))).toBe(false);
    });
  });
});
