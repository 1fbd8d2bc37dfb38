/**
 * Call metrics kept by a parent: counters, a ring of recent latencies for percentiles, heartbeat
 * RTT. `snapshot()` returns one plain object, cheap enough to poll.
 */
import type { CircuitState } from './circuit-breaker.js';

const LATENCY_SAMPLES = 1000;
const RTT_SAMPLES = 100;

export interface MetricsSnapshot {
  requestsTotal: number;
  requestsSucceeded: number;
  requestsFailed: number;
  /** Failed / total, 0 when nothing was sent. */
  errorRate: number;
  timeouts: number;
  inFlight: number;
  latencyMs: { avg: number; p50: number; p95: number; p99: number; min: number; max: number };
  heartbeat: { rttLastMs: number | undefined; rttAvgMs: number | undefined; misses: number };
  restarts: number;
  circuit: { state: CircuitState; trips: number; consecutiveFailures: number };
  /** Messages the transport dropped as malformed. */
  droppedMessages: number;
  /**
   * Streams (docs/streaming.md): opened, open now, and how the others ended; items received, and
   * the bytes of the binary and string items among them (strings counted in characters).
   */
  streams: {
    opened: number;
    open: number;
    ended: number;
    failed: number;
    cancelled: number;
    items: number;
    bytes: number;
  };
  /** Unix ms when the snapshot was taken. */
  timestamp: number;
}

class Ring {
  private readonly values: Float64Array;
  private next = 0;
  private count = 0;
  constructor(size: number) {
    this.values = new Float64Array(size);
  }
  push(v: number): void {
    this.values[this.next] = v;
    this.next = (this.next + 1) % this.values.length;
    if (this.count < this.values.length) this.count++;
  }
  sorted(): Float64Array {
    return this.values.slice(0, this.count).sort();
  }
  get size(): number {
    return this.count;
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(Math.floor(sorted.length * p), sorted.length - 1)]!;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

export class Metrics {
  total = 0;
  succeeded = 0;
  failed = 0;
  timeouts = 0;
  restarts = 0;
  heartbeatMisses = 0;
  /** Stream counters, kept by stream-table.ts. */
  readonly streams = { opened: 0, ended: 0, failed: 0, cancelled: 0, items: 0, bytes: 0 };
  private readonly latency = new Ring(LATENCY_SAMPLES);
  private readonly rtt = new Ring(RTT_SAMPLES);
  private rttLast: number | undefined;

  recordSuccess(latencyMs: number): void {
    this.succeeded++;
    this.latency.push(latencyMs);
  }

  recordFailure(latencyMs?: number): void {
    this.failed++;
    if (latencyMs !== undefined) this.latency.push(latencyMs);
  }

  recordRtt(ms: number): void {
    this.rttLast = ms;
    this.rtt.push(ms);
  }

  get lastRttMs(): number | undefined {
    return this.rttLast;
  }

  snapshot(extra: { inFlight: number; circuit: MetricsSnapshot['circuit']; droppedMessages: number }): MetricsSnapshot {
    const lat = this.latency.sorted();
    const rtts = this.rtt.sorted();
    let sum = 0;
    for (const v of lat) sum += v;
    let rttSum = 0;
    for (const v of rtts) rttSum += v;
    const done = this.succeeded + this.failed;
    return {
      requestsTotal: this.total,
      requestsSucceeded: this.succeeded,
      requestsFailed: this.failed,
      errorRate: done === 0 ? 0 : round(this.failed / done),
      timeouts: this.timeouts,
      inFlight: extra.inFlight,
      latencyMs: {
        avg: lat.length ? round(sum / lat.length) : 0,
        p50: round(percentile(lat, 0.5)),
        p95: round(percentile(lat, 0.95)),
        p99: round(percentile(lat, 0.99)),
        min: lat.length ? round(lat[0]!) : 0,
        max: lat.length ? round(lat[lat.length - 1]!) : 0,
      },
      heartbeat: {
        rttLastMs: this.rttLast === undefined ? undefined : round(this.rttLast),
        rttAvgMs: rtts.length ? round(rttSum / rtts.length) : undefined,
        misses: this.heartbeatMisses,
      },
      restarts: this.restarts,
      circuit: extra.circuit,
      droppedMessages: extra.droppedMessages,
      streams: {
        ...this.streams,
        open: this.streams.opened - this.streams.ended - this.streams.failed - this.streams.cancelled,
      },
      timestamp: Date.now(),
    };
  }
}
