/**
 * Counts peers with a completed ZMTP handshake from the socket's event Observer.
 *
 * libzmq reports events per endpoint string, not per connection, and zeromq.js exposes no fd, so
 * the count is kept per address with two corrections learnt from zeromq 6.8 / libzmq 4.3.5:
 * - a connection that fails its handshake (a port scanner, an HTTP probe, a client that hangs up
 *   early) still emits `disconnect` after its `handshake:error:*`; that `disconnect` must not
 *   take away a real peer, so it is matched against the failure instead;
 * - `socket.disconnect(endpoint)` emits no `disconnect` event at all, so the caller forgets that
 *   endpoint's peers itself (`forget`).
 *
 * It also keeps a bound socket at its descriptor limit from taking the process down with it; see
 * AcceptFloodBrake (accept-flood.ts) for why the events are read in paced batches.
 */
import type { Socket, Observer, Event } from 'zeromq';
import { AcceptFloodBrake } from './accept-flood.js';

const OBSERVER_ATTEMPTS = 8;

export class PeerTracker {
  private readonly handshaken = new Map<string, number>();
  private readonly failed = new Map<string, number>();
  private total = 0;
  private stopped = false;
  private readonly observer: Observer;
  private readonly brake: AcceptFloodBrake;

  constructor(
    socket: Socket,
    private readonly changed: (connectedPeers: number) => void,
    private readonly warn: (message: string) => void,
    /** Told of every failed security handshake (CURVE refused, wrong server key). */
    private readonly handshakeFailed?: (event: Event) => void,
    /** Told of every failed accept (counted in the transport's stats). */
    private readonly acceptFailed?: () => void,
  ) {
    this.observer = openObserver(socket);
    this.brake = new AcceptFloodBrake(warn);
    void this.loop();
  }

  get count(): number {
    return this.total;
  }

  /** Drops the peers of an endpoint we disconnected from (libzmq reports nothing for it). */
  forget(address: string): void {
    const n = this.handshaken.get(address) ?? 0;
    this.handshaken.delete(address);
    this.failed.delete(address);
    if (n > 0) this.set(this.total - n);
  }

  /**
   * Call after the socket closed: reports 0 peers and ignores late events.
   *
   * The observer is deliberately NOT closed here. Closing the socket already ends it (libzmq stops
   * the monitor; our pending receive() rejects with EBADF and the loop ends). An explicit
   * `Observer.close()` in zeromq 6.8, before or after the socket's close, stops event delivery on
   * OTHER sockets' observers in the same process (verified with plain zeromq sockets), and while
   * this code still called it, messages to fresh sockets went missing in the tests too.
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.handshaken.clear();
    this.failed.clear();
    this.set(0);
  }

  private async loop(): Promise<void> {
    try {
      // Read on after stop(), up to 'end': an observer whose 'end' is never received keeps its
      // native PAIR socket, two eventfds, until garbage collection (100 closed workers held 200
      // descriptors). Events after stop() are ignored by onEvent.
      for (;;) {
        const event = await this.observer.receive();
        // 'end' is the observer's last word once the socket has closed; zeromq.js may also resolve
        // a pending receive with undefined when the observer shuts down.
        if (event === undefined || event.type === 'end') return;
        this.onEvent(event);
        const pause = this.brake.afterEvent();
        if (pause !== undefined) await pause;
      }
    } catch (err) {
      // EBADF / ENOTSOCK when the socket closes under a pending receive: the normal way out.
      if (!this.stopped && !this.observer.closed) this.warn(`peer events stopped: ${String(err)}`);
    }
  }

  private onEvent(event: Event): void {
    if (this.stopped) return;
    switch (event.type) {
      case 'handshake':
        bump(this.handshaken, event.address, 1);
        this.set(this.total + 1);
        break;
      case 'handshake:error:protocol':
      case 'handshake:error:auth':
      case 'handshake:error:other':
        bump(this.failed, event.address, 1);
        this.handshakeFailed?.(event);
        break;
      case 'disconnect':
        if (bump(this.failed, event.address, -1)) break;
        if (bump(this.handshaken, event.address, -1)) this.set(this.total - 1);
        break;
      case 'accept:error':
        this.brake.acceptFailed(event.address, event.error);
        this.acceptFailed?.();
        break;
      default:
        break;
    }
  }

  private set(n: number): void {
    const next = Math.max(0, n);
    if (next === this.total) return;
    this.total = next;
    try {
      this.changed(next);
    } catch (err) {
      this.warn(`onPeersChanged handler threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
}

/**
 * `socket.events` makes libzmq bind `inproc://zmq.monitor.<address of the native Observer>`. That
 * name is released asynchronously after a monitored socket closes, and V8 may reuse the address:
 * the getter then throws EADDRINUSE (seen while observers were still closed explicitly, not since).
 * A failed attempt's object stays allocated until the next GC, so a retry gets a fresh address.
 */
function openObserver(socket: Socket): Observer {
  for (let attempt = 1; ; attempt++) {
    try {
      return socket.events;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'EADDRINUSE' || attempt >= OBSERVER_ATTEMPTS) throw err;
    }
  }
}

/** Adds delta to a per-address count; a decrement succeeds (returns true) only if there was one. */
function bump(map: Map<string, number>, address: string, delta: 1 | -1): boolean {
  const n = map.get(address) ?? 0;
  if (delta < 0 && n === 0) return false;
  if (n + delta === 0) map.delete(address);
  else map.set(address, n + delta);
  return true;
}
