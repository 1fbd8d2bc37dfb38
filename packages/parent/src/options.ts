/**
 * The options and events of a parent worker, in one place for the API reference. Units are
 * milliseconds everywhere (`...Ms`).
 */
import type { ProtocolVersion } from '@multifrost/protocol';
import type { ServiceRegistry } from '@multifrost/registry';
import type { TransportOptions } from '@multifrost/transport-zmq';
import type { CircuitBreakerOptions } from './circuit-breaker.js';
import type { OutputOption } from './output-sink.js';
import type { ExitInfo } from './worker-process.js';

export interface CallOptions {
  /**
   * Reject with `TIMEOUT` after this long. Overrides `defaultTimeoutMs`; `Infinity` waits forever.
   * A timeout set here (or by `defaultTimeoutMs`) also travels to the worker as `metadata.deadline`.
   */
  timeoutMs?: number;
  /** Aborting rejects the call at once with `ABORTED` and sends `cancel` to the worker. */
  signal?: AbortSignal;
  /** Namespace to call into. Default `"default"`. */
  namespace?: string;
  /** Sent as `client_name`. */
  clientName?: string;
  /** Extra metadata sent with the call. */
  metadata?: Record<string, unknown>;
}

export interface ParentWorkerOptions {
  /** Name used in errors and as the output prefix. Default: the script's file name or the service id. */
  name?: string;
  /**
   * Timeout of calls that don't set their own. Default 60000 ms; `Infinity` disables. When set, calls
   * carry their deadline to the worker (`metadata.deadline`, read by `callContext().deadline` and
   * its `signal`); the built-in 60 s default is only enforced here (the parent rejects the call and
   * sends `cancel`), which keeps small calls small.
   */
  defaultTimeoutMs?: number;
  /** Application heartbeat interval. Default 5000 ms; 0 disables periodic heartbeats. */
  heartbeatIntervalMs?: number;
  /** A heartbeat reply later than this is a miss. Default 3000 ms. */
  heartbeatTimeoutMs?: number;
  /** Consecutive misses that mark the worker unresponsive. Default 3. */
  heartbeatMaxMisses?: number;
  /** Circuit breaker settings, or `false` to disable it. */
  circuitBreaker?: CircuitBreakerOptions | false;
  /** Wire profile: `'v3'` (default, `comlink_ipc_v3`) or `'v4'`. */
  protocol?: ProtocolVersion;
  /** Default `client_name` of calls. */
  clientName?: string;
  /** Socket options. */
  transport?: TransportOptions;
}

export interface RestartOptions {
  /** Give up after this many failed attempts in a row. Default 5. */
  maxAttempts?: number;
  /** Delay before the first attempt; doubles each attempt. Default 100 ms. */
  initialDelayMs?: number;
  /** Longest delay between attempts. Default 5000 ms. */
  maxDelayMs?: number;
}

export interface SpawnOptions extends ParentWorkerOptions {
  /** Program that runs the script. Default: inferred from the extension (see README). */
  executable?: string;
  /** Extra arguments after the script path. */
  args?: string[];
  /** Environment, merged over `process.env`. */
  env?: Record<string, string | undefined>;
  /**
   * Working directory of the worker, and the base of a relative script path (a relative `cwd` is
   * itself resolved against `process.cwd()`). Default `process.cwd()`. Pass the script as
   * `new URL('./worker.ts', import.meta.url)` to find it wherever the app is started from.
   */
  cwd?: string;
  /** Where the worker's stdout/stderr go. Default `'inherit'`: printed with a `[name]` prefix. */
  output?: OutputOption;
  /** Restart the worker when it dies. Default false. */
  autoRestart?: boolean | RestartOptions;
  /**
   * spawn() rejects with `START_FAILED` if the worker has not answered a heartbeat by then (usually
   * a script that never calls `run()`). Default 30000 ms.
   */
  startTimeoutMs?: number;
  /** close(): shutdown message, then SIGTERM, then SIGKILL, all within this. Default 5000 ms. */
  closeGraceMs?: number;
}

export interface ConnectOptions extends ParentWorkerOptions {
  /** How long to wait for the service to be registered and answer. Default 5000 ms. */
  timeoutMs?: number;
  /** Registry to discover the service in. Default: the file registry. */
  registry?: ServiceRegistry;
  /** Where `stdout`/`stderr` messages from the service go. Default `'inherit'`. */
  output?: OutputOption;
}

export interface RestartInfo {
  attempt: number;
  pid: number | undefined;
}

/** Typed events of a ParentWorker. */
export interface ParentWorkerEvents {
  ready: [];
  exit: [info: ExitInfo];
  restart: [info: RestartInfo];
  'restart-failed': [error: Error];
  'circuit-open': [info: { consecutiveFailures: number }];
  'circuit-half-open': [];
  'circuit-close': [];
  unresponsive: [info: { misses: number }];
  responsive: [];
  stdout: [line: string];
  stderr: [line: string];
}
