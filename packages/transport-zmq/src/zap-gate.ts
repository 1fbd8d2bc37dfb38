/**
 * Lets a bound socket serve one peer at a time, refusing every other connection at the handshake.
 *
 * A DEALER cannot tell its peers' messages apart, so a stranger that connects to a spawn port would
 * get a share of the calls and could answer them. libzmq asks a ZAP handler (a REP socket bound at
 * `inproc://zeromq.zap.01` in the same context) about every new connection of a socket that has a
 * `zapDomain`, even with the NULL mechanism; a `400` ends that connection before its handshake
 * completes, so it gets no messages and nothing it sends is read (verified with zeromq 6.8 /
 * libzmq 4.3.5: the refused peer sees `handshake:error:auth`, and does not reconnect on its own).
 * The request carries the peer's IP only, so "the peer" is simply whichever connection comes first
 * while no other is admitted.
 *
 * One handler serves every gate of the process, told apart by domain. It is closed when the last
 * gate goes, since its pending receive would keep the process alive.
 */
import { Reply } from 'zeromq';

const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';
/** A granted connection that never completes its handshake must not lock the worker out forever. */
const HANDSHAKE_GRACE_MS = 5_000;

let nextId = 0;
const gates = new Map<string, PeerGate>();
let handler: Promise<Reply> | undefined;

export class PeerGate {
  readonly domain = `multifrost-${process.pid}-${++nextId}`;
  private admitted = false;
  private graceTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    /** Peers with a completed handshake right now (the socket's PeerTracker). */
    private readonly connectedPeers: () => number,
    private readonly refused: () => void,
  ) {}

  /** Resolves once the handler listens: only then is it safe to bind the gated socket. */
  async open(): Promise<void> {
    gates.set(this.domain, this);
    await startHandler();
  }

  /** Call whenever the socket's peer count changes: at 0 the next connection may come in. */
  peersChanged(count: number): void {
    if (count > 0) this.clearGrace();
    else this.admitted = false;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearGrace();
    gates.delete(this.domain);
    if (gates.size === 0) void stopHandler();
  }

  decide(): boolean {
    if (this.closed) return false;
    if (this.admitted || this.connectedPeers() > 0) {
      this.refused();
      return false;
    }
    this.admitted = true;
    this.clearGrace();
    this.graceTimer = setTimeout(() => {
      this.graceTimer = undefined;
      if (this.connectedPeers() === 0) this.admitted = false;
    }, HANDSHAKE_GRACE_MS);
    this.graceTimer.unref();
    return true;
  }

  private clearGrace(): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
  }
}

function startHandler(): Promise<Reply> {
  handler ??= (async () => {
    const socket = new Reply({ linger: 0 });
    await socket.bind(ZAP_ENDPOINT);
    void serve(socket);
    return socket;
  })();
  return handler;
}

async function stopHandler(): Promise<void> {
  const current = handler;
  handler = undefined;
  if (!current) return;
  try {
    const socket = await current;
    // A gate opened while the bind was still pending keeps the handler.
    if (gates.size > 0 && handler === undefined) {
      handler = current;
      return;
    }
    socket.close();
  } catch {
    // The bind failed; there is nothing to close.
  }
}

/** ZAP 1.0: [version, request id, domain, address, identity, mechanism, ...credentials]. */
async function serve(socket: Reply): Promise<void> {
  try {
    for await (const frames of socket) {
      const [version, requestId, domain] = frames;
      const gate = gates.get(String(domain ?? ''));
      // A domain we do not own gets what libzmq does without a handler: accepted.
      const ok = gate ? gate.decide() : true;
      await socket.send([
        version ?? '1.0',
        requestId ?? '',
        ok ? '200' : '400',
        ok ? 'OK' : 'peer limit reached',
        '',
        '',
      ]);
    }
  } catch {
    // The socket closed under a pending receive: the normal way out.
  }
}
