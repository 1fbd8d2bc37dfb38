/** Issue 14, item 3: a worker blocked in a synchronous handler still dies with its parent. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { check, fixture, isAlive, waitFor, type Scenario } from '../support.js';

/** The busy call would return after this long; the worker must be gone well before. */
const SPIN_MS = 20_000;

async function orphanOnce(): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mf-rel-busy-'));
  const mark = path.join(dir, 'spinning');
  const parent = spawn(process.execPath, [fixture('parent-of-busy-victim.mjs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, MF_MARK: mark, MULTIFROST_HOME: dir },
  });
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
    await waitFor(() => existsSync(mark), 10_000, 'the worker to enter its busy loop');
    parent.kill('SIGKILL');
    const goneMs = await waitFor(
      () => !isAlive(pids!.worker) && !isAlive(pids!.grandchild),
      SPIN_MS / 2,
      'the busy worker and its subprocess to exit',
    );
    return goneMs;
  } finally {
    if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
    for (const pid of [pids?.worker, pids?.grandchild]) if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

export const busyOrphan: Scenario = {
  id: 17,
  name: 'SIGKILL the parent of a worker busy in a 20 s synchronous handler',
  proves:
    'the worker and its own subprocess are gone long before the handler would return (the parent watch runs in a thread)',
  async run({ full }) {
    const rounds = full ? 5 : 1;
    const gone: number[] = [];
    for (let i = 0; i < rounds; i++) gone.push(await orphanOnce());
    check(gone.length === rounds, 'a round did not finish');
    return {
      figures: {
        rounds,
        'busy handler would have returned after (ms)': SPIN_MS,
        'worker + subprocess gone after parent SIGKILL (ms)': gone.join(', '),
      },
    };
  },
};
