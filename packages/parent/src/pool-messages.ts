/** The errors a pool raises itself, worded in one place (the worker's own errors pass through unchanged). */
import { MultifrostError } from '@multifrost/protocol';

export function queueFull(pool: string, fn: string, maxQueue: number): MultifrostError {
  return new MultifrostError(
    'QUEUE_FULL',
    `Pool ${pool} refused ${fn}(): ${maxQueue} calls are already waiting for a free worker (maxQueue)`,
    { details: { pool, function: fn, maxQueue } },
  );
}

export function queuedTimeout(pool: string, fn: string, ms: number): MultifrostError {
  return new MultifrostError('TIMEOUT', `${fn}() on pool ${pool} timed out after ${ms} ms waiting for a free worker`, {
    details: { pool, function: fn, timeoutMs: ms },
  });
}

export function queuedAborted(pool: string, fn: string, reason: unknown): MultifrostError {
  return new MultifrostError('ABORTED', `${fn}() on pool ${pool} was aborted while waiting for a free worker`, {
    cause: reason,
    details: { pool, function: fn },
  });
}

export function poolClosed(pool: string, fn: string, how: string): MultifrostError {
  return new MultifrostError('CLOSED', `Pool ${pool} ${how}: ${fn}() was not run`, {
    details: { pool, function: fn },
  });
}

export function noWorkerCanStart(pool: string, fn: string, cause: Error): MultifrostError {
  return new MultifrostError(
    'START_FAILED',
    `Pool ${pool} has no worker running and the last start failed (${cause.message}): ${fn}() was not run`,
    { cause, details: { pool, function: fn } },
  );
}

export function allStartsFailed(pool: string, count: number, cause: unknown): MultifrostError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new MultifrostError('START_FAILED', `Pool ${pool}: none of its ${count} workers started (${why})`, {
    cause,
    details: { pool },
  });
}

export function noInstances(pool: string, prefix: string): MultifrostError {
  return new MultifrostError('SERVICE_NOT_FOUND', `Pool ${pool}: no registered service id starts with "${prefix}"`, {
    details: { pool, prefix },
  });
}
