/**
 * The queued writer. zeromq.js allows one send in flight per socket (a second throws EBUSY), and
 * with no peer a send waits as long as the socket's sendTimeout. So sends are queued in order and a
 * single pump hands them to libzmq one at a time, with no retry-and-sleep loop: when the socket is
 * writable each send completes on the spot. Every entry carries its own deadline, so a backlog
 * behind a stuck send fails within about one timeout, not one timeout per message.
 */
import { MultifrostError } from '@multifrost/protocol';
import type { TransportStats } from './types.js';

/** Queue wait below which an entry still gets the full socket send timeout. */
const SLACK_MS = 50;
/** Sends in a row without a wait before the pump yields to the event loop once. */
const MAX_SENDS_PER_TURN = 512;
/** Consumed slots kept at the front of the array before it is compacted. */
const COMPACT_AFTER = 4096;

/** Told of a failed send, with the tag the message was posted with. */
export type SendErrorHandler = (err: Error, tag: unknown) => void;

interface Entry {
  frames: Buffer[];
  deadline: number;
  /** Called once the message was handed to libzmq; may be a no-op. */
  resolve: () => void;
  reject: SendErrorHandler;
  /** Handed back to `reject`, so one shared handler can tell the messages apart. */
  tag: unknown;
  /**
   * Set when this message may travel in a batch: entries next to each other with the same key go
   * to the same peer, which listed the `batch` capability. Undefined: always sent alone.
   */
  batchKey?: string | undefined;
  /** Messages this entry stands for (a batch); 1 when absent. */
  count?: number;
}

/** Packs several payloads bound for one peer into one batch payload; `tag` is the first message's. */
export type BatchPacker = (payloads: Buffer[], tag: unknown) => Buffer;

/** Messages in one batch at most, and their payload bytes at most (a batch is one ZeroMQ message). */
export const BATCH_MAX_MESSAGES = 1024;
export const BATCH_MAX_BYTES = 256 * 1024;

/** The part of a zeromq socket the writer uses (a test double can stand in). */
export interface SendSocket {
  send(frames: Buffer[]): Promise<void>;
  sendTimeout: number;
}

const noop = (): void => {};
const lastFrame = (entry: Entry): Buffer => entry.frames[entry.frames.length - 1]!;
const RESOLVED = Promise.resolve();

export class WriterQueue {
  private queue: (Entry | undefined)[] = [];
  private head = 0;
  private pumping = false;
  private closed = false;
  /** The socket's sendTimeout as last set; only touched when it must change (a native call). */
  private currentTimeout: number;
  /**
   * Sends completed in this pump since it last waited for more than a microtask. zeromq.js limits
   * runs of sends that resolve at once only when it checks writability, which these sends skip.
   */
  private syncSends = 0;

  constructor(
    private readonly socket: SendSocket,
    private readonly timeoutMs: number,
    private readonly stats: TransportStats,
    private readonly where: () => string,
    private readonly packBatch?: BatchPacker,
  ) {
    this.currentTimeout = timeoutMs;
  }

  push(frames: Buffer[]): Promise<void> {
    return new Promise<void>((resolve, reject) => this.post(frames, reject, resolve));
  }

  /**
   * Like push, without a Promise per message: the hot paths only need to hear about failures.
   * `tag` is passed back to `onError`, so a caller needs no closure per message.
   */
  post(frames: Buffer[], onError: SendErrorHandler, onSent: () => void = noop, tag?: unknown, batchKey?: string): void {
    if (this.closed) {
      this.stats.sendErrors++;
      onError(this.closedError(), tag);
      return;
    }
    this.queue.push({ frames, deadline: Date.now() + this.timeoutMs, resolve: onSent, reject: onError, tag, batchKey });
    this.stats.queued++;
    if (!this.pumping && !this.scheduled && !this.corked) {
      // Start sending after the current synchronous burst (e.g. Promise.all of many calls), so
      // messages produced together leave back to back: libzmq then writes them in one go and the
      // peer wakes once for all of them. A microtask, not setImmediate: no latency for one call.
      // (A resolved promise's then, not queueMicrotask, which makes an AsyncResource every time.)
      this.scheduled = true;
      void RESOLVED.then(this.startPump);
    }
  }

  /**
   * Starts sending now what is queued, instead of at the end of the current burst. The receive loop
   * calls this after a message it handled outside a run: the reply then leaves before the socket is
   * read again (transport-base.ts, receiveLoop). A corked writer stays corked.
   */
  kick(): void {
    if (!this.corked) this.sendQueued();
  }

  /** Set by cork(): posts queue up and nothing is sent until uncork(). */
  private corked = false;

  /**
   * Holds sends back: what is posted queues up until `sendQueued()` or `uncork()`, which send it
   * back to back. The receive loop corks during a run of messages that were already waiting, so the
   * replies (or the calls their replies caused) leave together: libzmq's I/O thread then wakes once
   * for several of them, not once each.
   */
  cork(): void {
    this.corked = true;
  }

  /** Ends `cork()`: sends what queued meanwhile, now. */
  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.sendQueued();
  }

  /** Starts sending what is queued now, corked or not (a pump, once started, drains the queue). */
  sendQueued(): void {
    if (this.pumping || this.closed || this.head >= this.queue.length) return;
    this.scheduled = false;
    void this.pump();
  }

  private scheduled = false;

  /** Resolved by settleSent() (see sent()). */
  private sentWaiters: (() => void)[] = [];

  /**
   * While the pump is sending what it can at once: a promise that settles when that is done (the
   * queue is empty, a send has to wait for the socket, or the pump yields to the event loop).
   * Otherwise undefined. The receive loop waits for it before it arms a waiting read: zeromq.js
   * checks the socket's readability (a getsockopt, with a poll syscall in libzmq) after every send
   * made while a read waits, and this way a burst of sends leaves first and pays none of them.
   */
  sent(): Promise<void> | undefined {
    if (!this.pumping || this.sendsWait) return undefined;
    return new Promise<void>((resolve) => this.sentWaiters.push(resolve));
  }

  /** The pump waits (a send that waits for the socket, or a yield to the event loop): sent() is over. */
  private sendsWait = false;

  /** The pump is about to wait: whoever waits on sent() goes on now. */
  private pauseSends(): void {
    this.sendsWait = true;
    this.settleSent();
  }

  private settleSent(): void {
    const waiters = this.sentWaiters;
    if (waiters.length === 0) return;
    this.sentWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private readonly startPump = (): void => {
    if (!this.scheduled || this.corked) return; // kick() got there first, or uncork() will
    this.scheduled = false;
    if (!this.pumping) void this.pump();
  };

  /** Rejects everything still queued with CLOSED. The entry in flight fails when the socket closes. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const waiting = this.queue;
    const from = this.head;
    this.queue = [];
    this.head = 0;
    for (let i = from; i < waiting.length; i++) {
      const entry = waiting[i];
      if (!entry) continue;
      this.stats.queued--;
      this.stats.sendErrors++;
      entry.reject(this.closedError(), entry.tag);
    }
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.head < this.queue.length) {
        let entry = this.queue[this.head]!;
        this.queue[this.head++] = undefined;
        this.stats.queued--;
        // Only what is already queued is packed: nothing ever waits for a batch to fill.
        if (entry.batchKey !== undefined && this.packBatch) entry = this.gather(entry, this.packBatch);
        if (this.head >= COMPACT_AFTER && this.head * 2 >= this.queue.length) {
          // A queue that never fully drains (steady load) would otherwise only ever grow.
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        const remaining = entry.deadline - Date.now();
        if (remaining <= 0) {
          // Waited out its whole budget behind a stuck send: fail now, don't wait again.
          this.stats.sendErrors += entry.count ?? 1;
          entry.reject(this.timeoutError(), entry.tag);
          continue;
        }
        try {
          if (this.currentTimeout !== 0) this.setSendTimeout(0);
          await this.socket.send(entry.frames);
        } catch (err) {
          if (!(await this.sendWaiting(entry, err, remaining))) continue;
        }
        this.stats.sent += entry.count ?? 1;
        entry.resolve();
        if (++this.syncSends >= MAX_SENDS_PER_TURN) {
          // Sends that never wait resolve at once: let the event loop (receives, timers) in now and then.
          this.syncSends = 0;
          this.pauseSends();
          await new Promise<void>((resolve) => setImmediate(resolve));
          this.sendsWait = false;
        }
      }
      this.queue.length = 0;
      this.head = 0;
      this.syncSends = 0;
    } finally {
      this.pumping = false;
      this.settleSent();
    }
  }

  /**
   * Every message is first sent with a socket timeout of 0: zeromq.js then hands it to libzmq
   * without first asking the socket whether it is writable (a getsockopt that processes the socket's
   * command mailbox: syscalls on every send), and libzmq says EAGAIN when it cannot take it now (no
   * peer yet, high-water mark reached). Only then is it sent again with a real timeout, which waits
   * for the socket to become writable. Returns whether the message left; a failure is reported to
   * the entry. The timeout is a native setsockopt, so it is only changed when the kind of send changes.
   */
  private async sendWaiting(entry: Entry, first: unknown, remaining: number): Promise<boolean> {
    let failure = first;
    if ((first as { code?: unknown } | null)?.code === 'EAGAIN' && !this.closed) {
      this.syncSends = 0;
      this.pauseSends();
      // A full budget unless the entry already waited a while behind a stuck send.
      this.setSendTimeout(remaining < this.timeoutMs - SLACK_MS ? Math.max(1, Math.ceil(remaining)) : this.timeoutMs);
      try {
        await this.socket.send(entry.frames);
        return true;
      } catch (err) {
        failure = err;
      } finally {
        this.sendsWait = false;
      }
    }
    this.stats.sendErrors += entry.count ?? 1;
    entry.reject(this.mapError(failure), entry.tag);
    return false;
  }

  /**
   * `first` and the entries right behind it with the same batch key, as one entry whose payload is
   * a batch (or `first` itself when none follows). The batch keeps the first entry's deadline, the
   * earliest of them, and settles every member: sent together, or failed together.
   */
  private gather(first: Entry, pack: BatchPacker): Entry {
    const queue = this.queue;
    const key = first.batchKey;
    let bytes = lastFrame(first).length;
    let end = this.head;
    while (end < queue.length && end - this.head < BATCH_MAX_MESSAGES - 1) {
      const next = queue[end];
      if (next === undefined || next.batchKey !== key) break;
      bytes += lastFrame(next).length;
      if (bytes > BATCH_MAX_BYTES) break;
      end++;
    }
    if (end === this.head) return first;
    const members: Entry[] = [first];
    for (let i = this.head; i < end; i++) {
      members.push(queue[i]!);
      queue[i] = undefined;
    }
    this.stats.queued -= end - this.head;
    this.head = end;
    const payloads = members.map(lastFrame);
    const frames = first.frames.slice(0, -1);
    frames.push(pack(payloads, first.tag));
    this.stats.batchesSent = (this.stats.batchesSent ?? 0) + 1;
    this.stats.batchedMessages = (this.stats.batchedMessages ?? 0) + members.length;
    return {
      frames,
      deadline: first.deadline,
      count: members.length,
      tag: undefined,
      resolve: () => {
        for (const m of members) m.resolve();
      },
      reject: (err) => {
        for (const m of members) m.reject(err, m.tag);
      },
    };
  }

  private setSendTimeout(ms: number): void {
    this.socket.sendTimeout = ms;
    this.currentTimeout = ms;
  }

  private closedError(): MultifrostError {
    return new MultifrostError('CLOSED', `Send on ${this.where()} cancelled: the transport is closed`);
  }

  private timeoutError(): MultifrostError {
    return new MultifrostError(
      'SEND_TIMEOUT',
      `No peer accepted the message on ${this.where()} within ${this.timeoutMs} ms (sendTimeoutMs): is the other side running?`,
      { details: { timeoutMs: this.timeoutMs, endpoint: this.where() } },
    );
  }

  private mapError(err: unknown): MultifrostError {
    // zeromq.js rejects a pending send with EAGAIN when the socket closes under it, too.
    if (this.closed)
      return new MultifrostError('CLOSED', `Send on ${this.where()} cancelled: the transport closed`, { cause: err });
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'EAGAIN') return this.timeoutError();
    const text = err instanceof Error ? err.message : String(err);
    return new MultifrostError('TRANSPORT', `Send on ${this.where()} failed: ${text}`, { cause: err });
  }
}
