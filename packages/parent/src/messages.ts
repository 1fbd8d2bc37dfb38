/**
 * Every user-facing error the parent builds, in one place: the wording stays consistent across
 * spawn and connect, names the worker, the function and the option to change, and is testable
 * without a worker. Call sites pass facts; this module turns them into a `MultifrostError`.
 */
import {
  MultifrostError,
  RemoteCallError,
  parseRemoteError,
  type ErrorMessage,
  type MultifrostErrorCode,
} from '@multifrost/protocol';
import type { ExitInfo } from './worker-process.js';

/** `exited with code 1`, `was killed by SIGTERM`, or `exited` when we never saw how. */
export function exitText(info: ExitInfo | undefined): string {
  if (!info) return 'exited';
  return info.signal ? `was killed by ${info.signal}` : `exited with code ${info.code}`;
}

export function invalidMs(name: string, value: unknown): MultifrostError {
  return new MultifrostError(
    'INVALID_ARGUMENT',
    `${name} must be a non-negative number of milliseconds, got ${String(value)}`,
  );
}

export function zeroTimeout(name: string): MultifrostError {
  return new MultifrostError(
    'INVALID_ARGUMENT',
    `${name} must be more than 0 ms (use Infinity for no timeout, or leave it out for the default)`,
    { details: { option: name } },
  );
}

export function missingServiceId(): MultifrostError {
  return new MultifrostError('INVALID_ARGUMENT', 'connect() needs a service id');
}

export function startAfterClose(worker: string, mode: 'spawn' | 'connect'): MultifrostError {
  return new MultifrostError(
    'CLOSED',
    `Cannot start worker ${worker}: it was closed; create a new one with ParentWorker.${mode}()`,
    {
      details: { worker },
    },
  );
}

export function closedWhileStarting(worker: string): MultifrostError {
  return new MultifrostError('CLOSED', `Worker ${worker} was closed while starting`);
}

export function startFailedGeneric(worker: string): MultifrostError {
  return new MultifrostError('START_FAILED', `Worker ${worker} failed to start`);
}

/** `Cannot call f(): worker math.ts is closed`, optionally saying when the close caught it. */
export function closed(worker: string, fn: string, what: string): MultifrostError {
  return new MultifrostError('CLOSED', `Cannot call ${fn}(): worker ${worker} ${what}`, {
    details: { worker, function: fn },
  });
}

export function notRunning(
  worker: string,
  lastExit: ExitInfo | undefined,
  restartGaveUp: boolean,
  fn?: string,
): MultifrostError {
  return new MultifrostError(
    'NOT_RUNNING',
    `Worker ${worker} is not running (it ${exitText(lastExit)}${restartGaveUp ? ' and could not be restarted' : ''})${fn ? `; ${fn}() was not sent` : ''}`,
    { details: { worker, function: fn, code: lastExit?.code, signal: lastExit?.signal } },
  );
}

export function aborted(worker: string, fn: string, reason: unknown): MultifrostError {
  return new MultifrostError('ABORTED', `Call to ${fn}() on worker ${worker} was aborted`, {
    cause: reason,
    details: { worker, function: fn },
  });
}

export function timedOut(worker: string, fn: string, timeoutMs: number): MultifrostError {
  return new MultifrostError('TIMEOUT', `Call to ${fn}() on worker ${worker} timed out after ${timeoutMs} ms`, {
    details: { worker, function: fn, timeoutMs },
  });
}

export function circuitOpen(worker: string, fn: string, failures: number, resetTimeoutMs: number): MultifrostError {
  return new MultifrostError(
    'CIRCUIT_OPEN',
    `Circuit open for worker ${worker} after ${failures} consecutive failures; ${fn}() was not sent (a probe is allowed ${resetTimeoutMs} ms after opening)`,
    { details: { worker, function: fn } },
  );
}

export function sendFailed(worker: string, fn: string, err: unknown): MultifrostError {
  return new MultifrostError('TRANSPORT', `Sending ${fn}() to worker ${worker} failed: ${String(err)}`, { cause: err });
}

export function exitedInFlight(worker: string, fn: string, info: ExitInfo): MultifrostError {
  return new MultifrostError('WORKER_EXITED', `Worker ${worker} ${exitText(info)} while ${fn}() was in flight`, {
    details: { worker, function: fn, code: info.code, signal: info.signal },
  });
}

export function restartGaveUp(worker: string, maxAttempts: number, cause: unknown): MultifrostError {
  return new MultifrostError('WORKER_EXITED', `Worker ${worker} could not be restarted after ${maxAttempts} attempts`, {
    cause,
    details: { worker },
  });
}

export function replyTooLarge(worker: string, fn: string, detail: string): MultifrostError {
  return new MultifrostError(
    'TOO_LARGE',
    `The reply of ${worker} to ${fn}() could not be read: ${detail} of this parent`,
    { details: { worker, function: fn } },
  );
}

/** Spawn mode: the process lives, but its connection is gone (libzmq dropped it and did not come back). */
export function linkLostInFlight(worker: string, fn: string, misses: number, restarting: boolean): MultifrostError {
  return new MultifrostError(
    'WORKER_UNREACHABLE',
    `Worker ${worker} has no connection to this parent (${misses} heartbeats missed, 0 peers) while ${fn}() was in flight; ` +
      (restarting ? 'restarting it' : 'enable autoRestart to replace such a worker by itself'),
    { details: { worker, function: fn } },
  );
}

/** Connect mode: the registered service process (on this host) died while the call was in flight. */
export function serviceExitedInFlight(worker: string, fn: string, pid: number): MultifrostError {
  return new MultifrostError(
    'WORKER_EXITED',
    `Service ${worker} (pid ${pid}) exited while ${fn}() was in flight; looking for it to come back`,
    { details: { worker, function: fn, pid } },
  );
}

export function unreachableInFlight(worker: string, fn: string, misses: number): MultifrostError {
  return new MultifrostError(
    'WORKER_UNREACHABLE',
    `Service ${worker} stopped answering heartbeats (${misses} missed) while ${fn}() was in flight`,
    {
      details: { worker, function: fn },
    },
  );
}

/** Start-up failures: the process exited (`WORKER_EXITED`) or stayed silent (`START_FAILED`), with its stderr. */
export function startFailure(
  worker: string,
  what: string,
  info: ExitInfo | undefined,
  stderr: string,
): MultifrostError {
  const msg = `Worker ${worker} ${what}${stderr ? `. It printed on stderr:\n${stderr}` : ''}`;
  return new MultifrostError(info ? 'WORKER_EXITED' : 'START_FAILED', msg, {
    details: { worker, code: info?.code, signal: info?.signal },
  });
}

export function exitedBeforeReady(info: ExitInfo): string {
  // Exiting cleanly at start-up is what a script that never calls run() does.
  const hint =
    info.code === 0 ? ' (a worker script must call run(), e.g. `new MyWorker().run()`, and keep running)' : '';
  return `${exitText(info)} before it was ready${hint}`;
}

/** Why a spawned worker that is running but silent is not ready, and what to check. */
export function spawnSilent(timeoutMs: number): string {
  return (
    `did not answer a heartbeat within startTimeoutMs (${timeoutMs} ms). ` +
    'Check that the worker script calls run() (e.g. `new MyWorker().run()`); a worker in another language ' +
    'must connect to the port given in COMLINK_ZMQ_PORT. Or raise startTimeoutMs if it needs longer to start'
  );
}

/** The same for a registered service; `option` is the name the user set (`startTimeoutMs`, or the older `timeoutMs`). */
export function serviceSilent(serviceId: string, where: string, timeoutMs: number, option: string): string {
  return (
    `(service '${serviceId}' on ${where}) did not answer a heartbeat within ${option} (${timeoutMs} ms); ` +
    'its registry entry is live, so check that the service is not blocked and listens on that port'
  );
}

export function serviceNotFound(
  serviceId: string,
  where: string,
  timeoutMs: number,
  option: string,
  registered: string,
  cause: MultifrostError,
): MultifrostError {
  return new MultifrostError(
    'SERVICE_NOT_FOUND',
    `No live service '${serviceId}'${where} after waiting ${timeoutMs} ms (${option}) (${registered})`,
    { cause, details: { ...cause.details, serviceId, timeoutMs } },
  );
}

export function registeredList(ids: string[]): string {
  return ids.length > 0 ? `registered: ${ids.join(', ')}` : 'no live services are registered';
}

/**
 * Remote errors the worker raised about the call itself rather than from the user's code, by the
 * names our child sends and the texts the public JS and Python peers send (they use plain `Error`
 * / `AttributeError`). Anything else stays `REMOTE_ERROR`.
 */
export function protocolErrorCode(name: string, message: string): MultifrostErrorCode {
  switch (name) {
    case 'FunctionNotFoundError':
      return 'FUNCTION_NOT_FOUND';
    case 'PrivateMethodError':
      return 'PRIVATE_METHOD';
    case 'NamespaceError':
      return 'NAMESPACE_MISMATCH';
    case 'ShuttingDownError':
      return 'SHUTTING_DOWN';
    case 'BusyError':
      return 'BUSY';
    case 'MessageTooLargeError':
      return 'TOO_LARGE';
    case 'NotAStreamError':
      return 'NOT_A_STREAM';
    case 'StreamingMethodError':
      return 'STREAMING_METHOD';
  }
  if (name === 'Error' || name === 'AttributeError' || name === 'TypeError') {
    if (/^Function '[^']*' not found/.test(message) || /^'[^']*' is not callable$/.test(message))
      return 'FUNCTION_NOT_FOUND';
    if (message.startsWith('Cannot call private method ')) return 'PRIVATE_METHOD';
  }
  return 'REMOTE_ERROR';
}

export function remoteError(worker: string, fn: string, msg: ErrorMessage): RemoteCallError {
  const parsed = parseRemoteError(msg);
  const info: ConstructorParameters<typeof RemoteCallError>[0] = {
    remoteType: parsed.name,
    remoteMessage: parsed.message,
    functionName: fn,
    worker,
  };
  if (parsed.stack !== undefined) info.remoteStack = parsed.stack;
  if (parsed.code !== undefined) info.remoteCode = parsed.code;
  const code = protocolErrorCode(parsed.name, parsed.message);
  if (code !== 'REMOTE_ERROR') info.code = code;
  return new RemoteCallError(info);
}
