/**
 * A pool's metrics: its own counters and latency ring (measured from the call to its settling, so
 * time spent in the pool's queue counts), plus each live worker's ordinary `metrics` snapshot.
 */
import { Metrics, type MetricsSnapshot } from './metrics.js';

export type PoolWorkerState = 'starting' | 'ready' | 'draining' | 'closing';

export interface PoolWorkerMetrics {
  worker: string;
  pid: number | undefined;
  state: PoolWorkerState;
  /** Calls the pool has in flight on this worker. */
  inFlight: number;
  /** Calls this worker has been given since it started. */
  calls: number;
  /** The worker's own snapshot (latency without queue time, heartbeat RTT, circuit). */
  metrics: MetricsSnapshot | undefined;
}

export interface PoolMetricsSnapshot {
  requestsTotal: number;
  requestsSucceeded: number;
  requestsFailed: number;
  errorRate: number;
  timeouts: number;
  /** Calls refused with QUEUE_FULL. */
  queueFull: number;
  /** Calls resent after their worker died (retry.idempotent). */
  retries: number;
  inFlight: number;
  queueSize: number;
  /** From the call to its settling, queue time included. */
  latencyMs: MetricsSnapshot['latencyMs'];
  /** Workers replaced after dying or failing to start. */
  restarts: number;
  /** Workers replaced by recycling. */
  recycled: number;
  workers: PoolWorkerMetrics[];
  timestamp: number;
}

export class PoolMetrics {
  readonly calls = new Metrics();
  queueFull = 0;
  retries = 0;
  recycled = 0;

  snapshot(inFlight: number, queueSize: number, workers: PoolWorkerMetrics[]): PoolMetricsSnapshot {
    const s = this.calls.snapshot({
      inFlight,
      circuit: { state: 'closed', trips: 0, consecutiveFailures: 0 },
      droppedMessages: 0,
    });
    return {
      requestsTotal: s.requestsTotal,
      requestsSucceeded: s.requestsSucceeded,
      requestsFailed: s.requestsFailed,
      errorRate: s.errorRate,
      timeouts: s.timeouts,
      queueFull: this.queueFull,
      retries: this.retries,
      inFlight,
      queueSize,
      latencyMs: s.latencyMs,
      restarts: s.restarts,
      recycled: this.recycled,
      workers,
      timestamp: s.timestamp,
    };
  }
}
