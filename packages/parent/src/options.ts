/**
 * The options and events of a parent worker, in one place for the API reference. Units are
 * milliseconds everywhere (`...Ms`).
 */
import type { ProtocolVersion } from '@multifrost/protocol';
import type { ServiceRegistry } from '@multifrost/registry';
import type { TransportFactory, TransportOptions } from '@multifrost/transport-zmq';
import type { CircuitBreakerOptions } from './circuit-breaker.js';
import type { ParentSecurity } from './curve-client.js';
import type { OutputOption } from './output-sink.js';
import type { SpawnChannel } from './private-channel.js';
import type { ExitInfo } from './worker-process.js';

export interface CallOptions {
  /**
   * Reject with `TIMEOUT` after this long. Overrides `defaultTimeoutMs`; `Infinity` waits forever.
   * 0 is refused with `INVALID_ARGUMENT`. A timeout set here (or by `defaultTimeoutMs`) also
   * travels to the worker as `metadata.deadline`; on timeout the worker is sent `cancel`.
   * @default the worker's `defaultTimeoutMs` (60000)
   * @example worker.with({ timeoutMs: 500 }).call.slow()
   */
  timeoutMs?: number;
  /**
   * Aborting rejects the call at once with `ABORTED` and sends `cancel` to the worker.
   * @example worker.with({ signal: AbortSignal.timeout(1000) }).call.render(page)
   */
  signal?: AbortSignal;
  /**
   * Namespace to call into.
   * @default 'default'
   */
  namespace?: string;
  /**
   * Sent as `client_name`.
   * @default the worker's `clientName` option
   */
  clientName?: string;
  /**
   * Extra metadata sent with the call.
   * @example { metadata: { traceId: 'abc123' } }
   */
  metadata?: Record<string, unknown>;
  /**
   * Streams only: the most items held for one stream before the worker must wait (its credit
   * window). Credit goes back as items are taken, half a window at a time.
   * @default the worker's `streamWindow` (64)
   * @example worker.with({ streamWindow: 8 }).stream.frames(video)
   */
  streamWindow?: number;
}

export interface ParentWorkerOptions {
  /**
   * Name used in errors and as the output prefix.
   * @default the script's file name, or the service id
   */
  name?: string;
  /**
   * Timeout of calls that don't set their own; `Infinity` disables, 0 is refused. When set,
   * calls carry their deadline to the worker (`metadata.deadline`, read by `callContext().deadline`
   * and its `signal`); the built-in 60 s default is only enforced here (the parent rejects the call
   * and sends `cancel`), which keeps small calls small.
   * @default 60000
   */
  defaultTimeoutMs?: number;
  /**
   * Items held per stream before its producer pauses (docs/streaming.md#backpressure). A stream
   * has no timeout unless `with({ timeoutMs })` gives one: `defaultTimeoutMs` is for calls.
   * @default 64
   */
  streamWindow?: number;
  /**
   * Application heartbeat interval; 0 disables periodic heartbeats.
   * @default 5000
   */
  heartbeatIntervalMs?: number;
  /**
   * A heartbeat reply later than this is a miss.
   * @default 3000
   */
  heartbeatTimeoutMs?: number;
  /**
   * Consecutive misses (while no call is in flight) that mark the worker unresponsive.
   * @default 3
   */
  heartbeatMaxMisses?: number;
  /**
   * Circuit breaker settings, or `false` to disable it.
   * @default { failureThreshold: 5, resetTimeoutMs: 10000 }
   */
  circuitBreaker?: CircuitBreakerOptions | false;
  /**
   * Wire profile: `'v3'` (`comlink_ipc_v3`), `'v4'`, or `'auto'`: during start both are probed
   * (a heartbeat in each) and the one the worker answers is kept, v4 when it answers both.
   * @default 'auto'
   */
  protocol?: ProtocolVersion | 'auto';
  /** Default `client_name` of calls. */
  clientName?: string;
  /**
   * Longest output line kept whole, in bytes (spawn-mode pipes and connect-mode output messages).
   * A longer line comes in pieces of this size: the `output` handler gets `{ cut: true }` as its
   * third argument for each piece that ended at the cap, and a printed piece ends with
   * `[line cut at N bytes, continued below]`. Bounds what a worker that never writes a newline can
   * make the parent hold. An integer from 1 to 2^30; other values are `INVALID_ARGUMENT`.
   * @default 1048576 (1 MiB)
   */
  maxOutputLineBytes?: number;
  /**
   * The transport: a factory such as `zmqTransport({ sendTimeoutMs: 2000 })` from
   * `@multifrost/transport-zmq` (or another transport's factory), or, as before, a plain object of
   * ZeroMQ socket options.
   * @default zmqTransport()
   * @example { transport: zmqTransport({ sendTimeoutMs: 2000 }) }
   */
  transport?: TransportFactory | TransportOptions;
}

export interface RestartOptions {
  /**
   * Give up after this many failed attempts in a row.
   * @default 5
   */
  maxAttempts?: number;
  /**
   * Delay before the first attempt; doubles each attempt.
   * @default 100
   */
  initialDelayMs?: number;
  /**
   * Longest delay between attempts.
   * @default 5000
   */
  maxDelayMs?: number;
}

export interface SpawnOptions extends ParentWorkerOptions {
  /**
   * Program that runs the script.
   * @default inferred from the extension: `.ts` → Node with tsx, `.js` → Node, `.py` → `$PYTHON_BIN` or `python3`
   * @example { executable: 'python3.12' }
   */
  executable?: string;
  /**
   * Extra arguments after the script path.
   * @example { args: ['--verbose'] }
   */
  args?: string[];
  /**
   * Environment, merged over `process.env`.
   * @example { env: { LOG_LEVEL: 'debug' } }
   */
  env?: Record<string, string | undefined>;
  /**
   * Working directory of the worker, and the base of a relative script path (a relative `cwd` is
   * itself resolved against `process.cwd()`). Pass the script as
   * `new URL('./worker.ts', import.meta.url)` to find it wherever the app is started from.
   * @default process.cwd()
   */
  cwd?: string;
  /**
   * Where the worker's stdout/stderr go: printed with a `[name]` prefix, a handler, or ignored.
   * @default 'inherit'
   * @example { output: (line, stream) => log[stream](line) }
   */
  output?: OutputOption;
  /**
   * Restart the worker when it dies.
   * @default false
   * @example { autoRestart: { maxAttempts: 3, initialDelayMs: 200 } }
   */
  autoRestart?: boolean | RestartOptions;
  /**
   * spawn() rejects with `START_FAILED` if the worker has not answered a heartbeat by then (usually
   * a script that never calls `run()`). Also the limit of each restart.
   * @default 30000
   */
  startTimeoutMs?: number;
  /**
   * close(): shutdown message, then SIGTERM, then SIGKILL (to the worker's process group), all within this.
   * @default 5000
   */
  closeGraceMs?: number;
  /**
   * How the worker reaches us. `'private'`: an `ipc://` socket in a fresh 0700 directory, handed
   * over in `MULTIFROST_ENDPOINT` only, so no other local account can connect, take calls or
   * forge replies (not on Windows). `'tcp'`: a free port on 127.0.0.1, in `COMLINK_ZMQ_PORT` too,
   * which any local account can reach (see docs/security.md). `'auto'`: private for a Node worker
   * (a `.ts`/`.js`/`.mjs`/`.cjs` script run by Node or tsx) on the default transport, TCP for the
   * rest, such as public peers that read only `COMLINK_ZMQ_PORT`, and on Windows.
   * @default 'auto'
   * @example { channel: 'private' } // a non-Node worker that connects to MULTIFROST_ENDPOINT
   * @example { channel: 'tcp' }     // a Node script that connects to COMLINK_ZMQ_PORT itself
   */
  channel?: SpawnChannel;
}

export interface ConnectOptions extends ParentWorkerOptions {
  /**
   * connect() rejects if the service has not been found in the registry and answered a heartbeat
   * by then (`SERVICE_NOT_FOUND` or `START_FAILED`).
   * @default 5000
   */
  startTimeoutMs?: number;
  /**
   * The start (discovery) timeout, not a call timeout: the same as `startTimeoutMs`, which wins when both are set.
   * @deprecated use `startTimeoutMs`; for calls use `defaultTimeoutMs`.
   */
  timeoutMs?: number;
  /**
   * Registry to discover the service in: a `ServiceRegistry`, or a URL. `redis://host:6379/0` (or
   * `rediss://`) needs `@multifrost/registry-redis` installed; `file:///dir` is the file registry
   * in that directory. A registry made from a URL is closed with the worker; one passed in stays yours.
   * @default `MULTIFROST_REGISTRY`, else the file registry under `$MULTIFROST_HOME` (or `~/.multifrost`)
   * @example ParentWorker.connect('math', { registry: 'redis://10.0.0.5:6379/0' })
   */
  registry?: ServiceRegistry | string;
  /**
   * Where `stdout`/`stderr` messages from the service go.
   * @default 'inherit'
   */
  output?: OutputOption;
  /**
   * Connect as a CURVE client. `key` is our key pair (a `NAME.key_secret` file or
   * `{ publicKey, secretKey }`), which the service must allow; `serverKey` (Z85 or a certificate
   * file), when set, must equal the key in the service's registry entry. The parent connects with
   * the entry's key, so a process that lacks its secret is never talked to. Refusals, a mismatch
   * and an entry without a key fail with `AUTH_FAILED`; spawn mode refuses `security` with
   * `INVALID_ARGUMENT`.
   * @example { security: { curve: { key: 'keys/app.key_secret', serverKey: 'keys/vault.key' } } }
   */
  security?: ParentSecurity;
  /**
   * Allow talking to a service off loopback without CURVE (its registry entry names a host other
   * than 127.0.0.1/::1 and carries no CURVE key). Without it such a connect() fails with
   * `AUTH_FAILED`; with it a warning naming the endpoint goes to stderr.
   * @default `MULTIFROST_INSECURE=1`, else false
   */
  insecure?: boolean;
}

export interface RestartInfo {
  attempt: number;
  pid: number | undefined;
}

/** Typed events of a ParentWorker. */
export interface ParentWorkerEvents {
  /**
   * The worker is ready: once after start (emitted on the next turn, so a listener attached right
   * after `await ParentWorker.spawn(...)` hears it), and again after each successful restart.
   */
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
