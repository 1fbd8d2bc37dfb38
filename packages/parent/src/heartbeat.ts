/**
 * Application heartbeats (`heartbeat` in [docs/protocol.md](../../../docs/protocol.md)): one probe per interval, RTT measured from our own send
 * time, a reply counts only within the timeout, N consecutive misses mark the worker unresponsive.
 * A miss while calls are in flight and the ZMTP connection is up is not counted: the worker is
 * busy (a long CPU-bound handler), not dead — libzmq's own heartbeats prove the peer is there.
 */
import {
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_HEARTBEAT_MAX_MISSES,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  createHeartbeat,
  type AppId,
  type HeartbeatMessage,
} from '@multifrost/protocol';
import { durationMs } from './durations.js';

export interface HeartbeatOptions {
  intervalMs: number;
  timeoutMs: number;
  maxMisses: number;
}

/** The heartbeat settings of a worker's options, checked, with the defaults filled in. */
export function heartbeatOptions(options: {
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  heartbeatMaxMisses?: number;
}): HeartbeatOptions {
  return {
    intervalMs: durationMs(options.heartbeatIntervalMs, 'heartbeatIntervalMs', DEFAULT_HEARTBEAT_INTERVAL_MS),
    timeoutMs: durationMs(options.heartbeatTimeoutMs, 'heartbeatTimeoutMs', DEFAULT_HEARTBEAT_TIMEOUT_MS),
    maxMisses: Math.max(1, options.heartbeatMaxMisses ?? DEFAULT_HEARTBEAT_MAX_MISSES),
  };
}

export interface HeartbeatHooks {
  app: AppId;
  send(msg: HeartbeatMessage): Promise<void>;
  /** True when a miss should not count (calls in flight on a live connection). */
  isBusy(): boolean;
  onRtt(ms: number): void;
  onMiss(consecutive: number): void;
  onUnresponsive(misses: number): void;
  onResponsive(): void;
}

interface Probe {
  sentAt: number;
  resolve: (rttMs: number) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class HeartbeatMonitor {
  private readonly probes = new Map<string, Probe>();
  private interval: NodeJS.Timeout | undefined;
  private misses = 0;
  private unresponsive = false;
  /** Extra keys every probe carries (the connect-mode output opt-in). */
  private extraMetadata: Record<string, unknown> | undefined;

  constructor(
    private readonly options: HeartbeatOptions,
    private readonly hooks: HeartbeatHooks,
  ) {}

  /** The probe interval (0: no periodic heartbeats). */
  get intervalMs(): number {
    return this.options.intervalMs;
  }

  get isUnresponsive(): boolean {
    return this.unresponsive;
  }

  get consecutiveMisses(): number {
    return this.misses;
  }

  /** Adds keys to the metadata of every later heartbeat; peers ignore keys they do not know. */
  addMetadata(metadata: Record<string, unknown>): void {
    this.extraMetadata = { ...this.extraMetadata, ...metadata };
  }

  /**
   * The extras for calls to carry too, only when no periodic heartbeat does: a service forgets an
   * output subscriber it has not heard from in a while, and a call must be able to renew it.
   */
  get callMetadata(): Record<string, unknown> | undefined {
    return this.options.intervalMs > 0 ? undefined : this.extraMetadata;
  }

  /** Sends one heartbeat; resolves with the RTT in ms, rejects after `timeoutMs`. */
  probe(timeoutMs: number, app: AppId = this.hooks.app): Promise<number> {
    const msg = createHeartbeat(app);
    // hb_timestamp stays: the extras go first so they can never overwrite the protocol's own key.
    if (this.extraMetadata) msg.metadata = { ...this.extraMetadata, ...msg.metadata };
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.probes.delete(msg.id);
        reject(new Error(`no heartbeat reply within ${timeoutMs} ms`));
      }, timeoutMs);
      const probe: Probe = { sentAt: performance.now(), resolve, reject, timer };
      this.probes.set(msg.id, probe);
      // RTT counts from when libzmq took the message: a probe queued while no worker was
      // connected yet (start-up) must not report the start-up time as latency.
      // A failed send is just a missed beat; the timer above reports it.
      this.hooks.send(msg).then(
        () => (probe.sentAt = performance.now()),
        () => {},
      );
    });
  }

  /** Feeds a heartbeat message from the worker; true if it answered one of our probes. */
  onReply(msg: HeartbeatMessage): boolean {
    const probe = this.probes.get(msg.id);
    if (!probe) return false;
    this.probes.delete(msg.id);
    clearTimeout(probe.timer);
    const rtt = performance.now() - probe.sentAt;
    this.hooks.onRtt(rtt);
    probe.resolve(rtt);
    return true;
  }

  start(): void {
    if (this.interval || this.options.intervalMs <= 0) return;
    this.interval = setInterval(() => this.beat(), this.options.intervalMs);
    this.interval.unref();
  }

  stop(): void {
    if (this.interval) clearInterval(this.interval);
    this.interval = undefined;
    for (const probe of this.probes.values()) {
      clearTimeout(probe.timer);
      probe.reject(new Error('heartbeats stopped'));
    }
    this.probes.clear();
  }

  /** Forget misses (after a restart: a new process has a clean record). */
  reset(): void {
    this.misses = 0;
    this.unresponsive = false;
  }

  private beat(): void {
    this.probe(this.options.timeoutMs).then(
      () => {
        this.misses = 0;
        if (this.unresponsive) {
          this.unresponsive = false;
          this.hooks.onResponsive();
        }
      },
      () => {
        if (!this.interval) return;
        if (this.hooks.isBusy()) return;
        this.misses++;
        this.hooks.onMiss(this.misses);
        if (this.misses >= this.options.maxMisses && !this.unresponsive) {
          this.unresponsive = true;
          this.hooks.onUnresponsive(this.misses);
        }
      },
    );
  }
}
