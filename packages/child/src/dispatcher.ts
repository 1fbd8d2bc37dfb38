/**
 * Which calls run, and when: admission (open or not, namespace, private and unknown names, the
 * list-functions call), the bounded-concurrency queue and the BUSY refusal beyond it, the table of
 * calls still running, cancellation, and the drain a stop waits on. It touches no socket and no process: every answer
 * goes to a ReplySink, so a test can drive it with plain messages and a recording sink.
 */
import {
  LIST_FUNCTIONS_CALL,
  STREAM_KEY,
  MultifrostError,
  createError,
  createResponse,
  errorInitFrom,
  type CallMessage,
  type ErrorInit,
  type Message,
} from '@multifrost/protocol';
import { createDebug } from '@multifrost/protocol/internal';
import { CallState } from './call-state.js';
import { isThenable, runHandler, storedCallDone } from './call-context.js';
import { StreamProducer, isStreamingMethod } from './stream-producer.js';
import { MAX_STREAMS, StreamProducers } from './stream-producers.js';

/** Per-call events; every use is behind `.enabled` so a worker pays nothing for it when off. */
const callDebug = createDebug('multifrost:child:calls');

export type Method = (...args: unknown[]) => unknown;

/** Where the dispatcher's answers go. Called synchronously, once per reply. */
export interface ReplySink {
  /** `false` when the message could not be sent and an error reply went in its place. */
  send(peer: Buffer, message: Message): unknown;
}

export interface DispatcherOptions {
  /** The `this` of every handler. */
  owner: object;
  /** The callable surface, by name; fixed for the dispatcher's life. */
  methods: ReadonlyMap<string, Method>;
  namespace: string;
  /** Most async handlers running at once. Default: {@link DEFAULT_MAX_CONCURRENCY}. */
  maxConcurrency?: number;
  /** Most calls waiting for a slot; one more gets a BUSY reply. Default: {@link DEFAULT_MAX_QUEUE}. */
  maxQueue?: number;
}

/**
 * Enough parallelism for I/O-bound handlers (a database pool or an HTTP agent rarely gives more),
 * small enough that the calls in flight (arguments, state, pending promises) stay a few MB, not
 * whatever a flood of calls brings. A sync handler that returns at once never holds a slot.
 */
export const DEFAULT_MAX_CONCURRENCY = 64;
/** A burst of 16x the slots can wait; beyond that a caller learns at once that it should back off. */
export const DEFAULT_MAX_QUEUE = 1024;

/** The wire name of the refusal; the parent maps it to `MultifrostError` code `BUSY`. */
export const BUSY_ERROR_NAME = 'BusyError';

interface Queued {
  msg: CallMessage;
  peer: Buffer;
  method: Method;
}

const SHUTTING_DOWN: ErrorInit = { name: 'ShuttingDownError', message: 'Worker is shutting down' };

export class Dispatcher {
  private readonly owner: object;
  private readonly methods: ReadonlyMap<string, Method>;
  private readonly namespace: string;
  private readonly limit: number;
  private readonly maxQueue: number;
  private readonly sink: ReplySink;
  /** Closed until the worker is running, and again once it stops: calls then get ShuttingDownError. */
  private accepting = false;
  private readonly active = new Map<string, CallState>();
  private readonly queue: Queued[] = [];
  private drained: (() => void) | undefined;
  /** Names of the generator methods: they stream (stream-producer.ts), and only stream. */
  private readonly streaming = new Set<string>();
  private readonly streams = new StreamProducers();

  constructor(options: DispatcherOptions, sink: ReplySink) {
    this.owner = options.owner;
    this.methods = options.methods;
    this.namespace = options.namespace;
    this.limit = checkLimit('maxConcurrency', options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY, 1);
    this.maxQueue = checkLimit('maxQueue', options.maxQueue ?? DEFAULT_MAX_QUEUE, 0);
    this.sink = sink;
    for (const [name, method] of this.methods) if (isStreamingMethod(method)) this.streaming.add(name);
  }

  /** Streams being produced. */
  get streamCount(): number {
    return this.streams.size;
  }

  /** A message came from `peer`: its streams are not orphaned. */
  heard(peer: Buffer): void {
    this.streams.heard(peer);
  }

  /** The parent took items of stream `id` and grants `credit` more. */
  credit(id: string, credit: number): void {
    this.streams.grant(id, credit);
  }

  /** Starts admitting calls. */
  open(): void {
    this.accepting = true;
  }

  /** Handlers that have yielded and not settled yet (a synchronous handler is never counted). */
  get running(): number {
    return this.active.size;
  }

  /** Calls admitted but waiting for a free slot. */
  get queued(): number {
    return this.queue.length;
  }

  listFunctions(): string[] {
    return [...this.methods.keys()].sort();
  }

  call(msg: CallMessage, peer: Buffer): void {
    if (callDebug.enabled) callDebug('call %s %s() received', msg.id, msg.function);
    if (!this.accepting) {
      this.replyError(peer, msg, SHUTTING_DOWN);
      return;
    }
    const fn = msg.function;
    if (msg.namespace !== this.namespace) {
      this.replyError(peer, msg, {
        name: 'NamespaceError',
        message: `Namespace '${msg.namespace}' is not served by this worker (it serves '${this.namespace}')`,
      });
      return;
    }
    if (fn === LIST_FUNCTIONS_CALL) {
      this.sink.send(peer, createResponse(msg.id, this.listFunctions(), msg.app));
      return;
    }
    if (fn.startsWith('_')) {
      this.replyError(peer, msg, { name: 'PrivateMethodError', message: `Cannot call private method '${fn}'` });
      return;
    }
    const method = this.methods.get(fn);
    if (!method) {
      this.replyError(peer, msg, { name: 'FunctionNotFoundError', message: `Function '${fn}' not found` });
      return;
    }
    const window = msg.metadata?.[STREAM_KEY];
    if (window !== undefined || (this.streaming.size > 0 && this.streaming.has(fn))) {
      this.openStream(msg, peer, method, window);
      return;
    }
    if (this.active.size >= this.limit) {
      if (this.queue.length >= this.maxQueue) {
        // Refused, not held: a flood of calls costs one reply each instead of memory until it drains.
        if (callDebug.enabled) callDebug('call %s refused: busy (%d queued)', msg.id, this.queue.length);
        this.replyError(peer, msg, {
          name: BUSY_ERROR_NAME,
          message: `Worker is busy: ${this.active.size} calls running and ${this.queue.length} waiting (maxConcurrency ${this.limit}, maxQueue ${this.maxQueue})`,
          code: 'BUSY',
        });
        return;
      }
      if (callDebug.enabled) callDebug('call %s queued (%d running)', msg.id, this.active.size);
      this.queue.push({ msg, peer, method });
      return;
    }
    this.execute(msg, peer, method);
  }

  /** The parent gave up on call `id`: abort it if it runs, drop it if it still waits. */
  cancel(id: string): void {
    if (this.streams.size > 0 && this.streams.cancel(id)) return;
    const running = this.active.get(id);
    if (running) {
      if (callDebug.enabled) callDebug('call %s cancelled while running', id);
      running.abort(new MultifrostError('ABORTED', `Call ${id} was cancelled by the parent`));
      if (this.drained && this.waitingCalls() === 0) this.drained();
      return;
    }
    const at = this.queue.findIndex((q) => q.msg.id === id);
    if (at >= 0) {
      // Not started yet: drop it. The parent already rejected it locally.
      if (callDebug.enabled) callDebug('call %s cancelled before it started', id);
      this.queue.splice(at, 1);
    }
  }

  /**
   * Stops admitting, refuses the queued calls, and resolves once no running call is still
   * awaited, or after `graceMs`; the handlers still running then are aborted.
   */
  async drain(graceMs: number): Promise<void> {
    this.accepting = false;
    for (const q of this.queue.splice(0)) this.replyError(q.peer, q.msg, SHUTTING_DOWN);
    // A stream has no natural end to wait for: its consumer learns at once, and its finally runs.
    this.streams.failAll(SHUTTING_DOWN);
    if (this.waitingCalls() === 0) return;
    const drained = new Promise<void>((resolve) => (this.drained = resolve));
    const timer = setTimeout(() => this.drained?.(), graceMs);
    await drained;
    clearTimeout(timer);
    for (const call of this.active.values()) call.abort(new MultifrostError('ABORTED', 'Worker is stopping'));
  }

  /**
   * A call that opens a stream (`mf_stream`), or a plain call to a generator method: a mismatch
   * gets an error reply saying which surface to use. Streams do not take call slots: a paused one
   * costs nothing, and their number is capped on its own (MAX_STREAMS).
   */
  private openStream(msg: CallMessage, peer: Buffer, method: Method, window: unknown): void {
    const fn = msg.function;
    if (!this.streaming.has(fn)) {
      this.replyError(peer, msg, {
        name: 'NotAStreamError',
        message: `${fn}() does not stream; call it with worker.call.${fn}()`,
        code: 'NOT_A_STREAM',
      });
      return;
    }
    if (window === undefined) {
      this.replyError(peer, msg, {
        name: 'StreamingMethodError',
        message: `${fn}() streams; iterate it with worker.stream.${fn}()`,
        code: 'STREAMING_METHOD',
      });
      return;
    }
    if (typeof window !== 'number' || !Number.isSafeInteger(window) || window < 1) {
      this.replyError(peer, msg, {
        name: 'InvalidCallError',
        message: `metadata.${STREAM_KEY} of a call to ${fn}() must be an int >= 1 (the initial credit), got ${String(window)}`,
      });
      return;
    }
    if (this.streams.size >= MAX_STREAMS) {
      this.replyError(peer, msg, {
        name: BUSY_ERROR_NAME,
        message: `Worker is busy: ${this.streams.size} streams open (at most ${MAX_STREAMS})`,
        code: 'BUSY',
      });
      return;
    }
    const call = new CallState(msg);
    let made: { value: unknown; stored: boolean };
    try {
      made = runHandler(call, method, this.owner, msg.args);
    } catch (err) {
      call.dispose();
      this.replyError(peer, msg, errorInitFrom(err));
      return;
    }
    const producer = new StreamProducer(
      msg,
      peer,
      call,
      made.value as Iterator<unknown>,
      made.stored,
      window,
      this.sink,
      this.streams.remove,
    );
    this.streams.add(producer);
    producer.start();
  }

  /**
   * Runs one call. The hot path: a handler that returns a plain value is answered synchronously,
   * with no promise, no context storage and no bookkeeping beyond the call state.
   */
  private execute(msg: CallMessage, peer: Buffer, method: Method): void {
    const call = new CallState(msg);
    let value: unknown;
    let stored: boolean;
    try {
      ({ value, stored } = runHandler(call, method, this.owner, msg.args));
    } catch (err) {
      this.finish(call, peer, msg, false, false, err); // runHandler counted a stored call out
      return;
    }
    if (!isThenable(value)) {
      this.finish(call, peer, msg, stored, true, value);
      return;
    }
    // Registered only now: until the handler yields, no cancel or stop can reach it.
    this.active.set(msg.id, call);
    Promise.resolve(value).then(
      (result) => this.finish(call, peer, msg, stored, true, result),
      (err: unknown) => this.finish(call, peer, msg, stored, false, err),
    );
  }

  private finish(
    call: CallState,
    peer: Buffer,
    msg: CallMessage,
    stored: boolean,
    ok: boolean,
    outcome: unknown,
  ): void {
    if (ok) {
      if (callDebug.enabled) callDebug('call %s %s() replied', msg.id, msg.function);
      this.sink.send(peer, createResponse(msg.id, outcome, msg.app));
    } else {
      if (callDebug.enabled)
        callDebug(
          'call %s %s() failed: %s',
          msg.id,
          msg.function,
          outcome instanceof Error ? outcome.message : outcome,
        );
      this.replyError(peer, msg, errorInitFrom(outcome));
    }
    call.dispose();
    if (stored) storedCallDone();
    // A call answered at once was never in `active`: no lookup of its id (hashing it) for nothing.
    const wasActive = this.active.size > 0 && this.active.delete(msg.id);
    if (wasActive || this.queue.length > 0 || this.drained) this.next();
  }

  private next(): void {
    while (this.queue.length > 0 && this.active.size < this.limit && this.accepting) {
      const q = this.queue.shift()!;
      this.execute(q.msg, q.peer, q.method);
    }
    if (this.drained && this.waitingCalls() === 0) this.drained();
  }

  /** Calls someone still waits for: cancelled ones (the parent gave up on them) don't hold up a stop. */
  private waitingCalls(): number {
    let n = 0;
    for (const call of this.active.values()) if (!call.aborted) n++;
    return n;
  }

  private replyError(peer: Buffer, msg: CallMessage, init: ErrorInit): void {
    this.sink.send(peer, createError(msg.id, init, msg.app));
  }
}

/** A whole number >= `min`, or `Infinity` (asked for explicitly: unbounded). */
function checkLimit(option: string, value: number, min: number): number {
  if (value === Infinity || (Number.isInteger(value) && value >= min)) return value;
  throw new MultifrostError(
    'INVALID_ARGUMENT',
    `${option} must be a whole number >= ${min} or Infinity, got ${String(value)}`,
    { details: { option, value } },
  );
}
