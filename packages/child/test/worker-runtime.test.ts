/**
 * A whole ChildWorker (connect mode) over the in-memory transport pair and an in-memory registry:
 * the test plays the parent with a bare caller transport, so every assertion is about what the
 * worker put on the wire. No sockets, no processes; fake timers where a wait is the point.
 */
import {
  APP_V3,
  APP_V4,
  MultifrostError,
  createCall,
  createCancel,
  createHeartbeat,
  type AppId,
  type ErrorMessage,
  type Message,
} from '@multifrost/protocol';
import type { RegistrationLease, ServiceEntry, ServiceRegistry } from '@multifrost/registry';
import { createMemoryTransport, type MemoryTransport } from '@multifrost/testing';
import type { CallerTransport } from '@multifrost/transport-zmq';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { callContext } from '../src/call-context.js';
import { ChildWorker } from '../src/child-worker.js';
import type { ChildWorkerOptions } from '../src/child-worker-options.js';

/** The new lease shape only; `ttlMs` makes it behave like an expiring backend. */
class MemoryRegistry {
  readonly entries = new Map<string, { entry: ServiceEntry; token: string }>();
  renewals = 0;
  registrations = 0;
  /** When set, the next renew fails with LEASE_LOST (and the entry is gone, as after an expiry). */
  loseNext = false;
  private tokens = 0;

  constructor(private readonly ttlMs?: number) {}

  async register(serviceId: string, bind: () => Promise<string>): Promise<RegistrationLease> {
    if (this.entries.has(serviceId)) throw new MultifrostError('ALREADY_REGISTERED', `${serviceId} is taken`);
    const entry: ServiceEntry = { serviceId, endpoint: await bind() };
    const token = `t${++this.tokens}`;
    this.entries.set(serviceId, { entry, token });
    this.registrations++;
    return { serviceId, token, entry, ttlMs: this.ttlMs };
  }

  async renew(lease: RegistrationLease): Promise<void> {
    this.renewals++;
    if (this.loseNext) {
      this.loseNext = false;
      this.entries.delete(lease.serviceId);
    }
    if (this.entries.get(lease.serviceId)?.token !== lease.token) throw new MultifrostError('LEASE_LOST', 'gone');
  }

  async unregister(lease: RegistrationLease): Promise<boolean> {
    if (this.entries.get(lease.serviceId)?.token !== lease.token) return false;
    return this.entries.delete(lease.serviceId);
  }

  async lookup(serviceId: string): Promise<ServiceEntry | undefined> {
    return this.entries.get(serviceId)?.entry;
  }

  async discover(serviceId: string): Promise<ServiceEntry> {
    const e = await this.lookup(serviceId);
    if (!e) throw new MultifrostError('SERVICE_NOT_FOUND', serviceId);
    return e;
  }

  async list(): Promise<ServiceEntry[]> {
    return [...this.entries.values()].map((e) => e.entry);
  }
}

function deferred<T = unknown>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}

/** Delivery in the memory pair runs on microtasks, so a bounded microtask loop is enough (and works under fake timers). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (check()) return;
    await Promise.resolve();
  }
  throw new Error(`never happened: ${what}`);
}

async function ticks(n = 200): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

interface Harness<W extends ChildWorker> {
  worker: W;
  registry: MemoryRegistry;
  mem: MemoryTransport;
  parent: CallerTransport;
  inbox: Message[];
  reply(id: string): Promise<Message>;
  call(id: string, fn: string, args?: unknown[], app?: AppId): void;
}

const open: Harness<ChildWorker>[] = [];

async function serve<W extends ChildWorker>(
  Cls: new (options: ChildWorkerOptions) => W,
  options: ChildWorkerOptions = {},
  registry = new MemoryRegistry(),
): Promise<Harness<W>> {
  const mem = createMemoryTransport();
  const worker = new Cls({
    serviceId: 'svc',
    transport: mem,
    registry: registry as unknown as ServiceRegistry,
    handleSignals: false,
    exitOnStop: false,
    forwardOutput: false,
    quiet: true,
    ...options,
  });
  await worker.start();
  const entry = await registry.lookup('svc');
  const parent = mem.caller();
  const inbox: Message[] = [];
  parent.onMessage = (m) => inbox.push(m);
  parent.connect(entry!.endpoint);
  const h: Harness<W> = {
    worker,
    registry,
    mem,
    parent,
    inbox,
    async reply(id) {
      await until(() => inbox.some((m) => m.id === id), `a reply to ${id}`);
      return inbox.find((m) => m.id === id)!;
    },
    call(id, fn, args = [], app = APP_V3) {
      const err = parent.post(createCall({ id, function: fn, args, app }), () => undefined);
      if (err) throw err;
    },
  };
  open.push(h as Harness<ChildWorker>);
  return h;
}

afterEach(async () => {
  vi.useRealTimers();
  for (const h of open.splice(0)) {
    await h.worker.stop();
    await h.parent.close();
    expect(h.mem.openTransports).toBe(0);
  }
});

class MathWorker extends ChildWorker {
  add(a: number, b: number): number {
    return a + b;
  }
  fail(): never {
    throw new RangeError('no');
  }
  fn(): unknown {
    return () => 1;
  }
  async later(x: number): Promise<number> {
    await Promise.resolve();
    return x * 2;
  }
}

describe('WorkerRuntime over the memory pair', () => {
  it('registers the bound endpoint and answers a call', async () => {
    const h = await serve(MathWorker);
    expect(h.registry.entries.get('svc')?.entry.endpoint).toMatch(/^mem:\/\//);
    expect(h.worker.mode).toBe('connect');
    h.call('c1', 'add', [2, 3]);
    expect(await h.reply('c1')).toMatchObject({ type: 'response', result: 5 });
  });

  it.each<AppId>([APP_V3, APP_V4])('answers a %s call with the same app id, on results and on errors', async (app) => {
    const h = await serve(MathWorker);
    h.call('ok', 'add', [1, 1], app);
    h.call('async', 'later', [4], app);
    h.call('err', 'fail', [], app);
    h.call('nf', 'nope', [], app);
    h.call('enc', 'fn', [], app);
    for (const id of ['ok', 'async', 'err', 'nf', 'enc']) expect((await h.reply(id)).app, id).toBe(app);
    const hb = createHeartbeat(app);
    h.parent.post(hb, () => undefined);
    expect((await h.reply(hb.id)).app).toBe(app);
  });

  it('turns a result that cannot be encoded into an ENCODE error reply', async () => {
    const h = await serve(MathWorker);
    h.call('enc', 'fn');
    const r = (await h.reply('enc')) as ErrorMessage;
    expect(r.type).toBe('error');
    expect(r.error_type).toBe('EncodeError');
    expect(r.error_code).toBe('ENCODE');
  });

  it('runs at most maxConcurrency handlers at once', async () => {
    const gates = Array.from({ length: 4 }, () => deferred<number>());
    let now = 0;
    let peak = 0;
    class Slow extends ChildWorker {
      async work(i: number): Promise<number> {
        now++;
        peak = Math.max(peak, now);
        try {
          return await gates[i]!.promise;
        } finally {
          now--;
        }
      }
    }
    const h = await serve(Slow, { maxConcurrency: 2 });
    for (let i = 0; i < 4; i++) h.call(`w${i}`, 'work', [i]);
    await until(() => now === 2, 'two handlers running');
    await ticks();
    expect(now).toBe(2);
    gates[0]!.resolve(0);
    await h.reply('w0');
    await ticks();
    expect(now).toBe(2);
    for (const g of gates) g.resolve(1);
    for (let i = 1; i < 4; i++) await h.reply(`w${i}`);
    expect(peak).toBe(2);
  });

  it('drops a queued call cancelled before it started: it never runs', async () => {
    const gate = deferred<string>();
    const ran: string[] = [];
    class Queue extends ChildWorker {
      async block(): Promise<string> {
        return gate.promise;
      }
      mark(id: string): string {
        ran.push(id);
        return id;
      }
    }
    const h = await serve(Queue, { maxConcurrency: 1 });
    h.call('a', 'block');
    h.call('b', 'mark', ['b']);
    h.call('c', 'mark', ['c']);
    h.parent.post(createCancel('b'), () => undefined);
    await ticks();
    gate.resolve('a');
    await h.reply('c');
    await ticks();
    expect(ran).toEqual(['c']);
    expect(h.inbox.some((m) => m.id === 'b')).toBe(false);
  });

  it('stop() aborts handlers still running at the end of the grace period, then unregisters', async () => {
    vi.useFakeTimers();
    let signal: AbortSignal | undefined;
    const never = deferred<string>();
    class Stuck extends ChildWorker {
      async hang(): Promise<string> {
        signal = callContext().signal;
        return never.promise; // ignores its signal: only the end of the grace period stops it
      }
    }
    const h = await serve(Stuck, { shutdownGraceMs: 2000 });
    h.call('h', 'hang');
    await until(() => signal !== undefined, 'the handler to start');
    let stopped = false;
    const stopping = h.worker.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(1999);
    expect(signal!.aborted).toBe(false);
    expect(stopped).toBe(false);
    expect(h.registry.entries.has('svc')).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(signal!.aborted).toBe(true);
    expect((signal!.reason as MultifrostError).code).toBe('ABORTED');
    await vi.advanceTimersByTimeAsync(1000);
    await stopping;
    expect(stopped).toBe(true);
    expect(h.registry.entries.has('svc')).toBe(false);
  });

  it('refuses calls once stopping, with ShuttingDownError', async () => {
    const gate = deferred<number>();
    class Busy extends ChildWorker {
      async work(): Promise<number> {
        return gate.promise;
      }
    }
    const h = await serve(Busy);
    h.call('first', 'work');
    await ticks();
    const stopping = h.worker.stop();
    h.call('late', 'work');
    expect((await h.reply('late')) as ErrorMessage).toMatchObject({ type: 'error', error_type: 'ShuttingDownError' });
    gate.resolve(7);
    expect(await h.reply('first')).toMatchObject({ type: 'response', result: 7 });
    await stopping;
  });

  it('await using stops the worker and unregisters it at the end of the block', async () => {
    const registry = new MemoryRegistry();
    const mem = createMemoryTransport();
    {
      await using worker = new MathWorker({
        serviceId: 'svc',
        transport: mem,
        registry: registry as unknown as ServiceRegistry,
        handleSignals: false,
        exitOnStop: false,
        quiet: true,
      });
      await worker.start();
      expect(registry.entries.has('svc')).toBe(true);
      expect(mem.openTransports).toBe(1);
    }
    expect(registry.entries.has('svc')).toBe(false);
    expect(mem.openTransports).toBe(0);
  });

  it('renews an expiring lease, and registers again when it is lost', async () => {
    vi.useFakeTimers();
    const registry = new MemoryRegistry(300);
    const h = await serve(MathWorker, {}, registry);
    await vi.advanceTimersByTimeAsync(100);
    expect(registry.renewals).toBe(1);
    registry.loseNext = true;
    await vi.advanceTimersByTimeAsync(100);
    expect(registry.renewals).toBe(2);
    expect(registry.registrations).toBe(2);
    expect(registry.entries.get('svc')?.entry.endpoint).toBe(h.parent.endpoint);
    await vi.advanceTimersByTimeAsync(100);
    expect(registry.renewals).toBe(3);
    await h.worker.stop();
    // The second lease is the one removed: the entry is gone, and no renew runs after the stop.
    expect(registry.entries.has('svc')).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(registry.renewals).toBe(3);
  });
});
