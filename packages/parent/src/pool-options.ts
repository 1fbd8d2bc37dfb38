/**
 * The options and events of a worker pool, and the one place they are checked, so a bad value is
 * refused with INVALID_ARGUMENT naming the option before any process starts.
 */
import { MultifrostError } from '@multifrost/protocol';
import { durationMs, timeoutMs } from './durations.js';
import type { ConnectOptions, SpawnOptions } from './options.js';

export type PoolStrategy = 'least-loaded' | 'round-robin';

export interface RecycleOptions {
  /** Replace a worker once it has served this many calls. */
  maxCalls?: number;
  /** Replace a worker whose resident memory (VmRSS, read from /proc by the parent) exceeds this. */
  maxRssMb?: number;
  /** Replace a worker that has been idle this long (frees what a long-lived process accumulated). */
  idleMs?: number;
  /**
   * How often RSS and idleness are looked at.
   * @default 1000
   */
  checkIntervalMs?: number;
}

export interface PoolRetryOptions {
  /** Functions safe to run twice: a call of one of them lost with its worker is sent again. */
  idempotent: readonly string[];
  /**
   * Extra attempts per call.
   * @default 1
   */
  maxRetries?: number;
}

export interface PoolBackoffOptions {
  /**
   * Delay before replacing a worker that died or failed to start; doubles with each failure in a row.
   * @default 100
   */
  initialDelayMs?: number;
  /**
   * Longest delay between attempts.
   * @default 5000
   */
  maxDelayMs?: number;
}

/** What every pool takes, whichever way its workers are reached. */
export interface PoolCommonOptions {
  /** Name used in errors and as the prefix of each worker's name (`name#1`, `name#2`, ...). */
  name?: string;
  /**
   * Calls one worker is given at once; the rest wait in the pool's queue.
   * @default 1 for a `.py` script (sync Python handlers run one at a time), else 64 (the child's own `maxConcurrency`)
   */
  concurrency?: number;
  /**
   * `'least-loaded'`: the worker with the fewest calls in flight (ties rotate). `'round-robin'`: the next one with room.
   * @default 'least-loaded'
   */
  strategy?: PoolStrategy;
  /**
   * Calls that may wait for a free worker; one more rejects at once with `QUEUE_FULL`.
   * @default 10000
   */
  maxQueue?: number;
  /** Opt-in resending of calls lost with their worker (`WORKER_EXITED`, or `WORKER_UNREACHABLE` for a connected service), for idempotent functions only. */
  retry?: PoolRetryOptions;
  /** Backoff of worker replacement and start retries. */
  backoff?: PoolBackoffOptions;
  /**
   * `close()` in `'drain'` mode waits this long for queued and in-flight calls, then cancels the rest.
   * @default 5000
   */
  drainGraceMs?: number;
}

export interface PoolSizeOptions {
  /** Fixed number of workers (sets both `minWorkers` and `maxWorkers`). */
  size?: number;
  /** @default `size`, else 1 */
  minWorkers?: number;
  /** @default `size`, else `minWorkers` */
  maxWorkers?: number;
  /**
   * A worker above `minWorkers` idle this long is stopped.
   * @default 30000
   */
  idleTimeoutMs?: number;
  /** Replace workers after a number of calls, a memory size or an idle time. */
  recycle?: RecycleOptions;
}

/** `WorkerPool.spawn(script, options)`: every worker is spawned with these spawn options. */
export type PoolSpawnOptions = Omit<SpawnOptions, 'autoRestart'> & PoolCommonOptions & PoolSizeOptions;

/** `WorkerPool.connect(ids | { prefix }, options)`: every instance is connected with these options. */
export type PoolConnectOptions = ConnectOptions & PoolCommonOptions;

export interface PoolWorkerInfo {
  worker: string;
  pid: number | undefined;
}

/** Typed events of a WorkerPool. */
export interface WorkerPoolEvents {
  /** A worker started (first start, growth or replacement) and takes calls. */
  'worker-ready': [info: PoolWorkerInfo];
  /** A worker died on its own; its in-flight calls were rejected (`inFlight` of them). */
  'worker-exit': [info: PoolWorkerInfo & { code: number | null; signal: string | null; inFlight: number }];
  /** A replacement is ready: after an exit, a failed start, or a recycle of `replaced`. */
  'worker-restart': [info: PoolWorkerInfo & { replaced: string; reason: 'exit' | 'recycle' | 'start-failed' }];
  /** A worker could not be started (or connected); the pool tries again after `retryInMs`. */
  'worker-error': [info: { worker: string; error: Error; failuresInARow: number; retryInMs: number }];
  /** A worker is being replaced: it takes no new calls, its in-flight calls finish. */
  recycle: [info: PoolWorkerInfo & { reason: 'maxCalls' | 'maxRssMb' | 'idleMs'; rssMb?: number }];
  /** The number of workers changed with the load. */
  scale: [info: { from: number; to: number; reason: 'queue' | 'idle' }];
  /** The queue has emptied (after `needsDrain` was true). */
  drain: [];
}

export interface ResolvedPoolOptions {
  name: string;
  concurrency: number;
  strategy: PoolStrategy;
  maxQueue: number;
  minWorkers: number;
  maxWorkers: number;
  idleTimeoutMs: number;
  recycle: Required<Omit<RecycleOptions, 'maxCalls' | 'maxRssMb' | 'idleMs'>> &
    Pick<RecycleOptions, 'maxCalls' | 'maxRssMb' | 'idleMs'>;
  retry: { idempotent: ReadonlySet<string>; maxRetries: number };
  initialDelayMs: number;
  maxDelayMs: number;
  drainGraceMs: number;
  defaultTimeoutMs: number;
  /** The credit window of the pool's streams (the workers' `streamWindow` option). */
  streamWindow: number;
}

function invalid(name: string, value: unknown, want: string): MultifrostError {
  return new MultifrostError('INVALID_ARGUMENT', `Pool option ${name} must be ${want}, got ${String(value)}`, {
    details: { option: name, value },
  });
}

function count(value: number | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw invalid(name, value, `an integer ≥ ${min}`);
  return value;
}

function positive(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) throw invalid(name, value, 'a number > 0');
  return value;
}

/** Checks the pool's own options; `python` picks the concurrency default for `.py` scripts. */
export function resolvePoolOptions(
  given: PoolCommonOptions & PoolSizeOptions & { defaultTimeoutMs?: number; streamWindow?: number },
  name: string,
  python: boolean,
  fixedSize?: number,
): ResolvedPoolOptions {
  if ((given as { autoRestart?: unknown }).autoRestart !== undefined)
    throw new MultifrostError(
      'INVALID_ARGUMENT',
      'Pool option autoRestart is not taken: the pool replaces dead workers itself (see the backoff option)',
      { details: { option: 'autoRestart' } },
    );
  const size = count(given.size, 'size', 0, 1) || undefined;
  let minWorkers: number;
  let maxWorkers: number;
  if (fixedSize !== undefined) {
    minWorkers = maxWorkers = fixedSize;
  } else {
    minWorkers = count(given.minWorkers, 'minWorkers', size ?? 1, 1);
    maxWorkers = count(given.maxWorkers, 'maxWorkers', size ?? minWorkers, 1);
    if (size !== undefined && (given.minWorkers !== undefined || given.maxWorkers !== undefined))
      throw invalid('size', size, 'left out when minWorkers or maxWorkers is set');
    if (maxWorkers < minWorkers) throw invalid('maxWorkers', maxWorkers, `≥ minWorkers (${minWorkers})`);
  }
  const strategy = given.strategy ?? 'least-loaded';
  if (strategy !== 'least-loaded' && strategy !== 'round-robin')
    throw invalid('strategy', strategy, "'least-loaded' or 'round-robin'");
  const maxQueue =
    given.maxQueue === Number.POSITIVE_INFINITY ? Infinity : count(given.maxQueue, 'maxQueue', 10_000, 0);
  const recycle = given.recycle ?? {};
  const retry = given.retry;
  if (retry !== undefined && (!Array.isArray(retry.idempotent) || retry.idempotent.some((f) => typeof f !== 'string')))
    throw invalid('retry.idempotent', retry.idempotent, 'an array of function names');
  return {
    name,
    concurrency: count(given.concurrency, 'concurrency', python ? 1 : 64, 1),
    strategy,
    maxQueue,
    minWorkers,
    maxWorkers,
    idleTimeoutMs: durationMs(given.idleTimeoutMs, 'idleTimeoutMs', 30_000),
    recycle: {
      maxCalls: recycle.maxCalls === undefined ? undefined : count(recycle.maxCalls, 'recycle.maxCalls', 0, 1),
      maxRssMb: positive(recycle.maxRssMb, 'recycle.maxRssMb'),
      idleMs: positive(recycle.idleMs, 'recycle.idleMs'),
      checkIntervalMs: Math.max(10, durationMs(recycle.checkIntervalMs, 'recycle.checkIntervalMs', 1_000)),
    },
    retry: {
      idempotent: new Set(retry?.idempotent ?? []),
      maxRetries: count(retry?.maxRetries, 'retry.maxRetries', 1, 0),
    },
    initialDelayMs: Math.max(1, durationMs(given.backoff?.initialDelayMs, 'backoff.initialDelayMs', 100)),
    maxDelayMs: Math.max(1, durationMs(given.backoff?.maxDelayMs, 'backoff.maxDelayMs', 5_000)),
    drainGraceMs: durationMs(given.drainGraceMs, 'drainGraceMs', 5_000),
    defaultTimeoutMs: timeoutMs(given.defaultTimeoutMs, 'defaultTimeoutMs', 60_000),
    streamWindow: count(given.streamWindow, 'streamWindow', 64, 1),
  };
}

/** The options a pool passes on to each ParentWorker: its own keys taken out. */
export function workerOptions<O extends object>(options: O): O {
  const rest = { ...options } as Record<string, unknown>;
  for (const key of [
    'size',
    'minWorkers',
    'maxWorkers',
    'idleTimeoutMs',
    'recycle',
    'concurrency',
    'strategy',
    'maxQueue',
    'retry',
    'backoff',
    'drainGraceMs',
  ])
    delete rest[key];
  return rest as O;
}
