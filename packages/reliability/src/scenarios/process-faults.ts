/** Scenarios 1–4 and 9: workers that die, hang, outlive their parent, crash in a loop, never start. */
import { spawn } from 'node:child_process';
import { ParentWorker, type MultifrostError } from 'multifrost';
import { check, fixture, isAlive, runningFixtures, waitFor, type Scenario } from '../support.js';

interface Victim {
  add(a: number, b: number): number;
  sleep(ms: number): number;
  pid(): number;
}

export const sigkillInFlight: Scenario = {
  id: 1,
  name: 'SIGKILL the child with 1,000 calls in flight',
  proves:
    'every call rejects with WORKER_EXITED, none twice, none left pending; the pending map and timers return to zero',
  async run() {
    const w = await ParentWorker.spawn<Victim>(fixture('worker.mjs'), { output: 'ignore', defaultTimeoutMs: 60_000 });
    try {
      const settled = new Array<number>(1000).fill(0);
      const codes = new Map<string, number>();
      const calls = Array.from({ length: 1000 }, (_, i) =>
        w.call.sleep(30_000).then(
          () => {
            settled[i]!++;
            codes.set('resolved', (codes.get('resolved') ?? 0) + 1);
          },
          (e: MultifrostError) => {
            settled[i]!++;
            codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
          },
        ),
      );
      await waitFor(() => w.metrics.inFlight === 1000, 5_000, '1,000 calls in flight');
      const t0 = Date.now();
      process.kill(w.pid!, 'SIGKILL');
      await Promise.all(calls);
      const rejectMs = Date.now() - t0;
      check(codes.get('WORKER_EXITED') === 1000, `expected 1000 WORKER_EXITED, got ${JSON.stringify([...codes])}`);
      check(
        settled.every((n) => n === 1),
        'a call settled more than once or never',
      );
      const pending = (w as unknown as { pending: Map<string, { timer?: unknown }> }).pending;
      check(pending.size === 0 && w.metrics.inFlight === 0, `pending map not empty: ${pending.size}`);
      return {
        figures: {
          'calls in flight': 1000,
          'rejected WORKER_EXITED': codes.get('WORKER_EXITED')!,
          'all rejected within (ms)': rejectMs,
          'left pending': pending.size,
        },
      };
    } finally {
      await w.close();
    }
  },
};

export const sigstop: Scenario = {
  id: 2,
  name: 'SIGSTOP the child (hung, not dead)',
  proves:
    'heartbeats mark it unresponsive within interval × misses; calls fail per their timeouts; SIGCONT recovers it',
  async run() {
    const interval = 200;
    const misses = 3;
    const w = await ParentWorker.spawn<Victim>(fixture('worker.mjs'), {
      output: 'ignore',
      heartbeatIntervalMs: interval,
      heartbeatTimeoutMs: 150,
      heartbeatMaxMisses: misses,
    });
    const pid = w.pid!;
    try {
      const unresponsive = new Promise<void>((r) => w.once('unresponsive', () => r()));
      const t0 = Date.now();
      process.kill(pid, 'SIGSTOP');
      await unresponsive;
      const detectMs = Date.now() - t0;
      check(detectMs <= interval * (misses + 1) + 500, `unresponsive after ${detectMs} ms`);
      check(!w.isHealthy, 'a hung worker reported healthy');
      const err = (await w
        .with({ timeoutMs: 300 })
        .call.add(1, 2)
        .catch((e: unknown) => e)) as MultifrostError;
      check(err.code === 'TIMEOUT', `a call to a hung worker ended with ${err.code}`);
      const responsive = new Promise<void>((r) => w.once('responsive', () => r()));
      process.kill(pid, 'SIGCONT');
      await responsive;
      check((await w.call.add(2, 3)) === 5, 'no answer after SIGCONT');
      return {
        figures: {
          'heartbeat interval × misses (ms)': interval * misses,
          'marked unresponsive after (ms)': detectMs,
          'call while hung': err.code,
          'after SIGCONT': 'answered',
        },
      };
    } finally {
      if (isAlive(pid)) process.kill(pid, 'SIGCONT');
      await w.close();
    }
  },
};

export const parentDeath: Scenario = {
  id: 3,
  name: 'SIGKILL the parent; close() with a child that ignores SIGTERM',
  proves: "every spawned child, and the child's own subprocess, is gone within 2 s; close() ends within its grace",
  async run() {
    const parent = spawn(process.execPath, [fixture('parent-of-victim.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let pids: { worker: number; grandchild: number } | undefined;
    try {
      pids = await new Promise<{ worker: number; grandchild: number }>((resolve, reject) => {
        let buf = '';
        parent.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          const line = buf.split('\n').find((l) => l.startsWith('{'));
          if (line) resolve(JSON.parse(line));
        });
        parent.on('exit', () => reject(new Error('parent exited early')));
      });
      parent.kill('SIGKILL');
      const goneMs = await waitFor(
        () => !isAlive(pids!.worker) && !isAlive(pids!.grandchild),
        2_000,
        'worker and grandchild to exit',
      );
      const w = await ParentWorker.spawn(fixture('stubborn.mjs'), { output: 'ignore', closeGraceMs: 1_000 });
      const stubborn = w.pid!;
      const t0 = Date.now();
      await w.close();
      const closeMs = Date.now() - t0;
      check(!isAlive(stubborn), 'the stubborn worker survived close()');
      check(closeMs < 1_500, `close() took ${closeMs} ms with a 1000 ms grace`);
      return {
        figures: {
          'worker + grandchild gone after parent SIGKILL (ms)': goneMs,
          'close() of a SIGTERM-ignoring worker, grace 1000 ms (ms)': closeMs,
        },
      };
    } finally {
      if (parent.exitCode === null) parent.kill('SIGKILL');
      for (const pid of [pids?.worker, pids?.grandchild]) if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  },
};

export const restartUnderLoad: Scenario = {
  id: 4,
  name: 'Auto-restart under load',
  proves: 'after each of many kills during a steady stream the restarted child answers; succeeded + rejected = sent',
  async run({ full }) {
    const kills = full ? 20 : 3;
    const w = await ParentWorker.spawn<Victim>(fixture('worker.mjs'), {
      output: 'ignore',
      autoRestart: { maxAttempts: 5, initialDelayMs: 20 },
    });
    let sent = 0;
    let succeeded = 0;
    let rejected = 0;
    let stop = false;
    const loops = Array.from({ length: 8 }, async () => {
      while (!stop) {
        sent++;
        try {
          await w.call.add(1, 2);
          succeeded++;
        } catch {
          rejected++;
        }
      }
    });
    try {
      for (let k = 0; k < kills; k++) {
        await new Promise((r) => setTimeout(r, 100));
        const restarted = new Promise<void>((r) => w.once('restart', () => r()));
        process.kill(await w.call.pid(), 'SIGKILL');
        await restarted;
        const before = succeeded;
        await waitFor(() => succeeded > before + 10, 5_000, 'calls to succeed after a restart');
      }
    } finally {
      stop = true;
      await Promise.all(loops);
      await w.close();
    }
    check(succeeded + rejected === sent, `succeeded ${succeeded} + rejected ${rejected} != sent ${sent}`);
    check(w.metrics.restarts === kills, `restarts ${w.metrics.restarts}, kills ${kills}`);
    return {
      figures: { kills, restarts: w.metrics.restarts, sent, succeeded, rejected, lost: sent - succeeded - rejected },
    };
  },
};

export const neverStarts: Scenario = {
  id: 9,
  name: 'A worker that never starts',
  proves:
    'bad path, exits at once, never connects: spawn() rejects clearly within its start timeout; nothing is left running',
  async run() {
    const figures: Record<string, string> = {};
    for (const [label, script, options] of [
      ['bad path', '/nonexistent/worker.mjs', {}],
      ['exits at once', fixture('exits-at-once.mjs'), {}],
      ['never connects', fixture('never-connects.mjs'), { startTimeoutMs: 1_000 }],
      ['bad executable', fixture('worker.mjs'), { executable: '/nonexistent/node' }],
    ] as const) {
      const t0 = Date.now();
      const err = (await ParentWorker.spawn(script, { output: 'ignore', ...options }).catch(
        (e: unknown) => e,
      )) as MultifrostError;
      const ms = Date.now() - t0;
      check(err && (err.code === 'WORKER_EXITED' || err.code === 'START_FAILED'), `${label}: ${String(err)}`);
      figures[label] = `${err.code} in ${ms} ms`;
    }
    check(runningFixtures('never-connects.mjs').length === 0, 'a never-connecting worker was left running');
    check(runningFixtures('exits-at-once.mjs').length === 0, 'a failed worker was left running');
    return { figures };
  },
};
