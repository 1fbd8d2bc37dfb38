/**
 * What the DEALER and ROUTER transports share: socket options, bind/connect bookkeeping, the
 * queued writer, the receive loop that validates and counts every frame set, peer tracking and
 * close. Subclasses only add the frame prefix they send and the shape of their onMessage.
 */
import {
  CAP_BATCH,
  CAP_FRAMES,
  MultifrostError,
  encodeBatch,
  parseFrames,
  unpackBatchItem,
  type Message,
  type ProtocolLimits,
  type Rejection,
} from '@multifrost/protocol';
import { payloadForSend } from '@multifrost/protocol/internal';
import { createServer } from 'node:net';
import { capability, type Dealer, type Event, type Router } from 'zeromq';
import { assertCurveAvailable } from './curve-support.js';
import { debug } from './debug.js';
import { checkEndpoint, hostOf, isIpv6, isLoopback, isTcp, portOf, tcpEndpoint } from './endpoint.js';
import { resolveOptions, type ZmqSocketOptions } from './options.js';
import { PeerTracker } from './peer-tracker.js';
import { createStats } from './stats.js';
import type {
  BindOptions,
  ConnectOptions,
  CurveClientOptions,
  CurveServerOptions,
  HandshakeFailure,
  TransportCapabilities,
  TransportOptions,
  TransportStats,
} from './types.js';
import { CurveAllowList, PeerGate, type ZapPolicy, ZapDomain } from './zap-gate.js';
import { isCurveKey } from './z85.js';
import { WriterQueue, type SendErrorHandler } from './writer-queue.js';

export abstract class ZmqTransportBase<S extends Dealer | Router> {
  readonly stats: TransportStats;
  readonly limits: ProtocolLimits;
  onPeersChanged: ((connectedPeers: number) => void) | undefined;
  onReject: ((rejection: Rejection, peer: Buffer | undefined) => void) | undefined;
  onHandshakeFailed: ((failure: HandshakeFailure) => void) | undefined;
  readonly capabilities: TransportCapabilities;
  protected readonly socket: S;
  protected readonly writer: WriterQueue;
  private readonly host: string;
  private readonly warn: (message: string) => void;
  /** Started at the first bind/connect: an observer keeps the process alive, an unused transport must not. */
  private peers: PeerTracker | undefined;
  /** Set by `bind(_, { acceptOnlyFirstPeer: true })`: refuses a connection while another is admitted. */
  private gate: PeerGate | undefined;
  /** The ZAP domain of a bound socket with a gate or a CURVE allow-list (one per socket). */
  private zap: ZapDomain | undefined;
  /** Bound as a CURVE server: every failed handshake is a client kept out. */
  private curveServer = false;
  /** Limits peers told us they enforce, when lower than ours (empty in the usual case: no lookups). */
  private readonly peerLimits = new Map<string, ProtocolLimits>();
  /** Peers (routing id in latin1; '' for a DEALER's one peer) that listed the `batch` capability. */
  private readonly batchPeers = new Set<string>();
  /** Peers that listed `frames`: large binary values go to them as frames after the payload. */
  private readonly framePeers = new Set<string>();
  private readonly bound: string[] = [];
  private readonly connected = new Set<string>();
  private endpointValue: string | undefined;
  private looping = false;
  private closedFlag = false;
  private closePromise: Promise<void> | undefined;

  protected constructor(
    make: (options: ZmqSocketOptions) => S,
    /** Which side parseFrames checks the frames for: a DEALER receives as 'parent'. */
    private readonly receiver: 'child' | 'parent',
    options: TransportOptions,
  ) {
    const resolved = resolveOptions(options);
    this.limits = resolved.limits;
    this.host = resolved.host;
    this.warn = resolved.warn;
    this.socket = make(resolved.socket);
    this.capabilities = {
      curve: capability.curve === true,
      batch: resolved.batch,
      payloadFrames: resolved.payloadFrames,
    };
    this.stats = createStats();
    this.writer = new WriterQueue(this.socket, resolved.sendTimeoutMs, this.stats, () => this.describe(), packBatch);
  }

  get endpoint(): string | undefined {
    return this.endpointValue;
  }

  get port(): number | undefined {
    const endpoint = this.endpointValue;
    return endpoint !== undefined && isTcp(endpoint) ? portOf(endpoint) : undefined;
  }

  get connectedPeers(): number {
    return this.peers?.count ?? 0;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  async bind(endpoint?: string, options: BindOptions = {}): Promise<string> {
    this.assertOpen('bind');
    const target = endpoint === undefined ? tcpEndpoint(this.host, '*') : checkEndpoint('bind()', endpoint);
    if (isTcp(target)) {
      const host = hostOf(target);
      // Under CURVE every connection is authenticated, so the warning would be wrong.
      if (!isLoopback(host) && !options.curve) {
        this.warn(
          `binding ${target}: Multifrost messages are not authenticated; anyone who can reach this address can call the worker`,
        );
      }
      if (isIpv6(host)) this.socket.ipv6 = true;
    }
    this.trackPeers();
    if (options.curve) this.becomeCurveServer(options.curve);
    const policies: ZapPolicy[] = [];
    // The allow-list comes first: a stranger without an allowed key must not take the one slot.
    if (options.curve) policies.push(new CurveAllowList(new Set(options.curve.allow)));
    if (options.acceptOnlyFirstPeer && !this.gate) {
      this.gate = new PeerGate(() => this.connectedPeers);
      policies.push(this.gate);
    }
    if (policies.length > 0 && !this.zap) {
      const zap = new ZapDomain(policies, () => {
        this.stats.refusedPeers = (this.stats.refusedPeers ?? 0) + 1;
      });
      this.zap = zap;
      await zap.open();
      // Set before the bind: libzmq reads the domain when it sets up each accepted connection.
      this.socket.zapDomain = zap.domain;
    }
    try {
      await this.socket.bind(target);
    } catch (err) {
      throw new MultifrostError('TRANSPORT', `Could not bind ${target}: ${(err as Error).message}`, { cause: err });
    }
    // The endpoint libzmq actually chose: binding `*` and reading it back has no probe-then-bind race.
    const real = this.socket.lastEndpoint ?? target;
    this.bound.push(real);
    this.endpointValue = real;
    debug('bound %s', real);
    this.startLoop();
    return real;
  }

  connect(endpoint: string, options: ConnectOptions = {}): void {
    this.assertOpen('connect');
    const target = checkEndpoint('connect()', endpoint);
    if (isTcp(target) && isIpv6(hostOf(target))) this.socket.ipv6 = true;
    // libzmq copies the socket's options into each connection as it is made, so these apply to
    // this connect (and to later ones until changed).
    if (options.curve) this.becomeCurveClient(options.curve);
    this.trackPeers();
    this.socket.connect(target);
    this.connected.add(target);
    this.endpointValue = target;
    debug('connecting to %s', target);
    this.startLoop();
  }

  disconnect(endpoint: string): void {
    if (!this.connected.delete(endpoint) || this.closedFlag) return;
    // Whoever answers at the next endpoint has to say again what it understands.
    this.batchPeers.clear();
    this.framePeers.clear();
    try {
      this.socket.disconnect(endpoint);
    } catch (err) {
      debug('disconnect %s failed: %s', endpoint, String(err));
    }
    this.peers?.forget(endpoint);
  }

  close(): Promise<void> {
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  protected assertOpen(what: string): void {
    if (this.closedFlag) throw new MultifrostError('CLOSED', `Cannot ${what}: the transport is closed`);
  }

  /**
   * Encodes now and queues `[empty, payload]` (with `peer`, a ROUTER's `[peer, empty, payload]`); an
   * encode error rejects and sends nothing.
   */
  protected enqueue(peer: Buffer | undefined, message: Message): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const failed = this.enqueueWith(peer, message, reject, resolve);
      if (failed) reject(failed);
    });
  }

  /**
   * Returns the error when the message cannot be queued at all (closed, encode failure), so a
   * caller learns of it before `post` returns; `onError` (which gets the message as its second
   * argument, see WriterQueue.post) only hears of failures after queueing.
   */
  protected enqueueWith(
    peer: Buffer | undefined,
    message: Message,
    onError: SendErrorHandler,
    onSent?: () => void,
  ): Error | undefined {
    // What we know of the peer is kept by its routing id in latin1 (a ROUTER sends to a routing id;
    // a DEALER has one peer, ''), read once, and only when we know anything.
    const known = this.peerLimits.size > 0 || this.framePeers.size > 0 || this.batchPeers.size > 0;
    const key = known && peer !== undefined ? this.peerKey(peer) : '';
    const limits = this.peerLimits.size === 0 ? this.limits : (this.peerLimits.get(key) ?? this.limits);
    const frames: Uint8Array[] | undefined = this.framePeers.size > 0 && this.framePeers.has(key) ? [] : undefined;
    const payload = payloadForSend(message, limits, this.closedFlag, frames);
    if (payload instanceof MultifrostError) {
      this.stats.sendErrors++;
      return limits === this.limits ? payload : overPeerLimit(payload, message, limits.maxMessageBytes);
    }
    // [routing id, empty, payload] from a ROUTER, [empty, payload] from a DEALER: made at their final
    // length (pushing onto a shorter literal would allocate a larger backing store every message).
    const out = peer === undefined ? [EMPTY, payload] : [peer, EMPTY, payload];
    if (frames !== undefined && frames.length > 0) {
      // Sent by reference (zeromq.js does not copy a frame this large): the caller's bytes go out as they are.
      for (const frame of frames)
        out.push(Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
      this.stats.framedMessages = (this.stats.framedMessages ?? 0) + 1;
      this.writer.post(out, onError, onSent, message);
      return undefined;
    }
    const batchKey =
      this.batchPeers.size > 0 && payload.length <= BATCH_ITEM_MAX_BYTES && this.batchPeers.has(key) ? key : undefined;
    this.writer.post(out, onError, onSent, message, batchKey);
    return undefined;
  }

  /** The last routing id seen by enqueueWith, a copy of its bytes, and its key. */
  private lastPeerBytes: Uint8Array = new Uint8Array(0);
  private lastPeerKey = '';

  /**
   * A routing id's key (latin1). Replies mostly go to the peer of the one before (every item of a
   * batch), so the last key is kept and reused when the bytes are the same: comparing a few bytes
   * is cheaper than making the string each time. Compared by content, not by Buffer identity, since
   * a caller may reuse one Buffer for different peers.
   */
  private peerKey(peer: Buffer): string {
    const last = this.lastPeerBytes;
    const n = peer.length;
    if (n === last.length) {
      let i = 0;
      while (i < n && peer[i] === last[i]) i++;
      if (i === n) return this.lastPeerKey;
    }
    this.lastPeerBytes = Uint8Array.prototype.slice.call(peer);
    this.lastPeerKey = peer.toString('latin1');
    return this.lastPeerKey;
  }

  setPeerCapabilities(caps: ReadonlySet<string>, peer?: Buffer): void {
    const key = peer ? peer.toString('latin1') : '';
    if (this.capabilities.payloadFrames && caps.has(CAP_FRAMES)) {
      if (this.framePeers.has(key) || this.framePeers.size < MAX_PEER_LIMITS) this.framePeers.add(key);
    } else {
      this.framePeers.delete(key);
    }
    // A peer whose own limit is low gets no batches: a full batch could exceed it.
    const roomy = (this.peerLimits.get(key)?.maxMessageBytes ?? this.limits.maxMessageBytes) >= BATCH_MIN_PEER_LIMIT;
    if (!this.capabilities.batch || !caps.has(CAP_BATCH) || !roomy) {
      this.batchPeers.delete(key);
      return;
    }
    // Bounded like the limits: routing ids a stranger invents cannot grow it forever.
    if (!this.batchPeers.has(key) && this.batchPeers.size >= MAX_PEER_LIMITS) return;
    this.batchPeers.add(key);
  }

  setPeerMaxMessageBytes(bytes: number, peer?: Buffer): void {
    const key = peer ? peer.toString('latin1') : '';
    if (!Number.isInteger(bytes) || bytes <= 0 || bytes >= this.limits.maxMessageBytes) {
      this.peerLimits.delete(key);
      return;
    }
    // Bounded: peers that come and go (or a stranger inventing routing ids) cannot grow it forever.
    if (!this.peerLimits.has(key) && this.peerLimits.size >= MAX_PEER_LIMITS) return;
    this.peerLimits.set(key, { ...this.limits, maxMessageBytes: bytes });
  }

  /** Hands a valid message to the subclass's onMessage (peer is set for a ROUTER). */
  protected abstract deliver(message: Message, peer: Buffer | undefined): void;

  private describe(): string {
    const where = [...this.bound, ...this.connected];
    return where.length > 0 ? where.join(', ') : 'an unbound, unconnected socket';
  }

  /** The observer must exist before bind/connect, or the first handshake event is missed. */
  private trackPeers(): void {
    this.peers ??= new PeerTracker(
      this.socket,
      (n) => {
        this.gate?.peersChanged(n);
        this.onPeersChanged?.(n);
      },
      this.warn,
      (event) => this.handshakeFailed(event),
      () => {
        this.stats.failedAccepts = (this.stats.failedAccepts ?? 0) + 1;
      },
    );
  }

  private handshakeFailed(event: Event): void {
    if (!('address' in event)) return;
    const kind =
      event.type === 'handshake:error:auth' ? 'auth' : event.type === 'handshake:error:protocol' ? 'protocol' : 'other';
    const error = 'error' in event ? (event.error as { status?: unknown; code?: unknown } | undefined) : undefined;
    const detail =
      error?.status !== undefined ? String(error.status) : error?.code !== undefined ? String(error.code) : undefined;
    debug('handshake failed on %s: %s %s', event.address, kind, String(detail));
    // The ZAP handler counts the keys it refuses ('auth'); a client without CURVE, or one that
    // fails the key exchange, never reaches it, and is just as much kept out.
    if (this.curveServer && kind !== 'auth') this.stats.refusedPeers = (this.stats.refusedPeers ?? 0) + 1;
    try {
      this.onHandshakeFailed?.({ endpoint: event.address, kind, ...(detail === undefined ? {} : { detail }) });
    } catch (err) {
      this.warn(`onHandshakeFailed handler threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }

  private becomeCurveServer(curve: CurveServerOptions): void {
    assertCurveAvailable(this.capabilities.curve);
    checkKeys('bind()', { publicKey: curve.publicKey, secretKey: curve.secretKey });
    const allow = [...(curve.allow ?? [])];
    if (allow.length === 0 || !allow.every(isCurveKey)) {
      throw new MultifrostError('INVALID_ARGUMENT', 'bind(): curve.allow must be a non-empty list of Z85 public keys');
    }
    this.socket.curveServer = true;
    this.curveServer = true;
    this.socket.curvePublicKey = curve.publicKey;
    this.socket.curveSecretKey = curve.secretKey;
  }

  private becomeCurveClient(curve: CurveClientOptions): void {
    assertCurveAvailable(this.capabilities.curve);
    checkKeys('connect()', { ...curve });
    this.socket.curveServerKey = curve.serverKey;
    this.socket.curvePublicKey = curve.publicKey;
    this.socket.curveSecretKey = curve.secretKey;
  }

  private startLoop(): void {
    if (this.looping) return;
    this.looping = true;
    void this.receiveLoop();
  }

  /**
   * Reads and handles messages, one at a time. What a message causes (a reply, or the next call of
   * the code that awaited a reply) is sent before the socket is polled for the next one, as in a
   * hand-written receive-then-send loop (re-arming the read first makes every later send check the
   * socket for readability too: syscalls on the latency path). When more messages are already
   * waiting, the loop reads them in a run: without a readability check per read (each is a syscall
   * in libzmq) and with the writer corked, so what the run causes leaves in a few bursts (after 8
   * messages, 16 more, 32, then every 64, and at the end) and libzmq's I/O thread wakes once per
   * burst. A message whose read waited (the socket was idle) is not checked for a next one at all;
   * one read at once pays one check, after its reply has left.
   */
  private async receiveLoop(): Promise<void> {
    const socket = this.socket;
    /** Messages read in the current run (0: not in one; reads wait, the writer is not corked). */
    let run = 0;
    /** Messages read since a read last waited or the loop last yielded to the event loop. */
    let unbroken = 0;
    /** Within a run: the next run length at which what it caused is sent, and the segment before it. */
    let flushAt = 0;
    let segment = 0;
    while (!this.closedFlag) {
      let frames: Buffer[];
      if (run === 0) {
        // A burst of sends still leaving goes before the read that waits (WriterQueue.sent).
        const sending = this.writer.sent();
        if (sending !== undefined) await sending;
        if (this.closedFlag) break;
      }
      const asked = run === 0 ? performance.now() : 0;
      let waited: number;
      try {
        frames = await socket.receive();
        waited = run === 0 ? performance.now() - asked : 0;
      } catch (err) {
        // A pending receive rejects (EAGAIN) when the socket closes: that is the normal way out.
        if (this.closedFlag) break;
        if ((err as { code?: unknown }).code === 'EAGAIN') {
          if (run > 0) run = this.endRun();
          continue;
        }
        this.warn(`receive failed on ${this.describe()}: ${String(err)}`);
        break;
      }
      const batch = this.handleFrames(frames);
      if (batch !== undefined) await this.handleBatch(batch.items, batch.peer);
      // A lone message (its read waited) is not checked for a next one: that check is a syscall.
      if (run === 0) {
        this.writer.kick();
        if (waited > BUSY_READ_MS) {
          unbroken = 0;
          continue;
        }
      }
      if (++unbroken >= MAX_READS_PER_TURN) {
        // Reads that never wait never leave the microtask queue: let timers and other I/O in.
        if (run > 0) run = this.endRun();
        unbroken = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      if (!this.closedFlag && socket.readable) {
        if (run === 0) {
          this.writer.cork();
          socket.receiveTimeout = 0; // the next message is there: read it without a check
          segment = FIRST_RUN_SEGMENT;
          flushAt = segment;
        } else if (run === flushAt) {
          // What the run caused so far leaves now, so the peer works on it while this side reads on.
          this.writer.sendQueued();
          segment = Math.min(segment * 2, MAX_RUN_SEGMENT);
          flushAt += segment;
        }
        run++;
        continue;
      }
      if (run > 0) run = this.endRun();
    }
    this.writer.uncork();
  }

  /** Ends a run (receiveLoop): what it caused leaves now, and reads wait again. Returns 0. */
  private endRun(): number {
    if (!this.closedFlag) this.socket.receiveTimeout = -1;
    this.writer.uncork();
    return 0;
  }

  /** Handles one message; a batch is handed back, for handleBatch. */
  private handleFrames(frames: Buffer[]): { items: Buffer[]; peer: Buffer | undefined } | undefined {
    const result = parseFrames(frames, this.receiver, this.limits);
    if (!result.ok) {
      this.dropped(result, result.peer);
      return undefined;
    }
    if (result.message.type === 'batch') return { items: result.message.items as Buffer[], peer: result.peer };
    this.handOver(result.message, result.peer);
    return undefined;
  }

  /**
   * Each item of a batch is handled as if it had come alone, in order; the envelope itself is not
   * counted. A caller (parent) reads a batch in parts and lets the calls each part caused (the next
   * calls of the code that awaited them) be made and sent before it reads on: the worker starts on
   * them while the parent works through the rest, so the two processes work at the same time rather
   * than in turns. Handled whole, a batch of 64 replies made 64 calls that left as one batch once
   * all were made, and each side waited while the other worked (about 20% fewer calls per second
   * at 64 and 256 in flight; docs/benchmarks.md). A part is a quarter of the calls in flight, 32 at
   * least, so about four batches are on their way at any time: parts sized by the batch itself
   * settled at 32 whatever the load, and at 256 and 1,024 in flight the larger parts measured
   * faster, for less CPU (fewer, larger messages). A service handles a batch whole (slicing there as
   * well measured no better). Nothing else is read meanwhile.
   */
  private async handleBatch(items: Buffer[], peer: Buffer | undefined): Promise<void> {
    const slice = this.receiver === 'parent' ? this.batchPart() : Infinity;
    for (let i = 0; i < items.length; i++) {
      if (i > 0 && i % slice === 0) {
        await RESOLVED;
        if (this.closedFlag) return;
        this.writer.sendQueued();
      }
      const item = unpackBatchItem(items[i]!, this.limits);
      if (item.ok) this.handOver(item.message, peer);
      else this.dropped(item, peer);
    }
  }

  /**
   * A caller's part of a reply batch: a BATCH_SLICES-th of the messages sent or queued and not
   * answered, which are its calls in flight near enough (heartbeats and stream items blur it; a wrong
   * guess only sizes the parts), and BATCH_SLICE_MIN at least.
   */
  private batchPart(): number {
    const inFlight = this.stats.sent + this.stats.queued - this.stats.received;
    return Math.max(BATCH_SLICE_MIN, Math.ceil(inFlight / BATCH_SLICES));
  }

  private handOver(message: Message, peer: Buffer | undefined): void {
    this.stats.received++;
    try {
      this.deliver(message, peer);
    } catch (err) {
      // A throwing handler is the application's bug; the socket must keep serving other messages.
      this.warn(`onMessage handler threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }

  private dropped(result: Rejection, peer: Buffer | undefined): void {
    this.stats.dropped++;
    this.stats.droppedByReason[result.reason]++;
    debug('dropped frames on %s: %s (%s)', this.describe(), result.reason, result.detail);
    try {
      this.onReject?.(result, peer);
    } catch (err) {
      this.warn(`onReject handler threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }

  private async doClose(): Promise<void> {
    this.closedFlag = true;
    this.writer.close();
    // linger 0 (default): pending outgoing messages are discarded, nothing holds the process open.
    // No unbind first: unbinding a listener with accepted connections and closing the socket right
    // after makes libzmq 4.3.5 abort the process now and then (an assertion in pipe.cpp, the two
    // terminations of the same pipes racing; 8 of 100 stressed runs of the lifecycle tests, 0 of
    // 100 without the unbind).
    this.socket.close();
    this.peers?.stop();
    this.gate?.close();
    this.zap?.close();
    // libzmq closes the listeners in its I/O thread, after close() returns; wait until their ports
    // are free, so that a re-bind of the same port right after close() resolves cannot fail.
    await Promise.all(this.bound.filter(isTcp).map((endpoint) => waitUntilFree(hostOf(endpoint), portOf(endpoint))));
    debug('closed %s', this.describe());
  }
}

function checkKeys(where: string, keys: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(keys)) {
    if (!isCurveKey(value)) {
      throw new MultifrostError('INVALID_ARGUMENT', `${where}: curve.${name} must be a 40-character Z85 key`);
    }
  }
}

/** Messages larger than this always travel alone: batching pays off for small ones only. */
const BATCH_ITEM_MAX_BYTES = 16 * 1024;
/**
 * A caller handles a batch of replies in parts of a BATCH_SLICES-th of its calls in flight, at
 * least BATCH_SLICE_MIN, sending the calls each part caused before the next (handleBatch).
 */
const BATCH_SLICES = 4;
const BATCH_SLICE_MIN = 32;
/**
 * A run of reads (receiveLoop) sends what it caused after its first 8 messages, then after 16 more,
 * 32, and every 64: the first replies (or calls) leave early, so the peer is not left waiting while
 * a run covers all the calls in flight (at 64 in flight, flushing only every 64 made both sides take
 * turns), and long runs flush rarely (at 256 in flight, every 16 cost as many syscalls as no runs).
 */
const FIRST_RUN_SEGMENT = 8;
const MAX_RUN_SEGMENT = 64;
/** The empty delimiter frame before every payload. */
const EMPTY = Buffer.alloc(0);
/** A read that waited longer than this (ms) found the socket idle: no run is looked for after it. */
const BUSY_READ_MS = 0.05;
/** Messages read in a row without waiting before the loop yields to the event loop once. */
const MAX_READS_PER_TURN = 512;
const RESOLVED = Promise.resolve();
/** A peer announcing a lower maxMessageBytes gets no batches (a full one is about 256 KiB). */
const BATCH_MIN_PEER_LIMIT = 1024 * 1024;

const packBatch = (payloads: Buffer[], tag: unknown): Buffer => encodeBatch((tag as Message).app, payloads);

/** Peers whose lower limit is remembered at most; further ones are sent to and refused as before. */
const MAX_PEER_LIMITS = 1024;

/** An ENCODE over-size error against a peer's lower limit, said as what it is. */
function overPeerLimit(err: MultifrostError, message: Message, limit: number): MultifrostError {
  const size = (err.details as { size?: unknown }).size;
  if (typeof size !== 'number') return err;
  return new MultifrostError(
    'TOO_LARGE',
    `${message.type} message is ${size} bytes, over the ${limit}-byte limit the receiving peer announced (its maxMessageBytes); not sent`,
    { details: { size, limit } },
  );
}

/** How long close() waits at most for libzmq to release a listening port. */
const PORT_RELEASE_WAIT_MS = 2_000;

/**
 * Resolves once a listener can be opened on host:port (then closes it at once), or after
 * PORT_RELEASE_WAIT_MS, or on any error other than EADDRINUSE. Never rejects.
 */
async function waitUntilFree(host: string, port: number): Promise<void> {
  const giveUpAt = Date.now() + PORT_RELEASE_WAIT_MS;
  for (;;) {
    const outcome = await new Promise<'free' | 'busy' | 'other'>((resolve) => {
      const probe = createServer();
      probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE' ? 'busy' : 'other'));
      probe.listen({ host: host === '*' ? undefined : host, port, exclusive: true }, () =>
        probe.close(() => resolve('free')),
      );
    });
    if (outcome !== 'busy') {
      if (outcome === 'other') debug('could not check that port %d is free', String(port));
      return;
    }
    if (Date.now() >= giveUpAt) {
      debug('port %d still in use %d ms after close', String(port), String(PORT_RELEASE_WAIT_MS));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
