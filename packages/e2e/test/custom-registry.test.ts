// A registry of the user's own, passed to a real ChildWorker service (connect mode, real ZeroMQ
// socket) and a real ParentWorker: the in-memory registry of docs/connect-mode.md. Both run in
// this process, since that is what an in-memory registry can serve. An expiring variant checks
// that the service renews its lease and registers again when the backend reports it lost.
import { existsSync, readdirSync } from 'node:fs';
import { ChildWorker, ParentWorker, isMultifrostError, MultifrostError } from 'multifrost';
import type { RegistrationLease, ServiceRegistry } from 'multifrost';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryServiceRegistry } from '../../registry/test/memory-registry.js';
import { tempHome, waitFor } from './helpers/workers.js';

class Greeter extends ChildWorker {
  greet(name: string) {
    return `Hello, ${name}!`;
  }
}

const cleanup: (() => unknown)[] = [];
let home = '';
let savedHome: string | undefined;
beforeEach(() => {
  // Had anything fallen back to the file registry, it would write here, and the tests check it didn't.
  const t = tempHome();
  home = t.home;
  savedHome = process.env.MULTIFROST_HOME;
  process.env.MULTIFROST_HOME = home;
  cleanup.push(t.cleanup);
});
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  if (savedHome === undefined) delete process.env.MULTIFROST_HOME;
  else process.env.MULTIFROST_HOME = savedHome;
});

function service(serviceId: string, registry: ServiceRegistry): Greeter {
  const s = new Greeter({
    serviceId,
    registry,
    handleSignals: false,
    exitOnStop: false,
    forwardOutput: false,
    quiet: true,
  });
  cleanup.push(() => s.stop());
  return s;
}

async function connect(serviceId: string, registry: ServiceRegistry, startTimeoutMs = 10_000) {
  const g = await ParentWorker.connect<Greeter>(serviceId, { registry, startTimeoutMs, output: 'ignore' });
  cleanup.push(() => g.close());
  return g;
}

describe('a custom ServiceRegistry', () => {
  it('a service registers through it, a parent discovers and calls it, and stopping unregisters', async () => {
    const registry = new MemoryServiceRegistry();
    const s = service('greeter', registry);
    const port = await s.start();
    const [entry] = await registry.list();
    expect(entry).toMatchObject({ serviceId: 'greeter', endpoint: `tcp://127.0.0.1:${port}`, pid: process.pid });

    const g = await connect('greeter', registry);
    expect(await g.call.greet('Ada')).toBe('Hello, Ada!');
    await g.close();

    await s.stop();
    expect(await registry.list()).toEqual([]);
    expect(readdirSync(home)).toEqual([]); // the file registry was never touched
  });

  it('a parent that connects first waits for the service to register', async () => {
    const registry = new MemoryServiceRegistry();
    const connecting = connect('late', registry);
    // Registered only once the parent is already waiting in discover.
    await new Promise((r) => setTimeout(r, 100));
    await service('late', registry).start();
    const g = await connecting;
    expect(await g.call.greet('Bo')).toBe('Hello, Bo!');
  });

  it('an unknown id fails with SERVICE_NOT_FOUND naming the ids the custom registry lists', async () => {
    const registry = new MemoryServiceRegistry();
    await service('greeter', registry).start();
    const err = await ParentWorker.connect('greter', { registry, startTimeoutMs: 200 }).catch((e: unknown) => e);
    expect(isMultifrostError(err) && err.code).toBe('SERVICE_NOT_FOUND');
    expect((err as Error).message).toContain('greeter');
    expect(existsSync(`${home}/services.json`)).toBe(false);
  });

  it('on an expiring backend the service renews its lease, and registers again after losing it', async () => {
    const registry = new ExpiringRegistry(new MemoryServiceRegistry(), 150);
    const s = service('renewed', registry);
    await s.start();
    await waitFor(() => registry.renewals >= 2, 10_000, 'two renewals');
    const first = (await registry.lookup('renewed'))!;

    registry.expire('renewed'); // what a TTL store does to a key nobody refreshed
    expect(await registry.lookup('renewed')).toBeUndefined();
    await waitFor(() => registry.registrations >= 2, 10_000, 'the service to register again');
    const again = (await registry.lookup('renewed'))!;
    expect(again.endpoint).toBe(first.endpoint);

    const g = await connect('renewed', registry);
    expect(await g.call.greet('Cy')).toBe('Hello, Cy!');
    await g.close();
    await s.stop();
    // It unregistered with the lease of its second registration.
    expect(await registry.list()).toEqual([]);
  });
});

/**
 * The in-memory registry with leases that expire, the way a Redis or etcd backend would hand them
 * out: `renew` succeeds only for the registration currently held, else LEASE_LOST.
 */
class ExpiringRegistry implements ServiceRegistry {
  renewals = 0;
  registrations = 0;
  private readonly current = new Map<string, RegistrationLease>();

  constructor(
    private readonly inner: MemoryServiceRegistry,
    private readonly ttlMs: number,
  ) {}

  async register(...args: Parameters<ServiceRegistry['register']>): Promise<RegistrationLease> {
    const lease = { ...(await this.inner.register(...args)), ttlMs: this.ttlMs };
    this.current.set(lease.serviceId, lease);
    this.registrations++;
    return lease;
  }

  async renew(lease: RegistrationLease): Promise<void> {
    if (this.current.get(lease.serviceId)?.token !== lease.token) {
      throw new MultifrostError('LEASE_LOST', `Lease of service '${lease.serviceId}' expired`);
    }
    this.renewals++;
  }

  /** Drops the entry as an expiry would. */
  expire(serviceId: string): void {
    const lease = this.current.get(serviceId);
    this.current.delete(serviceId);
    if (lease) void this.inner.unregister(lease);
  }

  async unregister(lease: RegistrationLease): Promise<boolean> {
    if (this.current.get(lease.serviceId)?.token === lease.token) this.current.delete(lease.serviceId);
    return this.inner.unregister(lease);
  }

  lookup(serviceId: string) {
    return this.inner.lookup(serviceId);
  }

  discover(...args: Parameters<ServiceRegistry['discover']>) {
    return this.inner.discover(...args);
  }

  list(prefix?: string) {
    return this.inner.list(prefix);
  }
}
