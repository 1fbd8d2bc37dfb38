import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FileServiceRegistry, ParentWorker, type MultifrostError } from 'multifrost';
import { afterEach, describe, expect, it } from 'vitest';
import type { MathWorker } from './fixtures/math-worker.js';
import { fixture, isAlive, tempHome, waitFor } from './helpers/workers.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function startService(serviceId: string, home: string, script = 'math-worker.ts'): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', tsx, fixture(script)], {
    env: { ...process.env, MF_SERVICE_ID: serviceId, MULTIFROST_HOME: home, COMLINK_ZMQ_PORT: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanup.push(() => {
    if (proc.exitCode === null && proc.signalCode === null) {
      try {
        process.kill(proc.pid!, 'SIGCONT');
      } catch {}
      proc.kill('SIGKILL');
    }
  });
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready on port')) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`service exited with ${code}`)));
  });
  return proc;
}

function registered(home: string): Record<string, { port: number; pid: number }> {
  try {
    return JSON.parse(readFileSync(path.join(home, 'services.json'), 'utf8'));
  } catch {
    return {};
  }
}

describe('connect mode', () => {
  it('a parent discovers a registered service, calls it, and gets its console output', async () => {
    const { home, cleanup: rm } = tempHome();
    cleanup.push(rm);
    const proc = await startService('math', home);
    expect(registered(home).math).toMatchObject({ pid: proc.pid });
    const lines: string[] = [];
    const c = await ParentWorker.connect<MathWorker>('math', {
      timeoutMs: 5_000,
      registry: new FileServiceRegistry({ home }),
      output: (line, stream) => lines.push(`${stream}:${line}`),
    });
    cleanup.push(() => c.close());
    expect(c.mode).toBe('connect');
    expect(await c.call.add(40, 2)).toBe(42);
    expect(await c.call.pid()).toBe(proc.pid);
    await c.call.log('from the service');
    await waitFor(
      () => lines.includes('stdout:from the service') && lines.includes('stderr:err:from the service'),
      2_000,
      'forwarded output',
    );
  });

  it('two parents share one service; closing a parent leaves the service running', async () => {
    const { home, cleanup: rm } = tempHome();
    cleanup.push(rm);
    const proc = await startService('shared', home);
    const registry = new FileServiceRegistry({ home });
    const a = await ParentWorker.connect<MathWorker>('shared', { registry, output: 'ignore' });
    const b = await ParentWorker.connect<MathWorker>('shared', { registry, output: 'ignore' });
    cleanup.push(() => b.close());
    expect(await Promise.all([a.call.add(1, 1), b.call.add(2, 2)])).toEqual([2, 4]);
    await a.close();
    expect(isAlive(proc.pid!)).toBe(true);
    expect(await b.call.add(3, 3)).toBe(6);
  });

  it('the service unregisters and exits 0 on SIGTERM', async () => {
    const { home, cleanup: rm } = tempHome();
    cleanup.push(rm);
    const proc = await startService('leaving', home);
    const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    proc.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(registered(home).leaving).toBeUndefined();
  });

  it('a second service with the same id is refused while the first lives', async () => {
    const { home, cleanup: rm } = tempHome();
    cleanup.push(rm);
    const first = await startService('unique', home);
    const second = spawn(process.execPath, ['--import', tsx, fixture('math-worker.ts')], {
      env: { ...process.env, MF_SERVICE_ID: 'unique', MULTIFROST_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    second.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((r) => second.on('exit', r));
    expect(code).not.toBe(0);
    expect(stderr).toMatch(new RegExp(`Service 'unique' already running \\(PID: ${first.pid}, port: \\d+\\)`));
  });

  it('connect() to an unknown service fails within its timeout', async () => {
    const { home, cleanup: rm } = tempHome();
    cleanup.push(rm);
    const t0 = Date.now();
    const err = (await ParentWorker.connect('ghost', {
      timeoutMs: 300,
      registry: new FileServiceRegistry({ home }),
    }).catch((e: unknown) => e)) as MultifrostError;
    expect(err.code).toBe('SERVICE_NOT_FOUND');
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('a service that stops answering is detected by heartbeats; calls in flight fail with WORKER_UNREACHABLE', async () => {
    const { home, cleanup: rm } = tempHome();
    cleanup.push(rm);
    const proc = await startService('frozen', home);
    const c = await ParentWorker.connect<MathWorker>('frozen', {
      registry: new FileServiceRegistry({ home }),
      output: 'ignore',
      heartbeatIntervalMs: 200,
      heartbeatTimeoutMs: 150,
      heartbeatMaxMisses: 2,
      transport: { zmtpHeartbeatIntervalMs: 200, zmtpHeartbeatTimeoutMs: 600 },
    });
    cleanup.push(() => c.close());
    const unresponsive = new Promise((r) => c.once('unresponsive', r));
    const call = c.call.sleep(60_000).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    process.kill(proc.pid!, 'SIGSTOP');
    await unresponsive;
    const err = (await call) as MultifrostError;
    expect(err.code).toBe('WORKER_UNREACHABLE');
    process.kill(proc.pid!, 'SIGCONT');
  });

  it('a service SIGKILLed mid-stream fails the stream with WORKER_EXITED at once, after the items it sent', async () => {
    const { home, cleanup: rm } = tempHome();
    cleanup.push(rm);
    const proc = await startService('streamer', home, 'stream-worker.ts');
    const c = await ParentWorker.connect('streamer', { registry: new FileServiceRegistry({ home }), output: 'ignore' });
    cleanup.push(() => c.close());
    const got: number[] = [];
    const outcome = (async () => {
      for await (const n of c.with({ timeoutMs: 120_000 }).stream.ticks!(20)) {
        got.push(n as number);
        if (got.length === 3) proc.kill('SIGKILL');
      }
    })().catch((e: unknown) => e as MultifrostError);
    const err = (await outcome) as MultifrostError;
    expect(err.code).toBe('WORKER_EXITED');
    // WORKER_EXITED (the process watch), not WORKER_UNREACHABLE after the heartbeat window.
    expect(got.slice(0, 3)).toEqual([0, 1, 2]);
  });

  it('a service SIGKILLed mid-call fails the call with WORKER_EXITED, not at its timeout; its successor is found', async () => {
    const { home, cleanup: rm } = tempHome();
    cleanup.push(rm);
    const proc = await startService('killed', home);
    const c = await ParentWorker.connect<MathWorker>('killed', {
      registry: new FileServiceRegistry({ home }),
      output: 'ignore',
    });
    cleanup.push(() => c.close());
    const call = c
      .with({ timeoutMs: 120_000 })
      .call.sleep(60_000)
      .catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    proc.kill('SIGKILL');
    const err = (await call) as MultifrostError;
    expect(err.code).toBe('WORKER_EXITED');
    expect(err.message).toMatch(new RegExp(`pid ${proc.pid}\\) exited while sleep\\(\\) was in flight`));
    await startService('killed', home);
    // The parent follows the new process (another port) by itself; calls on the way may fail fast.
    const t0 = Date.now();
    while (
      (await c
        .with({ timeoutMs: 1_000 })
        .call.add(2, 3)
        .catch(() => 0)) !== 5
    ) {
      expect(Date.now() - t0).toBeLessThan(20_000);
      await new Promise((r) => setTimeout(r, 50));
    }
  });
});
