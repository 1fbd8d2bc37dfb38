/**
 * TransportOptions → validated settings and zeromq socket options. zeromq 6 spells the libzmq
 * options `linger`, `sendTimeout`, `maxMessageSize`, `heartbeatInterval`, `heartbeatTimeout`,
 * `heartbeatTimeToLive`, `sendHighWaterMark` and `receiveHighWaterMark`; they are passed to the
 * socket constructor so they are in force before the first bind/connect.
 */
import { DEFAULT_LIMITS, MultifrostError, type ProtocolLimits } from '@multifrost/protocol';
import { MAX_TIMER_MS } from '@multifrost/protocol/internal';
import { debug } from './debug.js';
import type { TransportOptions } from './types.js';

/**
 * libzmq's `maxMessageSize` limits each frame; the payload frame may be up to `maxMessageBytes`.
 * An over-size frame is a protocol error to libzmq: it drops the connection, and does not
 * reconnect after one, so a single 100 MB message cut a spawned worker off for good. Our own
 * limit (the validator) answers an over-size call with TOO_LARGE and keeps the link; libzmq's is
 * only a looser safety net against memory exhaustion, at NET_FACTOR times ours.
 */
export const FRAME_SLACK_BYTES = 1024;
export const NET_FACTOR = 4;

export const DEFAULT_SEND_TIMEOUT_MS = 5000;
/**
 * ZMTP heartbeats are off by default: go-zeromq/zmq4 never answers a PING (libzmq then drops the
 * link after the timeout, seen with the interop Go peer) and the Rust `zeromq` crate drops or
 * panics on one. Liveness comes from the application heartbeat and, in spawn mode, the child's
 * exit. Opt in (for example 1000) when every peer runs libzmq.
 */
export const DEFAULT_ZMTP_HEARTBEAT_INTERVAL_MS = 0;
export const DEFAULT_ZMTP_HEARTBEAT_TIMEOUT_MS = 5000;
export const DEFAULT_HIGH_WATER_MARK = 10_000;
/**
 * libzmq's own default. A connection that sends no greeting holds a descriptor this long; shorter
 * frees them sooner when strangers flood a bound socket (docs/security.md, resource exhaustion).
 */
export const DEFAULT_ZMTP_HANDSHAKE_TIMEOUT_MS = 30_000;
/** libzmq stores the heartbeat TTL as a 16-bit count of deciseconds; more is EINVAL. */
const MAX_HEARTBEAT_TTL_MS = 6_553_500;

export interface ZmqSocketOptions {
  linger: number;
  sendTimeout: number;
  maxMessageSize: number;
  sendHighWaterMark: number;
  receiveHighWaterMark: number;
  handshakeInterval: number;
  heartbeatInterval?: number;
  heartbeatTimeout?: number;
  heartbeatTimeToLive?: number;
}

export interface ResolvedOptions {
  host: string;
  sendTimeoutMs: number;
  batch: boolean;
  payloadFrames: boolean;
  limits: ProtocolLimits;
  warn: (message: string) => void;
  socket: ZmqSocketOptions;
}

function positive(name: string, value: number | undefined, fallback: number, infinite = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || (!infinite && !Number.isFinite(value)) || value <= 0) {
    throw new MultifrostError('INVALID_ARGUMENT', `${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}

// libzmq keeps these options in a C int: a larger value would be refused deep in a socket call.
function nonNegativeInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0 || value > MAX_TIMER_MS) {
    throw new MultifrostError('INVALID_ARGUMENT', `${name} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

function flag(name: string, value: boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new MultifrostError('INVALID_ARGUMENT', `${name} must be true or false, got ${String(value)}`);
  }
  return value;
}

export function resolveOptions(options: TransportOptions = {}): ResolvedOptions {
  const limits: ProtocolLimits = {
    maxMessageBytes: Math.floor(positive('maxMessageBytes', options.maxMessageBytes, DEFAULT_LIMITS.maxMessageBytes)),
    maxDepth: Math.floor(positive('maxDepth', options.maxDepth, DEFAULT_LIMITS.maxDepth)),
  };
  // A send timeout of 0 (never wait) or -1 (wait forever) would defeat the point of the writer
  // queue: the first turns every momentary backpressure into an error, the second brings back
  // the upstream hang with no peer (PEERS.md §7 item 12).
  // Infinity and anything beyond a C int are clamped to 2^31 - 1 ms (about 24.8 days), still a limit.
  const sendTimeoutMs = Math.min(
    MAX_TIMER_MS,
    Math.ceil(positive('sendTimeoutMs', options.sendTimeoutMs, DEFAULT_SEND_TIMEOUT_MS, true)),
  );
  const heartbeatInterval = nonNegativeInt(
    'zmtpHeartbeatIntervalMs',
    options.zmtpHeartbeatIntervalMs,
    DEFAULT_ZMTP_HEARTBEAT_INTERVAL_MS,
  );
  const heartbeatTimeout = nonNegativeInt(
    'zmtpHeartbeatTimeoutMs',
    options.zmtpHeartbeatTimeoutMs,
    DEFAULT_ZMTP_HEARTBEAT_TIMEOUT_MS,
  );
  const socket: ZmqSocketOptions = {
    linger: nonNegativeInt('lingerMs', options.lingerMs, 0),
    sendTimeout: sendTimeoutMs,
    maxMessageSize: NET_FACTOR * limits.maxMessageBytes + FRAME_SLACK_BYTES,
    sendHighWaterMark: nonNegativeInt('sendHighWaterMark', options.sendHighWaterMark, DEFAULT_HIGH_WATER_MARK),
    receiveHighWaterMark: nonNegativeInt('receiveHighWaterMark', options.receiveHighWaterMark, DEFAULT_HIGH_WATER_MARK),
    handshakeInterval: nonNegativeInt(
      'zmtpHandshakeTimeoutMs',
      options.zmtpHandshakeTimeoutMs,
      DEFAULT_ZMTP_HANDSHAKE_TIMEOUT_MS,
    ),
  };
  if (heartbeatInterval > 0) {
    socket.heartbeatInterval = heartbeatInterval;
    socket.heartbeatTimeout = heartbeatTimeout;
    // The TTL tells the *remote* side when to give up on us, so a peer that sends no heartbeats of
    // its own (every public peer) still drops a dead connection. libzmq keeps it in deciseconds.
    socket.heartbeatTimeToLive = Math.min(heartbeatTimeout, MAX_HEARTBEAT_TTL_MS);
  }
  return {
    host: options.host ?? '127.0.0.1',
    sendTimeoutMs,
    batch: flag('batch', options.batch, true),
    payloadFrames: flag('payloadFrames', options.payloadFrames, true),
    limits,
    warn: options.onWarning ?? ((message) => debug('warning: %s', message)),
    socket,
  };
}
