/**
 * What `worker.stream.fn(...)` returns: an async iterable of the items a worker's generator yields
 * (docs/streaming.md). It holds at most `window` items: the worker may only send what was granted,
 * and credit goes back as the consumer takes items (half a window at a time), so a slow consumer
 * bounds memory on both sides. It opens at the first `next()`. End, remote error and cancel are
 * three outcomes: `done`, a rejection with the remote error after the items that came before it, and
 * `done` again after `break` / `return()` / `cancel()` (an abort or timeout rejects instead).
 */
import { MultifrostError } from '@multifrost/protocol';

/** How a stream left the books; the table maps it to metrics and the circuit breaker. */
export type StreamOutcome = 'end' | 'remote' | 'cancel' | 'transport' | 'neutral';

/** The stream's way back to its worker, given when it opens (stream-table.ts). */
export interface StreamLink {
  readonly id: string;
  /** Grants `n` more items. */
  credit(n: number): void;
  /** Tells the worker the consumer left. */
  cancel(): void;
  /** The stream is over: take it off the books. */
  settled(outcome: StreamOutcome): void;
}

type State = 'new' | 'opening' | 'open' | 'ended' | 'failed' | 'cancelled';

interface Waiter<I> {
  resolve: (r: IteratorResult<I, undefined>) => void;
  reject: (err: Error) => void;
}

const DONE: IteratorResult<never, undefined> = Object.freeze({ done: true, value: undefined });

export class RemoteStream<I> implements AsyncIterableIterator<I, undefined> {
  /** The worker function this stream reads. */
  readonly functionName: string;
  private readonly window: number;
  private readonly grantEvery: number;
  private readonly opener: (stream: RemoteStream<I>) => void;
  private state: State = 'new';
  private link: StreamLink | undefined;
  private items: unknown[] = [];
  private head = 0;
  private waiters: Waiter<I>[] = [];
  private error: Error | undefined;
  private received = 0;
  /** Items taken since credit was last granted back. */
  private taken = 0;
  private iterated = false;
  /**
   * Internal (the pool's): told once, when the stream is over, however it ended. A pool counts a
   * stream as in flight on its worker until then.
   */
  onFinal: ((outcome: StreamOutcome) => void) | undefined;

  constructor(functionName: string, window: number, opener: (stream: RemoteStream<I>) => void) {
    this.functionName = functionName;
    this.window = window;
    this.grantEvery = Math.max(1, Math.ceil(window / 2));
    this.opener = opener;
  }

  /** Items received so far. */
  get count(): number {
    return this.received;
  }

  /** Over: ended, failed or cancelled. */
  get settled(): boolean {
    const s = this.state;
    return s === 'ended' || s === 'failed' || s === 'cancelled';
  }

  /** The credit window this stream was made with. */
  get windowSize(): number {
    return this.window;
  }

  /** One iteration only: the items are consumed as they are read. */
  [Symbol.asyncIterator](): this {
    if (this.iterated)
      throw new MultifrostError(
        'INVALID_ARGUMENT',
        `The stream of ${this.functionName}() is already being iterated; a stream can be read once (open another with worker.stream.${this.functionName}())`,
        { details: { function: this.functionName } },
      );
    this.iterated = true;
    return this;
  }

  next(): Promise<IteratorResult<I, undefined>> {
    if (this.state === 'new') {
      this.state = 'opening';
      this.opener(this);
    }
    if (this.head < this.items.length) return Promise.resolve({ done: false, value: this.take() as I });
    if (this.state === 'opening' || this.state === 'open')
      return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
    return this.finalResult();
  }

  /** `break` in a `for await` lands here: the worker is told to stop, and the stream is done. */
  return(): Promise<IteratorResult<I, undefined>> {
    this.cancel();
    return Promise.resolve(DONE);
  }

  /**
   * Stops the stream: the worker's generator is closed (its `finally` runs, its call signal fires)
   * and every `next()` from now on is done. Harmless once the stream is over.
   */
  cancel(_reason?: unknown): void {
    const s = this.state;
    if (s === 'ended' || s === 'failed' || s === 'cancelled') return;
    this.state = 'cancelled';
    this.dropItems();
    const link = this.link;
    if (link) {
      link.cancel();
      link.settled('cancel');
    }
    this.releaseWaiters();
    this.final('cancel');
  }

  // ---- called by the stream table ------------------------------------------------------------

  /** The open call went out (or waits for the worker to be ready): from now on it has a way back. */
  attach(link: StreamLink): void {
    this.link = link;
    if (this.state === 'opening') this.state = 'open';
  }

  /**
   * One item arrived. A worker that sends out of order or beyond its credit is broken: the stream
   * fails with PROTOCOL rather than growing without bound.
   */
  push(seq: number, item: unknown): void {
    if (this.state !== 'open') return;
    if (seq !== this.received) {
      this.fail(
        this.protocolError(`item ${seq} arrived where item ${this.received} was due (items were lost or reordered)`),
        'transport',
        true,
      );
      return;
    }
    this.received++;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.noteTaken();
      waiter.resolve({ done: false, value: item as I });
      return;
    }
    if (this.items.length - this.head >= this.window) {
      this.fail(
        this.protocolError(`the worker sent more than the ${this.window} items granted (streamWindow)`),
        'transport',
        true,
      );
      return;
    }
    this.items.push(item);
  }

  /** The generator finished after `count` items. */
  end(count: number): void {
    if (this.state !== 'open') return;
    if (count !== this.received) {
      this.fail(
        this.protocolError(`the stream ended after ${count} items but ${this.received} arrived`),
        'transport',
        false,
      );
      return;
    }
    this.state = 'ended';
    this.link?.settled('end');
    this.releaseWaiters();
    this.final('end');
  }

  /**
   * Ends the stream with `err`. A remote error comes after the items already received
   * (`keepItems`); an abort, timeout, close or exit is reported at once. `sendCancel` tells the
   * worker to stop (nothing to tell when it is gone or already finished).
   */
  fail(err: Error, outcome: StreamOutcome, sendCancel: boolean, keepItems = false): void {
    const s = this.state;
    if (s === 'ended' || s === 'failed' || s === 'cancelled') return;
    this.state = 'failed';
    this.error = err;
    if (!keepItems) this.dropItems();
    const link = this.link;
    if (link) {
      if (sendCancel) link.cancel();
      link.settled(outcome);
    }
    if (this.head >= this.items.length) {
      const first = this.waiters.shift();
      if (first) {
        this.error = undefined;
        first.reject(err);
      }
      this.releaseWaiters();
    }
    this.final(outcome);
  }

  private final(outcome: StreamOutcome): void {
    const told = this.onFinal;
    this.onFinal = undefined;
    told?.(outcome);
  }

  private take(): unknown {
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (this.state === 'open') this.noteTaken();
    return item;
  }

  /** Credit goes back in halves of the window: one small message per many items. */
  private noteTaken(): void {
    if (++this.taken < this.grantEvery) return;
    const n = this.taken;
    this.taken = 0;
    this.link?.credit(n);
  }

  private finalResult(): Promise<IteratorResult<I, undefined>> {
    const err = this.error;
    if (err) {
      this.error = undefined; // reported once; the iterator is done after that
      return Promise.reject(err);
    }
    return Promise.resolve(DONE);
  }

  private releaseWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve(DONE);
  }

  private dropItems(): void {
    this.items = [];
    this.head = 0;
  }

  private protocolError(what: string): MultifrostError {
    return new MultifrostError('PROTOCOL', `Stream of ${this.functionName}(): ${what}`, {
      details: { function: this.functionName },
    });
  }
}
