/**
 * The caller side: `ParentWorker.spawn(script)` or `ParentWorker.connect(serviceId)` gives a ready
 * worker whose methods are called through `worker.call.fn(...)`. A facade: the call table books
 * calls, the heartbeat monitor and circuit breaker judge health, and a strategy (spawn supervisor
 * or connect session) brings the worker up, keeps it, and lets it go. This file holds the state
 * they share and the public API.
 */
import { EventEmitter } from 'node:events';
import {
  APP_V3,
  APP_V4,
  CAPABILITIES_KEY,
  CAP_STREAM,
  STREAM_KEY,
  DEFAULT_NAMESPACE,
  MAX_MESSAGE_BYTES_KEY,
  MultifrostError,
  appIdFor,
  createCall,
  createCancel,
  createStreamCredit,
  readCapabilities,
  WORKER_CAPABILITIES_KEY,
  type AppId,
  type Message,
} from '@multifrost/protocol';
import { createDebug } from '@multifrost/protocol/internal';
import { wireCapabilityNames, type CallerTransport } from '@multifrost/transport-zmq';
import { CallTable, type CallSender } from './call-table.js';
import { CircuitBreaker, type CircuitState } from './circuit-breaker.js';
import { ConnectSession, connectPlan } from './connect-session.js';
import { securityInSpawnMode } from './curve-client.js';
import { timeoutMs } from './durations.js';
import { HeartbeatMonitor, heartbeatOptions } from './heartbeat.js';
import { failLater } from './fail-later.js';
import { listFunctions } from './list-functions.js';
import { boundView } from './view.js';
import * as messages from './messages.js';
import { Metrics, type MetricsSnapshot } from './metrics.js';
import type { CallOptions, ConnectOptions, ParentWorkerEvents, ParentWorkerOptions, SpawnOptions } from './options.js';
import { OutputSink } from './output-sink.js';
import {
  createCallProxy,
  createStreamProxy,
  type Remote,
  type StreamView,
  type Streams,
  type UntypedApi,
  type WorkerView,
} from './proxy.js';
import { RemoteStream } from './remote-stream.js';
import { badStreamWindow, streamClosed, streamsUnsupported } from './stream-messages.js';
import { StreamTable } from './stream-table.js';
import { SpawnSupervisor, spawnPlan } from './spawn-supervisor.js';
import type { WorkerHost, WorkerStrategy } from './strategy.js';
import { transportFactory } from './transport-option.js';
import type { ExitInfo } from './worker-process.js';

const debug = createDebug('multifrost:parent');

const NO_CAPABILITIES: ReadonlySet<string> = new Set();

export const DEFAULT_STREAM_WINDOW = 64;

/** The key of ParentWorker's internal stream opener, shared with the pool (not exported from the package). */
export const OPEN_STREAM = Symbol('multifrost.openStream');

type State = 'starting' | 'ready' | 'restarting' | 'failed' | 'closing' | 'closed';

export class ParentWorker<T = UntypedApi>
  extends EventEmitter<ParentWorkerEvents>
  implements WorkerView<T>, StreamView<T>
{
  /** Calls with the default options: `await worker.call.add(1, 2)`. */
  readonly call: Remote<T>;
  /** Streams of a worker's generator methods: `for await (const t of worker.stream.tokens('hi'))`. */
  readonly stream: Streams<T>;
  readonly name: string;
  readonly mode: 'spawn' | 'connect';

  private state: State = 'starting';
  private readonly host: WorkerHost;
  private readonly strategy: WorkerStrategy;
  /** The app id spoken; with `protocol: 'auto'`, fixed by the first answer during start. */
  private app: AppId;
  private appCandidates: readonly AppId[] | undefined;
  private readonly transport: CallerTransport;
  private readonly calls: CallTable;
  private readonly streams: StreamTable;
  private readonly streamWindow: number;
  /** Streams opened while the worker restarts: opened (or failed) once that is decided. */
  private streamsWaiting: (() => void)[] = [];
  private readonly circuit: CircuitBreaker | undefined;
  private readonly heartbeat: HeartbeatMonitor;
  private readonly metricsData = new Metrics();
  private readonly defaultTimeoutMs: number;
  /** Whether calls on the default timeout carry it as `metadata.deadline` (the user chose it). */
  private readonly defaultDeadlineTravels: boolean;
  private readonly clientName: string | undefined;
  /** What the worker said it understands on its last heartbeat reply (docs/protocol.md#capabilities). */
  private peerCaps: ReadonlySet<string> = NO_CAPABILITIES;
  private startPromise: Promise<this> | undefined;
  private closePromise: Promise<void> | undefined;

  private constructor(
    options: ParentWorkerOptions & { output?: SpawnOptions['output'] },
    name: string,
    strategy: (host: WorkerHost) => WorkerStrategy,
  ) {
    super();
    this.name = options.name ?? name;
    const protocol = options.protocol ?? 'auto';
    if (protocol === 'auto') this.appCandidates = [APP_V4, APP_V3];
    this.app = protocol === 'auto' ? APP_V4 : appIdFor(protocol);
    this.clientName = options.clientName;
    this.defaultTimeoutMs = timeoutMs(options.defaultTimeoutMs, 'defaultTimeoutMs', 60_000);
    this.defaultDeadlineTravels = options.defaultTimeoutMs !== undefined;
    const window = options.streamWindow ?? DEFAULT_STREAM_WINDOW;
    if (!isWindow(window)) throw badStreamWindow(window);
    this.streamWindow = window;
    this.circuit =
      options.circuitBreaker === false
        ? undefined
        : new CircuitBreaker(options.circuitBreaker ?? {}, (s) => this.onCircuit(s));
    this.transport = transportFactory(options.transport).caller();
    const sender: CallSender = {
      post: (msg, onError) => this.transport.post(msg, onError),
      cancel: (id) => void this.transport.send(createCancel(id, this.app)).catch(() => {}),
    };
    this.calls = new CallTable(this.name, sender, this.metricsData, this.circuit);
    this.streams = new StreamTable(
      this.name,
      {
        post: sender.post,
        cancel: sender.cancel,
        credit: (id, n) => void this.transport.send(createStreamCredit(id, n, this.app)).catch(() => {}),
      },
      this.metricsData,
      this.circuit,
      () => this.heartbeat.intervalMs <= 0,
    );
    const self = this;
    this.heartbeat = new HeartbeatMonitor(heartbeatOptions(options), {
      get app() {
        return self.app;
      },
      send: (msg) => this.transport.send(msg),
      isBusy: () => (this.calls.size > 0 || this.streams.size > 0) && this.transport.connectedPeers > 0,
      onRtt: (ms) => this.metricsData.recordRtt(ms),
      onMiss: (n) => {
        this.metricsData.heartbeatMisses++;
        debug('%s: heartbeat missed (%d in a row)', this.name, String(n));
      },
      onUnresponsive: (misses) => this.onUnresponsive(misses),
      onResponsive: () => this.emit('responsive'),
    });
    this.transport.onMessage = (msg) => this.onMessage(msg);
    // Our own size limit rides on every probe, so the worker refuses over-size replies before sending;
    // so does what we understand beyond the public protocol.
    this.heartbeat.addMetadata({ [MAX_MESSAGE_BYTES_KEY]: this.transport.limits.maxMessageBytes });
    const caps = [...wireCapabilityNames(this.transport.capabilities), CAP_STREAM];
    this.heartbeat.addMetadata({ [CAPABILITIES_KEY]: caps });
    this.transport.onReject = (rej) => {
      // A reply over our size limit: its call learns why now, not at its timeout.
      if (rej.id && (rej.type === 'stream_item' || rej.type === 'stream_end' || rej.type === 'error')) {
        const detail = rej.detail;
        const failed = this.streams.fail(
          rej.id,
          (fn) =>
            new MultifrostError(
              'PROTOCOL',
              `A message of the stream of ${fn}() from ${this.name} could not be read: ${detail}`,
              {
                details: { worker: this.name, function: fn },
              },
            ),
        );
        if (failed) return;
      }
      if (!rej.id || (rej.type !== 'response' && rej.type !== 'error')) return;
      if (rej.reason === 'TOO_LARGE')
        this.calls.fail(rej.id, (p) => messages.replyTooLarge(this.name, p.fn, rej.detail));
      // Any other reply we cannot read (an unknown msgpack ext type): its call fails now, saying why.
      else
        this.calls.fail(
          rej.id,
          (p) =>
            new MultifrostError('PROTOCOL', `The reply of ${this.name} to ${p.fn}() could not be read: ${rej.detail}`, {
              details: { worker: this.name, function: p.fn },
            }),
        );
    };
    this.host = this.makeHost(
      new OutputSink(
        () => this.name,
        options.output ?? 'inherit',
        (line, stream) => {
          if (this.listenerCount(stream) > 0) this.emit(stream, line);
        },
        options.maxOutputLineBytes,
      ),
    );
    this.strategy = strategy(this.host);
    this.mode = this.strategy.mode;
    this.call = createCallProxy<T>((fn, args) => this.invoke(fn, args, {}));
    this.stream = createStreamProxy<T>((fn, args) => this.makeStream(fn, args, {}));
  }

  /**
   * Starts a worker process and resolves once it answers (first heartbeat reply). `script` is a
   * `file:` URL (`new URL('./worker.ts', import.meta.url)`, independent of where the app is started
   * from), an absolute path, or a path relative to the `cwd` option (default `process.cwd()`). A
   * missing file rejects with `START_FAILED` before anything is spawned. The second argument may
   * be the executable (`spawn('./svc.ts', 'tsx')`) or the options.
   */
  static async spawn<T = UntypedApi>(
    script: string | URL,
    executableOrOptions?: string | SpawnOptions,
    maybeOptions: SpawnOptions = {},
  ): Promise<ParentWorker<T>> {
    const given = typeof executableOrOptions === 'object' ? executableOrOptions : maybeOptions;
    if ((given as { security?: unknown } | undefined)?.security !== undefined) throw securityInSpawnMode();
    const { options, plan, name } = spawnPlan(script, executableOrOptions, maybeOptions);
    return new ParentWorker<T>(options, name, (host) => new SpawnSupervisor(host, plan)).start();
  }

  /** Finds a running service in the registry, connects, and resolves once it answers. */
  static async connect<T = UntypedApi>(serviceId: string, options: ConnectOptions = {}): Promise<ParentWorker<T>> {
    const plan = connectPlan(serviceId, options);
    return new ParentWorker<T>(options, serviceId, (host) => new ConnectSession(host, plan)).start();
  }

  /**
   * Resolves when the worker is ready. Idempotent: later calls return the same promise. After
   * close() it rejects with `CLOSED`: a closed worker does not come back (spawn or connect anew).
   */
  start(): Promise<this> {
    if (this.closePromise) return failLater(messages.startAfterClose(this.name, this.mode));
    this.startPromise ??= this.doStart().catch(async (err: unknown) => {
      await this.shutdownAfterFailedStart();
      throw err;
    });
    return this.startPromise;
  }

  /** A view of this worker whose calls use these options: `worker.with({ timeoutMs: 500 }).call.f()`. */
  with(options: CallOptions): WorkerView<T> & StreamView<T> {
    return boundView<T>(
      options,
      (fn, args, o) => this.invoke(fn, args, o),
      (fn, args, o) => this.makeStream(fn, args, o),
    );
  }

  /** Calls a function by name (what `worker.call.name(...args)` does). */
  callFunction<R = unknown>(fn: string, args: unknown[] = [], options: CallOptions = {}): Promise<R> {
    return this.invoke(fn, args, options) as Promise<R>;
  }

  /**
   * The functions the worker exposes, sorted. A worker serving another namespace must be asked in
   * it (`worker.with({ namespace }).listFunctions()`): public peers ignore a call in the wrong one.
   */
  listFunctions(options: CallOptions = {}): Promise<string[]> {
    return listFunctions((fn) => this.invoke(fn, [], options));
  }

  get metrics(): MetricsSnapshot {
    const c = this.circuit;
    return this.metricsData.snapshot({
      inFlight: this.calls.size,
      circuit: { state: c?.state ?? 'closed', trips: c?.trips ?? 0, consecutiveFailures: c?.consecutiveFailures ?? 0 },
      droppedMessages: this.transport.stats.dropped,
    });
  }

  /** Ready, circuit closed, and answering heartbeats. */
  get isHealthy(): boolean {
    return this.state === 'ready' && !this.heartbeat.isUnresponsive && !this.circuitOpen;
  }

  get circuitOpen(): boolean {
    return (this.circuit?.state ?? 'closed') !== 'closed';
  }

  get lastHeartbeatRttMs(): number | undefined {
    return this.metricsData.lastRttMs;
  }

  /** PID of the spawned worker (spawn mode). */
  get pid(): number | undefined {
    return this.strategy.pid;
  }

  /** Shuts the worker down (spawn mode: shutdown message, SIGTERM, SIGKILL within `closeGraceMs`) and releases the socket. */
  close(): Promise<void> {
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The calls in flight by id: not API, kept because packages/e2e/test/lifecycle.test.ts reads it. */
  private get pending(): ReadonlyMap<string, unknown> {
    return this.calls.byId;
  }

  private makeHost(sink: OutputSink): WorkerHost {
    const self = this;
    return {
      name: this.name,
      get app() {
        return self.app;
      },
      get appCandidates() {
        return self.appCandidates;
      },
      chooseApp: (app) => {
        debug('%s: the worker answered in %s', this.name, app);
        this.app = app;
        this.appCandidates = undefined;
      },
      transport: this.transport,
      heartbeat: this.heartbeat,
      calls: this.calls,
      failInFlight: (makeError, sendCancel) => {
        this.calls.rejectAll((p) => makeError(p.fn), true);
        this.streams.failAll(makeError, sendCancel);
      },
      metrics: this.metricsData,
      sink,
      get closing() {
        return self.state === 'closing' || self.state === 'closed';
      },
      get ready() {
        return self.state === 'ready';
      },
      exited: (info) => this.emit('exit', info),
      lost: (info, restarting) => this.onLost(info, restarting),
      restarted: (attempt, pid) => {
        this.circuit?.reset();
        this.becomeReady(true);
        this.emit('restart', { attempt, pid });
      },
      restartFailed: (error) => {
        this.state = 'failed';
        this.calls.rejectWaiting(() => error);
        this.flushWaitingStreams();
        this.emit('restart-failed', error);
      },
    };
  }

  private async doStart(): Promise<this> {
    await this.strategy.start();
    this.becomeReady(false);
    return this;
  }

  /** `emitNow` false (first start): 'ready' waits a turn, so a listener attached after `await spawn()` hears it. */
  private becomeReady(emitNow: boolean): void {
    this.state = 'ready';
    this.heartbeat.reset();
    this.heartbeat.start();
    if (emitNow) this.emit('ready');
    else setImmediate(() => this.state === 'ready' && this.emit('ready'));
    this.calls.flushWaiting();
    this.flushWaitingStreams();
  }

  private async shutdownAfterFailedStart(): Promise<void> {
    this.heartbeat.stop();
    this.calls.rejectWaiting(() => messages.startFailedGeneric(this.name));
    await this.strategy.abortStart();
    this.state = 'closed';
    await this.transport.close();
  }

  /** Every reply says it anew: a worker restarted from another build may understand less. */
  private setPeerCapabilities(caps: ReadonlySet<string>): void {
    this.peerCaps = caps;
    this.transport.setPeerCapabilities?.(caps);
  }

  private onLost(info: ExitInfo, restarting: boolean): void {
    this.setPeerCapabilities(NO_CAPABILITIES);
    this.heartbeat.stop();
    // Never replayed by a restart: the items already read cannot be taken back.
    this.streams.failAll((fn) => messages.exitedInFlight(this.name, fn, info), false);
    this.calls.rejectAll((p) => messages.exitedInFlight(this.name, p.fn, info), true);
    this.circuit?.failure();
    this.state = restarting ? 'restarting' : 'failed';
    if (!restarting) this.calls.rejectWaiting(() => this.strategy.notRunning());
  }

  private async doClose(): Promise<void> {
    const wasStarting = this.state === 'starting';
    this.state = 'closing';
    this.heartbeat.stop();
    // Cancels go out before the shutdown, so each producer's finally runs while it can still be told.
    this.streams.failAll((fn) => streamClosed(this.name, fn), true);
    this.flushWaitingStreams();
    this.calls.rejectWaiting((p) => messages.closed(this.name, p.fn, 'was closed before the call was sent'));
    if (wasStarting && this.startPromise) await this.startPromise.catch(() => undefined);
    await this.strategy.close();
    this.calls.rejectAll((p) => messages.closed(this.name, p.fn, 'was closed while the call was in flight'));
    this.calls.clear();
    this.circuit?.dispose();
    await this.transport.close();
    this.state = 'closed';
  }

  private invoke(fn: string, args: unknown[], options: CallOptions): Promise<unknown> {
    const state = this.state;
    if (state === 'closing' || state === 'closed')
      return failLater(messages.closed(this.name, fn, state === 'closing' ? 'is closing' : 'is closed'));
    if (state === 'failed') return failLater(this.strategy.notRunning(fn));
    const signal = options.signal;
    if (signal?.aborted) return failLater(messages.aborted(this.name, fn, signal.reason));
    let ms: number;
    try {
      ms = timeoutMs(options.timeoutMs, 'timeoutMs', this.defaultTimeoutMs);
    } catch (err) {
      return failLater(err as Error);
    }
    const circuit = this.circuit;
    const admitted = circuit ? circuit.admit() : true;
    if (admitted === false)
      return failLater(messages.circuitOpen(this.name, fn, circuit!.consecutiveFailures, circuit!.resetTimeoutMs));
    // A timeout the user chose travels with the call; the built-in default stays here (28 bytes less).
    const carryDeadline = Number.isFinite(ms) && (options.timeoutMs !== undefined || this.defaultDeadlineTravels);
    const extra = this.heartbeat.callMetadata;
    const metadata = extra ? { ...extra, ...options.metadata } : options.metadata;
    const msg: Message = createCall({
      function: fn,
      args,
      namespace: options.namespace ?? DEFAULT_NAMESPACE,
      app: this.app,
      clientName: options.clientName ?? this.clientName,
      metadata: carryDeadline ? { ...metadata, deadline: (Date.now() + ms) / 1000 } : metadata,
    });
    return this.calls.add(msg, fn, ms, signal, admitted === 'probe', state === 'ready');
  }

  /** Internal (the pool's): opens `stream`, made elsewhere, on this worker, as `worker.stream.fn` would. */
  [OPEN_STREAM](stream: RemoteStream<unknown>, fn: string, args: unknown[], options: CallOptions): void {
    this.openStream(fn, args, options, stream, stream.windowSize);
  }

  /** `worker.stream.fn(...)`: nothing is sent until the first `next()` (openStream). */
  private makeStream(fn: string, args: unknown[], options: CallOptions): RemoteStream<unknown> {
    const w = options.streamWindow ?? this.streamWindow;
    const window = isWindow(w) ? w : DEFAULT_STREAM_WINDOW;
    return new RemoteStream(fn, window, (stream) => this.openStream(fn, args, options, stream, window));
  }

  /**
   * Opens a stream: the same state, abort and circuit checks as a call, then the capability (a
   * worker that never said `stream` would answer with silence or an error per item), then the call
   * with `mf_stream`. A stream asked while the worker restarts opens once it is back.
   */
  private openStream(
    fn: string,
    args: unknown[],
    options: CallOptions,
    stream: RemoteStream<unknown>,
    window: number,
  ): void {
    const fail = (err: Error) => stream.fail(err, 'neutral', false);
    const state = this.state;
    if (state === 'closing' || state === 'closed')
      return fail(messages.closed(this.name, fn, state === 'closing' ? 'is closing' : 'is closed'));
    if (state === 'failed') return fail(this.strategy.notRunning(fn));
    const signal = options.signal;
    if (signal?.aborted) return fail(messages.aborted(this.name, fn, signal.reason));
    if (state !== 'ready') {
      this.streamsWaiting.push(() => this.openStream(fn, args, options, stream, window));
      return;
    }
    const w = options.streamWindow ?? this.streamWindow;
    if (w !== window) return fail(badStreamWindow(w));
    if (!this.peerCaps.has(CAP_STREAM)) return fail(streamsUnsupported(this.name, fn));
    let ms: number;
    try {
      ms = timeoutMs(options.timeoutMs, 'timeoutMs', Infinity);
    } catch (err) {
      return fail(err as Error);
    }
    const circuit = this.circuit;
    const admitted = circuit ? circuit.admit() : true;
    if (admitted === false)
      return fail(messages.circuitOpen(this.name, fn, circuit!.consecutiveFailures, circuit!.resetTimeoutMs));
    const extra = this.heartbeat.callMetadata;
    const metadata: Record<string, unknown> = { ...extra, ...options.metadata, [STREAM_KEY]: window };
    if (Number.isFinite(ms)) metadata.deadline = (Date.now() + ms) / 1000;
    const msg = createCall({
      function: fn,
      args,
      namespace: options.namespace ?? DEFAULT_NAMESPACE,
      app: this.app,
      clientName: options.clientName ?? this.clientName,
      metadata,
    });
    this.streams.add(msg, fn, stream, ms, signal, admitted === 'probe');
  }

  private flushWaitingStreams(): void {
    if (this.streamsWaiting.length === 0) return;
    const waiting = this.streamsWaiting;
    this.streamsWaiting = [];
    for (const open of waiting) open();
  }

  private onMessage(msg: Message): void {
    switch (msg.type) {
      case 'response':
        return this.calls.onResponse(msg.id, msg.result);
      case 'error':
        if (this.streams.size > 0 && this.streams.onError(msg)) return;
        return this.calls.onError(msg);
      case 'stream_item':
        return this.streams.onItem(msg);
      case 'stream_end':
        return this.streams.onEnd(msg);
      case 'heartbeat': {
        // The worker's size limit (when it says): calls it would refuse fail here, unsent.
        const theirs = msg.metadata?.[MAX_MESSAGE_BYTES_KEY];
        if (typeof theirs === 'number') this.transport.setPeerMaxMessageBytes?.(theirs);
        if (msg.metadata?.hb_response === true)
          this.setPeerCapabilities(readCapabilities(msg.metadata, WORKER_CAPABILITIES_KEY));
        this.heartbeat.onReply(msg);
        return;
      }
      case 'stdout':
      case 'stderr':
        return this.host.sink.text(msg.output, msg.type);
      default:
        return;
    }
  }

  private onCircuit(state: CircuitState): void {
    if (state === 'open') this.emit('circuit-open', { consecutiveFailures: this.circuit?.consecutiveFailures ?? 0 });
    else if (state === 'half-open') this.emit('circuit-half-open');
    else this.emit('circuit-close');
  }

  private onUnresponsive(misses: number): void {
    debug('%s: unresponsive after %d missed heartbeats', this.name, String(misses));
    this.circuit?.failure();
    this.emit('unresponsive', { misses });
    // No link for the whole heartbeat window: nothing will feed these streams (the strategy fails the calls).
    if (this.streams.size > 0 && this.transport.connectedPeers === 0)
      this.streams.failAll((fn) => messages.unreachableInFlight(this.name, fn, misses), false);
    this.strategy.unresponsive(misses);
  }
}

/** A credit window: a whole number of items, at least one. */
export function isWindow(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}
