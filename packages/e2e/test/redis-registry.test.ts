// Connect mode on the Redis registry, with real processes, sockets and a real redis-server: a TS
// service chosen by MULTIFROST_REGISTRY, found by a parent given registry: 'redis://…'; a SIGKILLed
// service's entry expiring; and a Redis outage that connected parents ride out while the service
// re-registers by itself afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ParentWorker, type MultifrostError } from 'multifrost';
import { RedisServiceRegistry } from '@multifrost/registry-redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer, redisInstalled } from '../../registry-redis/test/redis-server.js';
import type { MathWorker } from './fixtures/math-worker.js';
import { fixture, tempHome } from './helpers/workers.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function until<T>(get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const cliJs = path.join(
  path.dirname(createRequire(import.meta.url).resolve('multifrost/package.json')),
  'dist',
  'cli.js',
);

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliJs, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // A backstop only: a CLI that hangs (an unclosed Redis connection) fails on its status.
    const backstop = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(backstop);
      resolve({ status, stdout, stderr });
    });
  });
}

describe.skipIf(!redisInstalled)('connect mode on the Redis registry', () => {
  let server: RedisServer;
  let registry: RedisServiceRegistry;
  // A short lease, so an expiry is seen within a test; the services renew every ttl/3.
  const url = () => `${server.url}?ttlMs=1500`;

  beforeAll(async () => {
    server = await RedisServer.start();
    registry = new RedisServiceRegistry({ url: url(), connectTimeoutMs: 300 });
  });
  afterAll(async () => {
    await registry?.close();
    await server?.dispose();
  });

  /** The math fixture as a service registered through MULTIFROST_REGISTRY (no file registry involved). */
  async function startService(serviceId: string): Promise<ChildProcess> {
    const { home, cleanup: rm } = tempHome();
    const proc = spawn(process.execPath, ['--import', tsx, fixture('math-worker.ts')], {
      env: {
        ...process.env,
        MF_SERVICE_ID: serviceId,
        MULTIFROST_HOME: home,
        MULTIFROST_REGISTRY: url(),
        COMLINK_ZMQ_PORT: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    cleanup.push(() => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      rm();
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready on port')) resolve();
      });
      proc.on('exit', (code) => reject(new Error(`service exited with ${code}: ${err}`)));
    });
    return proc;
  }

  it('a service registered in Redis is found and called by a parent; on SIGTERM it unregisters and exits', async () => {
    const proc = await startService('redis-math');
    const entry = await registry.lookup('redis-math');
    expect(entry).toMatchObject({ pid: proc.pid, host: '127.0.0.1' });
    const worker = await ParentWorker.connect<MathWorker>('redis-math', { registry: url(), output: 'ignore' });
    cleanup.push(() => worker.close());
    expect(await worker.call.add(40, 2)).toBe(42);
    expect(await worker.call.pid()).toBe(proc.pid);
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    proc.kill('SIGTERM');
    // Exiting at all shows the worker closed its Redis connection.
    expect(await exited).toBe(0);
    expect(await registry.lookup('redis-math')).toBeUndefined();
  });

  it("a parent's connect() to a missing id lists what Redis holds", async () => {
    await startService('redis-present');
    const err = (await ParentWorker.connect('redis-absent', { registry: url(), startTimeoutMs: 300 }).catch(
      (e: unknown) => e,
    )) as MultifrostError;
    expect(err.code).toBe('SERVICE_NOT_FOUND');
    expect(err.message).toContain('redis-present');
  });

  it('the CLI lists (with endpoints) and calls services in Redis with --registry, and names a bad URL', async () => {
    await startService('redis-cli');
    const list = await cli(['list', '--json', '--registry', url()]);
    expect(list.status).toBe(0);
    const listed = JSON.parse(list.stdout) as { serviceId: string; endpoint: string }[];
    expect(listed.find((e) => e.serviceId === 'redis-cli')?.endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const call = await cli(['call', 'redis-cli', 'add', '2', '3', '--registry', url()]);
    expect(call).toMatchObject({ status: 0, stdout: '5\n' });
    const viaEnv = await cli(['call', 'redis-cli', 'add', '1', '1'], { MULTIFROST_REGISTRY: url() });
    expect(viaEnv).toMatchObject({ status: 0, stdout: '2\n' });
    const bad = await cli(['list', '--registry', 'redis//nope']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('is not a registry URL');
  });

  it('a SIGKILLed service (no unregister) is gone from Redis once its lease runs out', async () => {
    const proc = await startService('redis-doomed');
    expect(await registry.lookup('redis-doomed')).toBeDefined();
    proc.kill('SIGKILL');
    // ttl 1500 ms after the last renewal, which was at most ttl/3 before the kill.
    await until(
      () => registry.lookup('redis-doomed'),
      (e) => e === undefined,
      3_000,
      'the entry to expire',
    );
  });

  it('Redis stopped: connected calls go on, discovery fails clearly; Redis back: the service re-registers by itself', async () => {
    const proc = await startService('redis-steady');
    const worker = await ParentWorker.connect<MathWorker>('redis-steady', { registry: url(), output: 'ignore' });
    cleanup.push(() => worker.close());
    await server.stop();
    try {
      // Longer than the lease: the outage outlives it.
      await new Promise((r) => setTimeout(r, 1_600));
      expect(await worker.call.add(1, 2)).toBe(3);
      const err = (await ParentWorker.connect('redis-steady', { registry: url(), startTimeoutMs: 500 }).catch(
        (e: unknown) => e,
      )) as MultifrostError;
      expect(err.code).toBe('REGISTRY_UNAVAILABLE');
      expect(err.message).toContain(`127.0.0.1:${server.port}`);
    } finally {
      await server.resume();
    }
    // Redis came back empty; the service's next renewal finds its lease lost and registers again.
    const back = await until(
      () => registry.lookup('redis-steady').catch(() => undefined),
      (e) => e !== undefined,
      5_000,
      're-registration',
    );
    expect(back?.pid).toBe(proc.pid);
    const again = await ParentWorker.connect<MathWorker>('redis-steady', { registry: url(), output: 'ignore' });
    cleanup.push(() => again.close());
    expect(await again.call.add(2, 2)).toBe(4);
    expect(await worker.call.add(3, 3)).toBe(6);
  });
});
