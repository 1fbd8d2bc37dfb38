/**
 * The queued writer: zeromq.js allows one send in flight per socket (a second throws EBUSY), and a
 * send with no peer would wait forever without a send timeout. Sends are queued in order and a
 * single pump hands them to libzmq; each entry carries its own deadline, so a backlog behind a
 * stuck send fails within one timeout, not one timeout per message.
 */
import { MultifrostError } from '@multifrost/protocol';
import type { TransportStats } from './types.js';

/** Queue wait below which an entry still gets the full socket send timeout. */
const SLACK_MS = 50;

interface Entry {
  frames: Buffer[];
  deadline: number;
  /** Called once the message was handed to libzmq; may be a no-op. */
  resolve: () => void;
  reject: (err: Error) => void;
}

const noop = (): void => {};

interface SendSocket {
  send(frames: Buffer[]): Promise<void>;
  sendTimeout: number;
}

export class WriterQueue {
  private queue: (Entry | undefined)[] = [];
  private head = 0;
  private pumping = false;
  private closed = false;
  private currentTimeout: number;

  constructor(
    private readonly socket: SendSocket,
    private readonly timeoutMs: number,
    private readonly stats: TransportStats,
    private readonly where: () => string,
  ) {
    this.currentTimeout = timeoutMs;
  }

  push(frames: Buffer[]): Promise<void> {
    return new Promise<void>((resolve, reject) => this.post(frames, reject, resolve));
  }

  /** Like push, without a Promise per message: the hot paths only need to hear about failures. */
  post(frames: Buffer[], onError: (err: Error) => void, onSent: () => void = noop): void {
    this.queue.push({ frames, deadline: Date.now() + this.timeoutMs, resolve: onSent, reject: onError });
    this.stats.queued++;
    if (!this.pumping) void this.pump();
  }

  close(): void {
    this.closed = true;
    for (let i = this.head; i < this.queue.length; i++) {
      const e = this.queue[i];
      if (!e) continue;
      this.queue[i] = undefined;
      this.stats.queued--;
      e.reject(new MultifrostError('CLOSED', `Send on ${this.where()} cancelled: the transport closed`));
    }
    this.queue = [];
    this.head = 0;
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.head < this.queue.length) {
        const entry = this.queue[this.head]!;
        this.queue[this.head++] = undefined;
        this.stats.queued--;
        if (this.closed) {
          entry.reject(new MultifrostError('CLOSED', `Send on ${this.where()} cancelled: the transport closed`));
          continue;
        }
        const remaining = entry.deadline - Date.now();
        if (remaining <= 0) {
          this.stats.sendErrors++;
          entry.reject(this.timeoutError());
          continue;
        }
        // Only an entry that already waited a while needs a shorter socket timeout; setting the
        // option is a native call, so the common case (sent at once) leaves it alone.
        const wanted = remaining < this.timeoutMs - SLACK_MS ? Math.max(1, remaining) : this.timeoutMs;
        if (wanted !== this.currentTimeout) {
          this.socket.sendTimeout = wanted;
          this.currentTimeout = wanted;
        }
        try {
          await this.socket.send(entry.frames);
          this.stats.sent++;
          entry.resolve();
        } catch (err) {
          this.stats.sendErrors++;
          entry.reject(this.mapError(err));
        }
      }
      this.queue.length = 0;
      this.head = 0;
    } finally {
      this.pumping = false;
    }
  }

  private timeoutError(): MultifrostError {
    return new MultifrostError(
      'SEND_TIMEOUT',
      `No peer accepted the message on ${this.where()} within ${this.timeoutMs} ms (sendTimeoutMs): is the other side running?`,
      { details: { timeoutMs: this.timeoutMs } },
    );
  }

  private mapError(err: unknown): MultifrostError {
    if (this.closed) return new MultifrostError('CLOSED', `Send on ${this.where()} cancelled: the transport closed`, { cause: err });
    const code = (err as { code?: string }).code;
    if (code === 'EAGAIN') return this.timeoutError();
    return new MultifrostError('TRANSPORT', `Send on ${this.where()} failed: ${(err as Error).message ?? String(err)}`, { cause: err });
  }
}
