/** Issue 14, item 5: one huge output line is read in linear time and bounded memory, cut and flagged. */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ParentWorker } from 'multifrost';
import { check, fixture, rssMb, type Scenario } from '../support.js';

interface LongHaul {
  flood(bytes: number): number;
  add(a: number, b: number): number;
}

const CAP = 1024 * 1024;

export const outputFlood: Scenario = {
  id: 19,
  name: 'A worker writes one line of tens of MiB without a newline',
  proves:
    'the parent delivers it in flagged pieces of at most maxOutputLineBytes, keeps its memory bounded, and the next line and call work',
  async run({ full }) {
    const bytes = (full ? 48 : 8) * 1024 * 1024;
    let received = 0;
    let cuts = 0;
    let largest = 0;
    const after: string[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const w = await ParentWorker.spawn<LongHaul>(fixture('long-haul.mjs'), {
      defaultTimeoutMs: 120_000,
      output: (line, stream, info) => {
        if (stream !== 'stdout') return;
        if (received < bytes) {
          received += line.length;
          if (info.cut) cuts++;
          largest = Math.max(largest, Buffer.byteLength(line));
        } else {
          after.push(line);
          if (line === 'after the flood') done();
        }
      },
    });
    try {
      const rssBefore = rssMb(process.pid);
      let rssPeak = rssBefore;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(process.pid))), 20);
      const stalls = monitorEventLoopDelay({ resolution: 10 });
      stalls.enable();
      const t0 = performance.now();
      await Promise.all([w.call.flood(bytes), finished]);
      const readMs = performance.now() - t0;
      stalls.disable();
      clearInterval(sampler);
      rssPeak = Math.max(rssPeak, rssMb(process.pid));
      check(received === bytes, `received ${received} of ${bytes} bytes`);
      check(largest <= CAP, `a piece of ${largest} bytes is over the ${CAP} byte cap`);
      check(cuts === bytes / CAP, `expected ${bytes / CAP} flagged pieces, got ${cuts}`);
      check(after.at(-1) === 'after the flood', `the line after the flood arrived as ${JSON.stringify(after)}`);
      check((await w.call.add(2, 3)) === 5, 'a call after the flood failed');
      // Bounded: a few pieces of the cap, not the line (the quadratic splitter took 500+ MB for 48 MiB).
      check(rssPeak - rssBefore < 150, `parent RSS rose by ${(rssPeak - rssBefore).toFixed(1)} MB`);
      return {
        figures: {
          'line (MiB)': bytes / 1024 / 1024,
          'pieces flagged cut (cap 1 MiB)': cuts,
          'read in (ms)': Math.round(readMs),
          'longest event-loop stall (ms)': Math.round(stalls.max / 1e5) / 10,
          'parent RSS before → peak (MB)': `${rssBefore.toFixed(1)} → ${rssPeak.toFixed(1)}`,
        },
      };
    } finally {
      await w.close();
    }
  },
};
