/**
 * The caller side: `ParentWorker.spawn(script)` or `ParentWorker.connect(serviceId)` gives a ready
 * worker whose methods are called through `worker.call.fn(...)`. Owns the call lifecycle (pending
 * calls, timeouts, cancellation, the circuit breaker, metrics), health (heartbeats, exit
 * detection), auto-restart, and close().
 */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_HEARTBEAT_MAX_MISSES,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  DEFAULT_NAMESPACE,
  LIST_FUNCTIONS_CALL,
  MultifrostError,
  RemoteCallError,
  appIdFor,
  createCall,
  createCancel,
  createDebug,
  createShutdown,
  isMultifrostError,
  parseRemoteError,
  type AppId,
  type ErrorMessage,
  type Message,
} from '@multifrost/protocol';
import { FileServiceRegistry, type ServiceEntry, type ServiceRegistry } from '@multifrost/registry';
import { createCallerTransport, type CallerTransport } from '@multifrost/transport-zmq';
import { CircuitBreaker, type CircuitState } from './circuit-breaker.js';
import { resolveCommand, type Command } from './command.js';
import { resolveScriptPath } from './script-path.js';
import { stderrExcerpt } from './stderr-excerpt.js';
import { HeartbeatMonitor } from './heartbeat.js';
import { Metrics, type MetricsSnapshot } from './metrics.js';
import type {
  CallOptions,
  ConnectOptions,
  ParentWorkerEvents,
  ParentWorkerOptions,
  RestartOptions,
  SpawnOptions,
} from './options.js';
import { OutputSink } from './output-sink.js';
import { Deadlines } from './deadlines.js';
import { createCallProxy, type Remote, type UntypedApi } from './proxy.js';
import { WorkerProcess, type ExitInfo } from './worker-process.js';

const debug = createDebug('multifrost:parent');
/** One line per call event; checked with `.enabled` first so a call builds no log arguments when off. */
const debugCalls = createDebug('multifrost:parent:calls');

type State = 'starting' | 'ready' | 'restarting' | 'failed' | 'closing' | 'closed';

interface Pending {
  id: string;
  fn: string;
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
}

type SpawnPlan = { kind: 'spawn'; command: Command; cwd: string; env: NodeJS.ProcessEnv; options: SpawnOptions };
type ConnectPlan = { kind: 'connect'; serviceId: string; registry: ServiceRegistry; options: ConnectOptions };

function positiveMs(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new MultifrostError('INVALID_ARGUMENT', `${name} must be a non-negative number of milliseconds, got ${String(value)}`);
  }
  return value;
}

function exitText(info: ExitInfo | undefined): string {
  if (!info) return 'exited';
  return info.signal ? `was killed by ${info.signal}` : `exited with code ${info.code}`;
}

export class ParentWorker<T = UntypedApi> extends EventEmitter<ParentWorkerEvents> {
  /** Calls with the default options: `await worker.call.add(1, 2)`. */
  readonly call: Remote<T>;
  readonly name: string;
  readonly mode: 'spawn' | 'connect';

  private state: State = 'starting';
  private readonly plan: SpawnPlan | ConnectPlan;
  private readonly app: AppId;
  private readonly transport: CallerTransport;
  private readonly pending = new Map<string, Pending>();
  private readonly deadlines = new Deadlines((now) => this.expireCalls(now));
  /** Calls made while starting or restarting, sent once the worker is ready. */
  private readonly waiting: Pending[] = [];
  private readonly circuit: CircuitBreaker | undefined;
  private readonly heartbeat: HeartbeatMonitor;
  private readonly metricsData = new Metrics();
  private readonly sink: OutputSink;
  private readonly defaultTimeoutMs: number;
  /** Whether calls on the default timeout carry it as `metadata.deadline` (the user chose it). */
  private readonly defaultDeadlineTravels: boolean;
  private proc: WorkerProcess | undefined;
  private lastExit: ExitInfo | undefined;
  private port: number | undefined;
  private startPromise: Promise<this> | undefined;
  private closePromise: Promise<void> | undefined;
  private restartAttempts = 0;

  private constructor(plan: SpawnPlan | ConnectPlan, name: string) {
    super();
    const options: ParentWorkerOptions = plan.options;
    this.plan = plan;
    this.mode = plan.kind;
    this.name = options.name ?? name;
    this.app = appIdFor(options.protocol ?? 'v3');
    this.defaultTimeoutMs = positiveMs(options.defaultTimeoutMs, 'defaultTimeoutMs', 60_000);
    this.defaultDeadlineTravels = options.defaultTimeoutMs !== undefined;
    this.sink = new OutputSink(() => this.name, plan.options.output ?? 'inherit', (line, stream) => {
      if (this.listenerCount(stream) > 0) this.emit(stream, line);
    });
    this.circuit =
      options.circuitBreaker === false
        ? undefined
        : new CircuitBreaker(options.circuitBreaker ?? {}, (state) => this.onCircuit(state));
    this.heartbeat = new HeartbeatMonitor(
      {
        intervalMs: positiveMs(options.heartbeatIntervalMs, 'heartbeatIntervalMs', DEFAULT_HEARTBEAT_INTERVAL_MS),
        timeoutMs: positiveMs(options.heartbeatTimeoutMs, 'heartbeatTimeoutMs', DEFAULT_HEARTBEAT_TIMEOUT_MS),
        maxMisses: Math.max(1, options.heartbeatMaxMisses ?? DEFAULT_HEARTBEAT_MAX_MISSES),
      },
      {
        app: this.app,
        send: (msg) => this.transport.send(msg),
        isBusy: () => this.pending.size > 0 && this.transport.connectedPeers > 0,
        onRtt: (ms) => this.metricsData.recordRtt(ms),
        onMiss: (n) => {
          this.metricsData.heartbeatMisses++;
          debug('%s: heartbeat missed (%d in a row)', this.name, String(n));
        },
        onUnresponsive: (misses) => this.onUnresponsive(misses),
        onResponsive: () => this.emit('responsive'),
      },
    );
    this.transport = createCallerTransport(options.transport);
    this.transport.onMessage = (msg) => this.onMessage(msg);
    this.call = createCallProxy<T>((fn, args) => this.invoke(fn, args, {}));
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
    const options: SpawnOptions =
      typeof executableOrOptions === 'string' ? { ...maybeOptions, executable: executableOrOptions } : { ...(executableOrOptions ?? {}) };
    const cwd = path.resolve(options.cwd ?? process.cwd());
    const scriptPath = resolveScriptPath(script, cwd);
    // `spawn('./tool', './tool')`: the script is its own executable.
    const executable = options.executable !== undefined && options.executable === String(script) ? scriptPath : options.executable;
    const command = resolveCommand(scriptPath, executable, options.args ?? [], cwd);
    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
    const worker = new ParentWorker<T>({ kind: 'spawn', command, cwd, env, options }, path.basename(scriptPath));
    return worker.start();
  }

  /** Finds a running service in the registry, connects, and resolves once it answers. */
  static async connect<T = UntypedApi>(serviceId: string, options: ConnectOptions = {}): Promise<ParentWorker<T>> {
    if (typeof serviceId !== 'string' || serviceId.length === 0) {
      throw new MultifrostError('INVALID_ARGUMENT', 'connect() needs a service id');
    }
    const registry = options.registry ?? new FileServiceRegistry();
    const worker = new ParentWorker<T>({ kind: 'connect', serviceId, registry, options }, serviceId);
    return worker.start();
  }

  /**
   * Resolves when the worker is ready. Idempotent: later calls return the same promise. After
   * close() it rejects with `CLOSED`: a closed worker does not come back (spawn or connect anew).
   */
  start(): Promise<this> {
    if (this.closePromise) {
      return Promise.reject(
        new MultifrostError('CLOSED', `Cannot start worker ${this.name}: it was closed; create a new one with ParentWorker.${this.mode}()`, {
          details: { worker: this.name },
        }),
      );
    }
    this.startPromise ??= this.doStart().catch(async (err: unknown) => {
      await this.shutdownAfterFailedStart();
      throw err;
    });
    return this.startPromise;
  }

  /** A view of this worker whose calls use these options: `worker.with({ timeoutMs: 500 }).call.f()`. */
  with(options: CallOptions): { readonly call: Remote<T> } {
    const fixed = { ...options };
    const call = createCallProxy<T>((fn, args) => this.invoke(fn, args, fixed));
    return { call };
  }

  /** Calls a function by name (what `worker.call.name(...args)` does). */
  callFunction<R = unknown>(fn: string, args: unknown[] = [], options: CallOptions = {}): Promise<R> {
    return this.invoke(fn, args, options) as Promise<R>;
  }

  /** The functions the worker exposes, sorted. */
  async listFunctions(): Promise<string[]> {
    try {
      return (await this.invoke(LIST_FUNCTIONS_CALL, [], {})) as string[];
    } catch (err) {
      if (!(err instanceof RemoteCallError)) throw err;
      // Not our child: the Python peer exposes list_functions, the JS peer listFunctions.
      for (const name of ['list_functions', 'listFunctions']) {
        try {
          const list = await this.invoke(name, [], {});
          if (Array.isArray(list)) return list.map(String).sort();
        } catch {
          // try the next spelling
        }
      }
      throw err;
    }
  }

  get metrics(): MetricsSnapshot {
    return this.metricsData.snapshot({
      inFlight: this.pending.size,
      circuit: {
        state: this.circuit?.state ?? 'closed',
        trips: this.circuit?.trips ?? 0,
        consecutiveFailures: this.circuit?.consecutiveFailures ?? 0,
      },
      droppedMessages: this.transport.stats.dropped,
    });
  }

  /** Ready, circuit closed, and answering heartbeats. */
  get isHealthy(): boolean {
    return this.state === 'ready' && !this.heartbeat.isUnresponsive && (this.circuit?.state ?? 'closed') === 'closed';
  }

  get circuitOpen(): boolean {
    return (this.circuit?.state ?? 'closed') !== 'closed';
  }

  get lastHeartbeatRttMs(): number | undefined {
    return this.metricsData.lastRttMs;
  }

  /** PID of the spawned worker (spawn mode). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Shuts the worker down (spawn mode: shutdown message, SIGTERM, SIGKILL within `closeGraceMs`) and releases the socket. */
  close(): Promise<void> {
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- start, restart, close -------------------------------------------------------------

  private async doStart(): Promise<this> {
    if (this.plan.kind === 'spawn') {
      this.port = await this.transport.bind(0);
      await this.launch(positiveMs(this.plan.options.startTimeoutMs, 'startTimeoutMs', 30_000));
    } else {
      const timeoutMs = positiveMs(this.plan.options.timeoutMs, 'timeoutMs', 5_000);
      const deadline = Date.now() + timeoutMs;
      const entry = await this.discover(timeoutMs);
      this.port = entry.port;
      this.transport.connect(entry.port);
      await this.awaitReady(deadline, timeoutMs, undefined);
    }
    this.becomeReady();
    return this;
  }

  /** Connect mode: waits for the service to register; on a miss, says which ones are there. */
  private async discover(timeoutMs: number): Promise<ServiceEntry> {
    const { registry, serviceId } = this.plan as ConnectPlan;
    try {
      return await registry.discover(serviceId, { timeoutMs });
    } catch (err) {
      if (!isMultifrostError(err) || err.code !== 'SERVICE_NOT_FOUND') throw err;
      const where = typeof err.details.registry === 'string' ? ` in ${err.details.registry}` : '';
      let registered: string;
      try {
        const ids = (await registry.list()).map((e) => e.serviceId);
        registered = ids.length > 0 ? `registered: ${ids.join(', ')}` : 'no live services are registered';
      } catch (listErr) {
        registered = `the registry could not be listed: ${String(listErr)}`;
      }
      throw new MultifrostError(
        'SERVICE_NOT_FOUND',
        `No live service '${serviceId}'${where} after waiting ${timeoutMs} ms (timeoutMs) (${registered})`,
        { cause: err, details: { ...err.details, serviceId, timeoutMs } },
      );
    }
  }

  /** Spawns a process on our bound port and waits for its first heartbeat reply. */
  private async launch(timeoutMs: number): Promise<void> {
    const plan = this.plan as SpawnPlan;
    this.sink.resetStderr();
    const proc = new WorkerProcess(plan.command, { cwd: plan.cwd, env: plan.env, port: this.port! }, this.sink);
    this.proc = proc;
    void proc.exited.then((info) => this.onProcessExit(proc, info));
    await proc.start();
    debug('%s: spawned pid %d (%s)', this.name, String(proc.pid), [plan.command.file, ...plan.command.args].join(' '));
    await this.awaitReady(Date.now() + timeoutMs, timeoutMs, proc);
  }

  private async awaitReady(deadline: number, timeoutMs: number, proc: WorkerProcess | undefined): Promise<void> {
    const exited = proc?.exited.then((info) => {
      // Exiting cleanly at start-up is what a script that never calls run() does.
      const hint = info.code === 0 ? ' (a worker script must call run(), e.g. `new MyWorker().run()`, and keep running)' : '';
      throw this.startFailure(`${exitText(info)} before it was ready${hint}`, info);
    });
    exited?.catch(() => {});
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw this.startFailure(this.silentText(timeoutMs), undefined);
      if (this.state === 'closing' || this.state === 'closed') throw new MultifrostError('CLOSED', `Worker ${this.name} was closed while starting`);
      try {
        const probe = this.heartbeat.probe(Math.min(remaining, 1000));
        await (exited ? Promise.race([probe, exited]) : probe);
        return;
      } catch (err) {
        if (isMultifrostError(err)) throw err;
        // No reply yet: the worker is still starting. Probe again.
      }
    }
  }

  /** Why a worker that is running but silent is not ready, and what to check. */
  private silentText(timeoutMs: number): string {
    if (this.plan.kind === 'connect') {
      return (
        `(service '${this.plan.serviceId}' on port ${this.port}) did not answer a heartbeat within timeoutMs (${timeoutMs} ms); ` +
        'its registry entry is live, so check that the service is not blocked and listens on that port'
      );
    }
    return (
      `did not answer a heartbeat within startTimeoutMs (${timeoutMs} ms). ` +
      'Check that the worker script calls run() (e.g. `new MyWorker().run()`); a worker in another language ' +
      'must connect to the port given in COMLINK_ZMQ_PORT. Or raise startTimeoutMs if it needs longer to start'
    );
  }

  private startFailure(what: string, info: ExitInfo | undefined): MultifrostError {
    const stderr = stderrExcerpt(this.sink.firstStderr, this.sink.recentStderr);
    const msg = `Worker ${this.name} ${what}${stderr ? `. It printed on stderr:\n${stderr}` : ''}`;
    return new MultifrostError(info ? 'WORKER_EXITED' : 'START_FAILED', msg, {
      details: { worker: this.name, code: info?.code, signal: info?.signal },
    });
  }

  private becomeReady(): void {
    this.state = 'ready';
    this.heartbeat.reset();
    this.heartbeat.start();
    this.emit('ready');
    for (const p of this.waiting.splice(0)) if (this.pending.has(p.id)) this.dispatch(p);
  }

  private async shutdownAfterFailedStart(): Promise<void> {
    this.heartbeat.stop();
    this.rejectWaiting(() => new MultifrostError('START_FAILED', `Worker ${this.name} failed to start`));
    if (this.proc && !this.proc.hasExited) {
      this.proc.killGroup('SIGKILL');
      await this.proc.waitExit(2000);
    }
    this.state = 'closed';
    await this.transport.close();
  }

  private onProcessExit(proc: WorkerProcess, info: ExitInfo): void {
    if (proc !== this.proc) return;
    this.lastExit = info;
    debug('%s: process %d %s', this.name, String(info.pid), exitText(info));
    this.emit('exit', info);
    if (this.state !== 'ready') return; // start/restart/close handle their own exits
    this.heartbeat.stop();
    this.rejectAll(
      (p) =>
        new MultifrostError('WORKER_EXITED', `Worker ${this.name} ${exitText(info)} while ${p.fn}() was in flight`, {
          details: { worker: this.name, function: p.fn, code: info.code, signal: info.signal },
        }),
      (p) => p.sent,
    );
    this.circuit?.failure();
    const restart = (this.plan as SpawnPlan).options.autoRestart;
    if (restart) {
      this.state = 'restarting';
      void this.restartLoop(restart === true ? {} : restart);
    } else {
      this.state = 'failed';
      this.rejectWaiting(() => this.notRunning());
    }
  }

  private async restartLoop(options: RestartOptions): Promise<void> {
    const maxAttempts = options.maxAttempts ?? 5;
    const initial = options.initialDelayMs ?? 100;
    const maxDelay = options.maxDelayMs ?? 5_000;
    const startTimeout = positiveMs((this.plan as SpawnPlan).options.startTimeoutMs, 'startTimeoutMs', 30_000);
    let lastError: unknown;
    while (this.state === 'restarting') {
      this.restartAttempts++;
      if (this.restartAttempts > maxAttempts) break;
      await new Promise((r) => setTimeout(r, Math.min(maxDelay, initial * 2 ** (this.restartAttempts - 1))));
      if (this.state !== 'restarting') return;
      try {
        this.metricsData.restarts++;
        await this.launch(startTimeout);
        if (this.state !== 'restarting') return;
        const attempt = this.restartAttempts;
        this.restartAttempts = 0;
        this.circuit?.reset();
        this.becomeReady();
        this.emit('restart', { attempt, pid: this.proc?.pid });
        return;
      } catch (err) {
        lastError = err;
        debug('%s: restart attempt %d failed: %s', this.name, String(this.restartAttempts), String(err));
        if (this.proc && !this.proc.hasExited) this.proc.killGroup('SIGKILL');
      }
    }
    if (this.state !== 'restarting') return;
    this.state = 'failed';
    const error = new MultifrostError('WORKER_EXITED', `Worker ${this.name} could not be restarted after ${maxAttempts} attempts`, {
      cause: lastError,
      details: { worker: this.name },
    });
    this.rejectWaiting(() => error);
    this.emit('restart-failed', error);
  }

  private async doClose(): Promise<void> {
    const wasStarting = this.state === 'starting';
    this.state = 'closing';
    this.heartbeat.stop();
    this.rejectWaiting((p) => this.closedError(p.fn, 'before the call was sent'));
    if (wasStarting && this.startPromise) await this.startPromise.catch(() => undefined);
    const proc = this.proc;
    if (this.plan.kind === 'spawn' && proc && !proc.hasExited) {
      const grace = positiveMs(this.plan.options.closeGraceMs, 'closeGraceMs', 5_000);
      const t0 = Date.now();
      // Graceful first: the worker finishes in-flight calls (whose replies we still read), then exits.
      this.transport.send(createShutdown(this.app)).catch(() => {});
      let info = await proc.waitExit(grace * 0.6);
      if (!info) {
        proc.killGroup('SIGTERM');
        info = await proc.waitExit(grace - (Date.now() - t0));
      }
      if (!info) {
        proc.killGroup('SIGKILL');
        await proc.waitExit(1_000);
      }
    }
    this.rejectAll((p) => this.closedError(p.fn, 'while the call was in flight'));
    this.deadlines.clear();
    await this.transport.close();
    this.state = 'closed';
  }

  // ---- calls ---------------------------------------------------------------------------------

  private invoke(fn: string, args: unknown[], options: CallOptions): Promise<unknown> {
    const state = this.state;
    if (state === 'closing' || state === 'closed') return Promise.reject(this.closedError(fn));
    if (state === 'failed') return Promise.reject(this.notRunning(fn));
    if (options.signal?.aborted) return Promise.reject(this.abortError(fn, options.signal));
    let timeoutMs: number;
    try {
      timeoutMs = positiveMs(options.timeoutMs, 'timeoutMs', this.defaultTimeoutMs);
    } catch (err) {
      return Promise.reject(err);
    }
    const admitted = this.circuit ? this.circuit.admit() : true;
    if (admitted === false) {
      return Promise.reject(
        new MultifrostError(
          'CIRCUIT_OPEN',
          `Circuit open for worker ${this.name} after ${this.circuit!.consecutiveFailures} consecutive failures; ${fn}() was not sent (a probe is allowed ${this.circuit!.resetTimeoutMs} ms after opening)`,
          { details: { worker: this.name, function: fn } },
        ),
      );
    }
    const timed = Number.isFinite(timeoutMs) && timeoutMs > 0;
    // A timeout the user chose travels with the call; the built-in default stays here (28 bytes less).
    const carryDeadline = timed && (options.timeoutMs !== undefined || this.defaultDeadlineTravels);
    return new Promise((resolve, reject) => {
      const p: Pending = {
        id: '',
        fn,
        resolve,
        reject,
        start: 0,
        deadline: Infinity,
        timeoutMs,
        signal: options.signal,
        onAbort: undefined,
        probe: admitted === 'probe',
        sent: false,
      };
      const msg = createCall({
        function: fn,
        args,
        namespace: options.namespace ?? DEFAULT_NAMESPACE,
        app: this.app,
        clientName: options.clientName ?? this.plan.options.clientName,
        metadata: !carryDeadline
          ? options.metadata
          : { ...options.metadata, deadline: (Date.now() + timeoutMs) / 1000 },
      });
      p.id = msg.id;
      this.pending.set(p.id, p);
      this.metricsData.total++;
      p.start = performance.now();
      if (timed) {
        p.deadline = p.start + timeoutMs;
        this.deadlines.add(p.deadline);
      }
      if (p.signal) {
        p.onAbort = () => this.onAbort(p);
        p.signal.addEventListener('abort', p.onAbort, { once: true });
      }
      if (this.state === 'ready') this.sendCall(p, msg);
      else {
        (p as Pending & { msg?: Message }).msg = msg;
        this.waiting.push(p);
      }
    });
  }

  private dispatch(p: Pending): void {
    const msg = (p as Pending & { msg?: Message }).msg!;
    this.sendCall(p, msg);
  }

  private sendCall(p: Pending, msg: Message): void {
    p.sent = true;
    if (debugCalls.enabled) debugCalls('%s: call %s() id %s sent', this.name, p.fn, p.id);
    this.transport.post(msg, this.onSendError);
  }

  /** One handler for every failed send (no closure per call): the message says which call it was. */
  private readonly onSendError = (err: unknown, msg: Message): void => {
    const p = this.pending.get(msg.id);
    if (!p || msg.type !== 'call') return;
    const transportFailure = !(isMultifrostError(err) && err.code === 'ENCODE');
    const error = isMultifrostError(err)
      ? err
      : new MultifrostError('TRANSPORT', `Sending ${p.fn}() to worker ${this.name} failed: ${String(err)}`, { cause: err });
    this.settle(p, transportFailure ? 'transport' : 'neutral');
    if (debugCalls.enabled) this.logSettled(p, `could not be sent (${error.code})`);
    p.reject(error);
  };

  /** Removes a call from the books and records its outcome. */
  private settle(p: Pending, outcome: 'success' | 'remote' | 'transport' | 'neutral'): void {
    this.pending.delete(p.id);
    if (p.onAbort) p.signal!.removeEventListener('abort', p.onAbort);
    const latency = performance.now() - p.start;
    if (outcome === 'success') this.metricsData.recordSuccess(latency);
    else this.metricsData.recordFailure(latency);
    if (outcome === 'success' || outcome === 'remote') this.circuit?.success();
    else if (outcome === 'transport') this.circuit?.failure();
    else if (p.probe) this.circuit?.releaseProbe();
  }

  /** Times out every pending call whose deadline has passed; returns the earliest one left. */
  private expireCalls(now: number): number {
    let next = Infinity;
    let due: Pending[] | undefined;
    for (const p of this.pending.values()) {
      if (p.deadline <= now) (due ??= []).push(p);
      else if (p.deadline < next) next = p.deadline;
    }
    if (due) for (const p of due) this.onTimeout(p);
    return next;
  }

  private onTimeout(p: Pending): void {
    if (!this.pending.has(p.id)) return;
    this.metricsData.timeouts++;
    this.settle(p, 'transport');
    if (debugCalls.enabled) this.logSettled(p, `timed out (limit ${p.timeoutMs} ms)`);
    if (p.sent) this.transport.send(createCancel(p.id, this.app)).catch(() => {});
    p.reject(
      new MultifrostError('TIMEOUT', `Call to ${p.fn}() on worker ${this.name} timed out after ${p.timeoutMs} ms`, {
        details: { worker: this.name, function: p.fn, timeoutMs: p.timeoutMs },
      }),
    );
  }

  private onAbort(p: Pending): void {
    if (!this.pending.has(p.id)) return;
    p.onAbort = undefined;
    this.settle(p, 'neutral');
    if (debugCalls.enabled) this.logSettled(p, p.sent ? 'aborted, cancel sent' : 'aborted before it was sent');
    if (p.sent) this.transport.send(createCancel(p.id, this.app)).catch(() => {});
    p.reject(this.abortError(p.fn, p.signal!));
  }

  private logSettled(p: Pending, what: string): void {
    debugCalls('%s: call %s() id %s %s after %d ms', this.name, p.fn, p.id, what, Math.round(performance.now() - p.start));
  }

  private abortError(fn: string, signal: AbortSignal): MultifrostError {
    return new MultifrostError('ABORTED', `Call to ${fn}() on worker ${this.name} was aborted`, {
      cause: signal.reason,
      details: { worker: this.name, function: fn },
    });
  }

  /** `Cannot call f(): worker math.ts is closed`, optionally saying when the close caught it. */
  private closedError(fn: string, when?: string): MultifrostError {
    const what = when ? `was closed ${when}` : this.state === 'closing' ? 'is closing' : 'is closed';
    return new MultifrostError('CLOSED', `Cannot call ${fn}(): worker ${this.name} ${what}`, {
      details: { worker: this.name, function: fn },
    });
  }

  private notRunning(fn?: string): MultifrostError {
    return new MultifrostError(
      'NOT_RUNNING',
      `Worker ${this.name} is not running (it ${exitText(this.lastExit)}${this.plan.kind === 'spawn' && this.plan.options.autoRestart ? ' and could not be restarted' : ''})${fn ? `; ${fn}() was not sent` : ''}`,
      { details: { worker: this.name, function: fn, code: this.lastExit?.code, signal: this.lastExit?.signal } },
    );
  }

  private rejectAll(makeError: (p: Pending) => Error, filter: (p: Pending) => boolean = () => true): void {
    for (const p of [...this.pending.values()]) {
      if (!filter(p)) continue;
      this.settle(p, 'neutral');
      p.reject(makeError(p));
    }
  }

  private rejectWaiting(makeError: (p: Pending) => Error): void {
    for (const p of this.waiting.splice(0)) {
      if (!this.pending.has(p.id)) continue;
      this.settle(p, 'neutral');
      p.reject(makeError(p));
    }
  }

  // ---- incoming ------------------------------------------------------------------------------

  private onMessage(msg: Message): void {
    switch (msg.type) {
      case 'response': {
        const p = this.pending.get(msg.id);
        if (!p) return; // late reply of a timed-out or cancelled call
        this.settle(p, 'success');
        if (debugCalls.enabled) this.logSettled(p, 'replied');
        p.resolve(msg.result);
        return;
      }
      case 'error': {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.settle(p, 'remote');
        if (debugCalls.enabled) this.logSettled(p, 'failed remotely');
        p.reject(this.remoteError(p.fn, msg));
        return;
      }
      case 'heartbeat':
        this.heartbeat.onReply(msg);
        return;
      case 'stdout':
      case 'stderr':
        this.sink.text(msg.output, msg.type);
        return;
      default:
        return;
    }
  }

  private remoteError(fn: string, msg: ErrorMessage): RemoteCallError {
    const parsed = parseRemoteError(msg);
    const info: ConstructorParameters<typeof RemoteCallError>[0] = {
      remoteType: parsed.name,
      remoteMessage: parsed.message,
      functionName: fn,
      worker: this.name,
    };
    if (parsed.stack !== undefined) info.remoteStack = parsed.stack;
    if (parsed.code !== undefined) info.remoteCode = parsed.code;
    return new RemoteCallError(info);
  }

  // ---- health --------------------------------------------------------------------------------

  private onCircuit(state: CircuitState): void {
    if (state === 'open') this.emit('circuit-open', { consecutiveFailures: this.circuit?.consecutiveFailures ?? 0 });
    else if (state === 'half-open') this.emit('circuit-half-open');
    else this.emit('circuit-close');
  }

  private onUnresponsive(misses: number): void {
    debug('%s: unresponsive after %d missed heartbeats', this.name, String(misses));
    this.circuit?.failure();
    this.emit('unresponsive', { misses });
    if (this.plan.kind === 'connect') {
      // Nothing will answer these: fail them now rather than at their timeouts.
      this.rejectAll(
        (p) =>
          new MultifrostError(
            'WORKER_UNREACHABLE',
            `Service ${this.name} stopped answering heartbeats (${misses} missed) while ${p.fn}() was in flight`,
            { details: { worker: this.name, function: p.fn } },
          ),
        (p) => p.sent,
      );
      void this.rediscover();
    }
  }

  /** Connect mode: if the service re-registered on another port, follow it. */
  private async rediscover(): Promise<void> {
    const plan = this.plan as ConnectPlan;
    try {
      const entry = await plan.registry.lookup(plan.serviceId);
      if (entry && entry.port !== this.port && this.state === 'ready') {
        debug('%s: service moved from port %d to %d', this.name, String(this.port), String(entry.port));
        if (this.port !== undefined) this.transport.disconnect(this.port);
        this.port = entry.port;
        this.transport.connect(entry.port);
      }
    } catch (err) {
      debug('%s: rediscovery failed: %s', this.name, String(err));
    }
  }
}

