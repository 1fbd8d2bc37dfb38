/**
 * The two narrow doors parent and child use to reach the wire. They depend on these interfaces,
 * never on zeromq directly, so another transport (or a test double for pure logic) can stand in.
 */
import type { Message, ProtocolLimits, RejectReason, Rejection } from '@multifrost/protocol';

export interface TransportOptions {
  /** Interface to bind; default `127.0.0.1`. Anything else logs a warning (no authentication). */
  host?: string;
  /** A send that no peer accepts within this time fails with `SEND_TIMEOUT`. Default 5000 ms. */
  sendTimeoutMs?: number;
  /** Largest payload accepted (enforced by libzmq too) and sent. Default 64 MiB. */
  maxMessageBytes?: number;
  /** Deepest nesting accepted/sent. Default 100. */
  maxDepth?: number;
  /** ZMTP heartbeat interval, answered by libzmq's I/O thread. Default 1000 ms; 0 disables. */
  zmtpHeartbeatIntervalMs?: number;
  /** A peer silent for this long at the ZMTP level is disconnected. Default 5000 ms. */
  zmtpHeartbeatTimeoutMs?: number;
  /** ZMQ linger on close. Default 0, so close never holds the process open. */
  lingerMs?: number;
  /** ZMQ high-water marks (messages). Default 10000 each. */
  sendHighWaterMark?: number;
  receiveHighWaterMark?: number;
  /** Called for warnings (non-loopback bind, ...). Default: a `multifrost:transport` debug line. */
  onWarning?: (message: string) => void;
}

export interface TransportStats {
  /** Valid messages delivered to the handler. */
  received: number;
  /** Messages handed to libzmq. */
  sent: number;
  /** Frames that failed validation, total and per reason. Unknown types are counted here too. */
  dropped: number;
  droppedByReason: Record<RejectReason, number>;
  /** Sends that failed (timeout, closed socket, encode error). */
  sendErrors: number;
  /** Sends waiting in the writer queue right now. */
  queued: number;
}

interface TransportBase {
  /** Binds `tcp://<host>:<port>` (port 0 = any free port) and resolves with the real port. */
  bind(port?: number): Promise<number>;
  /** Connects to `tcp://<host>:<port>` (default host 127.0.0.1). Returns at once; ZMQ connects in the background. */
  connect(port: number, host?: string): void;
  /** Drops a connection made with `connect` (used to re-point a parent at a moved service). */
  disconnect(port: number, host?: string): void;
  /** The bound or connected port, once known. */
  readonly port: number | undefined;
  /** Number of peers with a completed ZMTP handshake right now. */
  readonly connectedPeers: number;
  /** Called whenever `connectedPeers` changes. */
  onPeersChanged: ((connectedPeers: number) => void) | undefined;
  /** Called for every frame set that failed validation (after it was counted). */
  onReject: ((rejection: Rejection, peer: Buffer | undefined) => void) | undefined;
  readonly stats: TransportStats;
  readonly limits: ProtocolLimits;
  readonly closed: boolean;
  /** Idempotent. Releases the port at once; queued sends reject with `CLOSED`. */
  close(): Promise<void>;
}

/** Parent side: a DEALER. Sends `[empty, payload]`, receives `[empty, payload]`. */
export interface CallerTransport extends TransportBase {
  /** Encodes and queues a message. Rejects with `ENCODE`, `SEND_TIMEOUT` or `CLOSED`. */
  send(message: Message): Promise<void>;
  /**
   * Like send, without a Promise per message (hot paths): `onError` hears of any failure. A message
   * that cannot be encoded, or a closed transport, is reported before `post` returns. `onError`
   * gets the message too, so one shared handler serves every call.
   */
  post(message: Message, onError: (err: Error, message: Message) => void): void;
  onMessage: ((message: Message) => void) | undefined;
}

/** Child side: a ROUTER. Receives `[routing_id, empty, payload]`, replies to a routing id. */
export interface ServiceTransport extends TransportBase {
  /** Encodes and queues a message for one peer. Rejects with `ENCODE`, `SEND_TIMEOUT` or `CLOSED`. */
  send(peer: Buffer, message: Message): Promise<void>;
  /**
   * Like send, without a Promise per message: `onSent` once libzmq took it, `onError` on failure.
   * A message that cannot be encoded, or a closed transport, is reported before `post` returns.
   */
  post(peer: Buffer, message: Message, onError: (err: Error, message: Message) => void, onSent?: () => void): void;
  onMessage: ((message: Message, peer: Buffer) => void) | undefined;
}
