// The lease contract on the file registry: leases and their token check, endpoints in entries
// while the file keeps the peers' {port, pid, started}, list(prefix), and signals in register and
// discover. Real files in a temporary MULTIFROST_HOME, real processes for the other registrants.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MultifrostError } from '@multifrost/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { FileServiceRegistry, type RegistrationLease } from '../src/index.js';
import { Driver, failure, fixtures, killAndWait, removeHome, tempHome, waitForLine } from './helpers.js';

const homes: string[] = [];
const drivers: Driver[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all([...children.splice(0).map(killAndWait), ...drivers.splice(0).map((d) => d.kill())]);
  for (const h of homes.splice(0)) removeHome(h);
});

function registry(options: ConstructorParameters<typeof FileServiceRegistry>[0] = {}): FileServiceRegistry {
  const home = tempHome();
  homes.push(home);
  return new FileServiceRegistry({ home, ...options });
}

function driver(): Driver {
  const d = new Driver();
  drivers.push(d);
  return d;
}

const readJson = (r: FileServiceRegistry) =>
  JSON.parse(readFileSync(r.file, 'utf8')) as Record<string, Record<string, unknown>>;
const endpoint = (port: number) => async () => `tcp://127.0.0.1:${port}`;

describe('register returns a lease', () => {
  it('carries the endpoint, while the file keeps only the peers’ port, pid and started', async () => {
    const r = registry();
    const lease = await r.register('math', endpoint(4100));
    expect(lease).toEqual({
      serviceId: 'math',
      token: expect.any(String),
      entry: {
        serviceId: 'math',
        endpoint: 'tcp://127.0.0.1:4100',
        host: '127.0.0.1',
        port: 4100,
        pid: process.pid,
        started: expect.any(String),
      },
    });
    expect(lease.ttlMs).toBeUndefined();
    expect(readJson(r)).toEqual({ math: { port: 4100, pid: process.pid, started: lease.entry.started } });
    expect(await r.lookup('math')).toEqual(lease.entry);
    expect(await r.discover('math', { timeoutMs: 0 })).toEqual(lease.entry);
    expect(await r.unregister(lease)).toBe(true);
    expect(await r.lookup('math')).toBeUndefined();
    expect(await r.unregister(lease)).toBe(false);
  });

  it('records the port of a wildcard-bound TCP endpoint and hands out the loopback endpoint', async () => {
    const r = registry();
    const lease = await r.register('wide', async () => 'tcp://0.0.0.0:4101');
    expect(lease.entry.endpoint).toBe('tcp://127.0.0.1:4101');
    expect(readJson(r).wide!.port).toBe(4101);
  });

  it('refuses an endpoint the peers could not use, and writes nothing', async () => {
    const r = registry();
    for (const bad of [
      'ipc:///tmp/mf.sock',
      'tcp://127.0.0.1:*',
      'tcp://127.0.0.1:70000',
      'tcp://127.0.0.1',
      'inproc://x',
      '',
    ]) {
      const err = await failure(r.register('odd', async () => bad));
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(err.message).toContain(JSON.stringify(bad));
    }
    expect(existsSync(r.file) ? readJson(r) : {}).toEqual({});
  });

  it('a bind that rejects records nothing and register rejects with its error', async () => {
    const r = registry();
    const err = await failure(r.register('svc', () => Promise.reject(new Error('EADDRINUSE'))));
    expect((err as Error).message).toBe('EADDRINUSE');
    expect(await r.lookup('svc')).toBeUndefined();
  });
});

describe('unregister checks the lease', () => {
  it('a stale lease of our own (we re-registered since) removes nothing; the current one does', async () => {
    const r = registry();
    const first = await r.register('svc', endpoint(4200));
    const second = await r.register('svc', endpoint(4201));
    expect(second.token).not.toBe(first.token);
    expect(await r.unregister(first)).toBe(false);
    expect((await r.lookup('svc'))?.port).toBe(4201);
    expect(await r.unregister(second)).toBe(true);
    expect(await r.lookup('svc')).toBeUndefined();
  });

  it('a previous holder’s late unregister leaves the new holder’s entry alone', async () => {
    const r = registry();
    const previous = driver();
    const reply = await previous.send({
      op: 'register-lease',
      home: r.home,
      id: 'svc',
      endpoint: 'tcp://127.0.0.1:4300',
    });
    expect(reply.ok).toBe(true);
    const theirLease = reply.result as RegistrationLease;
    expect(theirLease.entry).toMatchObject({ pid: previous.pid, endpoint: 'tcp://127.0.0.1:4300' });
    // While they live, the id is theirs.
    expect((await failure(r.register('svc', endpoint(4301)))).code).toBe('ALREADY_REGISTERED');
    await previous.kill();
    const ours = await r.register('svc', endpoint(4301));
    // Their lease, used from any process (here ours), no longer names the entry.
    expect(await r.unregister(theirLease)).toBe(false);
    expect(await r.lookup('svc')).toEqual(ours.entry);
  });

  it('another live process’s lease for another id does not let us remove it, nor theirs ours', async () => {
    const r = registry();
    const other = driver();
    const theirs = (
      await other.send({ op: 'register-lease', home: r.home, id: 'theirs', endpoint: 'tcp://127.0.0.1:4400' })
    ).result as RegistrationLease;
    const ours = await r.register('ours', endpoint(4401));
    // A lease for 'theirs' forged from ours: same token, wrong entry.
    expect(await r.unregister({ ...ours, serviceId: 'theirs' })).toBe(false);
    expect((await other.send({ op: 'unregister', home: r.home, lease: { ...theirs, serviceId: 'ours' } })).result).toBe(
      false,
    );
    expect((await r.list()).map((e) => e.serviceId)).toEqual(['ours', 'theirs']);
    // Each can remove its own with its lease.
    expect((await other.send({ op: 'unregister', home: r.home, lease: theirs })).result).toBe(true);
    expect(await r.unregister(ours)).toBe(true);
    expect(readJson(r)).toEqual({});
  });
});

describe('list(prefix)', () => {
  it('returns the live entries whose id starts with the prefix, sorted, with endpoints', async () => {
    const r = registry();
    for (const [i, id] of ['app.text', 'other', 'app.math', 'app'].entries()) await r.register(id, endpoint(4500 + i));
    expect((await r.list('app.')).map((e) => [e.serviceId, e.endpoint])).toEqual([
      ['app.math', 'tcp://127.0.0.1:4502'],
      ['app.text', 'tcp://127.0.0.1:4500'],
    ]);
    expect((await r.list('app')).map((e) => e.serviceId)).toEqual(['app', 'app.math', 'app.text']);
    expect((await r.list()).map((e) => e.serviceId)).toEqual(['app', 'app.math', 'app.text', 'other']);
    expect(await r.list('zzz')).toEqual([]);
  });

  it('leaves out entries of dead processes under the prefix', async () => {
    const r = registry();
    const gone = driver();
    await gone.send({ op: 'register-lease', home: r.home, id: 'app.gone', endpoint: 'tcp://127.0.0.1:4600' });
    await r.register('app.here', endpoint(4601));
    expect((await r.list('app.')).map((e) => e.serviceId)).toEqual(['app.gone', 'app.here']);
    await gone.kill();
    expect((await r.list('app.')).map((e) => e.serviceId)).toEqual(['app.here']);
  });
});

describe('signals', () => {
  it('register with an aborted signal rejects with ABORTED before binding', async () => {
    const r = registry();
    const gone = new AbortController();
    gone.abort(new Error('shutting down'));
    let bound = false;
    const err = await failure(
      r.register(
        'svc',
        async () => {
          bound = true;
          return 'tcp://127.0.0.1:4700';
        },
        { signal: gone.signal },
      ),
    );
    expect(err.code).toBe('ABORTED');
    expect((err.cause as Error).message).toBe('shutting down');
    expect(bound).toBe(false);
    expect(existsSync(r.file)).toBe(false);
  });

  it('an abort while register waits for a lock another process holds stops the wait; nothing is bound or written', async () => {
    const r = registry({ lockTimeoutMs: 60_000 });
    const lock = path.join(r.home, 'services.lock');
    const holder = spawn(process.execPath, [path.join(fixtures, 'hold-lock.mjs'), lock], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(holder);
    await waitForLine(holder, 'locked');
    const controller = new AbortController();
    let bound = false;
    const pending = failure(
      r.register(
        'svc',
        async () => {
          bound = true;
          return 'tcp://127.0.0.1:4701';
        },
        { signal: controller.signal },
      ),
    );
    controller.abort(new Error('gave up'));
    const err = await pending;
    expect(err.code).toBe('ABORTED');
    expect(err.message).toBe("Registration of service 'svc' was aborted");
    expect(bound).toBe(false);
    // The lock is still the holder's: we never took it.
    expect(existsSync(lock)).toBe(true);
    expect(existsSync(r.file)).toBe(false);
  });

  it('an abort mid-discovery rejects with ABORTED, not with the entry registered afterwards', async () => {
    const r = registry({ pollMs: 20 });
    const controller = new AbortController();
    const outcome = r.discover('late', { timeoutMs: 60_000, signal: controller.signal }).then(
      (entry) => ({ entry }),
      (err: MultifrostError) => ({ err }),
    );
    // Let it poll at least once and find nothing.
    await new Promise((res) => setTimeout(res, 50));
    controller.abort(new Error('user left'));
    const lease = await r.register('late', endpoint(4800));
    const result = await outcome;
    expect('err' in result && result.err.code).toBe('ABORTED');
    expect('err' in result && (result.err.cause as Error).message).toBe('user left');
    expect(await r.discover('late', { timeoutMs: 0 })).toEqual(lease.entry);
  });

  it('discover with timeoutMs 0 looks once', async () => {
    const r = registry();
    expect((await failure(r.discover('none', { timeoutMs: 0 }))).code).toBe('SERVICE_NOT_FOUND');
    writeFileSync(r.file, JSON.stringify({ there: { port: 4900, pid: process.pid } }));
    expect((await r.discover('there', { timeoutMs: 0 })).endpoint).toBe('tcp://127.0.0.1:4900');
  });
});
