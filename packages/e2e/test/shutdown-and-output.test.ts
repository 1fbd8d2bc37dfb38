import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ParentWorker, zmqTransport, type MultifrostError } from 'multifrost';
import { afterEach, describe, expect, it } from 'vitest';
import type { MathWorker } from './fixtures/math-worker.js';
import { fixture, isAlive, quiet, waitFor } from './helpers/workers.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('output', () => {
  it('worker stdout and stderr reach the handler line by line, and the events', async () => {
    const lines: string[] = [];
    const events: string[] = [];
    const w = await ParentWorker.spawn<MathWorker>(fixture('math-worker.ts'), {
      output: (line, stream) => lines.push(`${stream}:${line}`),
    });
    cleanup.push(() => w.close());
    w.on('stdout', (l) => events.push(l));
    await w.call.log('hello\nworld');
    await waitFor(() => lines.length >= 3, 2_000, 'output lines');
    expect(lines).toEqual(expect.arrayContaining(['stdout:hello', 'stdout:world', 'stderr:err:hello']));
    expect(events).toEqual(expect.arrayContaining(['hello', 'world']));
  });

  it('a worker printing far more than a pipe buffer never blocks, even with output ignored', async () => {
    const w = await ParentWorker.spawn<MathWorker>(fixture('math-worker.ts'), quiet);
    cleanup.push(() => w.close());
    const big = 'y'.repeat(1_000);
    for (let i = 0; i < 300; i++) await w.call.log(big); // ~600 KB through the pipes
    expect(await w.call.add(1, 2)).toBe(3);
  });

  it("default output is printed with the worker's name as prefix", async () => {
    const parent = spawn(
      process.execPath,
      [
        '--import',
        tsx,
        '--input-type=module',
        '-e',
        `import { ParentWorker } from 'multifrost'; const w = await ParentWorker.spawn(${JSON.stringify(fixture('math-worker.ts'))}); await w.call.log('visible'); await w.close();`,
      ],
      { cwd: fixture('.'), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    parent.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise((r) => parent.on('exit', r));
    expect(code).toBe(0);
    expect(out).toContain('[math-worker.ts] visible');
  });
});

describe('shutdown', () => {
  it('SIGTERM lets the in-flight call finish, then the worker exits 0', async () => {
    const w = await ParentWorker.spawn<MathWorker>(fixture('math-worker.ts'), quiet);
    cleanup.push(() => w.close());
    const exit = new Promise<{ code: number | null }>((r) => w.once('exit', r));
    const call = w.call.sleep(300);
    await new Promise((r) => setTimeout(r, 50));
    process.kill(w.pid!, 'SIGTERM');
    await expect(call).resolves.toBe(300);
    expect(await exit).toMatchObject({ code: 0 });
  });

  it('when the parent is SIGKILLed, the worker and its own subprocess are gone within 2 s', async () => {
    const parent = spawn(process.execPath, ['--import', tsx, fixture('parent-of-worker.ts')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanup.push(() => {
      if (parent.exitCode === null) parent.kill('SIGKILL');
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
    expect(isAlive(pids.worker)).toBe(true);
    expect(isAlive(pids.grandchild)).toBe(true);
    // The private channel the parent made: with the parent SIGKILLed, only the worker can remove it.
    const endpoint = readFileSync(`/proc/${pids.worker}/environ`, 'utf8')
      .split('\0')
      .find((kv) => kv.startsWith('MULTIFROST_ENDPOINT='))
      ?.slice('MULTIFROST_ENDPOINT=ipc://'.length);
    expect(endpoint).toMatch(/multifrost-\w{6}\/w\.sock$/);
    expect(existsSync(endpoint!)).toBe(true);
    parent.kill('SIGKILL');
    const t0 = Date.now();
    await waitFor(() => !isAlive(pids.worker) && !isAlive(pids.grandchild), 2_000, 'worker and grandchild to exit');
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(existsSync(path.dirname(endpoint!))).toBe(false);
  });
});

describe('heartbeats', () => {
  // Busy for 5× the ZMTP timeout and ~4× the application heartbeat's give-up time (interval × misses
  // + timeout): long enough that either mechanism, if it starved, would have declared the worker dead.
  // The same rule on fake timers: packages/parent/test/parent-worker-memory.test.ts.
  it('a worker busy in a synchronous handler for several heartbeat and ZMTP timeouts is not declared dead, and the call succeeds', async () => {
    const w = await ParentWorker.spawn<MathWorker>(fixture('math-worker.ts'), {
      ...quiet,
      heartbeatIntervalMs: 500,
      heartbeatTimeoutMs: 300,
      heartbeatMaxMisses: 2,
      defaultTimeoutMs: 60_000,
      transport: zmqTransport({ zmtpHeartbeatIntervalMs: 200, zmtpHeartbeatTimeoutMs: 1_000 }),
    });
    cleanup.push(() => w.close());
    let unresponsive = 0;
    w.on('unresponsive', () => unresponsive++);
    const n = await w.call.busy(5_000);
    expect(n).toBeGreaterThan(0);
    expect(unresponsive).toBe(0);
    expect(w.isHealthy).toBe(true);
    expect(await w.call.add(1, 2)).toBe(3);
  }, 30_000);

  it('an idle worker that stops answering (SIGSTOP) is marked unresponsive, and recovers on SIGCONT', async () => {
    const w = await ParentWorker.spawn<MathWorker>(fixture('math-worker.ts'), {
      ...quiet,
      heartbeatIntervalMs: 200,
      heartbeatTimeoutMs: 150,
      heartbeatMaxMisses: 2,
    });
    cleanup.push(async () => {
      if (w.pid && isAlive(w.pid)) process.kill(w.pid, 'SIGCONT');
      await w.close();
    });
    const unresponsive = new Promise((r) => w.once('unresponsive', r));
    process.kill(w.pid!, 'SIGSTOP');
    await unresponsive;
    expect(w.isHealthy).toBe(false);
    const responsive = new Promise<void>((r) => w.once('responsive', () => r()));
    process.kill(w.pid!, 'SIGCONT');
    await responsive;
    expect(await w.call.add(1, 2)).toBe(3);
  });
});

describe('protocol versions', () => {
  it('a v4 parent talks to the same child', async () => {
    const w = await ParentWorker.spawn<MathWorker>(fixture('math-worker.ts'), { ...quiet, protocol: 'v4' });
    cleanup.push(() => w.close());
    expect(await w.call.add(2, 3)).toBe(5);
    const err = (await w.call.fail('x').catch((e: unknown) => e)) as MultifrostError;
    expect(err.code).toBe('REMOTE_ERROR');
  });
});
