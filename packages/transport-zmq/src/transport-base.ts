/**
 * What the DEALER and ROUTER transports share: socket options, bind/connect bookkeeping, the
 * queued writer, the receive loop that validates and counts every frame set, peer tracking and
 * close. Subclasses only add the frame prefix they send and the shape of their onMessage.
 */
import {
  MultifrostError,
  encodeMessage,
  parseFrames,
  type Message,
  type ProtocolLimits,
  type Rejection,
} from '@multifrost/protocol';
import type { Dealer, Router } from 'zeromq';
import { debug } from './debug.js';
import { checkPort, isIpv6, isLoopback, portOf, tcpEndpoint } from './endpoint.js';
import { resolveOptions, type ZmqSocketOptions } from './options.js';
import { PeerTracker } from './peer-tracker.js';
import { createStats } from './stats.js';
import type { TransportOptions, TransportStats } from './types.js';
import { WriterQueue, type SendErrorHandler } from './writer-queue.js';

export abstract class ZmqTransportBase<S extends Dealer | Router> {
  readonly stats: TransportStats;
  readonly limits: ProtocolLimits;
  onPeersChanged: ((connectedPeers: number) => void) | undefined;
  onReject: ((rejection: Rejection, peer: Buffer | undefined) => void) | undefined;
  protected readonly socket: S;
  protected readonly writer: WriterQueue;
  private readonly host: string;
  private readonly warn: (message: string) => void;
  /** Started at the first bind/connect: an observer keeps the process alive, an unused transport must not. */
  private peers: PeerTracker | undefined;
  private readonly bound: string[] = [];
  private readonly connected = new Set<string>();
  private portValue: number | undefined;
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
    this.stats = createStats();
    this.writer = new WriterQueue(this.socket, resolved.sendTimeoutMs, this.stats, () => this.describe());
  }

  get port(): number | undefined {
    return this.portValue;
  }

  get connectedPeers(): number {
    return this.peers?.count ?? 0;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  async bind(port = 0): Promise<number> {
    this.assertOpen('bind');
    checkPort('bind()', port, true);
    if (!isLoopback(this.host)) {
      this.warn(
        `binding ${tcpEndpoint(this.host, port || '*')}: Multifrost messages are not authenticated; anyone who can reach this address can call the worker`,
      );
    }
    if (isIpv6(this.host)) this.socket.ipv6 = true;
    const endpoint = tcpEndpoint(this.host, port === 0 ? '*' : port);
    this.trackPeers();
    try {
      await this.socket.bind(endpoint);
    } catch (err) {
      throw new MultifrostError('TRANSPORT', `Could not bind ${endpoint}: ${(err as Error).message}`, { cause: err });
    }
    // The port libzmq actually chose: binding `*` and reading it back has no probe-then-bind race.
    const real = this.socket.lastEndpoint ?? endpoint;
    this.bound.push(real);
    this.portValue = portOf(real);
    debug('bound %s', real);
    this.startLoop();
    return this.portValue;
  }

  connect(port: number, host = '127.0.0.1'): void {
    this.assertOpen('connect');
    checkPort('connect()', port, false);
    if (isIpv6(host)) this.socket.ipv6 = true;
    const endpoint = tcpEndpoint(host, port);
    this.trackPeers();
    this.socket.connect(endpoint);
    this.connected.add(endpoint);
    this.portValue = port;
    debug('connecting to %s', endpoint);
    this.startLoop();
  }

  disconnect(port: number, host = '127.0.0.1'): void {
    const endpoint = tcpEndpoint(host, port);
    if (!this.connected.delete(endpoint) || this.closedFlag) return;
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

  /** Encodes now and queues `[...head, payload]`; an encode error rejects and sends nothing. */
  protected enqueue(head: Buffer[], message: Message): Promise<void> {
    return new Promise<void>((resolve, reject) => this.enqueueWith(head, message, reject, resolve));
  }

  /** `onError` gets the message as its second argument (see WriterQueue.post). */
  protected enqueueWith(head: Buffer[], message: Message, onError: SendErrorHandler, onSent?: () => void): void {
    if (this.closedFlag) {
      this.stats.sendErrors++;
      onError(new MultifrostError('CLOSED', `Cannot send ${String(message?.type)}: the transport is closed`), message);
      return;
    }
    let payload: Buffer;
    try {
      payload = encodeMessage(message, this.limits);
    } catch (err) {
      this.stats.sendErrors++;
      onError(
        err instanceof MultifrostError
          ? err
          : new MultifrostError('ENCODE', `Could not encode the ${String(message?.type)} message: ${String(err)}`, { cause: err }),
        message,
      );
      return;
    }
    head.push(payload);
    this.writer.post(head, onError, onSent, message);
  }

  /** Hands a valid message to the subclass's onMessage (peer is set for a ROUTER). */
  protected abstract deliver(message: Message, peer: Buffer | undefined): void;

  private describe(): string {
    const where = [...this.bound, ...this.connected];
    return where.length > 0 ? where.join(', ') : 'an unbound, unconnected socket';
  }

  /** The observer must exist before bind/connect, or the first handshake event is missed. */
  private trackPeers(): void {
    this.peers ??= new PeerTracker(this.socket, (n) => this.onPeersChanged?.(n), this.warn);
  }

  private startLoop(): void {
    if (this.looping) return;
    this.looping = true;
    void this.receiveLoop();
  }

  private async receiveLoop(): Promise<void> {
    const socket = this.socket;
    while (!this.closedFlag) {
      let frames: Buffer[];
      try {
        frames = await socket.receive();
      } catch (err) {
        // A pending receive rejects (EAGAIN) when the socket closes: that is the normal way out.
        if (this.closedFlag) break;
        if ((err as { code?: unknown }).code === 'EAGAIN') continue;
        this.warn(`receive failed on ${this.describe()}: ${String(err)}`);
        break;
      }
      this.handleFrames(frames);
      this.writer.kick();
    }
  }

  private handleFrames(frames: Buffer[]): void {
    const result = parseFrames(frames, this.receiver, this.limits);
    if (result.ok) {
      this.stats.received++;
      try {
        this.deliver(result.message, result.peer);
      } catch (err) {
        // A throwing handler is the application's bug; the socket must keep serving other messages.
        this.warn(`onMessage handler threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
      return;
    }
    this.stats.dropped++;
    this.stats.droppedByReason[result.reason]++;
    debug('dropped frames on %s: %s (%s)', this.describe(), result.reason, result.detail);
    try {
      this.onReject?.(result, result.peer);
    } catch (err) {
      this.warn(`onReject handler threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }

  private async doClose(): Promise<void> {
    this.closedFlag = true;
    this.writer.close();
    // Unbind before closing: unbind resolves once libzmq released the listening port, so a
    // re-bind of the same port right after close() resolves cannot hit EADDRINUSE.
    for (const endpoint of this.bound) {
      await this.socket.unbind(endpoint).catch((err: unknown) => debug('unbind %s failed: %s', endpoint, String(err)));
    }
    // linger 0 (default): pending outgoing messages are discarded, nothing holds the process open.
    this.socket.close();
    this.peers?.stop();
    debug('closed %s', this.describe());
  }
}
