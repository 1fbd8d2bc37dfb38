/**
 * The seam between the ParentWorker facade and how a worker is reached: a spawned process
 * (`SpawnSupervisor`) or a registered service (`ConnectSession`). The facade owns calls, health and
 * state; a strategy owns getting a worker to answer, keeping it, and letting it go.
 */
import type { AppId, MultifrostError } from '@multifrost/protocol';
import type { CallerTransport } from '@multifrost/transport-zmq';
import type { CallTable } from './call-table.js';
import type { HeartbeatMonitor } from './heartbeat.js';
import type { Metrics } from './metrics.js';
import type { OutputSink } from './output-sink.js';
import type { ExitInfo } from './worker-process.js';

/** What a strategy may use of the facade, and the lifecycle news it reports back. */
export interface WorkerHost {
  readonly name: string;
  readonly app: AppId;
  /**
   * `protocol: 'auto'` before any worker answered: the app ids to probe, in order of preference;
   * undefined once one is chosen (or when the user fixed it).
   */
  readonly appCandidates: readonly AppId[] | undefined;
  /** Keeps the app id the worker answered in. */
  chooseApp(app: AppId): void;
  readonly transport: CallerTransport;
  readonly heartbeat: HeartbeatMonitor;
  readonly calls: CallTable;
  /**
   * Rejects the calls in flight and fails the open streams with the error `makeError` gives for
   * each function: the worker will not answer them (`sendCancel`: tell it to stop producing, when
   * it may still be there).
   */
  failInFlight(makeError: (fn: string) => Error, sendCancel: boolean): void;
  readonly metrics: Metrics;
  readonly sink: OutputSink;
  /** True once close() has begun: start and restart loops stop at the next step. */
  readonly closing: boolean;
  /** True while the worker is up and calls are being sent. */
  readonly ready: boolean;
  /** The worker process exited (any time). */
  exited(info: ExitInfo): void;
  /** The ready worker died; `restarting` says whether the strategy is bringing up another. */
  lost(info: ExitInfo, restarting: boolean): void;
  /** A restarted worker answers again. */
  restarted(attempt: number, pid: number | undefined): void;
  /** The strategy gave up restarting. */
  restartFailed(error: MultifrostError): void;
}

export interface WorkerStrategy {
  readonly mode: 'spawn' | 'connect';
  /** PID of the worker process, when we started it. */
  readonly pid: number | undefined;
  /** Brings the worker up; resolves once it answered a heartbeat. */
  start(): Promise<void>;
  /** Releases what a failed start() left behind (a half-started process). */
  abortStart(): Promise<void>;
  /** The worker missed `misses` heartbeats in a row while idle. */
  unresponsive(misses: number): void;
  /** Lets the worker go (spawn: shutdown, then signals); the facade closes the transport after. */
  close(): Promise<void>;
  /** The error of a call made after the worker was lost for good. */
  notRunning(fn?: string): MultifrostError;
}
