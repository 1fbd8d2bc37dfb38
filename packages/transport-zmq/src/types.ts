/**
 * The two narrow doors parent and child use to reach the wire. They depend on these interfaces,
 * never on zeromq directly, so another transport (or a test double for pure logic) can stand in.
 */
import type { Message, ProtocolLimits, RejectReason, Rejection } from '@multifrost/protocol';

/** Settings of the ZeroMQ transport (`zmqTransport(options)`). */
export interface TransportOptions {
  /** Interface `bind()` uses when given no endpoint; default `127.0.0.1`. Anything else logs a warning (no authentication). */
  host?: string;
  /** A send that no peer accepts within this time fails with `SEND_TIMEOUT`. Default 5000 ms. */
  sendTimeoutMs?: number;
  /** Largest payload accepted (enforced by libzmq too) and sent. Default 64 MiB. */
  maxMessageBytes?: number;
  /** Deepest nesting accepted/sent. Default 100. */
  maxDepth?: number;
  /**
   * ZMTP heartbeat (PING) interval, answered by libzmq's I/O thread. Default 0: off, because the Go
   * (go-zeromq) and Rust (`zeromq` crate) stacks never answer a PING or crash on one; liveness comes
   * from application heartbeats and process exit. Turn on (e.g. 1000) only when every peer is libzmq.
   */
  zmtpHeartbeatIntervalMs?: number;
  /** With ZMTP heartbeats on: a peer silent for this long at the ZMTP level is disconnected. Default 5000 ms. */
  zmtpHeartbeatTimeoutMs?: number;
  /**
   * A connection that has not completed its ZMTP handshake (greeting, and CURVE when enabled) by
   * then is closed, freeing its descriptor. Default 30000 ms (libzmq's); 0 waits forever. Lower it
   * on a service strangers can reach: idle connections then cannot hold its descriptors for long.
   */
  zmtpHandshakeTimeoutMs?: number;
  /** ZMQ linger on close. Default 0, so close never holds the process open. */
  lingerMs?: number;
  /** ZMQ high-water marks (messages). Default 10000 each. */
  sendHighWaterMark?: number;
  receiveHighWaterMark?: number;
  /**
   * Pack small messages queued together into one `batch` message, toward peers that listed the
   * `batch` capability (our own parent and child; never a public peer). Nothing waits for a batch
   * to fill: only messages already queued are packed. Default true; false sends every message alone.
   */
  batch?: boolean;
  /**
   * Send binary values of 8 MiB or more as ZeroMQ frames after the payload, toward peers that
   * listed the `frames` capability (our own parent and child; never a public peer), so neither side
   * copies them. Such a value is sent by reference: do not change its bytes until the call settles.
   * Default true; false keeps every value inside the payload.
   */
  payloadFrames?: boolean;
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
  /**
   * Batches sent, and the messages they held (those are counted in `sent` too). Zero toward peers
   * that did not list the `batch` capability. Transports without batches may leave them out.
   */
  batchesSent?: number;
  batchedMessages?: number;
  /** Messages sent with payload frames (large binary values as frames of their own). */
  framedMessages?: number;
  /**
   * Connections refused at the handshake: another peer was admitted
   * (`bind(_, { acceptOnlyFirstPeer: true })`), or, on a CURVE server (`bind(_, { curve })`), the
   * client's key is not allowed or its handshake failed (no CURVE, a failed key exchange).
   * Transports without those options may leave it out.
   */
  refusedPeers?: number;
  /**
   * Connections a bound socket could not accept; almost always the process being out of file
   * descriptors (see `onWarning`). Transports without listeners may leave it out.
   */
  failedAccepts?: number;
}

/** How `bind()` admits peers. A transport that cannot honour an option may ignore it. */
export interface BindOptions {
  /**
   * Serve one peer at a time: while a peer is connected (or admitted and still handshaking), every
   * other connection is refused before its handshake completes, so it gets no messages and nothing
   * it sends is read. Once that peer is gone, the next connection is admitted (a reconnect, a
   * restarted worker). Used by spawn mode on TCP, where any local account can reach the port.
   */
  acceptOnlyFirstPeer?: boolean;
  /**
   * Be a CURVE server: encrypt every connection with this key pair and admit only clients whose
   * public key is in `allow` (Z85 keys). A refused client gets no message and sees nothing; it is
   * counted in `stats.refusedPeers`. A transport without CURVE (`capabilities.curve` false) throws
   * `UNSUPPORTED` rather than bind in the clear.
   */
  curve?: CurveServerOptions;
}

export interface CurveServerOptions {
  publicKey: string;
  secretKey: string;
  /** The client public keys (Z85) admitted; must not be empty. */
  allow: Iterable<string>;
}

/** How `connect()` reaches its endpoint. */
export interface ConnectOptions {
  /**
   * Be a CURVE client: our key pair, and the server's public key, which the server must prove it
   * holds the secret of before any message flows. Set on the first connect; it applies to every
   * connection of this transport (a CURVE transport talks to CURVE servers only).
   */
  curve?: CurveClientOptions;
}

export interface CurveClientOptions {
  publicKey: string;
  secretKey: string;
  serverKey: string;
}

/** A connection whose security handshake failed, as `onHandshakeFailed` reports it. */
export interface HandshakeFailure {
  /** The endpoint (as connected or accepted) the failure happened on. */
  endpoint: string;
  /**
   * `auth`: the server's ZAP handler refused us (a CURVE key not in its allow-list); `protocol` or
   * `other`: the handshake broke, e.g. a CURVE server that lacks the secret of the key we expected.
   */
  kind: 'auth' | 'protocol' | 'other';
  /** libzmq's detail: a ZAP status (400) or an error code, when there is one. */
  detail?: string;
}

/** What a transport can honour; a missing flag means no. */
export interface TransportCapabilities {
  /** CURVE encryption and authentication (`bind(_, { curve })`, `connect(_, { curve })`). */
  curve?: boolean;
  /**
   * Reads `batch` messages, and packs queued small messages into batches toward peers named in
   * `setPeerCapabilities` (docs/protocol.md#batches). Parent and child list the `batch` capability
   * on heartbeats only when their transport says so.
   */
  batch?: boolean;
  /** Sends and reads large binary values as frames after the payload (docs/protocol.md#payload-frames). */
  payloadFrames?: boolean;
}

interface TransportBase {
  /**
   * Binds an endpoint and resolves with the real one. The default is any free TCP port on the
   * configured `host`; `tcp://host:0` (or `:*`) also means any free port. With the ZeroMQ
   * transport, `ipc://path` works too. Resolves e.g. with `tcp://127.0.0.1:53211`.
   */
  bind(endpoint?: string, options?: BindOptions): Promise<string>;
  /**
   * Connects to an endpoint such as `tcp://127.0.0.1:53211`. Returns at once; the link comes up in
   * the background. With `{ curve }` the transport must honour it or throw `UNSUPPORTED`.
   */
  connect(endpoint: string, options?: ConnectOptions): void;
  /** Drops a connection made with `connect` (used to re-point a parent at a moved service). Unknown endpoints are ignored. */
  disconnect(endpoint: string): void;
  /** The endpoint last bound (its real form) or connected, once there is one. */
  readonly endpoint: string | undefined;
  /**
   * Convenience for the TCP profile: the port of `endpoint` when it is a `tcp://` endpoint,
   * otherwise undefined. Public peers still exchange ports (`COMLINK_ZMQ_PORT`, `services.json`).
   */
  readonly port: number | undefined;
  /** Number of peers with a completed handshake right now. */
  readonly connectedPeers: number;
  /** Called whenever `connectedPeers` changes. */
  onPeersChanged: ((connectedPeers: number) => void) | undefined;
  /**
   * Called when a connection's security handshake fails (a refused CURVE key, a server without the
   * expected secret key). The link keeps retrying in the background; a caller that wants to fail
   * fast acts on the first report. Transports without security may never call it.
   */
  onHandshakeFailed?: ((failure: HandshakeFailure) => void) | undefined;
  /** What this transport can honour. Undefined: none of the optional features. */
  readonly capabilities?: TransportCapabilities;
  /** Called for every frame set that failed validation (after it was counted). */
  onReject: ((rejection: Rejection, peer: Buffer | undefined) => void) | undefined;
  readonly stats: TransportStats;
  readonly limits: ProtocolLimits;
  /**
   * A peer said it accepts messages of at most `bytes` (the `mf_max_message_bytes` heartbeat key):
   * later sends to it that are larger fail at once with TOO_LARGE instead of being sent and
   * refused. `peer` is the routing id on a service transport, left out on a caller. A value at or
   * above our own limit clears it. Transports that cannot tell may leave this out.
   */
  setPeerMaxMessageBytes?(bytes: number, peer?: Buffer): void;
  /**
   * What a peer said it understands (the `mf_caps` heartbeat key, read with `readCapabilities`):
   * the transport uses a wire feature toward it (batches) only when listed here. Each report
   * replaces the last; an empty set (a public peer) turns everything off. `peer` as above.
   */
  setPeerCapabilities?(caps: ReadonlySet<string>, peer?: Buffer): void;
  readonly closed: boolean;
  /** Idempotent. Releases the endpoint at once; queued sends reject with `CLOSED`. */
  close(): Promise<void>;
}

/** Parent side (a DEALER with ZeroMQ). Sends and receives messages without a peer address. */
export interface CallerTransport extends TransportBase {
  /** Encodes and queues a message. Rejects with `ENCODE`, `SEND_TIMEOUT` or `CLOSED`. */
  send(message: Message): Promise<void>;
  /**
   * Like send, without a Promise per message (hot paths). A failure known at once (the message
   * cannot be encoded, the transport is closed) is RETURNED and `onError` is not called; a later
   * failure (`SEND_TIMEOUT`, `CLOSED` while queued) goes to `onError`, with the message, so one
   * shared handler serves every call. Returns undefined when the message was queued.
   */
  post(message: Message, onError: (err: Error, message: Message) => void): Error | undefined;
  onMessage: ((message: Message) => void) | undefined;
}

/** Child side (a ROUTER with ZeroMQ). Receives messages with the sender's routing id, replies to one. */
export interface ServiceTransport extends TransportBase {
  /** Encodes and queues a message for one peer. Rejects with `ENCODE`, `SEND_TIMEOUT` or `CLOSED`. */
  send(peer: Buffer, message: Message): Promise<void>;
  /**
   * Like send, without a Promise per message: `onSent` once the transport took it. As with
   * `CallerTransport.post`, a failure known at once is returned (no `onError`), a later one goes
   * to `onError`.
   */
  post(
    peer: Buffer,
    message: Message,
    onError: (err: Error, message: Message) => void,
    onSent?: () => void,
  ): Error | undefined;
  onMessage: ((message: Message, peer: Buffer) => void) | undefined;
}

/**
 * Makes the two ends of one kind of transport. Parent and child take one of these (ZeroMQ by
 * default), so another transport, or the in-memory pair of the tests, plugs in without touching them.
 * Each call returns a new, unbound transport.
 */
export interface TransportFactory {
  caller(): CallerTransport;
  service(): ServiceTransport;
  /** Short name for messages and debug output, e.g. `zmq` or `memory`. */
  readonly name: string;
}
