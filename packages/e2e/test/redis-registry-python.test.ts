// The project's Python module on the same Redis registry as the TypeScript peers
// (MULTIFROST_REGISTRY=redis://…): a TS parent finds and calls a Python service, a Python parent a
// TS service, an id held by one language is refused to the other, and a SIGKILLed Python service's
// entry expires with its lease.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { ParentWorker } from 'multifrost';
import { RedisServiceRegistry } from '@multifrost/registry-redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pythonBin } from '../../../scripts/python-bin.mjs';
import { RedisServer, redisInstalled } from '../../registry-redis/test/redis-server.js';
import { fixture, tempHome } from './helpers/workers.js';

const PYTHON = pythonBin();
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface PyMath {
  add(a: number, b: number): number;
  pid(): number;
}

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe.skipIf(!redisInstalled)('the Python module on the Redis registry', () => {
  let server: RedisServer;
  let registry: RedisServiceRegistry;
  const url = () => `${server.url}?ttlMs=1500`;

  beforeAll(async () => {
    server = await RedisServer.start();
    registry = new RedisServiceRegistry({ url: url() });
  });
  afterAll(async () => {
    await registry?.close();
    await server?.dispose();
  });

  function start(
    command: string,
    args: string[],
    serviceId: string,
  ): { proc: ChildProcess; ready: Promise<void>; output: () => string } {
    const { home, cleanup: rm } = tempHome();
    const proc = spawn(command, args, {
      env: {
        ...process.env,
        MF_SERVICE_ID: serviceId,
        MULTIFROST_HOME: home,
        MULTIFROST_REGISTRY: url(),
        COMLINK_ZMQ_PORT: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    cleanup.push(() => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      rm();
    });
    const ready = new Promise<void>((resolve, reject) => {
      proc.stdout!.on('data', () => {
        if (out.includes('ready on port')) resolve();
      });
      proc.on('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
    });
    // A start meant to fail (the duplicate) is awaited through its exit, not through ready.
    ready.catch(() => {});
    return { proc, ready, output: () => out };
  }
  const python = (serviceId: string) => start(PYTHON, [fixture('redis-python-service.py')], serviceId);

  it('a TS parent finds a Python service in Redis and calls it; on SIGTERM the service unregisters', async () => {
    const { proc, ready } = python('py-redis');
    await ready;
    const entry = await registry.lookup('py-redis');
    expect(entry).toMatchObject({ pid: proc.pid, host: '127.0.0.1' });
    expect(entry?.endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const worker = await ParentWorker.connect<PyMath>('py-redis', { registry: url(), output: 'ignore' });
    cleanup.push(() => worker.close());
    expect(await worker.call.add(40, 2)).toBe(42);
    expect(await worker.call.pid()).toBe(proc.pid);
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
    expect(await registry.lookup('py-redis')).toBeUndefined();
  });

  it('a Python parent finds a TS service in Redis; an id the TS service holds is refused to a Python one', async () => {
    const ts = start(process.execPath, ['--import', tsx, fixture('math-worker.ts')], 'ts-redis');
    await ts.ready;
    const { home, cleanup: rm } = tempHome();
    cleanup.push(rm);
    const caller = spawn(PYTHON, [fixture('redis-python-service.py'), 'call', 'ts-redis'], {
      env: { ...process.env, MULTIFROST_HOME: home, MULTIFROST_REGISTRY: url() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    caller.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    caller.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    expect(await new Promise((r) => caller.on('exit', r))).toBe(0);
    expect(out.trim()).toBe('42');

    const dup = python('ts-redis');
    const code = await new Promise((r) => dup.proc.on('exit', r));
    expect(code).not.toBe(0);
    expect(dup.output()).toContain(`Service 'ts-redis' already running (PID: ${ts.proc.pid}`);
    expect((await registry.lookup('ts-redis'))?.pid).toBe(ts.proc.pid);
  });

  it('a TS or Python service given a MULTIFROST_REGISTRY that is no registry URL stops at once, saying so', async () => {
    for (const [command, args] of [
      [PYTHON, [fixture('redis-python-service.py')]],
      [process.execPath, ['--import', tsx, fixture('math-worker.ts')]],
    ] as const) {
      const { home, cleanup: rm } = tempHome();
      cleanup.push(rm);
      const proc = spawn(command, [...args], {
        env: {
          ...process.env,
          MF_SERVICE_ID: 'bad-url',
          MULTIFROST_HOME: home,
          MULTIFROST_REGISTRY: 'redis//oops',
          COMLINK_ZMQ_PORT: '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise((r) => proc.on('exit', r));
      expect(code).not.toBe(0);
      expect(out).toContain('MULTIFROST_REGISTRY is not a registry URL');
    }
  });

  it('a SIGKILLed Python service is gone from Redis once its lease runs out; while alive it renews', async () => {
    const { proc, ready } = python('py-doomed');
    await ready;
    // Longer than the lease: only renewal keeps it.
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await registry.lookup('py-doomed'))?.pid).toBe(proc.pid);
    proc.kill('SIGKILL');
    const deadline = Date.now() + 3_000;
    while ((await registry.lookup('py-doomed')) !== undefined) {
      if (Date.now() > deadline) throw new Error('the entry of the killed Python service did not expire');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
});
