/**
 * One place in a pool: the ParentWorker in it (once started), its state as the pool sees it, and
 * the counts dispatch and recycling read. The worker's own state (ready, restarting, circuit) is
 * asked live, so a worker that is unhealthy is skipped without the pool copying its health.
 */
import type { ParentWorker } from './parent-worker.js';
import type { PoolWorkerMetrics, PoolWorkerState } from './pool-metrics.js';
import type { UntypedApi } from './proxy.js';

export class PoolSlot {
  state: PoolWorkerState = 'starting';
  worker: ParentWorker<UntypedApi> | undefined;
  inFlight = 0;
  calls = 0;
  readyAt = 0;
  idleSince: number | undefined;
  /** The worker's circuit, as its events report it (read per dispatch, so no snapshot is taken). */
  circuit: 'closed' | 'open' | 'half-open' = 'closed';
  /** The slot this one replaces, and why, for the 'worker-restart' event once it is ready. */
  replaces: { name: string; reason: 'exit' | 'recycle' | 'start-failed' } | undefined;

  constructor(
    readonly name: string,
    /** Connect mode: the service id this slot reaches (always the same one). */
    readonly serviceId?: string,
  ) {}

  /**
   * Takes calls now: ready, not draining, and the worker itself healthy; or its circuit is
   * half-open and nothing is in flight here, so one call can be the probe that closes it (a pool
   * that skipped half-open workers would leave their circuits open for good).
   */
  get open(): boolean {
    if (this.state !== 'ready' || this.worker === undefined) return false;
    return this.worker.isHealthy || (this.circuit === 'half-open' && this.inFlight === 0);
  }

  get pid(): number | undefined {
    return this.worker?.pid;
  }

  metrics(): PoolWorkerMetrics {
    return {
      worker: this.name,
      pid: this.pid,
      state: this.state,
      inFlight: this.inFlight,
      calls: this.calls,
      metrics: this.worker?.metrics,
    };
  }
}
