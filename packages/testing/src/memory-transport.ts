/**
 * `createMemoryTransport()`: a TransportFactory whose callers and services find each other in
 * this process by `mem://` endpoint, plus the controls a fault test needs (a hook on every message,
 * severing links, raw frames). Each factory is its own little network: only transports made by
 * the same factory can reach each other.
 */
import { DEFAULT_LIMITS, MultifrostError, type ProtocolLimits } from '@multifrost/protocol';
import type { CallerTransport, ServiceTransport, TransportFactory } from '@multifrost/transport-zmq';
import type { FaultHook } from './faults.js';
import { MemoryHub } from './memory-hub.js';
import type { SocketSettings } from './memory-socket.js';
import { MemoryCallerTransport, MemoryServiceTransport } from './memory-transports.js';

export interface MemoryTransportOptions {
  /** Endpoints from `bind()` without an argument are `mem://<name>-<n>`. @default 'mem' */
  name?: string;
  /** A caller's message that finds no peer within this time fails with `SEND_TIMEOUT`. @default 5000 */
  sendTimeoutMs?: number;
  /** @default 64 MiB, as the ZeroMQ transport */
  maxMessageBytes?: number;
  /** @default 100 */
  maxDepth?: number;
  /** After `sever()`, the connecting side links again after this long (ZeroMQ's reconnect interval). @default 100 */
  reconnectMs?: number;
  /** Told of handler errors and mismatched links; they are also kept in `warnings`. */
  onWarning?: (message: string) => void;
}

export interface MemoryTransport extends TransportFactory {
  readonly name: 'memory';
  /** Sees every message handed over, and decides its fate (see Verdict). Set to undefined to stop. */
  faults: FaultHook | undefined;
  /**
   * Cuts the live links to `endpoint` (all links when omitted), as a dropped connection: both
   * sides see their peer count fall, messages in flight are lost. The connecting side links again
   * after `reconnectMs` unless `reconnect` is false. Returns the number of links cut.
   */
  sever(endpoint?: string, options?: { reconnect?: boolean }): number;
  /**
   * Delivers raw frames to the transport bound at `endpoint`, as if from the wire: `[empty, payload]`
   * for either side (a service gets `peer`, or a fresh routing id, put in front).
   */
  inject(endpoint: string, frames: Buffer[], peer?: Buffer): void;
  /** Handler errors and other oddities seen so far. */
  readonly warnings: readonly string[];
  /** Transports made by this factory and not yet closed (a leak check for tests). */
  readonly openTransports: number;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new MultifrostError('INVALID_ARGUMENT', `${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}

export function createMemoryTransport(options: MemoryTransportOptions = {}): MemoryTransport {
  const limits: ProtocolLimits = {
    maxMessageBytes: Math.floor(positive('maxMessageBytes', options.maxMessageBytes, DEFAULT_LIMITS.maxMessageBytes)),
    maxDepth: Math.floor(positive('maxDepth', options.maxDepth, DEFAULT_LIMITS.maxDepth)),
  };
  const settings: SocketSettings = { sendTimeoutMs: positive('sendTimeoutMs', options.sendTimeoutMs, 5000), limits };
  const hub = new MemoryHub(
    { prefix: options.name ?? 'mem', reconnectMs: positive('reconnectMs', options.reconnectMs, 100) },
    options.onWarning,
  );
  return {
    name: 'memory',
    caller: (): CallerTransport => new MemoryCallerTransport(hub, settings),
    service: (): ServiceTransport => new MemoryServiceTransport(hub, settings),
    get faults() {
      return hub.faults;
    },
    set faults(hook: FaultHook | undefined) {
      hub.faults = hook;
    },
    sever: (endpoint, opts) => hub.sever(endpoint, opts?.reconnect ?? true),
    inject: (endpoint, frames, peer) => {
      const target = hub.listenerAt(endpoint);
      if (!target) throw new MultifrostError('INVALID_ARGUMENT', `inject(): nothing is bound at ${endpoint}`);
      target.inject(frames, peer);
    },
    get warnings() {
      return hub.warnings;
    },
    get openTransports() {
      return hub.openSockets;
    },
  };
}
