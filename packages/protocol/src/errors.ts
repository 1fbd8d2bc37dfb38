/**
 * The one error family of Multifrost. Every layer throws `MultifrostError` (or a subclass) with a
 * string `code`, so callers can branch on `err.code` and `isMultifrostError(err)` even when two
 * copies of the package are loaded.
 */

export type MultifrostErrorCode =
  | 'TIMEOUT'
  | 'REMOTE_ERROR'
  | 'WORKER_EXITED'
  | 'WORKER_UNREACHABLE'
  | 'CIRCUIT_OPEN'
  | 'ABORTED'
  | 'PROTOCOL'
  | 'ENCODE'
  | 'SEND_TIMEOUT'
  | 'NOT_RUNNING'
  | 'START_FAILED'
  | 'CLOSED'
  | 'INVALID_ARGUMENT'
  | 'REGISTRY_LOCKED'
  | 'REGISTRY_CORRUPT'
  | 'ALREADY_REGISTERED'
  | 'SERVICE_NOT_FOUND'
  | 'LEASE_LOST'
  // A registry backend that lives elsewhere (Redis) could not be reached; calls to connected services go on.
  | 'REGISTRY_UNAVAILABLE'
  | 'TRANSPORT'
  // Remote errors about the call itself (still a RemoteCallError; `remoteType` keeps the remote name).
  | 'FUNCTION_NOT_FOUND'
  | 'PRIVATE_METHOD'
  | 'NAMESPACE_MISMATCH'
  | 'SHUTTING_DOWN'
  // The worker refused the call unrun: its slots and queue were full (try again later).
  | 'BUSY'
  // A worker pool refused the call unrun: its own queue (maxQueue) was full.
  | 'QUEUE_FULL'
  // A message over a side's size limit (maxMessageBytes): refused before sending, or answered by the receiver.
  | 'TOO_LARGE'
  // CURVE (connect mode): the handshake failed, the key was refused, or the service's key is not the expected one.
  | 'AUTH_FAILED'
  // Asked for something this build or transport cannot do (CURVE without libsodium, CURVE over the in-memory transport).
  | 'UNSUPPORTED'
  // Streams (docs/streaming.md): a stream asked of a method that returns one value, or a call of a method that streams.
  | 'NOT_A_STREAM'
  | 'STREAMING_METHOD';

const BRAND = Symbol.for('multifrost.error');

export interface MultifrostErrorOptions {
  cause?: unknown;
  /** Structured facts about the failure (function, worker, limit, path, ...). */
  details?: Record<string, unknown>;
}

export class MultifrostError extends Error {
  readonly code: MultifrostErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: MultifrostErrorCode, message: string, options: MultifrostErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MultifrostError';
    this.code = code;
    this.details = options.details ?? {};
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for any Multifrost error, including ones created by another copy of this package. */
export function isMultifrostError(value: unknown): value is MultifrostError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

export interface RemoteErrorInfo {
  /** The remote error's name or class (`TypeError`, `ZeroDivisionError`, ...). */
  remoteType: string;
  /** The remote error's message, without the name prefix. */
  remoteMessage: string;
  /** The remote stack or traceback, when the peer sent one. */
  remoteStack?: string;
  /** A string code the remote error carried, if any. */
  remoteCode?: string;
  functionName?: string;
  worker?: string;
  /** The local code; default `REMOTE_ERROR`. A protocol-level failure (function not found, ...) has its own. */
  code?: MultifrostErrorCode;
}

/** A call that reached the worker and failed there. Keeps the remote name, message and stack. */
export class RemoteCallError extends MultifrostError {
  readonly remoteType: string;
  readonly remoteMessage: string;
  readonly remoteStack: string | undefined;
  readonly remoteCode: string | undefined;
  readonly functionName: string | undefined;
  readonly worker: string | undefined;

  constructor(info: RemoteErrorInfo) {
    const where = info.functionName ? ` in ${info.functionName}()` : '';
    const who = info.worker ? ` on ${info.worker}` : '';
    super(info.code ?? 'REMOTE_ERROR', `${info.remoteType}: ${info.remoteMessage} (remote${where}${who})`, {
      details: { ...info },
    });
    this.name = 'RemoteCallError';
    this.remoteType = info.remoteType;
    this.remoteMessage = info.remoteMessage;
    this.remoteStack = info.remoteStack;
    this.remoteCode = info.remoteCode;
    this.functionName = info.functionName;
    this.worker = info.worker;
    if (info.remoteStack) {
      // Keep the local stack, then the remote one, like a "caused by" chain.
      this.stack = `${this.stack ?? this.message}\n--- remote stack ---\n${info.remoteStack}`;
    }
  }
}
