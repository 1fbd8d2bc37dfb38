/**
 * The book of open streams a parent reads (docs/protocol.md#streams): by call id, with each one's
 * whole-stream timeout and abort listener, the messages that feed it (`stream_item`, `stream_end`,
 * `error`), its outcome for the metrics and the circuit breaker, and the keep-alive that tells a
 * worker its reader is still there when periodic heartbeats are off. Reaches the wire only through
 * a `StreamSender`.
 */
import {
  isMultifrostError,
  type ErrorMessage,
  type Message,
  type StreamEndMessage,
  type StreamItemMessage,
} from '@multifrost/protocol';
import { createDebug } from '@multifrost/protocol/internal';
import type { CircuitBreaker } from './circuit-breaker.js';
import { later } from './fail-later.js';
import * as messages from './messages.js';
import { streamTimedOut } from './stream-messages.js';
import type { Metrics } from './metrics.js';
import type { RemoteStream, StreamLink, StreamOutcome } from './remote-stream.js';

const debug = createDebug('multifrost:parent:streams');

/** A worker cancels the streams of a peer silent for 30 s; six keep-alives fit in that. */
export const STREAM_KEEPALIVE_MS = 5_000;

export interface StreamSender {
  post(message: Message, onError: (err: Error, message: Message) => void): Error | undefined;
  cancel(id: string): void;
  credit(id: string, credit: number): void;
}

interface Entry {
  readonly id: string;
  readonly fn: string;
  readonly stream: RemoteStream<unknown>;
  readonly start: number;
  readonly probe: boolean;
  timer: NodeJS.Timeout | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class StreamTable {
  private readonly open = new Map<string, Entry>();
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(
    private readonly worker: string,
    private readonly sender: StreamSender,
    private readonly metrics: Metrics,
    private readonly circuit: CircuitBreaker | undefined,
    /** Whether streams need keep-alives (the worker's periodic heartbeats are off). */
    private readonly needsKeepAlive: () => boolean,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** Books a stream whose open call is built, and sends it. */
  add(
    msg: Message,
    fn: string,
    stream: RemoteStream<unknown>,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    probe: boolean,
  ): void {
    const e: Entry = {
      id: msg.id,
      fn,
      stream,
      start: performance.now(),
      probe,
      timer: undefined,
      signal,
      onAbort: undefined,
    };
    this.open.set(e.id, e);
    this.metrics.streams.opened++;
    stream.attach(this.linkFor(e));
    if (Number.isFinite(timeoutMs) && timeoutMs > 0) {
      e.timer = setTimeout(() => {
        this.metrics.timeouts++;
        stream.fail(streamTimedOut(this.worker, fn, timeoutMs), 'transport', true);
      }, timeoutMs);
    }
    if (signal) {
      e.onAbort = () => stream.fail(messages.aborted(this.worker, fn, signal.reason), 'neutral', true);
      signal.addEventListener('abort', e.onAbort, { once: true });
    }
    if (debug.enabled) debug('%s: stream %s() id %s opened', this.worker, fn, e.id);
    if (this.keepAlive === undefined && this.needsKeepAlive())
      this.keepAlive = setInterval(() => this.sendKeepAlives(), STREAM_KEEPALIVE_MS).unref();
    const failed = this.sender.post(msg, this.onSendError);
    if (failed) later(this.onSendError, failed, msg);
  }

  onItem(msg: StreamItemMessage): void {
    const e = this.open.get(msg.id);
    if (!e) return; // a late item after a cancel: normal
    const item = msg.item;
    const s = this.metrics.streams;
    s.items++;
    if (item instanceof Uint8Array) s.bytes += item.byteLength;
    else if (typeof item === 'string') s.bytes += item.length;
    e.stream.push(msg.seq, item);
  }

  onEnd(msg: StreamEndMessage): void {
    this.open.get(msg.id)?.stream.end(msg.count);
  }

  /** True when the error was a stream's: it ends that stream after the items already received. */
  onError(msg: ErrorMessage): boolean {
    const e = this.open.get(msg.id);
    if (!e) return false;
    e.stream.fail(messages.remoteError(this.worker, e.fn, msg), 'remote', false, true);
    return true;
  }

  /** Fails one stream whose message could not be read. */
  fail(id: string, makeError: (fn: string) => Error): boolean {
    const e = this.open.get(id);
    if (!e) return false;
    e.stream.fail(makeError(e.fn), 'transport', true);
    return true;
  }

  /** Ends every open stream with an error; `sendCancel` when the worker is still there to hear it. */
  failAll(makeError: (fn: string) => Error, sendCancel: boolean): void {
    for (const e of [...this.open.values()]) e.stream.fail(makeError(e.fn), 'neutral', sendCancel);
  }

  private linkFor(e: Entry): StreamLink {
    return {
      id: e.id,
      credit: (n) => this.sender.credit(e.id, n),
      cancel: () => {
        if (debug.enabled) debug('%s: stream %s() id %s cancelled', this.worker, e.fn, e.id);
        this.sender.cancel(e.id);
      },
      settled: (outcome) => this.settle(e, outcome),
    };
  }

  private settle(e: Entry, outcome: StreamOutcome): void {
    if (this.open.get(e.id) !== e) return;
    this.open.delete(e.id);
    if (e.timer) clearTimeout(e.timer);
    if (e.onAbort) e.signal!.removeEventListener('abort', e.onAbort);
    const s = this.metrics.streams;
    if (outcome === 'end') s.ended++;
    else if (outcome === 'cancel') s.cancelled++;
    else s.failed++;
    if (outcome === 'end' || outcome === 'remote') this.circuit?.success();
    else if (outcome === 'transport') this.circuit?.failure();
    else if (e.probe) this.circuit?.releaseProbe();
    if (debug.enabled)
      debug(
        '%s: stream %s() id %s %s after %d items, %d ms',
        this.worker,
        e.fn,
        e.id,
        outcome === 'end' ? 'ended' : outcome === 'cancel' ? 'was cancelled' : `failed (${outcome})`,
        e.stream.count,
        Math.round(performance.now() - e.start),
      );
    if (this.open.size === 0 && this.keepAlive) {
      clearInterval(this.keepAlive);
      this.keepAlive = undefined;
    }
  }

  private sendKeepAlives(): void {
    for (const id of this.open.keys()) this.sender.credit(id, 0);
  }

  private readonly onSendError = (err: unknown, msg: Message): void => {
    const e = this.open.get(msg.id);
    if (!e || msg.type !== 'call') return;
    const transportFailure = !(isMultifrostError(err) && err.code === 'ENCODE');
    const error = isMultifrostError(err) ? err : messages.sendFailed(this.worker, e.fn, err);
    e.stream.fail(error, transportFailure ? 'transport' : 'neutral', false);
  };
}
