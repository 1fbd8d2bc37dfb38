/**
 * One end of the in-memory transport, shared by the caller and the service: the same contract as
 * the ZeroMQ sockets (encode on send with the real codec, validate on receive with the real
 * parser, count in the same stats, CLOSED / SEND_TIMEOUT / ENCODE where ZeroMQ has them), with the
 * bytes carried by a resolved promise instead of a socket.
 *
 * Delivery is always a later microtask (a resolved promise's `then`), never synchronous and never a
 * timer: vitest's fake timers don't hold it up, and can't fake it away either. The send timeout and
 * a fault's delay are ordinary timers, so fake timers control them.
 */
import {
  MultifrostError,
  REJECT_REASONS,
  parseFrames,
  type Message,
  type ProtocolLimits,
  type RejectReason,
  type Rejection,
} from '@multifrost/protocol';
import { payloadForSend } from '@multifrost/protocol/internal';
import type { TransportStats } from '@multifrost/transport-zmq';
import type { Packet, Verdict } from './faults.js';
import type { Link, MemoryHub } from './memory-hub.js';

const EMPTY = Buffer.alloc(0);

export interface SocketSettings {
  sendTimeoutMs: number;
  limits: ProtocolLimits;
}

type ErrorHandler = (err: Error, message: Message) => void;

interface Entry {
  payload: Buffer;
  message: Message;
  /** Service side only: whom it is for. */
  peer: Buffer | undefined;
  onError: ErrorHandler;
  onSent: (() => void) | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
}

function createStats(): TransportStats {
  const droppedByReason = {} as Record<RejectReason, number>;
  for (const reason of REJECT_REASONS) droppedByReason[reason] = 0;
  return { received: 0, sent: 0, dropped: 0, droppedByReason, sendErrors: 0, queued: 0 };
}

export abstract class MemorySocket {
  readonly stats: TransportStats = createStats();
  readonly limits: ProtocolLimits;
  onPeersChanged: ((connectedPeers: number) => void) | undefined;
  onReject: ((rejection: Rejection, peer: Buffer | undefined) => void) | undefined;
  private readonly up: Link[] = [];
  private queue: Entry[] = [];
  private nextLink = 0;
  private pumpScheduled = false;
  private endpointValue: string | undefined;
  private closedFlag = false;
  private closePromise: Promise<void> | undefined;

  protected constructor(
    readonly kind: 'caller' | 'service',
    private readonly hub: MemoryHub,
    private readonly settings: SocketSettings,
  ) {
    this.limits = settings.limits;
    hub.opened(this);
  }

  get endpoint(): string | undefined {
    return this.endpointValue;
  }

  /** Memory endpoints have no port; the TCP convenience is always undefined here. */
  get port(): number | undefined {
    return undefined;
  }

  get connectedPeers(): number {
    return this.up.length;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  async bind(endpoint?: string): Promise<string> {
    this.assertOpen('bind');
    const real = this.hub.bind(this, endpoint);
    this.endpointValue = real;
    return real;
  }

  connect(endpoint: string): void {
    this.assertOpen('connect');
    this.hub.connect(this, endpoint);
    this.endpointValue = endpoint;
  }

  disconnect(endpoint: string): void {
    if (this.closedFlag) return;
    this.hub.disconnect(this, endpoint);
  }

  close(): Promise<void> {
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  /** The hub calls this once a link's handshake is done. */
  linkUp(link: Link): void {
    if (this.closedFlag) return;
    this.up.push(link);
    this.peersChanged();
    this.schedulePump();
  }

  linkDown(link: Link): void {
    if (this.closedFlag) return;
    const i = this.up.indexOf(link);
    if (i < 0) return;
    this.up.splice(i, 1);
    this.peersChanged();
  }

  /** Raw frames as if they had arrived from the wire (a service gets the routing id put in front). */
  inject(frames: Buffer[], peer: Buffer | undefined): void {
    const full = this.kind === 'service' ? [peer ?? this.hub.newRoutingId(), ...frames] : frames;
    void Promise.resolve().then(() => this.receive(full, undefined));
  }

  protected abstract deliver(message: Message, peer: Buffer | undefined): void;

  /** Returns the error when nothing can be queued (closed, encode failure); see CallerTransport.post. */
  protected enqueue(
    peer: Buffer | undefined,
    message: Message,
    onError: ErrorHandler,
    onSent?: () => void,
  ): Error | undefined {
    const payload = payloadForSend(message, this.limits, this.closedFlag);
    if (payload instanceof MultifrostError) {
      this.stats.sendErrors++;
      return payload;
    }
    this.queue.push({ payload, message, peer, onError, onSent, timer: undefined });
    this.stats.queued++;
    this.schedulePump();
    return undefined;
  }

  protected sendPromise(peer: Buffer | undefined, message: Message): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const failed = this.enqueue(peer, message, reject, resolve);
      if (failed) reject(failed);
    });
  }

  private assertOpen(what: string): void {
    if (this.closedFlag) throw new MultifrostError('CLOSED', `Cannot ${what}: the transport is closed`);
  }

  private where(): string {
    return this.endpointValue ?? 'an unbound, unconnected memory transport';
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.queue.length === 0) return;
    this.pumpScheduled = true;
    void Promise.resolve().then(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Hands over, in order, everything that has somewhere to go; a caller's entry with no peer waits. */
  private pump(): void {
    if (this.closedFlag) return;
    const waiting: Entry[] = [];
    for (const entry of this.queue) {
      const link = this.route(entry);
      if (link === 'wait') {
        waiting.push(entry);
        entry.timer ??= this.startTimer(entry);
        continue;
      }
      if (entry.timer) clearTimeout(entry.timer);
      this.stats.queued--;
      this.stats.sent++;
      // A ROUTER drops a message for a routing id it doesn't know (no ROUTER_MANDATORY), and still
      // counts it as sent: the same here.
      if (link) this.transmit(link, entry);
      entry.onSent?.();
    }
    this.queue = waiting;
  }

  private route(entry: Entry): Link | undefined | 'wait' {
    if (this.kind === 'service') return this.up.find((link) => link.routingId.equals(entry.peer!));
    if (this.up.length === 0) return 'wait';
    // DEALER: round-robin over the connected peers.
    const link = this.up[this.nextLink % this.up.length]!;
    this.nextLink = (this.nextLink + 1) % this.up.length;
    return link;
  }

  private startTimer(entry: Entry): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      const i = this.queue.indexOf(entry);
      if (i < 0) return;
      this.queue.splice(i, 1);
      this.stats.queued--;
      this.stats.sendErrors++;
      const ms = this.settings.sendTimeoutMs;
      entry.onError(
        new MultifrostError(
          'SEND_TIMEOUT',
          `No peer accepted the message on ${this.where()} within ${ms} ms (sendTimeoutMs): is the other side running?`,
          {
            details: { timeoutMs: ms, endpoint: this.where() },
          },
        ),
        entry.message,
      );
    }, this.settings.sendTimeoutMs);
    timer.unref?.();
    return timer;
  }

  private transmit(link: Link, entry: Entry): void {
    const toService = this.kind === 'caller';
    const receiver = toService ? link.service : link.caller;
    const frames = toService ? [link.routingId, EMPTY, entry.payload] : [EMPTY, entry.payload];
    const hook = this.hub.faults;
    let verdict: Verdict;
    if (hook) {
      const packet: Packet = {
        direction: toService ? 'to-service' : 'to-caller',
        endpoint: link.endpoint,
        peer: link.routingId,
        message: entry.message,
        frames: toService ? frames.slice(1) : frames,
      };
      try {
        verdict = hook(packet);
      } catch (err) {
        this.hub.warn(`fault hook threw: ${String(err)}`);
      }
    }
    const send = (f: Buffer[]): void => void Promise.resolve().then(() => receiver.receive(f, link));
    if (verdict === undefined || verdict === 'deliver') send(frames);
    else if (verdict === 'drop') return;
    else if ('delayMs' in verdict) setTimeout(() => send(frames), verdict.delayMs).unref?.();
    else if ('copies' in verdict) for (let i = 0; i < verdict.copies; i++) send(frames);
    else send(toService ? [link.routingId, ...verdict.frames] : verdict.frames);
  }

  private receive(frames: Buffer[], link: Link | undefined): void {
    // In flight when the connection went away: lost, as bytes in a closed TCP connection are.
    if (this.closedFlag || (link && !link.up)) return;
    const result = parseFrames(frames, this.kind === 'service' ? 'child' : 'parent', this.limits);
    if (result.ok) {
      this.stats.received++;
      try {
        this.deliver(result.message, result.peer);
      } catch (err) {
        this.hub.warn(`onMessage handler threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
      return;
    }
    this.stats.dropped++;
    this.stats.droppedByReason[result.reason]++;
    try {
      this.onReject?.(result, result.peer);
    } catch (err) {
      this.hub.warn(`onReject handler threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }

  private peersChanged(): void {
    try {
      this.onPeersChanged?.(this.up.length);
    } catch (err) {
      this.hub.warn(`onPeersChanged handler threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }

  private async doClose(): Promise<void> {
    this.closedFlag = true;
    const queued = this.queue;
    this.queue = [];
    for (const entry of queued) {
      if (entry.timer) clearTimeout(entry.timer);
      this.stats.queued--;
      this.stats.sendErrors++;
      entry.onError(
        new MultifrostError('CLOSED', `Send on ${this.where()} cancelled: the transport is closed`),
        entry.message,
      );
    }
    const had = this.up.length;
    this.up.length = 0;
    this.hub.closed(this);
    if (had > 0) {
      try {
        this.onPeersChanged?.(0);
      } catch (err) {
        this.hub.warn(`onPeersChanged handler threw: ${String(err)}`);
      }
    }
  }
}
