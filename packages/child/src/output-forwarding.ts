/**
 * Connect mode: a Node worker's console output is also sent, as `stdout`/`stderr` messages, to the
 * parents that asked for it (in spawn mode the parent reads our pipes instead, so nothing is patched
 * there). Local output is kept.
 *
 * Who gets it: a peer subscribes with `metadata.mf_output: true` on a heartbeat or call and leaves
 * with `false`. Merely talking to the service subscribes nobody, so a stranger that sends heartbeats
 * neither reads the output nor displaces a real parent. Subscribers are never evicted by newcomers:
 * beyond the cap a new one is refused. The ROUTER does not say which peer disconnected (and sends to
 * a gone peer are dropped silently, without an error), so a subscriber that has not sent anything
 * for `idleMs` is taken to be gone; parents heartbeat every 5 s by default, and each one renews it.
 *
 * Spawn mode under a public parent (`subscribeAll`): that parent never opts in and never reads our
 * pipes, yet prints the `stdout`/`stderr` messages it gets. The only peer of a spawn-mode worker is
 * the parent that bound the socket, so whoever speaks to us is subscribed, never idles out, and
 * the lines written before its first message are kept (up to a bound) and sent when it arrives.
 *
 * Each line is one message (a chunk holding three lines sends three), as the public peers print
 * one `[worker STDOUT]: ...` line per message.
 */
import { OUTPUT_OPT_IN_KEY, type AppId, type Message } from '@multifrost/protocol';

/** Generous: each is one parent process; a full set refuses newcomers rather than evicting. */
export const DEFAULT_MAX_SUBSCRIBERS = 1024;
/** Six default heartbeat intervals: a live parent is never dropped for a late beat or two. */
export const DEFAULT_SUBSCRIBER_IDLE_MS = 30_000;

type Write = typeof process.stdout.write;
type Stream = 'stdout' | 'stderr';

export type OutputSend = (peer: Buffer, stream: Stream, text: string, app: AppId) => void;

export interface OutputForwarderOptions {
  maxSubscribers?: number;
  idleMs?: number;
  /** Clock in ms, for tests. */
  now?: () => number;
  /** Every peer that sends us anything is a subscriber (spawn mode under a public parent). */
  subscribeAll?: boolean;
  /** Whether a stream still gets its local write; by default both do. */
  keepLocal?: (fd: 1 | 2) => boolean;
}

/** Lines kept from before the parent's first message (`subscribeAll`); older ones are dropped. */
export const MAX_EARLY_LINES = 1000;

interface Subscriber {
  peer: Buffer;
  /** The app id the parent spoke with last: output goes back in its own profile (v3 or v4). */
  app: AppId;
  lastSeen: number;
}

export class OutputForwarder {
  /** By routing id; a Map only because each entry also holds the peer's app id and last message time. */
  private readonly subscribers = new Map<string, Subscriber>();
  private readonly maxSubscribers: number;
  private readonly idleMs: number;
  private readonly now: () => number;
  private restoreFns: (() => void)[] = [];
  private sending = false;
  private readonly subscribeAll: boolean;
  private readonly keepLocal: (fd: 1 | 2) => boolean;
  private early: [Stream, string][] = [];
  /** Opt-ins turned away because the set was full; counted so a flood is visible, not silent. */
  refused = 0;

  constructor(
    private readonly send: OutputSend,
    options: OutputForwarderOptions = {},
  ) {
    this.maxSubscribers = options.maxSubscribers ?? DEFAULT_MAX_SUBSCRIBERS;
    this.idleMs = options.idleMs ?? DEFAULT_SUBSCRIBER_IDLE_MS;
    this.now = options.now ?? Date.now;
    this.subscribeAll = options.subscribeAll === true;
    // Under a public parent there is one subscriber for the worker's whole life.
    if (this.subscribeAll) this.idleMs = Number.POSITIVE_INFINITY;
    this.keepLocal = options.keepLocal ?? (() => true);
  }

  /** Lines written before anyone subscribed and dropped for lack of room (`subscribeAll`). */
  earlyDropped = 0;

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  isSubscribed(peer: Buffer): boolean {
    return this.subscribers.has(peer.toString('latin1'));
  }

  /** Every message from a peer: an opt-in (or opt-out) is applied, and a subscriber is kept alive. */
  noteMessage(peer: Buffer, msg: Message): void {
    const key = peer.toString('latin1');
    const wish = msg.metadata?.[OUTPUT_OPT_IN_KEY];
    const known = this.subscribers.get(key);
    if (wish === false) {
      this.subscribers.delete(key);
      return;
    }
    const now = this.now();
    if (known) {
      known.lastSeen = now;
      known.app = msg.app;
      return;
    }
    // A heartbeat reply is our own echo coming back from a peer that is itself a child, not a request.
    if ((wish !== true && !this.subscribeAll) || msg.metadata?.hb_response === true) return;
    if (this.subscribers.size >= this.maxSubscribers) {
      this.dropIdle(now);
      if (this.subscribers.size >= this.maxSubscribers) {
        this.refused++;
        return;
      }
    }
    this.subscribers.set(key, { peer, app: msg.app, lastSeen: now });
    const early = this.early.splice(0);
    for (const [stream, line] of early) this.forwardLines(stream, [line]);
  }

  install(): void {
    if (this.restoreFns.length > 0) return;
    this.patch(process.stdout, 'stdout');
    this.patch(process.stderr, 'stderr');
  }

  uninstall(): void {
    for (const restore of this.restoreFns.splice(0)) restore();
  }

  /** Sends one piece of output to every live subscriber (the patched streams call this). */
  forward(stream: Stream, text: string): void {
    if (this.sending) return;
    const lines = splitLines(text);
    if (lines.length === 0) return;
    if (this.subscribers.size === 0) {
      if (this.subscribeAll) this.keepEarly(stream, lines);
      return;
    }
    this.forwardLines(stream, lines);
  }

  private keepEarly(stream: Stream, lines: string[]): void {
    for (const line of lines) this.early.push([stream, line]);
    const over = this.early.length - MAX_EARLY_LINES;
    if (over > 0) {
      this.early.splice(0, over);
      this.earlyDropped += over;
    }
  }

  private forwardLines(stream: Stream, lines: string[]): void {
    const oldest = this.now() - this.idleMs;
    // Guard against re-entry: a failure report written while sending must not loop.
    this.sending = true;
    try {
      for (const [key, sub] of this.subscribers) {
        if (sub.lastSeen < oldest) this.subscribers.delete(key);
        else for (const line of lines) this.send(sub.peer, stream, line, sub.app);
      }
    } finally {
      this.sending = false;
    }
  }

  private dropIdle(now: number): void {
    const oldest = now - this.idleMs;
    for (const [key, sub] of this.subscribers) if (sub.lastSeen < oldest) this.subscribers.delete(key);
  }

  private patch(stream: NodeJS.WriteStream, name: Stream): void {
    const original = stream.write;
    const local = this.keepLocal(name === 'stdout' ? 1 : 2);
    const forward = (chunk: unknown, encoding?: unknown): void => {
      if (this.sending || (this.subscribers.size === 0 && !this.subscribeAll)) return;
      const text =
        typeof chunk === 'string'
          ? chunk
          : chunk instanceof Uint8Array
            ? Buffer.from(chunk).toString(typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
            : String(chunk);
      this.forward(name, text);
    };
    const patched = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      forward(chunk, typeof rest[0] === 'string' ? rest[0] : undefined);
      if (!local) {
        // Nobody reads the pipe: report the write as done, so callers waiting on it go on.
        const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        if (done) queueMicrotask(done);
        return true;
      }
      return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as Write;
    stream.write = patched;
    this.restoreFns.push(() => {
      if (stream.write === patched) stream.write = original;
    });
  }
}

/** The lines of a chunk, without their line ends; blank lines are not sent. */
export function splitLines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.length > 0);
}
