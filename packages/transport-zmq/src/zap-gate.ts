/**
 * The process-wide ZAP handler, and the policies it applies to bound sockets: the one-peer gate of
 * spawn mode and the CURVE allow-list of connect mode.
 *
 * libzmq asks a ZAP handler (a REP socket bound at `inproc://zeromq.zap.01` in the same context)
 * about every new connection of a socket that has a `zapDomain`, even with the NULL mechanism; a
 * `400` ends that connection before its handshake completes, so it gets no messages and nothing it
 * sends is read (verified with zeromq 6.8 / libzmq 4.3.5: the refused peer sees
 * `handshake:error:auth`, and does not reconnect on its own). Without a handler bound, libzmq
 * accepts everyone, so a socket must only bind once `ZapDomain.open()` resolved.
 *
 * One handler serves every domain of the process. It is closed when the last domain goes, since its
 * pending receive would keep the process alive.
 */
import { Reply } from 'zeromq';
import { z85Encode } from './z85.js';

const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';
/** A granted connection that never completes its handshake must not lock the worker out forever. */
const HANDSHAKE_GRACE_MS = 5_000;

/** What a ZAP request tells about a new connection. */
export interface ZapRequest {
  /** The peer's IP address. */
  address: string;
  /** `NULL`, `PLAIN` or `CURVE`. */
  mechanism: string;
  /** For CURVE: the client's long-term public key, 32 raw bytes. */
  credentials: Buffer[];
}

/** One rule of a domain: `true` admits, a string refuses with that reason. */
export interface ZapPolicy {
  decide(request: ZapRequest): true | string;
}

let nextId = 0;
const domains = new Map<string, ZapDomain>();
let handler: Promise<Reply> | undefined;

/** The ZAP domain of one bound socket: its policies must all admit a connection. */
export class ZapDomain {
  readonly domain = `multifrost-${process.pid}-${++nextId}`;
  private closed = false;

  constructor(
    /** Checked in order; the first refusal wins, so a cheap identity check can shield a stateful one. */
    private readonly policies: ZapPolicy[],
    private readonly refused: () => void,
  ) {}

  /** Resolves once the handler listens: only then is it safe to bind the socket. */
  async open(): Promise<void> {
    domains.set(this.domain, this);
    await startHandler();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    domains.delete(this.domain);
    if (domains.size === 0) void stopHandler();
  }

  decide(request: ZapRequest): true | string {
    if (this.closed) return 'socket closed';
    for (const policy of this.policies) {
      const verdict = policy.decide(request);
      if (verdict !== true) {
        this.refused();
        return verdict;
      }
    }
    return true;
  }
}

/**
 * Serves one peer at a time. A DEALER cannot tell its peers' messages apart, so a stranger that
 * connects to a spawn port would get a share of the calls and could answer them. The request
 * carries the peer's IP only, so "the peer" is simply whichever connection comes first while no
 * other is admitted.
 */
export class PeerGate implements ZapPolicy {
  private admitted = false;
  private graceTimer: NodeJS.Timeout | undefined;

  constructor(
    /** Peers with a completed handshake right now (the socket's PeerTracker). */
    private readonly connectedPeers: () => number,
  ) {}

  /** Call whenever the socket's peer count changes: at 0 the next connection may come in. */
  peersChanged(count: number): void {
    if (count > 0) this.clearGrace();
    else this.admitted = false;
  }

  close(): void {
    this.clearGrace();
  }

  decide(): true | string {
    if (this.admitted || this.connectedPeers() > 0) return 'peer limit reached';
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

/**
 * Admits CURVE clients whose public key is in the allow-list. libzmq has already checked that the
 * client holds the secret key of the key it presents, so the key is its identity.
 */
export class CurveAllowList implements ZapPolicy {
  constructor(private readonly allowed: ReadonlySet<string>) {}

  decide(request: ZapRequest): true | string {
    if (request.mechanism !== 'CURVE') return 'CURVE required';
    const key = request.credentials[0];
    if (!key || key.length !== 32) return 'no client key';
    return this.allowed.has(z85Encode(key)) ? true : 'client key not allowed';
  }
}

/**
 * Settles once the last handler being stopped is closed. A new handler binds only after it: the
 * ZAP endpoint has one fixed name, and binding it while the old socket still holds it failed with
 * EADDRINUSE (10 of 600 bind/close cycles of three concurrent gated transports).
 */
let closing: Promise<void> = Promise.resolve();
/** libzmq may release an inproc name just after close() returns; a bind meanwhile is retried. */
const BIND_ATTEMPTS = 50;

function startHandler(): Promise<Reply> {
  handler ??= (async () => {
    await closing;
    const socket = new Reply({ linger: 0 });
    for (let attempt = 1; ; attempt++) {
      try {
        await socket.bind(ZAP_ENDPOINT);
        break;
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'EADDRINUSE' || attempt >= BIND_ATTEMPTS) {
          socket.close();
          throw err;
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    }
    void serve(socket);
    return socket;
  })();
  return handler;
}

async function stopHandler(): Promise<void> {
  const current = handler;
  handler = undefined;
  if (!current) return;
  let closed!: () => void;
  closing = new Promise<void>((resolve) => (closed = resolve));
  try {
    const socket = await current;
    // A domain opened while the bind was still pending keeps the handler.
    if (domains.size > 0 && handler === undefined) {
      handler = current;
      return;
    }
    socket.close();
  } catch {
    // The bind failed; there is nothing to close.
  } finally {
    closed();
  }
}

/** ZAP 1.0: [version, request id, domain, address, identity, mechanism, ...credentials]. */
async function serve(socket: Reply): Promise<void> {
  try {
    for await (const frames of socket) {
      const [version, requestId, domain, address, , mechanism, ...credentials] = frames;
      const owner = domains.get(String(domain ?? ''));
      // A domain we do not own gets what libzmq does without a handler: accepted.
      const verdict = owner
        ? owner.decide({ address: String(address ?? ''), mechanism: String(mechanism ?? ''), credentials })
        : true;
      const ok = verdict === true;
      await socket.send([version ?? '1.0', requestId ?? '', ok ? '200' : '400', ok ? 'OK' : verdict, '', '']);
    }
  } catch {
    // The socket closed under a pending receive: the normal way out.
  }
}
