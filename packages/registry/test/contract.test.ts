// The ServiceRegistry contract, checked the same way on two backends: the file registry and the
// in-memory one of the docs. What parent and child rely on must hold for both; where the two may
// differ (the file registry lets the same process re-register over its own entry), no test asks.
import { afterEach, describe, expect, it } from 'vitest';
import { FileServiceRegistry, type ServiceRegistry } from '../src/index.js';
import { failure, removeHome, tempHome } from './helpers.js';
import { MemoryServiceRegistry } from './memory-registry.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) removeHome(h);
});

const backends: [string, () => ServiceRegistry][] = [
  [
    'FileServiceRegistry',
    () => {
      const home = tempHome();
      homes.push(home);
      return new FileServiceRegistry({ home, pollMs: 10 });
    },
  ],
  ['MemoryServiceRegistry', () => new MemoryServiceRegistry()],
];

const at = (port: number) => async () => `tcp://127.0.0.1:${port}`;

describe.each(backends)('%s keeps the ServiceRegistry contract', (_name, make) => {
  it('register resolves a lease whose entry carries the bound endpoint; lookup and discover see it', async () => {
    const r = make();
    const lease = await r.register('math', at(5100));
    expect(lease.serviceId).toBe('math');
    expect(typeof lease.token).toBe('string');
    expect(lease.token.length).toBeGreaterThan(0);
    expect(lease.entry).toMatchObject({ serviceId: 'math', endpoint: 'tcp://127.0.0.1:5100', pid: process.pid });
    expect(await r.lookup('math')).toEqual(lease.entry);
    expect(await r.discover('math', { timeoutMs: 0 })).toEqual(lease.entry);
  });

  it('unregister removes only the registration its lease names', async () => {
    const r = make();
    const old = await r.register('svc', at(5200));
    expect(await r.unregister(old)).toBe(true);
    const current = await r.register('svc', at(5201));
    expect(await r.unregister(old)).toBe(false);
    expect(await r.unregister({ ...current, token: `${current.token}x` })).toBe(false);
    expect((await r.lookup('svc'))?.endpoint).toBe('tcp://127.0.0.1:5201');
    expect(await r.unregister(current)).toBe(true);
    expect(await r.lookup('svc')).toBeUndefined();
  });

  it('a bind that rejects records nothing', async () => {
    const r = make();
    const err = await failure(r.register('svc', () => Promise.reject(new Error('EADDRINUSE'))));
    expect((err as Error).message).toBe('EADDRINUSE');
    expect(await r.lookup('svc')).toBeUndefined();
    expect(await r.list()).toEqual([]);
  });

  it('discover waits for a registration that comes later', async () => {
    const r = make();
    const found = r.discover('late', { timeoutMs: 30_000 });
    const lease = await r.register('late', at(5300));
    expect(await found).toEqual(lease.entry);
  });

  it('discover rejects with SERVICE_NOT_FOUND after its timeout, and ABORTED on abort before or during the wait', async () => {
    const r = make();
    expect((await failure(r.discover('never', { timeoutMs: 0 }))).code).toBe('SERVICE_NOT_FOUND');
    expect((await failure(r.discover('never', { timeoutMs: 50 }))).code).toBe('SERVICE_NOT_FOUND');
    const before = new AbortController();
    before.abort(new Error('not wanted'));
    const early = await failure(r.discover('never', { signal: before.signal }));
    expect(early.code).toBe('ABORTED');
    expect((early.cause as Error).message).toBe('not wanted');
    const during = new AbortController();
    const waiting = failure(r.discover('never', { timeoutMs: 30_000, signal: during.signal }));
    during.abort(new Error('gave up'));
    const late = await waiting;
    expect(late.code).toBe('ABORTED');
    expect((late.cause as Error).message).toBe('gave up');
  });

  it('register with an aborted signal rejects with ABORTED and does not bind', async () => {
    const r = make();
    const gone = new AbortController();
    gone.abort();
    let bound = false;
    const err = await failure(
      r.register(
        'svc',
        async () => {
          bound = true;
          return 'tcp://127.0.0.1:5400';
        },
        { signal: gone.signal },
      ),
    );
    expect(err.code).toBe('ABORTED');
    expect(bound).toBe(false);
    expect(await r.lookup('svc')).toBeUndefined();
  });

  it('list(prefix) returns the matching entries sorted by id', async () => {
    const r = make();
    for (const [i, id] of ['team.b', 'solo', 'team.a'].entries()) await r.register(id, at(5500 + i));
    expect((await r.list('team.')).map((e) => e.serviceId)).toEqual(['team.a', 'team.b']);
    expect((await r.list()).map((e) => e.serviceId)).toEqual(['solo', 'team.a', 'team.b']);
    expect(await r.list('nobody')).toEqual([]);
  });
});
