/**
 * WorkerPool: one typed proxy over several workers. Each worker is an ordinary ParentWorker (spawned
 * with the pool's spawn options, or connected to one registered instance), so the pool holds no
 * wire code: it keeps a queue, picks a worker per call, and replaces, recycles, grows and shrinks
 * its workers. Per-worker `autoRestart` is off; the pool replaces a dead worker itself, which keeps
 * its counts right and lets queued calls go to the other workers meanwhile.
 */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MultifrostError, isMultifrostError } from '@multifrost/protocol';
import { timeoutMs } from './durations.js';
import { failLater } from './fail-later.js';
import { listFunctions } from './list-functions.js';
import type { CallOptions } from './options.js';
import { ParentWorker } from './parent-worker.js';
import { pickSlot } from './pool-dispatch.js';
import { registryFor } from './registry-url.js';
import * as messages from './pool-messages.js';
import { PoolMetrics, type PoolMetricsSnapshot } from './pool-metrics.js';
import {
  resolvePoolOptions,
  workerOptions,
  type PoolConnectOptions,
  type PoolSpawnOptions,
  type ResolvedPoolOptions,
  type WorkerPoolEvents,
} from './pool-options.js';
import { PoolQueue, type Waiting } from './pool-queue.js';
import { overMaxCalls, periodicReason, type RecycleReason } from './pool-recycle.js';
import { PoolSlot } from './pool-slot.js';
import { createCallProxy, type Remote, type UntypedApi, type WorkerView } from './proxy.js';

interface PoolCall extends Waiting {
  fn: string;
  args: unknown[];
  options: CallOptions;
  /** Absolute ms; Infinity for none. */
  deadline: number;
  timeoutMs: number;
  startedAt: number;
  retries: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  onAbort: (() => void) | undefined;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface PoolHealth {
  /** At least one worker takes calls. */
  healthy: boolean;
  workers: number;
  ready: number;
  starting: number;
  draining: number;
  /** Failed starts (or early deaths) in a row; 0 once a worker has served a while. */
  failuresInARow: number;
  lastError: Error | undefined;
}

export interface PoolCloseOptions {
  /**
   * `'drain'`: no new calls; queued and in-flight calls finish (within `drainGraceMs`, then the
   * rest is cancelled). `'cancel'`: queued calls reject with `CLOSED` at once, in-flight ones as
   * their workers close.
   * @default 'drain'
   */
  mode?: 'drain' | 'cancel';
  /** @default the pool's `drainGraceMs` (5000) */
  graceMs?: number;
}

type Starter = (slot: PoolSlot) => Promise<ParentWorker<UntypedApi>>;

/** A worker that lived at least this long before dying is not an early death: the backoff starts over. */
const HEALTHY_LIFETIME_MS = 5_000;

export class WorkerPool<T = UntypedApi> extends EventEmitter<WorkerPoolEvents> implements WorkerView<T> {
  /** Calls with the default options: `await pool.call.predict(x)`. */
  readonly call: Remote<T>;
  readonly name: string;
  readonly mode: 'spawn' | 'connect';

  private readonly opts: ResolvedPoolOptions;
  private readonly starter: Starter;
  private readonly slots: PoolSlot[] = [];
  private readonly queue = new PoolQueue<PoolCall>();
  private readonly stats = new PoolMetrics();
  private readonly explicitDefaultTimeout: boolean;
  /** Workers the pool wants (minWorkers ≤ target ≤ maxWorkers); connect mode: one per instance. */
  private target: number;
  private cursor = 0;
  private serial = 0;
  private inFlight = 0;
  private failures = 0;
  private lastError: Error | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private tickTimer: ReturnType<typeof setInterval> | undefined;
  private readonly starts = new Set<Promise<unknown>>();
  private readonly closings = new Set<Promise<void>>();
  private queuedSinceDrain = false;
  private closing = false;
  private closePromise: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  /** Connect mode: the service ids, one slot each. */
  private readonly serviceIds: string[] = [];

  private constructor(
    mode: 'spawn' | 'connect',
    opts: ResolvedPoolOptions,
    explicitTimeout: boolean,
    starter: Starter,
  ) {
    super();
    this.mode = mode;
    this.opts = opts;
    this.name = opts.name;
    this.starter = starter;
    this.target = opts.minWorkers;
    this.explicitDefaultTimeout = explicitTimeout;
    this.call = createCallProxy<T>((fn, args) => this.invoke(fn, args, {}));
  }

  /**
   * Spawns `minWorkers` (or `size`) workers running `script`, each like `ParentWorker.spawn(script,
   * options)`, and resolves once every one has started or failed its first start; it rejects with
   * `START_FAILED` only when none started (the others are retried in the background).
   */
  static async spawn<T = UntypedApi>(script: string | URL, options: PoolSpawnOptions = {}): Promise<WorkerPool<T>> {
    const file = typeof script === 'string' && !script.startsWith('file:') ? script : fileURLToPath(script);
    const base = path.basename(file);
    const python =
      (options.executable === undefined && file.endsWith('.py')) || /python/i.test(options.executable ?? '');
    const opts = resolvePoolOptions(options, options.name ?? base, python);
    const spawnOptions = workerOptions(options);
    const pool = new WorkerPool<T>('spawn', opts, options.defaultTimeoutMs !== undefined, (slot) =>
      ParentWorker.spawn(script, { ...spawnOptions, name: slot.name }),
    );
    return pool.begin();
  }

  /**
   * A pool over registered instances of one service: a list of ids (`['model-1', 'model-2']`) or
   * every id with a prefix, read once from the registry (`{ prefix: 'model-' }`). Each is connected
   * like `ParentWorker.connect(id, options)` and follows its service as it does; the pool never
   * starts processes here, so sizing and recycling do not apply.
   */
  static async connect<T = UntypedApi>(
    ids: readonly string[] | { prefix: string },
    options: PoolConnectOptions = {},
  ): Promise<WorkerPool<T>> {
    let list: string[];
    const label = options.name ?? (Array.isArray(ids) ? (ids[0] ?? 'pool') : (ids as { prefix: string }).prefix);
    if (Array.isArray(ids)) {
      list = [...new Set(ids as string[])];
      if (list.length === 0 || list.some((id) => typeof id !== 'string' || id === ''))
        throw new MultifrostError('INVALID_ARGUMENT', 'WorkerPool.connect needs at least one non-empty service id', {
          details: { ids },
        });
    } else {
      const prefix = (ids as { prefix?: unknown }).prefix;
      if (typeof prefix !== 'string')
        throw new MultifrostError('INVALID_ARGUMENT', 'WorkerPool.connect takes ids or { prefix: string }', {
          details: { ids },
        });
      const { registry, owned } = registryFor(options.registry);
      try {
        list = (await registry.list(prefix)).map((e) => e.serviceId);
      } finally {
        if (owned) await registry.close?.().catch(() => {});
      }
      if (list.length === 0) throw messages.noInstances(label, prefix);
    }
    const opts = resolvePoolOptions(options, label, false, list.length);
    const connectOptions = workerOptions(options);
    const pool = new WorkerPool<T>('connect', opts, options.defaultTimeoutMs !== undefined, (slot) =>
      ParentWorker.connect(slot.serviceId!, { ...connectOptions, name: slot.serviceId }),
    );
    pool.serviceIds.push(...list);
    return pool.begin();
  }

  /** A view of the pool whose calls use these options: `pool.with({ timeoutMs: 500 }).call.f()`. */
  with(options: CallOptions): WorkerView<T> {
    const fixed = { ...options };
    return {
      call: createCallProxy<T>((fn, args) => this.invoke(fn, args, fixed)),
      callFunction: <R = unknown>(fn: string, args: unknown[] = [], more: CallOptions = {}) =>
        this.invoke(fn, args, { ...fixed, ...more }) as Promise<R>,
      listFunctions: () => listFunctions((fn) => this.invoke(fn, [], fixed)),
    };
  }

  /** Calls a function by name on one worker (what `pool.call.name(...args)` does). */
  callFunction<R = unknown>(fn: string, args: unknown[] = [], options: CallOptions = {}): Promise<R> {
    return this.invoke(fn, args, options) as Promise<R>;
  }

  /** The functions the workers expose (asked of one of them: they all run the same code). */
  listFunctions(options: CallOptions = {}): Promise<string[]> {
    return listFunctions((fn) => this.invoke(fn, [], options));
  }

  // Streams, once streaming exists, are pinned to one worker: the pool picks it like a call,
  // counts the stream as in flight there until it ends, and never moves it (docs/pools.md, "Streams").

  /** Calls waiting for a free worker. */
  get queueSize(): number {
    return this.queue.size;
  }

  /** Every worker is at its `concurrency`, so new calls wait; wait for `'drain'` before sending more. */
  get needsDrain(): boolean {
    return this.queue.size > 0;
  }

  /** Workers started or starting (draining ones not counted). */
  get size(): number {
    return this.liveCount();
  }

  /** PIDs of the running workers (spawn mode). */
  get pids(): number[] {
    return this.slots.flatMap((s) => (s.state === 'ready' && s.pid !== undefined ? [s.pid] : []));
  }

  get isHealthy(): boolean {
    return this.slots.some((s) => s.open);
  }

  get health(): PoolHealth {
    const count = (state: PoolSlot['state']) => this.slots.filter((s) => s.state === state).length;
    return {
      healthy: this.isHealthy,
      workers: this.slots.length,
      ready: count('ready'),
      starting: count('starting'),
      draining: count('draining'),
      failuresInARow: this.failures,
      lastError: this.lastError,
    };
  }

  get metrics(): PoolMetricsSnapshot {
    return this.stats.snapshot(
      this.inFlight,
      this.queue.size,
      this.slots.map((s) => s.metrics()),
    );
  }

  /** Stops the pool (see PoolCloseOptions); resolves once every worker process is gone. */
  close(options: PoolCloseOptions = {}): Promise<void> {
    this.closePromise ??= this.doClose(options);
    return this.closePromise;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async begin(): Promise<this> {
    const count = this.mode === 'connect' ? this.serviceIds.length : this.target;
    const first: Promise<boolean>[] = [];
    for (let i = 0; i < count; i++) first.push(this.startSlot(undefined, i));
    const started = await Promise.all(first);
    if (!started.some(Boolean)) {
      const cause = this.lastError;
      await this.close({ mode: 'cancel' });
      throw messages.allStartsFailed(this.name, count, cause);
    }
    const { recycle } = this.opts;
    const periodic =
      this.mode === 'spawn' &&
      (recycle.maxRssMb !== undefined || recycle.idleMs !== undefined || this.opts.maxWorkers > this.opts.minWorkers);
    if (periodic) {
      const every = Math.min(
        recycle.checkIntervalMs,
        Math.max(10, this.opts.idleTimeoutMs / 4),
        recycle.idleMs !== undefined ? Math.max(10, recycle.idleMs / 4) : Infinity,
      );
      this.tickTimer = setInterval(() => this.tick(), every);
      this.tickTimer.unref();
    }
    return this;
  }

  private liveCount(): number {
    let n = 0;
    for (const s of this.slots) if (s.state === 'starting' || s.state === 'ready') n++;
    return n;
  }

  /** Starts one worker in a new slot; resolves true once it is ready, false if its start failed. */
  private startSlot(replaces: PoolSlot['replaces'], index?: number): Promise<boolean> {
    this.serial++;
    const serviceId = this.mode === 'connect' ? this.serviceIds[index ?? 0] : undefined;
    const slot = new PoolSlot(serviceId ?? `${this.name}#${this.serial}`, serviceId);
    slot.replaces = replaces;
    this.slots.push(slot);
    const started = this.starter(slot).then(
      (worker) => this.onStarted(slot, worker),
      (err: unknown) => this.onStartFailed(slot, err),
    );
    this.starts.add(started);
    void started.finally(() => this.starts.delete(started));
    return started;
  }

  private onStarted(slot: PoolSlot, worker: ParentWorker<UntypedApi>): boolean {
    slot.worker = worker;
    if (this.closing) {
      this.closeSlot(slot);
      return true;
    }
    slot.state = 'ready';
    slot.readyAt = Date.now();
    slot.idleSince = slot.readyAt;
    worker.on('exit', (info) => this.onWorkerExit(slot, info));
    worker.on('restart-failed', (error) => this.onWorkerFailed(slot, error));
    // A worker that comes back (connect mode), closes its circuit or answers again takes calls again.
    const pump = () => this.pump();
    worker.on('ready', pump);
    worker.on('circuit-close', pump);
    worker.on('responsive', pump);
    this.emit('worker-ready', { worker: slot.name, pid: slot.pid });
    const replaced = slot.replaces;
    if (replaced) {
      if (replaced.reason !== 'recycle') this.stats.calls.restarts++;
      this.emit('worker-restart', {
        worker: slot.name,
        pid: slot.pid,
        replaced: replaced.name,
        reason: replaced.reason,
      });
      slot.replaces = undefined;
    }
    this.pump();
    return true;
  }

  private onStartFailed(slot: PoolSlot, err: unknown): boolean {
    this.removeSlot(slot);
    const error = err instanceof Error ? err : new Error(String(err));
    this.lastError = error;
    this.failures++;
    if (this.closing) return false;
    const retryInMs = this.backoffDelay();
    this.emit('worker-error', { worker: slot.name, error, failuresInARow: this.failures, retryInMs });
    // With no worker left to run them, waiting calls learn why now instead of at their timeouts.
    if (!this.slots.some((s) => s.state === 'ready')) {
      for (const call of this.queue.drainAll())
        this.settleQueued(call, messages.noWorkerCanStart(this.name, call.fn, error));
      this.noteQueueEmptied();
    }
    const again = slot.replaces ?? { name: slot.name, reason: 'start-failed' as const };
    this.scheduleReplacement(retryInMs, again, slot.serviceId);
    return false;
  }

  private backoffDelay(): number {
    const { initialDelayMs, maxDelayMs } = this.opts;
    return Math.min(maxDelayMs, initialDelayMs * 2 ** Math.max(0, this.failures - 1));
  }

  /** Brings the pool back to its target after `delayMs`; replacements wait for one timer, so failures never stack up. */
  private scheduleReplacement(delayMs: number, replaces: PoolSlot['replaces'], serviceId?: string): void {
    if (serviceId !== undefined) {
      // Connect mode: each slot is one instance, retried on its own.
      const t = setTimeout(() => {
        if (!this.closing) void this.startSlot(replaces, this.serviceIds.indexOf(serviceId));
      }, delayMs);
      t.unref();
      return;
    }
    this.pendingReplaces.push(replaces);
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.fillToTarget();
    }, delayMs);
    this.retryTimer.unref();
  }

  private readonly pendingReplaces: PoolSlot['replaces'][] = [];

  private fillToTarget(): void {
    if (this.closing || this.mode === 'connect') return;
    while (this.liveCount() < this.target) void this.startSlot(this.pendingReplaces.shift());
    this.pendingReplaces.length = 0;
  }

  private onWorkerExit(
    slot: PoolSlot,
    info: { pid: number | undefined; code: number | null; signal: string | null },
  ): void {
    if (slot.state !== 'ready' && slot.state !== 'draining') return; // closed by us
    const wasDraining = slot.state === 'draining';
    const lived = Date.now() - slot.readyAt;
    this.emit('worker-exit', {
      worker: slot.name,
      pid: info.pid,
      code: info.code,
      signal: info.signal,
      inFlight: slot.inFlight,
    });
    // The worker rejects its in-flight calls with WORKER_EXITED right after this event; closing it
    // in the same turn would turn them into CLOSED, so the close waits a microtask.
    this.closeSlot(slot, true);
    if (this.closing || this.mode === 'connect') return;
    // A draining worker already has its replacement.
    if (wasDraining) return;
    if (lived >= HEALTHY_LIFETIME_MS) this.failures = 0;
    else this.failures++;
    this.lastError = new MultifrostError('WORKER_EXITED', `Worker ${slot.name} exited`, { details: { ...info } });
    this.scheduleReplacement(this.backoffDelay(), { name: slot.name, reason: 'exit' });
    this.pump();
  }

  /** Connect mode: the worker gave up following its service; connect to it anew, with backoff. */
  private onWorkerFailed(slot: PoolSlot, error: Error): void {
    if (slot.state !== 'ready') return;
    this.closeSlot(slot, true);
    this.failures++;
    this.lastError = error;
    if (this.closing) return;
    const retryInMs = this.backoffDelay();
    this.emit('worker-error', { worker: slot.name, error, failuresInARow: this.failures, retryInMs });
    this.scheduleReplacement(retryInMs, { name: slot.name, reason: 'exit' }, slot.serviceId);
  }

  private removeSlot(slot: PoolSlot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }

  /** Takes a slot out and closes its worker (the close is awaited by the pool's own close). */
  private closeSlot(slot: PoolSlot, afterThisTurn = false): void {
    slot.state = 'closing';
    this.removeSlot(slot);
    const worker = slot.worker;
    if (!worker) return;
    const closed = (afterThisTurn ? Promise.resolve().then(() => worker.close()) : worker.close()).catch(
      () => undefined,
    );
    this.closings.add(closed);
    void closed.finally(() => this.closings.delete(closed));
  }

  private invoke(fn: string, args: unknown[], options: CallOptions): Promise<unknown> {
    if (this.closing) return failLater(messages.poolClosed(this.name, fn, 'is closing'));
    const signal = options.signal;
    if (signal?.aborted) return failLater(messages.queuedAborted(this.name, fn, signal.reason));
    let ms: number;
    try {
      ms = timeoutMs(options.timeoutMs, 'timeoutMs', this.opts.defaultTimeoutMs);
    } catch (err) {
      return failLater(err as Error);
    }
    const now = performance.now();
    const i = pickSlot(this.slots, this.opts.strategy, this.opts.concurrency, this.cursor);
    if (i < 0 && this.queue.size >= this.opts.maxQueue) {
      this.stats.queueFull++;
      return failLater(messages.queueFull(this.name, fn, this.opts.maxQueue));
    }
    return new Promise((resolve, reject) => {
      const call: PoolCall = {
        gone: false,
        fn,
        args,
        options,
        deadline: Number.isFinite(ms) ? now + ms : Infinity,
        timeoutMs: ms,
        startedAt: now,
        retries: 0,
        timer: undefined,
        onAbort: undefined,
        resolve,
        reject,
      };
      this.stats.calls.total++;
      if (i >= 0) {
        this.cursor = (i + 1) % this.slots.length;
        this.dispatch(this.slots[i]!, call, false);
      } else this.enqueue(call, false);
    });
  }

  private enqueue(call: PoolCall, front: boolean): void {
    if (front) this.queue.pushFront(call);
    else this.queue.push(call);
    this.queuedSinceDrain = true;
    if (call.timer === undefined && Number.isFinite(call.deadline)) {
      call.timer = setTimeout(
        () => {
          if (call.gone) return;
          this.queue.remove(call);
          this.settleQueued(call, messages.queuedTimeout(this.name, call.fn, call.timeoutMs));
          this.stats.calls.timeouts++;
          this.noteQueueEmptied();
        },
        Math.max(1, call.deadline - performance.now()),
      );
    }
    const signal = call.options.signal;
    if (signal && !call.onAbort) {
      call.onAbort = () => {
        if (call.gone) return;
        this.queue.remove(call);
        this.settleQueued(call, messages.queuedAborted(this.name, call.fn, signal.reason));
        this.noteQueueEmptied();
      };
      signal.addEventListener('abort', call.onAbort, { once: true });
    }
    this.maybeGrow();
  }

  private unhook(call: PoolCall): void {
    if (call.timer !== undefined) clearTimeout(call.timer);
    call.timer = undefined;
    if (call.onAbort) call.options.signal?.removeEventListener('abort', call.onAbort);
    call.onAbort = undefined;
  }

  /** A call that never reached a worker. */
  private settleQueued(call: PoolCall, error: Error): void {
    this.unhook(call);
    call.gone = true;
    this.stats.calls.recordFailure(performance.now() - call.startedAt);
    call.reject(error);
    this.checkIdle();
  }

  private dispatch(slot: PoolSlot, call: PoolCall, waited: boolean): void {
    this.unhook(call);
    const worker = slot.worker!;
    slot.inFlight++;
    slot.calls++;
    slot.idleSince = undefined;
    this.inFlight++;
    let options = call.options;
    if (waited || call.retries > 0) {
      // The time spent waiting here comes off the call's timeout.
      const left = call.deadline - performance.now();
      if (left <= 0) {
        this.release(slot);
        this.stats.calls.timeouts++;
        this.settleQueued(call, messages.queuedTimeout(this.name, call.fn, call.timeoutMs));
        return;
      }
      if (Number.isFinite(left) && (call.options.timeoutMs !== undefined || this.explicitDefaultTimeout || waited))
        options = { ...call.options, timeoutMs: Math.max(1, Math.ceil(left)) };
    }
    worker.callFunction(call.fn, call.args, options).then(
      (value) => {
        this.release(slot);
        this.stats.calls.recordSuccess(performance.now() - call.startedAt);
        call.resolve(value);
        this.afterCall(slot);
      },
      (err: unknown) => {
        this.release(slot);
        if (this.shouldRetry(call, err)) {
          call.retries++;
          this.stats.retries++;
          this.enqueue(call, true);
          this.pump();
          return;
        }
        if (isMultifrostError(err) && err.code === 'TIMEOUT') this.stats.calls.timeouts++;
        this.stats.calls.recordFailure(performance.now() - call.startedAt);
        call.reject(err);
        this.afterCall(slot);
      },
    );
  }

  private release(slot: PoolSlot): void {
    slot.inFlight--;
    this.inFlight--;
    if (slot.inFlight === 0) slot.idleSince = Date.now();
  }

  private shouldRetry(call: PoolCall, err: unknown): boolean {
    const { retry } = this.opts;
    return (
      !this.closing &&
      isMultifrostError(err) &&
      err.code === 'WORKER_EXITED' &&
      retry.idempotent.has(call.fn) &&
      call.retries < retry.maxRetries
    );
  }

  private afterCall(slot: PoolSlot): void {
    if (slot.state === 'ready' && overMaxCalls(this.opts.recycle, slot)) this.retire(slot, 'maxCalls');
    if (slot.state === 'draining' && slot.inFlight === 0) this.closeSlot(slot);
    this.pump();
    this.checkIdle();
  }

  /** Hands queued calls to workers with room. */
  private pump(): void {
    while (this.queue.size > 0) {
      const i = pickSlot(this.slots, this.opts.strategy, this.opts.concurrency, this.cursor);
      if (i < 0) break;
      this.cursor = (i + 1) % this.slots.length;
      this.dispatch(this.slots[i]!, this.queue.shift()!, true);
    }
    if (this.queue.size > 0) this.maybeGrow();
    this.noteQueueEmptied();
  }

  private noteQueueEmptied(): void {
    if (this.queue.size === 0 && this.queuedSinceDrain) {
      this.queuedSinceDrain = false;
      this.emit('drain');
    }
  }

  /** One more worker while calls wait and there is room under maxWorkers (and no start is failing). */
  private maybeGrow(): void {
    if (this.closing || this.mode === 'connect' || this.retryTimer) return;
    const starting = this.slots.filter((s) => s.state === 'starting').length;
    if (starting >= this.queue.size) return;
    const live = this.liveCount();
    if (live >= this.opts.maxWorkers) return;
    this.target = Math.max(this.target, live + 1);
    this.emit('scale', { from: live, to: live + 1, reason: 'queue' });
    void this.startSlot(undefined);
  }

  /** Drains `slot` (no new calls, in-flight ones finish) and starts its replacement now. */
  private retire(slot: PoolSlot, reason: RecycleReason, rssMb?: number): void {
    slot.state = 'draining';
    this.stats.recycled++;
    this.emit('recycle', { worker: slot.name, pid: slot.pid, reason, ...(rssMb === undefined ? {} : { rssMb }) });
    if (slot.inFlight === 0) this.closeSlot(slot);
    if (!this.closing) void this.startSlot({ name: slot.name, reason: 'recycle' });
  }

  /** The periodic look: memory, idle recycling, and shrinking towards minWorkers. */
  private tick(): void {
    if (this.closing) return;
    const now = Date.now();
    for (const slot of [...this.slots]) {
      if (slot.state !== 'ready') continue;
      const why = periodicReason(this.opts.recycle, slot, now);
      if (why) this.retire(slot, why.reason, why.rssMb);
    }
    for (const slot of [...this.slots]) {
      const live = this.liveCount();
      if (live <= this.opts.minWorkers) break;
      if (slot.state !== 'ready' || slot.idleSince === undefined || now - slot.idleSince < this.opts.idleTimeoutMs)
        continue;
      this.target = Math.max(this.opts.minWorkers, live - 1);
      this.emit('scale', { from: live, to: live - 1, reason: 'idle' });
      this.closeSlot(slot);
    }
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0 || this.inFlight > 0 || this.queue.size > 0) return;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private async doClose(options: PoolCloseOptions): Promise<void> {
    const mode = options.mode ?? 'drain';
    if (mode !== 'drain' && mode !== 'cancel')
      throw new MultifrostError('INVALID_ARGUMENT', `close() mode must be 'drain' or 'cancel', got ${String(mode)}`);
    const graceMs = options.graceMs ?? this.opts.drainGraceMs;
    this.closing = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (mode === 'drain' && (this.inFlight > 0 || this.queue.size > 0)) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        timer = setTimeout(resolve, graceMs);
      });
      clearTimeout(timer);
    }
    for (const call of this.queue.drainAll())
      this.settleQueued(call, messages.poolClosed(this.name, call.fn, 'was closed before the call was sent'));
    this.noteQueueEmptied();
    for (const slot of [...this.slots]) if (slot.state !== 'starting') this.closeSlot(slot);
    // Workers still starting are closed as soon as their start settles (onStarted sees `closing`).
    while (this.starts.size > 0 || this.closings.size > 0) await Promise.all([...this.starts, ...this.closings]);
  }
}
