/**
 * The in-process "network" one memory transport factory owns: which endpoint is bound by whom,
 * who is waiting to connect to it, and the links between a caller and a service. A connect to an
 * endpoint that nobody has bound yet waits, and a link whose listener closes is re-made when the
 * endpoint is bound again, as ZeroMQ's background reconnect does.
 */
import { MultifrostError } from '@multifrost/protocol';
import type { FaultHook } from './faults.js';
import type { MemorySocket } from './memory-socket.js';

export interface Link {
  readonly endpoint: string;
  readonly caller: MemorySocket;
  readonly service: MemorySocket;
  /** What the service sees as the caller's address on this link (5 bytes, like libzmq's generated ids). */
  readonly routingId: Buffer;
  up: boolean;
}

export interface HubSettings {
  prefix: string;
  reconnectMs: number;
}

export class MemoryHub {
  faults: FaultHook | undefined;
  readonly warnings: string[] = [];
  private readonly listeners = new Map<string, MemorySocket>();
  private readonly connectors = new Map<string, Set<MemorySocket>>();
  private readonly links = new Set<Link>();
  private readonly sockets = new Set<MemorySocket>();
  private nextEndpoint = 1;
  private nextRoutingId = 1;

  constructor(
    readonly settings: HubSettings,
    private readonly onWarning: ((message: string) => void) | undefined,
  ) {}

  get openSockets(): number {
    return this.sockets.size;
  }

  warn(message: string): void {
    this.warnings.push(message);
    this.onWarning?.(message);
  }

  opened(socket: MemorySocket): void {
    this.sockets.add(socket);
  }

  bind(socket: MemorySocket, endpoint: string | undefined): string {
    const target = endpoint ?? `mem://${this.settings.prefix}-${this.nextEndpoint++}`;
    if (!target.startsWith('mem://') || target.length === 'mem://'.length) {
      throw new MultifrostError(
        'INVALID_ARGUMENT',
        `bind(): ${JSON.stringify(target)} is not a memory endpoint (mem://name)`,
      );
    }
    if (this.listeners.has(target)) {
      throw new MultifrostError('TRANSPORT', `Could not bind ${target}: Address already in use`);
    }
    this.listeners.set(target, socket);
    for (const connector of this.connectors.get(target) ?? []) this.link(target, socket, connector);
    return target;
  }

  connect(socket: MemorySocket, endpoint: string): void {
    if (typeof endpoint !== 'string' || !endpoint.startsWith('mem://')) {
      throw new MultifrostError(
        'INVALID_ARGUMENT',
        `connect(): ${JSON.stringify(endpoint)} is not a memory endpoint (mem://name)`,
      );
    }
    let waiting = this.connectors.get(endpoint);
    if (!waiting) this.connectors.set(endpoint, (waiting = new Set()));
    if (waiting.has(socket)) return;
    waiting.add(socket);
    const listener = this.listeners.get(endpoint);
    if (listener) this.link(endpoint, listener, socket);
  }

  disconnect(socket: MemorySocket, endpoint: string): boolean {
    const waiting = this.connectors.get(endpoint);
    if (!waiting?.delete(socket)) return false;
    for (const link of [...this.links]) {
      if (link.endpoint === endpoint && (link.caller === socket || link.service === socket)) this.cut(link, socket);
    }
    return true;
  }

  /** A socket closed: unbind, stop waiting, cut its links (the other side hears of it). */
  closed(socket: MemorySocket): void {
    this.sockets.delete(socket);
    for (const [endpoint, listener] of this.listeners) if (listener === socket) this.listeners.delete(endpoint);
    for (const waiting of this.connectors.values()) waiting.delete(socket);
    for (const link of [...this.links]) if (link.caller === socket || link.service === socket) this.cut(link, socket);
  }

  /**
   * Breaks live links as a dropped connection would: both ends see a peer leave. The connecting
   * side links again after `reconnectMs` (timer time) if the endpoint is still bound, unless
   * `reconnect` is false. Returns how many links were cut.
   */
  sever(endpoint: string | undefined, reconnect: boolean): number {
    let n = 0;
    for (const link of [...this.links]) {
      if (endpoint !== undefined && link.endpoint !== endpoint) continue;
      n++;
      this.cut(link, undefined);
      const listener = this.listeners.get(link.endpoint);
      const connector = listener === link.caller ? link.service : link.caller;
      if (!reconnect) {
        this.connectors.get(link.endpoint)?.delete(connector);
        continue;
      }
      const timer = setTimeout(() => {
        const now = this.listeners.get(link.endpoint);
        if (!now || !this.connectors.get(link.endpoint)?.has(connector) || this.linked(link.endpoint, connector))
          return;
        this.link(link.endpoint, now, connector);
      }, this.settings.reconnectMs);
      timer.unref?.();
    }
    return n;
  }

  /** The socket bound at an endpoint, for raw frame injection. */
  listenerAt(endpoint: string): MemorySocket | undefined {
    return this.listeners.get(endpoint);
  }

  private linked(endpoint: string, socket: MemorySocket): boolean {
    for (const link of this.links)
      if (link.endpoint === endpoint && (link.caller === socket || link.service === socket)) return true;
    return false;
  }

  newRoutingId(): Buffer {
    const id = Buffer.alloc(5);
    id.writeUInt32BE(this.nextRoutingId++ >>> 0, 1);
    return id;
  }

  private link(endpoint: string, listener: MemorySocket, connector: MemorySocket): void {
    if (listener.kind === connector.kind) {
      // Two DEALERs or two ROUTERs: the ZMTP handshake would fail the same way, silently.
      this.warn(`${connector.kind} connecting to ${endpoint} found another ${listener.kind}; no link made`);
      return;
    }
    const caller = listener.kind === 'caller' ? listener : connector;
    const service = listener.kind === 'service' ? listener : connector;
    const link: Link = { endpoint, caller, service, routingId: this.newRoutingId(), up: false };
    this.links.add(link);
    // The handshake completes a turn later, as it does over a socket: a send right after connect()
    // waits for it instead of finding the peer already there.
    void Promise.resolve().then(() => {
      if (!this.links.has(link) || caller.closed || service.closed) return;
      link.up = true;
      caller.linkUp(link);
      service.linkUp(link);
    });
  }

  /** `by` (when given) is the side that cut: it hears at once, the other side a turn later. */
  private cut(link: Link, by: MemorySocket | undefined): void {
    if (!this.links.delete(link)) return;
    const wasUp = link.up;
    link.up = false;
    if (!wasUp) return;
    for (const side of [link.caller, link.service]) {
      if (side === by) side.linkDown(link);
      else void Promise.resolve().then(() => side.linkDown(link));
    }
  }
}
