/**
 * The worker set of a pool: starting workers (first start, growth, replacement), noticing their
 * deaths, backing off when starts keep failing, recycling, and shrinking when idle. It knows
 * nothing of calls beyond each slot's counts; the pool's call side asks it for slots and is told
 * (`pump`) when one has room again.
 */
import { MultifrostError } from '@multifrost/protocol';
import type { ParentWorker } from './parent-worker.js';
import type { PoolHealth } from './pool-health.js';
import type { ResolvedPoolOptions, WorkerPoolEvents } from './pool-options.js';
import { overMaxCalls, periodicReason, type RecycleReason } from './pool-recycle.js';
import { PoolSlot } from './pool-slot.js';
import type { UntypedApi } from './proxy.js';

export type Starter = (slot: PoolSlot) => Promise<ParentWorker<UntypedApi>>;

/** What the worker set needs from the pool around it. */
export interface PoolWorkersHost {
  readonly closing: boolean;
  readonly queueSize: number;
  emit<K extends keyof WorkerPoolEvents>(event: K, ...args: WorkerPoolEvents[K]): boolean;
  /** A slot has room (or a worker became healthy): hand it queued calls. */
  pump(): void;
  /** No worker is running and a start just failed: waiting calls should learn why now. */
  noWorkerRunning(error: Error): void;
}

/** A worker that lived at least this long before dying is not an early death: the backoff starts over. */
const HEALTHY_LIFETIME_MS = 5_000;

export class PoolWorkers {
  readonly slots: PoolSlot[] = [];
  restarts = 0;
  recycled = 0;
  /** Workers wanted (minWorkers ≤ target ≤ maxWorkers); connect mode: one per instance. */
  private target: number;
  private serial = 0;
  private failures = 0;
  private lastError: Error | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly instanceTimers = new Set<ReturnType<typeof setTimeout>>();
  private tickTimer: ReturnType<typeof setInterval> | undefined;
  private readonly pendingReplaces: PoolSlot['replaces'][] = [];
  private readonly starts = new Set<Promise<unknown>>();
  private readonly closings = new Set<Promise<void>>();

  constructor(
    private readonly host: PoolWorkersHost,
    private readonly opts: ResolvedPoolOptions,
    private readonly mode: 'spawn' | 'connect',
    private readonly starter: Starter,
    /** Connect mode: the service ids, one slot each. */
    private readonly serviceIds: readonly string[],
  ) {
    this.target = mode === 'connect' ? serviceIds.length : opts.minWorkers;
  }

  /** Starts the first workers; resolves with how many started and the last start error. */
  async begin(): Promise<{ started: number; count: number; lastError: Error | undefined }> {
    const count = this.target;
    const first: Promise<boolean>[] = [];
    for (let i = 0; i < count; i++) first.push(this.startSlot(undefined, this.serviceIds[i]));
    const started = (await Promise.all(first)).filter(Boolean).length;
    if (started > 0) this.startTicking();
    return { started, count, lastError: this.lastError };
  }

  /** Workers started or starting (draining ones not counted). */
  liveCount(): number {
    let n = 0;
    for (const s of this.slots) if (s.state === 'starting' || s.state === 'ready') n++;
    return n;
  }

  health(): PoolHealth {
    const count = (state: PoolSlot['state']) => this.slots.filter((s) => s.state === state).length;
    return {
      healthy: this.slots.some((s) => s.open),
      workers: this.slots.length,
      ready: count('ready'),
      starting: count('starting'),
      draining: count('draining'),
      failuresInARow: this.failures,
      lastError: this.lastError,
    };
  }

  /** After a call on `slot` settled: recycle by count, finish a drain. */
  afterCall(slot: PoolSlot): void {
    if (slot.state === 'ready' && overMaxCalls(this.opts.recycle, slot)) this.retire(slot, 'maxCalls');
    if (slot.state === 'draining' && slot.inFlight === 0) this.closeSlot(slot);
  }

  /** One more worker while calls wait and there is room under maxWorkers (and no start is failing). */
  maybeGrow(): void {
    if (this.host.closing || this.mode === 'connect' || this.retryTimer) return;
    const starting = this.slots.filter((s) => s.state === 'starting').length;
    if (starting >= this.host.queueSize) return;
    const live = this.liveCount();
    if (live >= this.opts.maxWorkers) return;
    this.target = Math.max(this.target, live + 1);
    this.host.emit('scale', { from: live, to: live + 1, reason: 'queue' });
    void this.startSlot(undefined);
  }

  /** Stops the timers and closes every worker that is not still starting (those close when their start settles). */
  closeAll(): void {
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const t of this.instanceTimers) clearTimeout(t);
    this.instanceTimers.clear();
    for (const slot of [...this.slots]) if (slot.state !== 'starting') this.closeSlot(slot);
  }

  /** Resolves once no worker is starting or closing any more. */
  async settled(): Promise<void> {
    while (this.starts.size > 0 || this.closings.size > 0) await Promise.all([...this.starts, ...this.closings]);
  }

  private startTicking(): void {
    const { recycle, idleTimeoutMs, minWorkers, maxWorkers } = this.opts;
    if (this.mode !== 'spawn') return;
    if (recycle.maxRssMb === undefined && recycle.idleMs === undefined && maxWorkers === minWorkers) return;
    const every = Math.min(
      recycle.checkIntervalMs,
      Math.max(10, idleTimeoutMs / 4),
      recycle.idleMs !== undefined ? Math.max(10, recycle.idleMs / 4) : Infinity,
    );
    this.tickTimer = setInterval(() => this.tick(), every);
    this.tickTimer.unref();
  }

  /** Starts one worker in a new slot; resolves true once it is ready, false if its start failed. */
  private startSlot(replaces: PoolSlot['replaces'], serviceId?: string): Promise<boolean> {
    this.serial++;
    const slot = new PoolSlot(serviceId ?? `${this.opts.name}#${this.serial}`, serviceId);
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
    if (this.host.closing) {
      this.closeSlot(slot);
      return true;
    }
    slot.state = 'ready';
    slot.readyAt = Date.now();
    slot.idleSince = slot.readyAt;
    worker.on('exit', (info) => this.onWorkerExit(slot, info));
    worker.on('restart-failed', (error) => this.onWorkerFailed(slot, error));
    // Health as the worker reports it; a worker that recovers (or whose circuit lets a probe
    // through) takes calls again at once.
    const pump = () => this.host.pump();
    worker.on('ready', pump);
    worker.on('responsive', pump);
    worker.on('circuit-open', () => (slot.circuit = 'open'));
    worker.on('circuit-half-open', () => {
      slot.circuit = 'half-open';
      pump();
    });
    worker.on('circuit-close', () => {
      slot.circuit = 'closed';
      pump();
    });
    this.host.emit('worker-ready', { worker: slot.name, pid: slot.pid });
    const replaced = slot.replaces;
    if (replaced) {
      if (replaced.reason !== 'recycle') this.restarts++;
      this.host.emit('worker-restart', {
        worker: slot.name,
        pid: slot.pid,
        replaced: replaced.name,
        reason: replaced.reason,
      });
      slot.replaces = undefined;
    }
    this.host.pump();
    return true;
  }

  private onStartFailed(slot: PoolSlot, err: unknown): boolean {
    this.removeSlot(slot);
    const error = err instanceof Error ? err : new Error(String(err));
    this.lastError = error;
    this.failures++;
    if (this.host.closing) return false;
    const retryInMs = this.backoffDelay();
    this.host.emit('worker-error', { worker: slot.name, error, failuresInARow: this.failures, retryInMs });
    if (!this.slots.some((s) => s.state === 'ready')) this.host.noWorkerRunning(error);
    this.scheduleReplacement(retryInMs, slot.replaces ?? { name: slot.name, reason: 'start-failed' }, slot.serviceId);
    return false;
  }

  private backoffDelay(): number {
    const { initialDelayMs, maxDelayMs } = this.opts;
    return Math.min(maxDelayMs, initialDelayMs * 2 ** Math.max(0, this.failures - 1));
  }

  /** Brings the pool back to its target after `delayMs`; replacements share one timer, so failures never stack up. */
  private scheduleReplacement(delayMs: number, replaces: PoolSlot['replaces'], serviceId?: string): void {
    if (serviceId !== undefined) {
      // Connect mode: each slot is one instance, retried on its own.
      const t = setTimeout(() => {
        this.instanceTimers.delete(t);
        if (!this.host.closing) void this.startSlot(replaces, serviceId);
      }, delayMs);
      this.instanceTimers.add(t);
      t.unref();
      return;
    }
    this.pendingReplaces.push(replaces);
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.host.closing) return;
      while (this.liveCount() < this.target) void this.startSlot(this.pendingReplaces.shift());
      this.pendingReplaces.length = 0;
    }, delayMs);
    this.retryTimer.unref();
  }

  private onWorkerExit(
    slot: PoolSlot,
    info: { pid: number | undefined; code: number | null; signal: string | null },
  ): void {
    if (slot.state !== 'ready' && slot.state !== 'draining') return; // closed by us
    const wasDraining = slot.state === 'draining';
    const lived = Date.now() - slot.readyAt;
    this.host.emit('worker-exit', { worker: slot.name, ...info, pid: info.pid ?? slot.pid, inFlight: slot.inFlight });
    // The worker rejects its in-flight calls with WORKER_EXITED right after this event; closing it
    // in the same turn would turn them into CLOSED, so the close waits a microtask.
    this.closeSlot(slot, true);
    // A draining worker already has its replacement.
    if (this.host.closing || this.mode === 'connect' || wasDraining) return;
    if (lived >= HEALTHY_LIFETIME_MS) this.failures = 0;
    else this.failures++;
    this.lastError = new MultifrostError('WORKER_EXITED', `Worker ${slot.name} exited`, { details: { ...info } });
    this.scheduleReplacement(this.backoffDelay(), { name: slot.name, reason: 'exit' });
    this.host.pump();
  }

  /** Connect mode: the worker gave up following its service; connect to it anew, with backoff. */
  private onWorkerFailed(slot: PoolSlot, error: Error): void {
    if (slot.state !== 'ready') return;
    this.closeSlot(slot, true);
    this.failures++;
    this.lastError = error;
    if (this.host.closing) return;
    const retryInMs = this.backoffDelay();
    this.host.emit('worker-error', { worker: slot.name, error, failuresInARow: this.failures, retryInMs });
    this.scheduleReplacement(retryInMs, { name: slot.name, reason: 'exit' }, slot.serviceId);
  }

  private removeSlot(slot: PoolSlot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }

  /** Takes a slot out and closes its worker (awaited by `settled()`). */
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

  /** Drains `slot` (no new calls, in-flight ones finish) and starts its replacement now. */
  private retire(slot: PoolSlot, reason: RecycleReason, rssMb?: number): void {
    slot.state = 'draining';
    this.recycled++;
    this.host.emit('recycle', { worker: slot.name, pid: slot.pid, reason, ...(rssMb === undefined ? {} : { rssMb }) });
    if (slot.inFlight === 0) this.closeSlot(slot);
    if (!this.host.closing) void this.startSlot({ name: slot.name, reason: 'recycle' });
  }

  /** The periodic look: memory, idle recycling, and shrinking towards minWorkers. */
  private tick(): void {
    if (this.host.closing) return;
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
      this.host.emit('scale', { from: live, to: live - 1, reason: 'idle' });
      this.closeSlot(slot);
    }
  }
}
