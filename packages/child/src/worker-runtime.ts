/**
 * Everything a worker does besides running the user's methods: the state machine (idle →
 * starting → running → stopping → stopped), mode selection (spawn vs connect), dispatch with
 * bounded concurrency, replies, heartbeat echo, cancellation, output forwarding (connect mode),
 * signal handling, parent-watch and graceful stop. It lives in its own object, reached from
 * `ChildWorker` through a #private field, so none of its members can collide with a user's
 * method or field names.
 */
import {
  DEFAULT_NAMESPACE,
  LIST_FUNCTIONS_CALL,
  MultifrostError,
  createDebug,
  createError,
  createHeartbeatReply,
  createOutput,
  createResponse,
  errorInitFrom,
  isMultifrostError,
  type CallMessage,
  type ErrorInit,
  type Message,
  type Rejection,
} from '@multifrost/protocol';
import { FileServiceRegistry, type ServiceRegistry } from '@multifrost/registry';
import { createServiceTransport, type ServiceTransport } from '@multifrost/transport-zmq';
import { CallState } from './call-state.js';
import { collectCallable } from './callable-surface.js';
import { isThenable, runHandler, storedCallDone } from './call-context.js';
import type { ChildWorkerOptions } from './child-worker-options.js';
import { OutputForwarder } from './output-forwarding.js';
import { leadsProcessGroup, watchParent } from './parent-watch.js';
import { assertNoReservedOwnFields } from './reserved-names.js';
import { takeSpawnEnv, type SpawnEnv } from './spawn-env.js';

const debug = createDebug('multifrost:child');
/** Per-call events; every use is behind `.enabled` so a worker pays nothing for it when off. */
const callDebug = createDebug('multifrost:child:calls');

type Method = (...args: unknown[]) => unknown;
type StopReason = 'stop' | 'signal' | 'shutdown' | 'parent-gone';
type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

interface Queued {
  msg: CallMessage;
  peer: Buffer;
  method: Method;
}

function namedError(name: string, message: string): ErrorInit {
  return { name, message };
}

export class WorkerRuntime {
  readonly namespace: string;
  private readonly options: ChildWorkerOptions;
  /** The user's worker: the `this` of every handler, and where the callable surface is read from. */
  private readonly owner: object;
  private readonly libraryBase: object;
  private state: State = 'idle';
  private transport: ServiceTransport | undefined;
  private registry: ServiceRegistry | undefined;
  private registered = false;
  private callable: Map<string, Method> | undefined;
  private readonly active = new Map<string, CallState>();
  private readonly queue: Queued[] = [];
  private sendsInFlight = 0;
  private sendsFlushed: (() => void) | undefined;
  private forwarder: OutputForwarder | undefined;
  private stopWatchingParent: (() => void) | undefined;
  private signalHandler: ((signal: NodeJS.Signals) => void) | undefined;
  private startPromise: Promise<number> | undefined;
  private stopPromise: Promise<void> | undefined;
  private drained: (() => void) | undefined;
  private resolveRun!: () => void;
  private readonly runDone = new Promise<void>((resolve) => (this.resolveRun = resolve));
  private spawnEnv: SpawnEnv | undefined;
  /** True while inside transport.post: an error reported then belongs to the caller of dispatchSend. */
  private posting = false;
  private postError: MultifrostError | undefined;

  constructor(owner: object, libraryBase: object, options: ChildWorkerOptions) {
    this.owner = owner;
    this.libraryBase = libraryBase;
    this.options = options;
    this.namespace = options.namespace ?? DEFAULT_NAMESPACE;
  }

  listFunctions(): string[] {
    return [...this.surface().keys()].sort();
  }

  get mode(): 'spawn' | 'connect' | undefined {
    if (this.state === 'idle') return undefined;
    return this.spawnEnv ? 'spawn' : 'connect';
  }

  get port(): number | undefined {
    return this.transport?.port;
  }

  start(): Promise<number> {
    this.startPromise ??= this.doStart();
    return this.startPromise;
  }

  async run(): Promise<void> {
    await this.start();
    await this.runDone;
  }

  stop(): Promise<void> {
    return this.stopWith('stop');
  }

  /**
   * Fixed once the worker starts. Before that it is recomputed on each use, because instance
   * fields (arrow functions) only exist once the user's constructor has finished.
   */
  private surface(): Map<string, Method> {
    if (this.callable) return this.callable;
    const found = collectCallable(this.owner, this.libraryBase);
    if (this.state !== 'idle') this.callable = found;
    return found;
  }

  private async doStart(): Promise<number> {
    if (this.state !== 'idle') throw new MultifrostError('START_FAILED', 'worker was already stopped');
    assertNoReservedOwnFields(this.owner);
    this.state = 'starting';
    this.surface();
    this.spawnEnv = takeSpawnEnv();
    const serviceId = this.options.serviceId;
    if (!this.spawnEnv && !serviceId) {
      this.state = 'stopped';
      throw new MultifrostError(
        'START_FAILED',
        'Need COMLINK_ZMQ_PORT in the environment (spawn mode: start this worker with ParentWorker.spawn) or a serviceId option (connect mode)',
      );
    }
    if (this.options.handleSignals !== false) this.installSignalHandlers();
    const transport = createServiceTransport(this.options.transport);
    this.transport = transport;
    transport.onMessage = (msg, peer) => this.onMessage(msg, peer);
    transport.onReject = (rej, peer) => this.onReject(rej, peer);
    let port: number;
    try {
      if (this.spawnEnv) {
        transport.connect(this.spawnEnv.port);
        port = this.spawnEnv.port;
        if (this.spawnEnv.parentPid !== undefined) {
          this.stopWatchingParent = watchParent(this.spawnEnv.parentPid, this.options.parentCheckIntervalMs ?? 200, () => {
            debug('parent %d is gone; stopping', this.spawnEnv?.parentPid);
            void this.stopWith('parent-gone');
          });
        }
      } else {
        this.registry = this.options.registry ?? new FileServiceRegistry();
        const entry = await this.registry.register(serviceId!, () => transport.bind(this.options.port ?? 0));
        this.registered = true;
        port = entry.port;
        if (this.options.forwardOutput !== false) {
          this.forwarder = new OutputForwarder((peer, stream, text) => this.sendQuiet(peer, createOutput(stream, text)));
          this.forwarder.install();
        }
        if (!this.options.quiet) process.stdout.write(`Service '${serviceId}' ready on port ${port}\n`);
      }
    } catch (err) {
      this.state = 'stopped';
      this.removeSignalHandlers();
      await transport.close();
      this.resolveRun();
      throw err;
    }
    this.state = 'running';
    debug('running in %s mode on port %d', this.spawnEnv ? 'spawn' : 'connect', port);
    return port;
  }

  private installSignalHandlers(): void {
    this.signalHandler = (signal) => {
      if (this.state === 'stopping') {
        // A second signal while stopping: the user wants out now.
        process.exit(1);
      }
      debug('received %s; stopping', signal);
      void this.stopWith('signal');
    };
    process.on('SIGINT', this.signalHandler);
    process.on('SIGTERM', this.signalHandler);
  }

  private removeSignalHandlers(): void {
    if (!this.signalHandler) return;
    process.off('SIGINT', this.signalHandler);
    process.off('SIGTERM', this.signalHandler);
    this.signalHandler = undefined;
  }

  private onMessage(msg: Message, peer: Buffer): void {
    this.forwarder?.notePeer(peer);
    switch (msg.type) {
      case 'call':
        this.onCall(msg, peer);
        return;
      case 'heartbeat':
        if (msg.metadata?.hb_response !== true) this.sendQuiet(peer, createHeartbeatReply(msg));
        return;
      case 'cancel':
        this.onCancel(msg.id);
        return;
      case 'shutdown': {
        const accept = this.options.acceptRemoteShutdown ?? this.spawnEnv !== undefined;
        if (accept) void this.stopWith('shutdown');
        else debug('ignoring shutdown message (acceptRemoteShutdown is off in connect mode)');
        return;
      }
      default:
        return;
    }
  }

  private onReject(rej: Rejection, peer: Buffer | undefined): void {
    debug('dropped message: %s (%s)', rej.reason, rej.detail);
    // A call we could read the id of gets an answer rather than silence (PROTOCOL.md §2).
    if (peer && rej.id && rej.app && rej.type === 'call') {
      this.sendQuiet(peer, createError(rej.id, namedError('InvalidCallError', rej.detail), rej.app));
    }
  }

  private onCall(msg: CallMessage, peer: Buffer): void {
    if (callDebug.enabled) callDebug('call %s %s() received', msg.id, msg.function);
    if (this.state !== 'running') {
      this.replyError(peer, msg, namedError('ShuttingDownError', 'Worker is shutting down'));
      return;
    }
    const fn = msg.function;
    if (msg.namespace !== this.namespace) {
      this.replyError(
        peer,
        msg,
        namedError('NamespaceError', `Namespace '${msg.namespace}' is not served by this worker (it serves '${this.namespace}')`),
      );
      return;
    }
    if (fn === LIST_FUNCTIONS_CALL) {
      this.send(peer, createResponse(msg.id, this.listFunctions(), msg.app));
      return;
    }
    if (fn.startsWith('_')) {
      this.replyError(peer, msg, namedError('PrivateMethodError', `Cannot call private method '${fn}'`));
      return;
    }
    const method = this.surface().get(fn);
    if (!method) {
      this.replyError(peer, msg, namedError('FunctionNotFoundError', `Function '${fn}' not found`));
      return;
    }
    const limit = this.options.maxConcurrency ?? Infinity;
    if (this.active.size >= limit) {
      if (callDebug.enabled) callDebug('call %s queued (%d running)', msg.id, this.active.size);
      this.queue.push({ msg, peer, method });
      return;
    }
    this.execute(msg, peer, method);
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

  private finish(call: CallState, peer: Buffer, msg: CallMessage, stored: boolean, ok: boolean, outcome: unknown): void {
    if (ok) {
      if (callDebug.enabled) callDebug('call %s %s() replied', msg.id, msg.function);
      this.send(peer, createResponse(msg.id, outcome, msg.app));
    } else {
      if (callDebug.enabled) callDebug('call %s %s() failed: %s', msg.id, msg.function, outcome instanceof Error ? outcome.message : outcome);
      this.replyError(peer, msg, errorInitFrom(outcome));
    }
    call.dispose();
    if (stored) storedCallDone();
    if (this.active.delete(msg.id) || this.queue.length > 0 || this.drained) this.next();
  }

  private next(): void {
    const limit = this.options.maxConcurrency ?? Infinity;
    while (this.queue.length > 0 && this.active.size < limit && this.state === 'running') {
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

  private onCancel(id: string): void {
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

  private replyError(peer: Buffer, msg: CallMessage, init: ErrorInit): void {
    this.sendQuiet(peer, createError(msg.id, init, msg.app));
  }

  /** Sends a reply; a result that cannot be encoded becomes an error reply naming the bad path. */
  private send(peer: Buffer, reply: Message): void {
    const err = this.dispatchSend(peer, reply);
    if (err === undefined) return;
    if (err.code === 'ENCODE' && reply.type === 'response') {
      const message = err.message.startsWith('result') ? `Cannot send the result: ${err.message}` : err.message;
      this.sendQuiet(peer, createError(reply.id, { name: 'EncodeError', message, code: 'ENCODE' }, reply.app));
      return;
    }
    debug('send of %s %s failed: %s', reply.type, reply.id, err.message);
  }

  private sendQuiet(peer: Buffer, msg: Message): void {
    const err = this.dispatchSend(peer, msg);
    if (err !== undefined) debug('send of %s failed: %s', msg.type, err.message);
  }

  /**
   * Hands a message to the transport with shared callbacks (this is the hot path: no closure per
   * reply), counted so stop() can wait for the last one. Returns the error when the message could
   * not even be queued (it cannot be encoded, or the transport is closed): the transport reports
   * those before `post` returns. Later failures (no peer, timeout) are only logged.
   */
  private dispatchSend(peer: Buffer, msg: Message): MultifrostError | undefined {
    const transport = this.transport;
    if (!transport || transport.closed) return undefined;
    this.sendsInFlight++;
    this.posting = true;
    this.postError = undefined;
    transport.post(peer, msg, this.onSendError, this.sendDone);
    this.posting = false;
    const err = this.postError;
    this.postError = undefined;
    return err;
  }

  private readonly onSendError = (err: unknown): void => {
    this.sendDone();
    const error = isMultifrostError(err) ? err : new MultifrostError('TRANSPORT', String(err), { cause: err });
    if (this.posting) this.postError = error;
    else debug('a reply could not be sent: %s', error.message);
  };

  private readonly sendDone = (): void => {
    if (--this.sendsInFlight === 0 && this.sendsFlushed) this.sendsFlushed();
  };

  /** Resolves when every reply handed to the transport has left (or failed). */
  private flushSends(): Promise<void> {
    if (this.sendsInFlight === 0) return Promise.resolve();
    return new Promise((resolve) => (this.sendsFlushed = resolve));
  }

  private stopWith(reason: StopReason): Promise<void> {
    this.stopPromise ??= this.doStop(reason);
    return this.stopPromise;
  }

  private async doStop(reason: StopReason): Promise<void> {
    if (this.state === 'idle') {
      this.state = 'stopped';
      this.resolveRun();
      return;
    }
    if (this.startPromise) await this.startPromise.catch(() => undefined);
    if (this.state === 'stopped') return;
    this.state = 'stopping';
    if (reason === 'parent-gone') {
      // Nobody is left to receive replies: no grace, no drain. Take our own subprocesses with us.
      this.stopWatchingParent?.();
      if (this.options.exitOnStop !== false) {
        if (leadsProcessGroup()) process.kill(-process.pid, 'SIGKILL');
        process.exit(0);
      }
    }
    const grace = this.options.shutdownGraceMs ?? 5000;
    for (const q of this.queue.splice(0)) this.replyError(q.peer, q.msg, namedError('ShuttingDownError', 'Worker is shutting down'));
    if (this.waitingCalls() > 0) {
      const drained = new Promise<void>((resolve) => (this.drained = resolve));
      const timer = setTimeout(() => this.drained?.(), grace);
      await drained;
      clearTimeout(timer);
      for (const call of this.active.values()) call.abort(new MultifrostError('ABORTED', 'Worker is stopping'));
    }
    // Let replies already queued reach the parent before the socket goes.
    await Promise.race([this.flushSends(), delay(1000)]);
    if (this.registered && this.registry && this.options.serviceId) {
      await this.registry.unregister(this.options.serviceId).catch((err: unknown) => debug('unregister failed: %s', String(err)));
      this.registered = false;
    }
    this.forwarder?.uninstall();
    this.stopWatchingParent?.();
    this.removeSignalHandlers();
    await this.transport?.close();
    this.state = 'stopped';
    debug('stopped (%s)', reason);
    this.resolveRun();
    if (reason !== 'stop' && this.options.exitOnStop !== false) process.exit(0);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
