/**
 * The book of calls a parent has made: pending calls (call-book.ts), calls waiting for the worker to be
 * ready, their deadlines, and how each one settles (reply, remote error, timeout, abort, send
 * failure, exit). Pure: no sockets and no processes. It reaches the wire only through a
 * `CallSender`, so it can be driven by a test with fake timers and a fake sender.
 */
import { isMultifrostError, type ErrorMessage, type Message } from '@multifrost/protocol';
import { createDebug } from '@multifrost/protocol/internal';
import { later } from './fail-later.js';
import { CallBook } from './call-book.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { Deadlines } from './deadlines.js';
import * as messages from './messages.js';
import type { Metrics } from './metrics.js';

/** One line per call event; checked with `.enabled` first so a call builds no log arguments when off. */
const debugCalls = createDebug('multifrost:parent:calls');

export interface CallSender {
  /**
   * Hands a call to the wire without a Promise. A failure known at once is returned; a later one
   * is reported to `onError`.
   */
  post(message: Message, onError: (err: Error, message: Message) => void): Error | undefined;
  /** Tells the worker to stop working on a call we gave up on (timeout, abort). Never throws. */
  cancel(id: string): void;
}

export interface PendingCall {
  readonly id: string;
  readonly fn: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  start: number;
  /** When the call times out (performance.now() clock); Infinity without a timeout. */
  deadline: number;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  probe: boolean;
  /** Set once the call message was handed to the transport. */
  sent: boolean;
  /** The message of a call still waiting for the worker to be ready. */
  msg: Message | undefined;
  /** Its place in the book (call-book.ts); -1 once settled. */
  slot: number;
}

type Outcome = 'success' | 'remote' | 'transport' | 'neutral';

export class CallTable {
  private readonly pending = new CallBook<PendingCall>();
  /** Calls made while starting or restarting, sent once the worker is ready. */
  private waiting: PendingCall[] = [];
  private readonly deadlines = new Deadlines((now) => this.expire(now));

  constructor(
    private readonly worker: string,
    private readonly sender: CallSender,
    private readonly metrics: Metrics,
    private readonly circuit: CircuitBreaker | undefined,
  ) {}

  /** The calls not settled yet, by id (a copy, for diagnostics). */
  get byId(): ReadonlyMap<string, PendingCall> {
    return new Map(this.pending.values().map((p) => [p.id, p]));
  }

  /** Calls not settled yet, sent or waiting. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Books a call whose message is built; sends it now when `sendNow`, else keeps it until
   * `flushWaiting()`. `timeoutMs` of 0 or Infinity means no deadline here.
   */
  add(
    msg: Message,
    fn: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    probe: boolean,
    sendNow: boolean,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const p: PendingCall = {
        id: msg.id,
        fn,
        resolve,
        reject,
        start: performance.now(),
        deadline: Infinity,
        timeoutMs,
        signal,
        onAbort: undefined,
        probe,
        sent: false,
        msg: undefined,
        slot: -1,
      };
      this.pending.add(p);
      this.metrics.total++;
      if (Number.isFinite(timeoutMs) && timeoutMs > 0) {
        p.deadline = p.start + timeoutMs;
        this.deadlines.add(p.deadline);
      }
      if (signal) {
        p.onAbort = () => this.abort(p);
        signal.addEventListener('abort', p.onAbort, { once: true });
      }
      if (sendNow) this.send(p, msg);
      else {
        p.msg = msg;
        this.waiting.push(p);
      }
    });
  }

  /** The worker is ready: sends every call that waited for it, in order. */
  flushWaiting(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const p of waiting) {
      const msg = p.msg;
      p.msg = undefined;
      if (msg && this.pending.has(p)) this.send(p, msg);
    }
  }

  onResponse(id: string, result: unknown): void {
    const p = this.pending.find(id);
    if (!p) return; // late reply of a timed-out or cancelled call
    this.settle(p, 'success');
    if (debugCalls.enabled) this.logSettled(p, 'replied');
    p.resolve(result);
  }

  onError(msg: ErrorMessage): void {
    const p = this.pending.find(msg.id);
    if (!p) return;
    this.settle(p, 'remote');
    if (debugCalls.enabled) this.logSettled(p, 'failed remotely');
    p.reject(messages.remoteError(this.worker, p.fn, msg));
  }

  /** Rejects one pending call whose reply came but could not be read (over the size limit). */
  fail(id: string, makeError: (p: PendingCall) => Error): void {
    const p = this.pending.find(id);
    if (!p) return;
    this.settle(p, 'remote');
    if (debugCalls.enabled) this.logSettled(p, 'got an unreadable reply');
    p.reject(makeError(p));
  }

  /** Rejects calls already handed to the wire (or all of them with `sentOnly` false). */
  rejectAll(makeError: (p: PendingCall) => Error, sentOnly = false): void {
    for (const p of this.pending.values()) {
      if (sentOnly && !p.sent) continue;
      this.settle(p, 'neutral');
      p.reject(makeError(p));
    }
  }

  /** Rejects the calls still waiting for the worker to be ready. */
  rejectWaiting(makeError: (p: PendingCall) => Error): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const p of waiting) {
      if (!this.pending.has(p)) continue;
      this.settle(p, 'neutral');
      p.reject(makeError(p));
    }
  }

  /** Nothing is pending any more: drop the deadline timer. */
  clear(): void {
    this.deadlines.clear();
  }

  private send(p: PendingCall, msg: Message): void {
    p.sent = true;
    if (debugCalls.enabled) debugCalls('%s: call %s() id %s sent', this.worker, p.fn, p.id);
    const failed = this.sender.post(msg, this.onSendError);
    // On a later turn, like every fast failure (fail-later.ts): a retry loop must not starve I/O.
    if (failed) later(this.onSendError, failed, msg);
  }

  /** One handler for every failed send (no closure per call): the message says which call it was. */
  private readonly onSendError = (err: unknown, msg: Message): void => {
    const p = this.pending.find(msg.id);
    if (!p || msg.type !== 'call') return;
    const transportFailure = !(isMultifrostError(err) && err.code === 'ENCODE');
    const error = isMultifrostError(err) ? err : messages.sendFailed(this.worker, p.fn, err);
    this.settle(p, transportFailure ? 'transport' : 'neutral');
    if (debugCalls.enabled) this.logSettled(p, `could not be sent (${error.code})`);
    p.reject(error);
  };

  /** Removes a call from the books and records its outcome. */
  private settle(p: PendingCall, outcome: Outcome): void {
    this.pending.remove(p);
    if (p.onAbort) p.signal!.removeEventListener('abort', p.onAbort);
    const latency = performance.now() - p.start;
    if (outcome === 'success') this.metrics.recordSuccess(latency);
    else this.metrics.recordFailure(latency);
    if (outcome === 'success' || outcome === 'remote') this.circuit?.success();
    else if (outcome === 'transport') this.circuit?.failure();
    else if (p.probe) this.circuit?.releaseProbe();
  }

  /** Times out every pending call whose deadline has passed; returns the earliest one left. */
  private expire(now: number): number {
    let next = Infinity;
    let due: PendingCall[] | undefined;
    for (const p of this.pending.values()) {
      if (p.deadline <= now) (due ??= []).push(p);
      else if (p.deadline < next) next = p.deadline;
    }
    if (due) for (const p of due) this.timeout(p);
    return next;
  }

  private timeout(p: PendingCall): void {
    if (!this.pending.has(p)) return;
    this.metrics.timeouts++;
    this.settle(p, 'transport');
    if (debugCalls.enabled) this.logSettled(p, `timed out (limit ${p.timeoutMs} ms)`);
    if (p.sent) this.sender.cancel(p.id);
    p.reject(messages.timedOut(this.worker, p.fn, p.timeoutMs));
  }

  private abort(p: PendingCall): void {
    if (!this.pending.has(p)) return;
    p.onAbort = undefined;
    this.settle(p, 'neutral');
    if (debugCalls.enabled) this.logSettled(p, p.sent ? 'aborted, cancel sent' : 'aborted before it was sent');
    if (p.sent) this.sender.cancel(p.id);
    p.reject(messages.aborted(this.worker, p.fn, p.signal!.reason));
  }

  private logSettled(p: PendingCall, what: string): void {
    debugCalls(
      '%s: call %s() id %s %s after %d ms',
      this.worker,
      p.fn,
      p.id,
      what,
      Math.round(performance.now() - p.start),
    );
  }
}
