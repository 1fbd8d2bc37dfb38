/** Scenario 11: one peer floods a service with calls to an async handler far past its limits. */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCall, type ErrorMessage } from '@multifrost/protocol';
import { zmqTransport } from '@multifrost/transport-zmq';
import { FileServiceRegistry } from 'multifrost';
import { check, rssMb, startService, waitFor, type Scenario } from '../support.js';

/** The bound for 300,000 calls; the fast run sends fewer, so the same bound is looser there. */
const MAX_RSS_RISE_MB = 100;

export const callFlood: Scenario = {
  id: 11,
  name: 'A flood of calls from one peer',
  proves:
    '300,000 calls to a slow async handler: the service holds at most maxConcurrency + maxQueue, refuses the rest at once with BUSY, answers every call, and its RSS rises by under 100 MB',
  async run({ full }) {
    const calls = full ? 300_000 : 20_000;
    // The queue drains maxConcurrency at a time, so the run lasts about (64 + 1024) / 64 holds after the flood.
    const holdMs = full ? 1_000 : 200;
    const home = mkdtempSync(path.join(tmpdir(), 'mf-flood-'));
    let child: ChildProcess | undefined;
    const caller = zmqTransport().caller();
    try {
      const started = startService('worker.mjs', home, 'flooded');
      child = started.proc;
      await started.ready;
      const pid = child.pid!;
      const { endpoint } = await new FileServiceRegistry({ home }).discover('flooded');
      let ok = 0;
      let busy = 0;
      const other: string[] = [];
      caller.onMessage = (m) => {
        if (m.type === 'response') ok++;
        else if (m.type === 'error' && (m as ErrorMessage).error_code === 'BUSY') busy++;
        else other.push(JSON.stringify(m).slice(0, 200));
      };
      caller.connect(endpoint);
      // A first answered call: the connection is up before the flood and the baseline.
      caller.post(createCall({ id: 'warm', function: 'sleep', args: [0] }), () => undefined);
      await waitFor(() => ok === 1, 10_000, 'the first call');
      ok = 0;
      const before = rssMb(pid);
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 50);
      try {
        for (let i = 0; i < calls; i++) {
          const sent = caller.send(createCall({ id: `f${i}`, function: 'sleep', args: [holdMs] }));
          if (i % 1000 === 999) await sent;
        }
        await waitFor(() => ok + busy + other.length >= calls, 120_000, `answers to all ${calls} calls`);
      } finally {
        clearInterval(sampler);
      }
      check(other.length === 0, `answers that were neither a result nor BUSY: ${other.slice(0, 3).join(' | ')}`);
      check(ok + busy === calls, `${ok} answered + ${busy} BUSY of ${calls}`);
      check(
        busy > 0 && ok >= 64 + 1024,
        `the worker should hold 64 + 1024 and refuse the rest: ${ok} ok, ${busy} BUSY`,
      );
      const rise = peak - before;
      check(
        rise < MAX_RSS_RISE_MB,
        `service RSS rose by ${rise.toFixed(1)} MB (${before.toFixed(1)} → ${peak.toFixed(1)})`,
      );
      check(child.exitCode === null, 'the service crashed');
      return {
        figures: {
          calls,
          'handler holds each call (ms)': holdMs,
          answered: ok,
          'refused BUSY': busy,
          'service RSS before → peak (MB)': `${before.toFixed(1)} → ${peak.toFixed(1)}`,
        },
      };
    } finally {
      await caller.close();
      child?.kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    }
  },
};
