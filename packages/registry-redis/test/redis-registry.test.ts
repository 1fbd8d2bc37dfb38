// RedisServiceRegistry against a real redis-server: the ServiceRegistry contract, leases that
// expire and are renewed only by their owner, a registration race, and a Redis outage.
import { isMultifrostError, type MultifrostError } from '@multifrost/protocol';
import type { RegistrationLease } from '@multifrost/registry';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServiceRegistry, type RedisServiceRegistryOptions } from '../src/index.js';
import { RedisServer, redisInstalled } from './redis-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function failure(p: Promise<unknown>): Promise<MultifrostError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMultifrostError(err)) throw new Error(`expected a MultifrostError, got ${String(err)}`);
  return err;
}

describe.skipIf(!redisInstalled)('RedisServiceRegistry on a real redis-server', () => {
  let server: RedisServer;
  const open: RedisServiceRegistry[] = [];
  let n = 0;
  /** A registry on its own connection and key prefix, so tests never see each other's keys. */
  const registry = (options: RedisServiceRegistryOptions = {}, prefix = `t${++n}:`) => {
    const r = new RedisServiceRegistry({ url: server.url, keyPrefix: prefix, ...options });
    open.push(r);
    return r;
  };

  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await Promise.all(open.map((r) => r.close()));
    await server?.dispose();
  });

  it('registers, looks up, discovers, lists and unregisters; the key holds the JSON entry, tokens stay in the lease', async () => {
    const reg = registry({ ttlMs: 4_000 });
    const lease = await reg.register('math', async () => 'tcp://10.0.0.7:4100');
    expect(lease.ttlMs).toBe(4_000);
    expect(lease.entry).toMatchObject({
      serviceId: 'math',
      endpoint: 'tcp://10.0.0.7:4100',
      host: '10.0.0.7',
      port: 4100,
      pid: process.pid,
    });
    const found = await reg.discover('math', { timeoutMs: 0 });
    expect(found).toEqual(lease.entry);
    expect(JSON.stringify(found)).not.toContain(lease.token);
    await reg.register('mathx', async () => 'ipc:///tmp/mathx.sock');
    await reg.register('other', async () => 'tcp://127.0.0.1:4101');
    expect((await reg.list('math')).map((e) => e.serviceId)).toEqual(['math', 'mathx']);
    expect((await reg.list()).map((e) => e.serviceId)).toEqual(['math', 'mathx', 'other']);

    const raw = new Redis(server.url);
    try {
      const stored = JSON.parse((await raw.get(`${reg.keyPrefix}svc:math`))!);
      expect(stored).toMatchObject({
        endpoint: 'tcp://10.0.0.7:4100',
        host: '10.0.0.7',
        port: 4100,
        pid: process.pid,
        protocol: 'comlink_ipc_v4',
        token: lease.token,
      });
      expect(typeof stored.started).toBe('string');
      const pttl = await raw.pttl(`${reg.keyPrefix}svc:math`);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(4_000);
    } finally {
      raw.disconnect();
    }

    expect(await reg.unregister(lease)).toBe(true);
    expect(await reg.unregister(lease)).toBe(false);
    expect(await reg.lookup('math')).toBeUndefined();
  });

  it('refuses a live duplicate with ALREADY_REGISTERED before binding, from another connection too', async () => {
    const a = registry({}, 'dup:');
    const b = registry({}, 'dup:');
    await a.register('svc', async () => 'tcp://127.0.0.1:5000');
    let bound = false;
    const err = await failure(
      b.register('svc', async () => {
        bound = true;
        return 'tcp://127.0.0.1:5001';
      }),
    );
    expect(err.code).toBe('ALREADY_REGISTERED');
    expect(err.message).toContain("Service 'svc' already running");
    expect(err.message).toContain('tcp://127.0.0.1:5000');
    expect(bound).toBe(false);
    expect((await a.lookup('svc'))?.endpoint).toBe('tcp://127.0.0.1:5000');
  });

  it('of registrants racing for one id (all past the first look), exactly one wins', async () => {
    const racers = Array.from({ length: 6 }, () => registry({}, 'race:'));
    // Every bind waits, so all of them have seen the id free before any of them writes.
    const results = await Promise.allSettled(
      racers.map((r, i) => r.register('contested', () => sleep(50).then(() => `tcp://127.0.0.1:${6000 + i}`))),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((r) => (r.reason as MultifrostError).code)).toEqual(Array(5).fill('ALREADY_REGISTERED'));
    const winner = (won[0] as PromiseFulfilledResult<RegistrationLease>).value;
    expect((await racers[0]!.lookup('contested'))?.endpoint).toBe(winner.entry.endpoint);
  });

  it('renew extends the lease; an unrenewed entry expires within its TTL; LEASE_LOST says why and is reported', async () => {
    const lost: string[] = [];
    const reg = registry({ ttlMs: 1_000, onLeaseLost: (l, reason) => lost.push(`${l.serviceId}:${reason}`) });
    const kept = await reg.register('kept', async () => 'tcp://127.0.0.1:7000');
    const left = await reg.register('left', async () => 'tcp://127.0.0.1:7001');
    for (let i = 0; i < 5; i++) {
      await sleep(300);
      await reg.renew(kept);
    }
    // 1.5 s after registering: renewed, kept is there; left was not, and is gone.
    expect(await reg.lookup('kept')).toBeDefined();
    expect(await reg.lookup('left')).toBeUndefined();
    const expired = await failure(reg.renew(left));
    expect(expired.code).toBe('LEASE_LOST');
    expect(expired.details.reason).toBe('expired');

    // Someone else takes the expired id: the old lease can neither renew nor remove it.
    const other = registry({ ttlMs: 1_000 }, reg.keyPrefix);
    await other.register('left', async () => 'tcp://127.0.0.1:7002');
    const taken = await failure(reg.renew(left));
    expect(taken.code).toBe('LEASE_LOST');
    expect(taken.details.reason).toBe('taken');
    expect(await reg.unregister(left)).toBe(false);
    expect((await reg.lookup('left'))?.endpoint).toBe('tcp://127.0.0.1:7002');
    expect(lost).toEqual(['left:expired', 'left:taken']);
  });

  it('discover waits for a registration, stops at once on abort, and names the registry on a miss', async () => {
    const reg = registry();
    const waiting = reg.discover('late', { timeoutMs: 3_000, pollMs: 20 });
    await sleep(100);
    await reg.register('late', async () => 'tcp://127.0.0.1:7100');
    expect((await waiting).endpoint).toBe('tcp://127.0.0.1:7100');

    const ac = new AbortController();
    const aborted = reg.discover('never', { timeoutMs: 10_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    expect((await failure(aborted)).code).toBe('ABORTED');

    const missing = await failure(reg.discover('never', { timeoutMs: 100 }));
    expect(missing.code).toBe('SERVICE_NOT_FOUND');
    expect(missing.details.registry).toBe(reg.where);
  });

  it('list matches a prefix literally (glob characters too) and skips keys that are not entries', async () => {
    const reg = registry();
    await reg.register('a*b', async () => 'tcp://127.0.0.1:1');
    await reg.register('a?c', async () => 'tcp://127.0.0.1:2');
    await reg.register('axb', async () => 'tcp://127.0.0.1:3');
    await reg.register('[x]', async () => 'tcp://127.0.0.1:4');
    const raw = new Redis(server.url);
    try {
      await raw.set(`${reg.keyPrefix}svc:garbage`, 'not json');
      await raw.set(`${reg.keyPrefix}svc:no-endpoint`, '{"pid":1}');
    } finally {
      raw.disconnect();
    }
    expect((await reg.list('a*')).map((e) => e.serviceId)).toEqual(['a*b']);
    expect((await reg.list('[')).map((e) => e.serviceId)).toEqual(['[x]']);
    expect((await reg.list()).map((e) => e.serviceId)).toEqual(['[x]', 'a*b', 'a?c', 'axb']);
    expect(await reg.lookup('garbage')).toBeUndefined();
    // A key holding garbage is still held: refused, not overwritten.
    expect((await failure(reg.register('garbage', async () => 'tcp://127.0.0.1:5'))).code).toBe('ALREADY_REGISTERED');
  });

  it('refuses bad settings and bind results with INVALID_ARGUMENT, and never prints a password', async () => {
    expect(() => new RedisServiceRegistry({ url: 'http://127.0.0.1:6379' })).toThrow(/redis:\/\/host:6379/);
    expect(() => new RedisServiceRegistry({ url: server.url, ttlMs: 999 })).toThrow(/ttlMs must be .* at least 1000/);
    expect(() => new RedisServiceRegistry({ url: `${server.url}?ttlMs=abc` })).toThrow(/ttlMs/);
    const fromUrl = new RedisServiceRegistry({ url: `${server.url}?ttlMs=2500&keyPrefix=q:` });
    open.push(fromUrl);
    expect(fromUrl.ttlMs).toBe(2_500);
    expect(fromUrl.keyPrefix).toBe('q:');
    expect((await fromUrl.register('q', async () => 'tcp://127.0.0.1:9')).ttlMs).toBe(2_500);
    const bad = await failure(registry().register('x', async () => '' as string));
    expect(bad.code).toBe('INVALID_ARGUMENT');
    expect((await failure(registry().register('', async () => 'tcp://127.0.0.1:1'))).code).toBe('INVALID_ARGUMENT');
    const secret = new RedisServiceRegistry({ url: 'redis://app:hunter2@127.0.0.1:1/0', connectTimeoutMs: 200 });
    try {
      const err = await failure(secret.lookup('x'));
      expect(err.code).toBe('REGISTRY_UNAVAILABLE');
      expect(err.message).not.toContain('hunter2');
      expect(err.message).toContain('app:***@127.0.0.1:1');
    } finally {
      await secret.close();
    }
  });

  it('while Redis is down, calls fail with REGISTRY_UNAVAILABLE (no hang); once it is back they work again', async () => {
    const reg = registry({ connectTimeoutMs: 300, ttlMs: 1_000 });
    const lease = await reg.register('survivor', async () => 'tcp://127.0.0.1:7200');
    await server.stop();
    try {
      // One at a time: made all at once, the later ones would reject before anything awaits them.
      for (const attempt of [
        () => reg.lookup('survivor'),
        () => reg.register('newcomer', async () => 'tcp://127.0.0.1:7201'),
        () => reg.discover('survivor', { timeoutMs: 200, pollMs: 50 }),
        () => reg.list(),
        () => reg.renew(lease),
      ]) {
        const err = await failure(attempt());
        expect(err.code).toBe('REGISTRY_UNAVAILABLE');
        expect(err.message).toContain(server.url.replace(/\/0$/, ''));
      }
    } finally {
      await server.resume();
    }
    // Back, but empty (no persistence): the old lease is lost; registering again works.
    const deadline = Date.now() + 5_000;
    let renewed: unknown;
    while (Date.now() < deadline) {
      renewed = await reg.renew(lease).then(
        () => 'ok',
        (e: MultifrostError) => e.code,
      );
      if (renewed !== 'REGISTRY_UNAVAILABLE') break;
      await sleep(100);
    }
    expect(renewed).toBe('LEASE_LOST');
    const again = await reg.register('survivor', async () => 'tcp://127.0.0.1:7200');
    expect((await reg.lookup('survivor'))?.endpoint).toBe(again.entry.endpoint);
  });

  it('a Redis that stops answering fails calls with REGISTRY_UNAVAILABLE after commandTimeoutMs, then recovers', async () => {
    const reg = registry({ commandTimeoutMs: 300 });
    const lease = await reg.register('frozen', async () => 'tcp://127.0.0.1:7300');
    server.freeze(true);
    try {
      const err = await failure(reg.lookup('frozen'));
      expect(err.code).toBe('REGISTRY_UNAVAILABLE');
      expect(err.message).toMatch(/timed out/i);
    } finally {
      server.freeze(false);
    }
    expect((await reg.lookup('frozen'))?.endpoint).toBe('tcp://127.0.0.1:7300');
    expect(await reg.unregister(lease)).toBe(true);
  });

  it('a closed registry says so', async () => {
    const reg = registry();
    await reg.close();
    expect((await failure(reg.lookup('x'))).code).toBe('CLOSED');
  });
});
