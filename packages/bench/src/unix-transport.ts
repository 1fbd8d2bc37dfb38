/**
 * A minimal non-ZeroMQ TransportFactory for the latency study (docs/benchmarks.md, "Latency below
 * ZeroMQ's floor"): Unix-domain sockets with length-prefixed msgpack frames, endpoints
 * `unix:///path`. It exists to show that parent and child run over another transport unchanged,
 * and to measure them over it. A prototype, used only by the bench: one connection per service
 * transport, no CURVE, no reconnect backoff, no high-water marks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DEFAULT_LIMITS,
  decodeMessage,
  encodeMessage,
  type Message,
  MultifrostError,
  REJECT_REASONS,
  type RejectReason,
  type Rejection,
} from '@multifrost/protocol';
import type {
  BindOptions,
  CallerTransport,
  ServiceTransport,
  TransportFactory,
  TransportStats,
} from '@multifrost/transport-zmq';
import { frameReader, frameWriter } from './servers/length-prefixed.mjs';

const PREFIX = 'unix://';
const RECONNECT_MS = 100;

function socketPath(endpoint: string): string {
  if (!endpoint.startsWith(PREFIX) || endpoint.length === PREFIX.length)
    throw new MultifrostError('INVALID_ARGUMENT', `unix transport: endpoint must be unix:///path, got '${endpoint}'`);
  return endpoint.slice(PREFIX.length);
}

function freshStats(): TransportStats {
  const droppedByReason = {} as Record<RejectReason, number>;
  for (const reason of REJECT_REASONS) droppedByReason[reason] = 0;
  return { received: 0, sent: 0, dropped: 0, droppedByReason, sendErrors: 0, queued: 0, refusedPeers: 0 };
}

/** One connection: its routing id (what a ROUTER would call it) and its framed writer. */
interface Link {
  id: Buffer;
  socket: Socket;
  write: (body: Buffer) => void;
}

/** What caller and service share: listening or connecting, links, framing, stats. */
abstract class UnixTransportBase {
  onPeersChanged: ((connectedPeers: number) => void) | undefined;
  onReject: ((rejection: Rejection, peer: Buffer | undefined) => void) | undefined;
  readonly stats = freshStats();
  readonly limits = { ...DEFAULT_LIMITS };
  readonly port = undefined;
  endpoint: string | undefined;
  closed = false;
  protected readonly links = new Map<string, Link>();
  private server: Server | undefined;
  private dir: string | undefined;
  private nextId = 0;
  private readonly dialling = new Map<string, Socket | NodeJS.Timeout>();

  get connectedPeers(): number {
    return this.links.size;
  }

  protected abstract deliver(message: Message, link: Link): void;

  async bind(endpoint?: string, options?: BindOptions): Promise<string> {
    if (options?.curve) throw new MultifrostError('UNSUPPORTED', 'unix transport: no CURVE');
    if (endpoint === undefined) this.dir = mkdtempSync(path.join(tmpdir(), 'mf-unix-'));
    const file = endpoint === undefined ? path.join(this.dir!, 's') : socketPath(endpoint);
    const server = createServer((socket) => {
      // A spawn-mode parent serves its own worker only, as the ZeroMQ transport does on TCP.
      if (options?.acceptOnlyFirstPeer && this.links.size > 0) {
        this.stats.refusedPeers = (this.stats.refusedPeers ?? 0) + 1;
        socket.destroy();
        return;
      }
      this.adopt(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(file, () => resolve());
    });
    this.server = server;
    this.endpoint = `${PREFIX}${file}`;
    return this.endpoint;
  }

  connect(endpoint: string): void {
    const file = socketPath(endpoint);
    this.endpoint = endpoint;
    const dial = () => {
      if (this.closed || !this.dialling.has(endpoint)) return;
      const socket = createConnection(file);
      this.dialling.set(endpoint, socket);
      socket.once('connect', () => this.adopt(socket));
      socket.once('close', () => {
        if (this.closed || !this.dialling.has(endpoint)) return;
        this.dialling.set(endpoint, setTimeout(dial, RECONNECT_MS));
      });
      socket.on('error', () => {});
    };
    this.dialling.set(endpoint, setTimeout(dial, 0));
  }

  disconnect(endpoint: string): void {
    const what = this.dialling.get(endpoint);
    this.dialling.delete(endpoint);
    if (what instanceof Socket) what.destroy();
    else if (what) clearTimeout(what);
  }

  private adopt(socket: Socket): void {
    const id = Buffer.alloc(4);
    id.writeUInt32BE(this.nextId++, 0);
    const link: Link = { id, socket, write: frameWriter(socket) };
    const key = id.toString('hex');
    this.links.set(key, link);
    this.onPeersChanged?.(this.links.size);
    socket.on(
      'data',
      frameReader(
        (body) => {
          const got = decodeMessage(body, this.limits);
          if (!got.ok) {
            this.stats.dropped++;
            this.stats.droppedByReason[got.reason]++;
            this.onReject?.(got, link.id);
            return;
          }
          this.stats.received++;
          this.deliver(got.message, link);
        },
        this.limits.maxMessageBytes,
        (length) => {
          // A stream has no frame boundary to skip to: drop the link, as libzmq drops an oversized message's peer.
          const rejection: Rejection = {
            ok: false,
            reason: 'TOO_LARGE',
            detail: `unix transport: frame of ${length} bytes announced, limit ${this.limits.maxMessageBytes}`,
          };
          this.stats.dropped++;
          this.stats.droppedByReason.TOO_LARGE++;
          this.onReject?.(rejection, link.id);
          socket.destroy();
        },
      ),
    );
    socket.on('error', () => {});
    socket.once('close', () => {
      this.links.delete(key);
      if (!this.closed) this.onPeersChanged?.(this.links.size);
    });
  }

  /** Encodes and writes; a failure is returned (encode, closed, no such peer). */
  protected write(link: Link | undefined, message: Message): Error | undefined {
    if (this.closed) return new MultifrostError('CLOSED', 'unix transport is closed');
    if (!link) return new MultifrostError('SEND_TIMEOUT', 'unix transport: no connected peer');
    let body: Buffer;
    try {
      body = encodeMessage(message, this.limits);
    } catch (err) {
      this.stats.sendErrors++;
      return err as Error;
    }
    link.write(body);
    this.stats.sent++;
    return undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const endpoint of [...this.dialling.keys()]) this.disconnect(endpoint);
    for (const link of this.links.values()) link.socket.destroy();
    this.links.clear();
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

class UnixCallerTransport extends UnixTransportBase implements CallerTransport {
  onMessage: ((message: Message) => void) | undefined;

  protected deliver(message: Message): void {
    this.onMessage?.(message);
  }

  /** Like a DEALER with one peer: the first live link (spawn mode has exactly one). */
  private peer(): Link | undefined {
    return this.links.values().next().value;
  }

  async send(message: Message): Promise<void> {
    const err = this.write(this.peer(), message);
    if (err) throw err;
  }

  post(message: Message): Error | undefined {
    return this.write(this.peer(), message);
  }
}

class UnixServiceTransport extends UnixTransportBase implements ServiceTransport {
  onMessage: ((message: Message, peer: Buffer) => void) | undefined;

  protected deliver(message: Message, link: Link): void {
    this.onMessage?.(message, link.id);
  }

  async send(peer: Buffer, message: Message): Promise<void> {
    const err = this.write(this.links.get(peer.toString('hex')), message);
    if (err) throw err;
  }

  post(peer: Buffer, message: Message, _onError: unknown, onSent?: () => void): Error | undefined {
    const err = this.write(this.links.get(peer.toString('hex')), message);
    if (!err) onSent?.();
    return err;
  }
}

export function unixTransport(): TransportFactory {
  return {
    name: 'unix',
    caller: () => new UnixCallerTransport(),
    service: () => new UnixServiceTransport(),
  };
}
