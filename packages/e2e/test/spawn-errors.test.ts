// Errors a new user hits first, on real processes: each must say what went wrong and what to fix.
import { spawn as spawnProcess } from 'node:child_process';
import path from 'node:path';
import { FileServiceRegistry } from '@multifrost/registry';
import { ParentWorker, isMultifrostError, type MultifrostError } from 'multifrost';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture, fixtures, quiet, tempHome } from './helpers/workers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function failure(p: Promise<unknown>): Promise<MultifrostError> {
  const err = await p.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(isMultifrostError(err)).toBe(true);
  return err as MultifrostError;
}

describe('start-up errors', () => {
  it('a worker that never calls run() times out naming startTimeoutMs, run() and what it printed', async () => {
    const err = await failure(
      ParentWorker.spawn(fixture('forgets-run.ts'), { ...quiet, startTimeoutMs: 1_500, env: { MF_STAY_ALIVE: '1' } }),
    );
    expect(err.code).toBe('START_FAILED');
    expect(err.message).toContain('startTimeoutMs (1500 ms)');
    expect(err.message).toContain('calls run()');
    expect(err.message).toContain('COMLINK_ZMQ_PORT');
    expect(err.message).toContain('loading settings from ./settings.json');
  });

  it('a worker script that ends without run() is told so', async () => {
    const err = await failure(ParentWorker.spawn(fixture('forgets-run.ts'), quiet));
    expect(err.code).toBe('WORKER_EXITED');
    expect(err.message).toMatch(/exited with code 0 before it was ready \(a worker script must call run\(\)/);
  });

  it('a missing script fails before anything is spawned, with its absolute path', async () => {
    const cwd = fixtures;
    const err = await failure(ParentWorker.spawn('./nope.ts', { ...quiet, cwd }));
    expect(err.code).toBe('START_FAILED');
    expect(err.message).toContain(`no such file: ${path.join(cwd, 'nope.ts')}`);
    expect(err.details.path).toBe(path.join(cwd, 'nope.ts'));
    // Nothing was spawned: no process id, and no stderr was read.
    expect(err.message).not.toContain('stderr');
  });

  it('a worker that dies at import keeps its first error line', async () => {
    const err = await failure(ParentWorker.spawn(fixture('imports-missing-module.ts'), quiet));
    expect(err.code).toBe('WORKER_EXITED');
    expect(err.message).toMatch(/exited with code 1 before it was ready/);
    expect(err.message).toContain("Cannot find package 'multifrost-e2e-no-such-package'");
    // Bounded: the stack is not pasted in.
    expect(err.message).not.toMatch(/\n\s+at /);
    expect(err.message.length).toBeLessThan(2_600);
  });

  it('a file: URL with another scheme, or a non-path, is a clear INVALID_ARGUMENT', async () => {
    const http = await failure(ParentWorker.spawn(new URL('https://example.com/worker.ts'), quiet));
    expect(http.code).toBe('INVALID_ARGUMENT');
    expect(http.message).toMatch(/only file: URLs, got https:/);
    const empty = await failure(ParentWorker.spawn('', quiet));
    expect(empty.code).toBe('INVALID_ARGUMENT');
  });
});

describe('closed workers', () => {
  it('a call after close() fails with a clean CLOSED message, and start() rejects with CLOSED', async () => {
    const w = await ParentWorker.spawn(fixture('math-worker.ts'), quiet);
    await w.close();
    const call = await failure(w.call.add!(1, 2));
    expect(call.code).toBe('CLOSED');
    expect(call.message).toBe('Cannot call add(): worker math-worker.ts is closed');
    const start = await failure(w.start());
    expect(start.code).toBe('CLOSED');
    expect(start.message).toMatch(/Cannot start worker math-worker.ts: it was closed/);
  });

  it('a call made while close() is under way says the worker is closing', async () => {
    const w = await ParentWorker.spawn(fixture('math-worker.ts'), quiet);
    const inFlight = w.call.sleep!(300);
    const closing = w.close();
    const late = await failure(w.call.add!(1, 2));
    expect(late.code).toBe('CLOSED');
    expect(late.message).toBe('Cannot call add(): worker math-worker.ts is closing');
    await closing;
    // A graceful close still lets the call already in flight finish.
    await expect(inFlight).resolves.toBe(300);
  });
});

describe('connect to an unknown id', () => {
  it('lists the registered ids, the registry file and the time waited (timeoutMs)', async () => {
    const home = tempHome();
    cleanups.push(home.cleanup);
    const registry = new FileServiceRegistry({ home: home.home });
    // Two live entries owned by this test process (its pid is alive), on ports nobody needs to answer.
    await registry.register('math', 45_001);
    await registry.register('greeter', 45_002);
    cleanups.push(async () => {
      await registry.unregister('math');
      await registry.unregister('greeter');
    });
    const err = await failure(ParentWorker.connect('mth', { ...quiet, registry, timeoutMs: 300 }));
    expect(err.code).toBe('SERVICE_NOT_FOUND');
    expect(err.message).toBe(
      `No live service 'mth' in ${path.join(home.home, 'services.json')} after waiting 300 ms (timeoutMs) (registered: greeter, math)`,
    );
  });

  it('says when nothing is registered at all', async () => {
    const home = tempHome();
    cleanups.push(home.cleanup);
    const err = await failure(
      ParentWorker.connect('math', {
        ...quiet,
        registry: new FileServiceRegistry({ home: home.home }),
        timeoutMs: 200,
      }),
    );
    expect(err.message).toContain('(no live services are registered)');
  });
});

describe('per-call debug namespace', () => {
  it('DEBUG=multifrost:parent:calls logs sent, reply, timeout and cancel with name, id, worker and ms', async () => {
    const home = tempHome();
    cleanups.push(home.cleanup);
    const child = spawnProcess(process.execPath, ['--import', 'tsx', fixture('debug-calls-parent.ts')], {
      env: { ...process.env, DEBUG: 'multifrost:parent:calls', MULTIFROST_HOME: home.home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code, stderr).toBe(0);
    const lines = stderr.split('\n').filter((l) => l.includes('multifrost:parent:calls'));
    const id = '[0-9a-f-]+';
    expect(lines.some((l) => new RegExp(`math-worker\\.ts: call add\\(\\) id ${id} sent$`).test(l))).toBe(true);
    expect(
      lines.some((l) => new RegExp(`math-worker\\.ts: call add\\(\\) id ${id} replied after \\d+ ms$`).test(l)),
    ).toBe(true);
    expect(
      lines.some((l) => new RegExp(`call sleep\\(\\) id ${id} timed out \\(limit 50 ms\\) after \\d+ ms$`).test(l)),
    ).toBe(true);
    expect(
      lines.some((l) => new RegExp(`call waitForCancel\\(\\) id ${id} aborted, cancel sent after \\d+ ms$`).test(l)),
    ).toBe(true);
    expect(lines.some((l) => new RegExp(`call fail\\(\\) id ${id} failed remotely after \\d+ ms$`).test(l))).toBe(true);
    expect(
      lines.some((l) => new RegExp(`call echo\\(\\) id ${id} could not be sent \\(ENCODE\\) after \\d+ ms$`).test(l)),
    ).toBe(true);
    // Only the per-call namespace was asked for.
    expect(stderr).not.toMatch(/multifrost:parent [^:]/);
  });

  it('logs nothing per call when the namespace is off', async () => {
    const child = spawnProcess(process.execPath, ['--import', 'tsx', fixture('debug-calls-parent.ts')], {
      env: { ...process.env, DEBUG: 'multifrost:parent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('multifrost:parent ');
    expect(stderr).not.toContain('multifrost:parent:calls');
  });
});
