/**
 * WorkerPool: one typed proxy over several workers. Each worker is an ordinary ParentWorker (spawned
 * with the pool's spawn options, or connected to one registered instance), so the pool holds no
 * wire code. This file is the call side: the queue, the choice of worker per call, timeouts and
 * aborts while waiting, opt-in retries, and close. The worker set (start, replace, recycle, grow,
 * shrink) is pool-workers.ts. Per-worker `autoRestart` is off; the pool replaces a dead worker
 * itself, which keeps its counts right and lets queued calls go to the other workers meanwhile.
 */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MultifrostError, isMultifrostError } from '@multifrost/protocol';
import { timeoutMs } from './durations.js';
import { failLater } from './fail-later.js';
import { listFunctions } from './list-functions.js';
import { boundView } from './view.js';
import type { CallOptions } from './options.js';
import { DEFAULT_STREAM_WINDOW, OPEN_STREAM, ParentWorker, isWindow } from './parent-worker.js';
import { pickSlot } from './pool-dispatch.js';
import type { PoolHealth } from './pool-health.js';
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
import type { PoolSlot } from './pool-slot.js';
import { PoolWorkers, type Starter } from './pool-workers.js';
import { registryFor } from './registry-url.js';
import {
  createCallProxy,
  createStreamProxy,
  type Remote,
  type StreamView,
  type Streams,
  type UntypedApi,
  type WorkerView,
} from './proxy.js';
import { RemoteStream } from './remote-stream.js';

interface PoolCall extends Waiting {
  fn: string;
  args: unknown[];
  /**
   * What runs on the chosen worker instead of a call (a stream), settling when it is over; such
   * work is never retried (a stream is never replayed).
   */
  run: ((worker: ParentWorker, options: CallOptions) => Promise<unknown>) | undefined;
  options: CallOptions;
  /** performance.now() ms; Infinity for none. */
  deadline: number;
  timeoutMs: number;
  startedAt: number;
  retries: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  onAbort: (() => void) | undefined;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface PoolCloseOptions {
  /**
   * `'drain'`: no new calls; queued and in-flight calls finish (within `graceMs`, then the rest is
   * cancelled). `'cancel'`: queued calls reject with `CLOSED` at once, in-flight ones as their
   * workers close.
   * @default 'drain'
   */
  mode?: 'drain' | 'cancel';
  /** @default the pool's `drainGraceMs` (5000) */
  graceMs?: number;
}

export class WorkerPool<T = UntypedApi> extends EventEmitter<WorkerPoolEvents> implements WorkerView<T>, StreamView<T> {
  /** Calls with the default options: `await pool.call.predict(x)`. */
  readonly call: Remote<T>;
  /** Streams, each pinned to one worker until it is over: `for await (const t of pool.stream.tokens('hi'))`. */
  readonly stream: Streams<T>;
  readonly name: string;
  readonly mode: 'spawn' | 'connect';

  private readonly opts: ResolvedPoolOptions;
  private readonly workers: PoolWorkers;
  private readonly slots: PoolSlot[];
  private readonly queue = new PoolQueue<PoolCall>();
  private readonly stats = new PoolMetrics();
  /** The user chose `defaultTimeoutMs`: calls carry their remaining time to the worker. */
  private readonly explicitDefaultTimeout: boolean;
  private cursor = 0;
  private inFlight = 0;
  private queuedSinceDrain = false;
  private closing = false;
  private closePromise: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];

  private constructor(
    mode: 'spawn' | 'connect',
    opts: ResolvedPoolOptions,
    explicitTimeout: boolean,
    starter: Starter,
    serviceIds: readonly string[] = [],
  ) {
    super();
    this.mode = mode;
    this.opts = opts;
    this.name = opts.name;
    this.explicitDefaultTimeout = explicitTimeout;
    const self = this;
    this.workers = new PoolWorkers(
      {
        get closing() {
          return self.closing;
        },
        get queueSize() {
          return self.queue.size;
        },
        emit: (event, ...args) => (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args),
        pump: () => this.pump(),
        noWorkerRunning: (error) => {
          // With no worker left to run them, waiting calls learn why now instead of at their timeouts.
          for (const call of this.queue.drainAll())
            this.settleQueued(call, messages.noWorkerCanStart(this.name, call.fn, error));
          this.noteQueueEmptied();
        },
      },
      opts,
      mode,
      starter,
      serviceIds,
    );
    this.slots = this.workers.slots;
    this.call = createCallProxy<T>((fn, args) => this.invoke(fn, args, {}));
    this.stream = createStreamProxy<T>((fn, args) => this.makeStream(fn, args, {}));
  }

  /**
   * Spawns `minWorkers` (or `size`) workers running `script`, each like `ParentWorker.spawn(script,
   * options)`, and resolves once every one has started or failed its first start; it rejects with
   * `START_FAILED` only when none started (the others are retried in the background).
   */
  static async spawn<T = UntypedApi>(script: string | URL, options: PoolSpawnOptions = {}): Promise<WorkerPool<T>> {
    const file = typeof script === 'string' && !script.startsWith('file:') ? script : fileURLToPath(script);
    const python =
      options.executable === undefined ? file.endsWith('.py') : /python/i.test(path.basename(options.executable));
    const opts = resolvePoolOptions(options, options.name ?? path.basename(file), python);
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
    if (Array.isArray(ids)) {
      list = [...new Set(ids as readonly string[])];
      if (list.length === 0 || list.some((id) => typeof id !== 'string' || id === ''))
        throw new MultifrostError('INVALID_ARGUMENT', 'WorkerPool.connect needs at least one non-empty service id', {
          details: { ids },
        });
    } else {
      const prefix = (ids as { prefix?: unknown } | undefined)?.prefix;
      if (typeof prefix !== 'string')
        throw new MultifrostError('INVALID_ARGUMENT', 'WorkerPool.connect takes a list of ids or { prefix: string }', {
          details: { ids },
        });
      const chosen = registryFor(options.registry);
      try {
        list = (await chosen.registry.list(prefix)).map((e) => e.serviceId);
      } finally {
        if (chosen.owned) await chosen.registry.close?.();
      }
      if (list.length === 0) throw messages.noInstances(options.name ?? prefix, prefix);
    }
    const opts = resolvePoolOptions(options, options.name ?? list[0]!, false, list.length);
    const connectOptions = workerOptions(options);
    const pool = new WorkerPool<T>(
      'connect',
      opts,
      options.defaultTimeoutMs !== undefined,
      (slot) => ParentWorker.connect(slot.serviceId!, { ...connectOptions, name: slot.serviceId }),
      list,
    );
    return pool.begin();
  }

  /** A view of the pool whose calls use these options: `pool.with({ timeoutMs: 500 }).call.f()`. */
  with(options: CallOptions): WorkerView<T> & StreamView<T> {
    return boundView<T>(
      options,
      (fn, args, o) => this.invoke(fn, args, o),
      (fn, args, o) => this.makeStream(fn, args, o),
    );
  }

  /** Calls a function by name on one worker (what `pool.call.name(...args)` does). */
  callFunction<R = unknown>(fn: string, args: unknown[] = [], options: CallOptions = {}): Promise<R> {
    return this.invoke(fn, args, options) as Promise<R>;
  }

  /** The functions the workers expose (asked of one of them: they all run the same code). */
  listFunctions(options: CallOptions = {}): Promise<string[]> {
    return listFunctions((fn) => this.invoke(fn, [], options));
  }

  /**
   * A stream is pinned to one worker: the pool picks it like a call (waiting in the queue when
   * every worker is busy), counts it as in flight there until it is over, and never moves or
   * replays it (docs/pools.md#streams). Nothing happens before the first `next()`.
   */
  private makeStream(fn: string, args: unknown[], options: CallOptions): RemoteStream<unknown> {
    const w = options.streamWindow ?? this.opts.streamWindow;
    const window = isWindow(w) ? w : DEFAULT_STREAM_WINDOW;
    return new RemoteStream(fn, window, (stream) => {
      const run = (worker: ParentWorker, opts: CallOptions) =>
        new Promise<unknown>((resolve) => {
          // Cancelled while it waited for a worker: nothing to open.
          if (stream.settled) return resolve(undefined);
          stream.onFinal = resolve;
          worker[OPEN_STREAM](stream, fn, args, opts);
        });
      this.invoke(fn, args, options, run).then(undefined, (err: unknown) =>
        stream.fail(err instanceof Error ? err : new Error(String(err)), 'neutral', false),
      );
    });
  }

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
    return this.workers.liveCount();
  }

  /** PIDs of the running workers (spawn mode). */
  get pids(): number[] {
    return this.slots.flatMap((s) => (s.state === 'ready' && s.pid !== undefined ? [s.pid] : []));
  }

  /** At least one worker takes calls. */
  get isHealthy(): boolean {
    return this.slots.some((s) => s.open);
  }

  get health(): PoolHealth {
    return this.workers.health();
  }

  get metrics(): PoolMetricsSnapshot {
    this.stats.calls.restarts = this.workers.restarts;
    this.stats.recycled = this.workers.recycled;
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
    const { started, count, lastError } = await this.workers.begin();
    if (started === 0) {
      await this.close({ mode: 'cancel' });
      throw messages.allStartsFailed(this.name, count, lastError);
    }
    return this;
  }

  private invoke(
    fn: string,
    args: unknown[],
    options: CallOptions,
    run?: (worker: ParentWorker, options: CallOptions) => Promise<unknown>,
  ): Promise<unknown> {
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
        run,
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
    this.workers.maybeGrow();
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
    (call.run ? call.run(worker, options) : worker.callFunction(call.fn, call.args, options)).then(
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
      call.run === undefined &&
      isMultifrostError(err) &&
      // A service on another host that died looks unreachable, not exited: the parent cannot tell.
      (err.code === 'WORKER_EXITED' || err.code === 'WORKER_UNREACHABLE') &&
      retry.idempotent.has(call.fn) &&
      call.retries < retry.maxRetries
    );
  }

  private afterCall(slot: PoolSlot): void {
    this.workers.afterCall(slot);
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
    if (this.queue.size > 0) this.workers.maybeGrow();
    this.noteQueueEmptied();
  }

  private noteQueueEmptied(): void {
    if (this.queue.size === 0 && this.queuedSinceDrain) {
      this.queuedSinceDrain = false;
      this.emit('drain');
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
    // Workers still starting are closed as soon as their start settles.
    this.workers.closeAll();
    await this.workers.settled();
  }
}
