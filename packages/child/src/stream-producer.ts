/**
 * The worker's side of streams (docs/protocol.md#streams): a generator method's items go out one
 * `stream_item` each, never more than the parent granted (`mf_stream`, then `stream_credit`), and
 * the generator is not pulled at all while the credit is 0, so a slow consumer bounds the producer's
 * memory as well as the parent's. A `cancel`, a stop, or a parent silent for too long aborts the
 * call's signal and `return()`s the generator, so its `finally` runs. Pure: answers go to a
 * ReplySink, time comes from timers.
 */
import {
  MultifrostError,
  createError,
  createStreamEnd,
  createStreamItem,
  errorInitFrom,
  type CallMessage,
  type ErrorInit,
  type Message,
} from '@multifrost/protocol';
import { createDebug } from '@multifrost/protocol/internal';
import { resumeHandler, storedCallDone } from './call-context.js';
import type { CallState } from './call-state.js';

const debug = createDebug('multifrost:child:streams');

/** Where a stream's messages go; `false` back means the message could not be sent (an error reply went instead). */
export interface StreamSink {
  send(peer: Buffer, message: Message): unknown;
}

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor as unknown;
const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {}).constructor as unknown;

/** A method streams when it *is* a generator function: decided without calling it. */
export function isStreamingMethod(method: (...args: unknown[]) => unknown): boolean {
  const ctor = method.constructor;
  return ctor === GeneratorFunction || ctor === AsyncGeneratorFunction;
}

/** Items pulled in a row before the producer lets I/O in (credits, cancels, heartbeats). */
const TURN_ITEMS = 256;

type AnyIterator = Iterator<unknown> | AsyncIterator<unknown>;

export class StreamProducer {
  readonly id: string;
  readonly peer: Buffer;
  readonly peerKey: string;
  private readonly msg: CallMessage;
  private readonly call: CallState;
  private readonly iterator: AnyIterator;
  private readonly stored: boolean;
  private readonly sink: StreamSink;
  private readonly onDone: (p: StreamProducer) => void;
  private credit: number;
  private sent = 0;
  private finished = false;
  private pumping = false;
  private readonly pull = () => this.iterator.next();
  private readonly close = () => this.iterator.return?.();

  constructor(
    msg: CallMessage,
    peer: Buffer,
    call: CallState,
    iterator: AnyIterator,
    stored: boolean,
    credit: number,
    sink: StreamSink,
    onDone: (p: StreamProducer) => void,
  ) {
    this.id = msg.id;
    this.msg = msg;
    this.peer = peer;
    this.peerKey = peer.toString('hex');
    this.call = call;
    this.iterator = iterator;
    this.stored = stored;
    this.credit = credit;
    this.sink = sink;
    this.onDone = onDone;
  }

  /** Items sent so far. */
  get count(): number {
    return this.sent;
  }

  start(): void {
    if (debug.enabled) debug('stream %s %s() opened (credit %d)', this.id, this.msg.function, this.credit);
    void this.pump();
  }

  /** The parent took items: `n` more may go (0 only says it is still there). */
  grant(n: number): void {
    if (this.finished) return;
    this.credit += n;
    if (!this.pumping && this.credit > 0) void this.pump();
  }

  /** The consumer left: nothing more is sent; the signal fires and the generator's `finally` runs. */
  cancel(reason: MultifrostError): void {
    if (this.finished) return;
    if (debug.enabled) debug('stream %s cancelled after %d items: %s', this.id, this.sent, reason.message);
    this.settle();
    this.call.abort(reason);
    this.returnIterator();
  }

  /** Ends the stream with an error reply (the worker is stopping), then closes the generator. */
  fail(init: ErrorInit): void {
    if (this.finished) return;
    this.sink.send(this.peer, createError(this.id, init, this.msg.app));
    this.cancel(new MultifrostError('ABORTED', init.message));
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    let turn = 0;
    try {
      while (!this.finished && this.credit > 0) {
        const step = resumeHandler(this.call, this.stored, this.pull);
        const r = isPromise(step) ? await step : step;
        if (this.finished) return; // cancelled while the generator worked
        if (r.done) {
          if (debug.enabled) debug('stream %s ended after %d items', this.id, this.sent);
          this.sink.send(this.peer, createStreamEnd(this.id, this.sent, this.msg.app));
          this.settle();
          return;
        }
        this.credit--;
        if (this.sink.send(this.peer, createStreamItem(this.id, this.sent, r.value, this.msg.app)) === false) {
          // The item could not be encoded: the sink sent an error reply in its place.
          this.settle();
          this.call.abort(new MultifrostError('ENCODE', `item ${this.sent} of ${this.msg.function}() cannot be sent`));
          this.returnIterator();
          return;
        }
        this.sent++;
        if (++turn === TURN_ITEMS) {
          turn = 0;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    } catch (err) {
      if (this.finished) return;
      if (debug.enabled) debug('stream %s failed after %d items: %s', this.id, this.sent, String(err));
      this.sink.send(this.peer, createError(this.id, errorInitFrom(err), this.msg.app));
      this.settle();
    } finally {
      this.pumping = false;
    }
  }

  private returnIterator(): void {
    try {
      const done = resumeHandler(this.call, this.stored, this.close);
      if (isPromise(done))
        done.then(undefined, (err: unknown) => debug('stream %s: finally threw: %s', this.id, String(err)));
    } catch (err) {
      // A sync generator still running (it cancelled itself from inside) or a `finally` that threw.
      debug('stream %s: return() threw: %s', this.id, String(err));
    }
  }

  private settle(): void {
    this.finished = true;
    this.call.dispose();
    if (this.stored) storedCallDone();
    this.onDone(this);
  }
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown })?.then === 'function';
}
