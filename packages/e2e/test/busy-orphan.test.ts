// A worker busy in a synchronous handler still dies with its parent: the parent watch runs in a
// thread of its own, so a blocked main thread cannot keep an orphan (and its subprocesses) alive.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture, isAlive, waitFor } from './helpers/workers.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0).reverse()) fn();
});

describe('parent death while the worker is busy', () => {
  it('a worker in a 20 s synchronous loop, its subprocess and its private channel are gone long before the loop would end', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mf-busy-orphan-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const mark = path.join(dir, 'spinning');
    const parent = spawn(process.execPath, ['--import', tsx, fixture('parent-of-busy-worker.ts')], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, MF_MARK: mark, MULTIFROST_HOME: dir },
    });
    cleanup.push(() => {
      if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
    });
    const pids = await new Promise<{ worker: number; grandchild: number }>((resolve, reject) => {
      let buf = '';
      parent.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const line = buf.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line));
      });
      parent.on('exit', () => reject(new Error('parent exited early')));
    });
    cleanup.push(() => {
      for (const pid of [pids.worker, pids.grandchild]) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    });
    const endpoint = readFileSync(`/proc/${pids.worker}/environ`, 'utf8')
      .split('\0')
      .find((kv) => kv.startsWith('MULTIFROST_ENDPOINT='))
      ?.slice('MULTIFROST_ENDPOINT=ipc://'.length);
    expect(endpoint).toMatch(/multifrost-\w{6}\/w\.sock$/);
    await waitFor(() => existsSync(mark), 10_000, 'the worker to start its busy loop');
    const spinStarted = Date.now();
    parent.kill('SIGKILL');
    // Generous, but well short of the 20 s the handler would take to return on its own.
    await waitFor(() => !isAlive(pids.worker) && !isAlive(pids.grandchild), 10_000, 'worker and subprocess to exit');
    expect(Date.now() - spinStarted).toBeLessThan(20_000);
    expect(existsSync(path.dirname(endpoint!))).toBe(false);
  }, 40_000);
});
