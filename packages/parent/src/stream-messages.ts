/** The user-facing texts of stream failures that start on the parent's side (docs/streaming.md#errors). */
import { MultifrostError } from '@multifrost/protocol';

export function streamTimedOut(worker: string, fn: string, timeoutMs: number): MultifrostError {
  return new MultifrostError(
    'TIMEOUT',
    `Stream of ${fn}() on worker ${worker} timed out after ${timeoutMs} ms (timeoutMs covers the whole stream)`,
    { details: { worker, function: fn, timeoutMs } },
  );
}

export function streamsUnsupported(worker: string, fn: string): MultifrostError {
  return new MultifrostError(
    'UNSUPPORTED',
    `${worker} does not support streams: it did not list the \`stream\` capability (a public peer, or an older Multifrost); ${fn}() was not sent`,
    { details: { worker, function: fn } },
  );
}

export function badStreamWindow(value: unknown): MultifrostError {
  return new MultifrostError('INVALID_ARGUMENT', `streamWindow must be a whole number >= 1, got ${String(value)}`, {
    details: { option: 'streamWindow', value },
  });
}

export function streamClosed(worker: string, fn: string): MultifrostError {
  return new MultifrostError('CLOSED', `Worker ${worker} was closed while the stream of ${fn}() was open`, {
    details: { worker, function: fn },
  });
}
