/**
 * The zeromq-backed transports: a DEALER for parents and a ROUTER for children, sharing socket
 * options, a queued writer (one send in flight, as zeromq.js requires), a receive loop that
 * validates every frame set and counts what it drops, and peer tracking from libzmq's events.
 */
import {
  DEFAULT_LIMITS,
  MultifrostError,
  REJECT_REASONS,
  createDebug,
  encodeMessage,
  parseFrames,
  type Message,
  type ProtocolLimits,
  type RejectReason,
  type Rejection,
} from '@multifrost/protocol';
import { Dealer, Router } from 'zeromq';
import type { CallerTransport, ServiceTransport, TransportOptions, TransportStats } from './types.js';
import { WriterQueue } from './writer-queue.js';

const debug = createDebug('multifrost:transport');
const EMPTY = Buffer.alloc(0);
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
/** Frame overhead allowed on top of the payload limit before libzmq refuses a message. */
const FRAME_SLACK = 1024;

function emptyReasons(): Record<RejectReason, number> {
  const out = {} as Record<RejectReason, number>;
  for (const r of REJECT_REASONS) out[r] = 0;
  return out;
}

abstract class ZmqTransportBase<S extends Dealer | Router> {
  readonly stats: TransportStats;
  readonly limits: ProtocolLimits;
  onPeersChanged: ((connectedPeers: number) => void) | undefined;
  onReject: ((rejection: Rejection, peer: Buffer | undefined) => void) | undefined;
  protected readonly socket: S;
  protected readonly writer: WriterQueue;
  private readonly host: string;
  private readonly warn: (message: string) => void;
  private peers = 0;
  private portValue: number | undefined;
  private endpoints = new Set<string>();
  private bound: string | undefined;
  private looping = false;
  private closedFlag = false;
  private closePromise: Promise<void> | undefined;

  protected constructor(
    make: (options: Record<string, number>) => S,
    private readonly receiver: 'child' | 'parent',
    options: TransportOptions,
  ) {
    this.limits = {
      maxMessageBytes: options.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes,
      maxDepth: options.maxDepth ?? DEFAULT_LIMITS.maxDepth,
    };
    this.host = options.host ?? '127.0.0.1';
    this.warn = options.onWarning ?? ((m) => debug('warning: %s', m));
    const hbInterval = options.zmtpHeartbeatIntervalMs ?? 1000;
    const socketOptions: Record<string, number> = {
      linger: options.lingerMs ?? 0,
      sendTimeout: options.sendTimeoutMs ?? 5000,
      maxMessageSize: this.limits.maxMessageBytes + FRAME_SLACK,
      sendHighWaterMark: options.sendHighWaterMark ?? 10_000,
      receiveHighWaterMark: options.receiveHighWaterMark ?? 10_000,
    };
    if (hbInterval > 0) {
      socketOptions.heartbeatInterval = hbInterval;
      socketOptions.heartbeatTimeout = options.zmtpHeartbeatTimeoutMs ?? 5000;
      socketOptions.heartbeatTimeToLive = options.zmtpHeartbeatTimeoutMs ?? 5000;
    }
    this.socket = make(socketOptions);
    this.stats = { received: 0, sent: 0, dropped: 0, droppedByReason: emptyReasons(), sendErrors: 0, queued: 0 };
    this.writer = new WriterQueue(this.socket as unknown as ConstructorParameters<typeof WriterQueue>[0], socketOptions.sendTimeout!, this.stats, () => this.describe());
    this.socket.events.on('handshake', () => this.setPeers(this.peers + 1));
    this.socket.events.on('disconnect', () => this.setPeers(Math.max(0, this.peers - 1)));
  }

  get port(): number | undefined {
    return this.portValue;
  }

  get connectedPeers(): number {
    return this.peers;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  async bind(port = 0): Promise<number> {
    this.assertOpen('bind');
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new MultifrostError('INVALID_ARGUMENT', `bind(): port must be an integer in 0-65535, got ${String(port)}`);
    }
    if (!LOOPBACK.has(this.host)) {
      this.warn(`binding ${this.host}: Multifrost messages are not authenticated; anyone who can reach this address can call the worker`);
    }
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    try {
      await this.socket.bind(`tcp://${host}:${port === 0 ? '*' : port}`);
    } catch (err) {
      throw new MultifrostError('TRANSPORT', `Could not bind tcp://${host}:${port === 0 ? '*' : port}: ${(err as Error).message}`, { cause: err });
    }
    const endpoint = this.socket.lastEndpoint ?? '';
    this.bound = endpoint;
    this.portValue = Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
    this.startLoop();
    return this.portValue;
  }

  connect(port: number, host = '127.0.0.1'): void {
    this.assertOpen('connect');
    const endpoint = `tcp://${host}:${port}`;
    this.socket.connect(endpoint);
    this.endpoints.add(endpoint);
    this.portValue = port;
    this.startLoop();
  }

  disconnect(port: number, host = '127.0.0.1'): void {
    const endpoint = `tcp://${host}:${port}`;
    if (!this.endpoints.delete(endpoint) || this.closedFlag) return;
    try {
      this.socket.disconnect(endpoint);
    } catch (err) {
      debug('disconnect %s failed: %s', endpoint, String(err));
    }
  }

  close(): Promise<void> {
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  protected assertOpen(what: string): void {
    if (this.closedFlag) throw new MultifrostError('CLOSED', `Cannot ${what}: the transport is closed`);
  }

  /** Encodes once and queues `[...head, payload]`; an encode error rejects and sends nothing. */
  protected enqueue(head: Buffer[], message: Message): Promise<void> {
    return new Promise<void>((resolve, reject) => this.enqueueWith(head, message, reject, resolve));
  }

  protected enqueueWith(head: Buffer[], message: Message, onError: (err: Error) => void, onSent?: () => void): void {
    if (this.closedFlag) {
      onError(new MultifrostError('CLOSED', `Cannot send ${message.type}: the transport is closed`));
      return;
    }
    let payload: Buffer;
    try {
      payload = encodeMessage(message, this.limits);
    } catch (err) {
      this.stats.sendErrors++;
      onError(err as Error);
      return;
    }
    head.push(payload);
    this.writer.post(head, onError, onSent);
  }

  protected abstract deliver(message: Message, peer: Buffer | undefined): void;

  private describe(): string {
    return this.bound ?? [...this.endpoints].join(', ') ?? 'unconnected socket';
  }

  private setPeers(n: number): void {
    if (n === this.peers) return;
    this.peers = n;
    try {
      this.onPeersChanged?.(n);
    } catch (err) {
      this.warn(`onPeersChanged handler threw: ${String(err)}`);
    }
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
        if (this.closedFlag) break;
        const code = (err as { code?: string }).code;
        if (code === 'EAGAIN') continue;
        this.warn(`receive failed on ${this.describe()}: ${String(err)}`);
        break;
      }
      this.handleFrames(frames);
    }
  }

  private handleFrames(frames: Buffer[]): void {
    const result = parseFrames(frames, this.receiver, this.limits);
    if (result.ok) {
      this.stats.received++;
      try {
        this.deliver(result.message, result.peer);
      } catch (err) {
        this.warn(`message handler threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
      return;
    }
    this.stats.dropped++;
    this.stats.droppedByReason[result.reason]++;
    debug('dropped frames on %s: %s (%s)', this.describe(), result.reason, result.detail);
    try {
      this.onReject?.(result, result.peer);
    } catch (err) {
      this.warn(`onReject handler threw: ${String(err)}`);
    }
  }

  private async doClose(): Promise<void> {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.writer.close();
    // Unbind first so the port is free the moment close() resolves (a re-bind must succeed).
    if (this.bound) await this.socket.unbind(this.bound).catch(() => undefined);
    // Closing the socket also ends its event observer; closing the observer first makes its
    // internal receive loop reject with ENOTSOCK, unhandled.
    this.socket.close();
    this.setPeers(0);
  }
}

export class ZmqCallerTransport extends ZmqTransportBase<Dealer> implements CallerTransport {
  onMessage: ((message: Message) => void) | undefined;

  constructor(options: TransportOptions = {}) {
    super((o) => new Dealer(o), 'parent', options);
  }

  send(message: Message): Promise<void> {
    return this.enqueue([EMPTY], message);
  }

  post(message: Message, onError: (err: Error) => void): void {
    this.enqueueWith([EMPTY], message, onError);
  }

  protected deliver(message: Message): void {
    this.onMessage?.(message);
  }
}

export class ZmqServiceTransport extends ZmqTransportBase<Router> implements ServiceTransport {
  onMessage: ((message: Message, peer: Buffer) => void) | undefined;

  constructor(options: TransportOptions = {}) {
    super((o) => new Router(o), 'child', options);
  }

  /** Replies to one peer. A ROUTER silently drops messages to a peer that is gone (no ROUTER_MANDATORY). */
  send(peer: Buffer, message: Message): Promise<void> {
    return this.enqueue([peer, EMPTY], message);
  }

  post(peer: Buffer, message: Message, onError: (err: Error) => void, onSent?: () => void): void {
    this.enqueueWith([peer, EMPTY], message, onError, onSent);
  }

  protected deliver(message: Message, peer: Buffer | undefined): void {
    this.onMessage?.(message, peer!);
  }
}

export function createCallerTransport(options?: TransportOptions): CallerTransport {
  return new ZmqCallerTransport(options);
}

export function createServiceTransport(options?: TransportOptions): ServiceTransport {
  return new ZmqServiceTransport(options);
}
