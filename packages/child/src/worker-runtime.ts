/**
 * The coordinator behind `ChildWorker`: the state machine (idle → starting → running → stopping →
 * stopped), mode selection (spawn vs connect), routing each incoming message, and the order of a
 * graceful stop. The work itself lives in its parts: the Dispatcher runs calls, the ReplySender
 * puts answers on the wire, ProcessLifecycle owns signals, the parent watch and exiting. It is
 * reached from `ChildWorker` through a #private field, so none of its members can collide with a
 * user's method or field names.
 */
import { fstatSync } from 'node:fs';
import {
  DEFAULT_NAMESPACE,
  MAX_MESSAGE_BYTES_KEY,
  CAPABILITIES_KEY,
  CAP_STREAM,
  WORKER_CAPABILITIES_KEY,
  readCapabilities,
  MultifrostError,
  createError,
  createHeartbeatReply,
  createOutput,
  type HeartbeatMessage,
  type Message,
  type Rejection,
} from '@multifrost/protocol';
import { createDebug } from '@multifrost/protocol/internal';
import type { ServiceRegistry } from '@multifrost/registry';
import {
  tcpEndpoint,
  wireCapabilityNames,
  zmqTransport,
  type ServiceTransport,
  type TransportFactory,
  type TransportOptions,
} from '@multifrost/transport-zmq';
import { collectCallable } from './callable-surface.js';
import type { ChildWorkerOptions } from './child-worker-options.js';
import { bindPlan, type BindPlan } from './bind-plan.js';
import { curveBinding, securityInSpawnMode } from './curve-service.js';
import { Dispatcher, type Method } from './dispatcher.js';
import { LeaseKeeper } from './lease-keeper.js';
import { ProcessLifecycle, type StopReason } from './lifecycle.js';
import { workerDurations, type WorkerDurations } from './option-durations.js';
import { OutputForwarder } from './output-forwarding.js';
import { assertNoReservedOwnFields } from './reserved-names.js';
import { ReplySender } from './reply-sender.js';
import { registryFor } from './registry-url.js';
import { removeOrphanedChannel } from './orphaned-channel.js';
import { PUBLIC_PARENT_LINK_WINDOW_MS, inferSpawner, linkWatch } from './public-spawner.js';
import { takeSpawnEnv, type SpawnEnv } from './spawn-env.js';

const debug = createDebug('multifrost:child');

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

export class WorkerRuntime {
  readonly namespace: string;
  private readonly options: ChildWorkerOptions;
  /** The user's worker: the `this` of every handler, and where the callable surface is read from. */
  private readonly owner: object;
  private readonly libraryBase: object;
  private readonly lifecycle: ProcessLifecycle;
  private readonly durations: WorkerDurations;
  private state: State = 'idle';
  /** The `mf_worker_caps` list, made once from the transport's features. */
  private capabilityNames: string[] | undefined;
  private transport: ServiceTransport | undefined;
  private sender: ReplySender | undefined;
  private dispatcher: Dispatcher | undefined;
  private registry: ServiceRegistry | undefined;
  /** Made here from a URL (or MULTIFROST_REGISTRY), so closed here: a Redis connection would keep the process alive. */
  private ownsRegistry = false;
  private leaseKeeper: LeaseKeeper | undefined;
  private callable: Map<string, Method> | undefined;
  private forwarder: OutputForwarder | undefined;
  private startPromise: Promise<number> | undefined;
  private stopPromise: Promise<void> | undefined;
  private resolveRun!: () => void;
  private readonly runDone = new Promise<void>((resolve) => (this.resolveRun = resolve));
  private spawnEnv: SpawnEnv | undefined;
  private stopLinkWatch: (() => void) | undefined;

  constructor(owner: object, libraryBase: object, options: ChildWorkerOptions) {
    this.owner = owner;
    this.libraryBase = libraryBase;
    this.options = options;
    this.namespace = options.namespace ?? DEFAULT_NAMESPACE;
    this.durations = workerDurations(options);
    this.lifecycle = new ProcessLifecycle(
      { exitOnStop: options.exitOnStop !== false, parentCheckIntervalMs: this.durations.parentCheckIntervalMs },
      (reason) => void this.stopWith(reason),
      () => this.state === 'stopping',
    );
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
    const methods = this.surface();
    this.spawnEnv = takeSpawnEnv();
    const serviceId = this.options.serviceId;
    if (!this.spawnEnv && !serviceId) {
      this.state = 'stopped';
      throw new MultifrostError(
        'START_FAILED',
        'Need COMLINK_ZMQ_PORT in the environment (spawn mode: start this worker with ParentWorker.spawn) or a serviceId option (connect mode)',
      );
    }
    if (this.options.handleSignals !== false) this.lifecycle.handleSignals();
    const factory = transportFactory(this.options);
    const transport = factory.service();
    const sender = new ReplySender(transport);
    const dispatcher = new Dispatcher(
      {
        owner: this.owner,
        methods,
        namespace: this.namespace,
        maxConcurrency: this.options.maxConcurrency,
        maxQueue: this.options.maxQueue,
      },
      sender,
    );
    this.transport = transport;
    this.sender = sender;
    this.dispatcher = dispatcher;
    transport.onMessage = (msg, peer) => this.onMessage(msg, peer);
    transport.onReject = (rej, peer) => this.onReject(rej, peer);
    let endpoint: string;
    try {
      if (this.spawnEnv) {
        if (this.options.security !== undefined) throw securityInSpawnMode();
        endpoint = this.spawnEnv.endpoint ?? tcpEndpoint('127.0.0.1', this.spawnEnv.port!);
        if (this.spawnEnv.parentPid !== undefined) {
          transport.connect(endpoint);
          this.lifecycle.watchParent(this.spawnEnv.parentPid, endpoint);
        } else {
          this.underPublicParent(transport, sender, endpoint);
        }
      } else {
        const chosen = registryFor(this.options.registry);
        this.registry = chosen.registry;
        this.ownsRegistry = chosen.owned;
        const plan = connectBindPlan(this.options, serviceId!);
        const curve = await curveBinding(this.options.security, transport, factory.name);
        const lease = await this.registry.register(
          serviceId!,
          async () => {
            const bound = await transport.bind(plan.bind, curve?.bind);
            if (plan.warnInsecure) warnInsecureBind(serviceId!, bound);
            return plan.advertised(bound);
          },
          curve ? { curvePublicKey: curve.publicKey } : undefined,
        );
        this.leaseKeeper = new LeaseKeeper(this.registry, lease);
        this.leaseKeeper.start();
        endpoint = lease.entry.endpoint;
        if (this.options.forwardOutput !== false) {
          this.forwarder = new OutputForwarder((peer, stream, text, app) =>
            sender.sendQuiet(peer, createOutput(stream, text, app)),
          );
          this.forwarder.install();
        }
        if (!this.options.quiet) {
          const where = transport.port !== undefined ? `port ${transport.port}` : endpoint;
          process.stdout.write(`Service '${serviceId}' ready on ${where}\n`);
        }
      }
    } catch (err) {
      this.state = 'stopped';
      this.lifecycle.release();
      this.leaseKeeper?.stop();
      await this.closeOwnedRegistry();
      await transport.close();
      this.resolveRun();
      throw err;
    }
    this.state = 'running';
    dispatcher.open();
    const mode = this.spawnEnv ? 'spawn' : 'connect';
    if (transport.port !== undefined) debug('running in %s mode on port %d', mode, transport.port);
    else debug('running in %s mode on %s', mode, endpoint);
    // The public peers' TCP profile speaks in ports; a non-TCP endpoint (ipc://, in-memory) has none.
    return transport.port ?? 0;
  }

  private async closeOwnedRegistry(): Promise<void> {
    if (!this.ownsRegistry) return;
    this.ownsRegistry = false;
    await this.registry?.close?.().catch((err: unknown) => debug('closing the registry failed: %s', String(err)));
  }

  /**
   * Spawn mode under a parent that is not ours: it reads neither our pipes nor our PID, so output
   * goes over the wire to whoever speaks to us, and we end when our spawner or the link is gone.
   */
  private underPublicParent(transport: ServiceTransport, sender: ReplySender, endpoint: string): void {
    const spawner = inferSpawner();
    debug('no %s: a public parent; watching pid %d %o', 'MULTIFROST_PARENT_PID', spawner.parentPid, spawner.alsoPids);
    const link = linkWatch(PUBLIC_PARENT_LINK_WINDOW_MS, () => {
      debug('no connection to the parent for %d ms; stopping', PUBLIC_PARENT_LINK_WINDOW_MS);
      void this.stopWith('parent-gone');
    });
    this.stopLinkWatch = link.stop;
    transport.onPeersChanged = link.peersChanged;
    link.peersChanged(0);
    transport.connect(endpoint);
    this.lifecycle.watchParent(spawner.parentPid, endpoint, spawner.alsoPids);
    if (this.options.forwardOutput !== false) {
      this.forwarder = new OutputForwarder(
        (peer, stream, text, app) => sender.sendQuiet(peer, createOutput(stream, text, app)),
        { subscribeAll: true, keepLocal: keepsLocalOutput },
      );
      this.forwarder.install();
    }
  }

  private onMessage(msg: Message, peer: Buffer): void {
    this.forwarder?.noteMessage(peer, msg);
    const dispatcher = this.dispatcher!;
    if (dispatcher.streamCount > 0) dispatcher.heard(peer);
    switch (msg.type) {
      case 'call':
        this.dispatcher!.call(msg, peer);
        return;
      case 'heartbeat':
        if (msg.metadata?.hb_response !== true) this.answerHeartbeat(msg, peer);
        return;
      case 'cancel':
        this.dispatcher!.cancel(msg.id);
        return;
      case 'stream_credit':
        dispatcher.credit(msg.id, msg.credit);
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

  /**
   * Echoes a heartbeat, trading size limits (MAX_MESSAGE_BYTES_KEY) and capabilities
   * (CAPABILITIES_KEY in, WORKER_CAPABILITIES_KEY out) with the parent: a parent that lists none (every public peer) gets none used.
   */
  private answerHeartbeat(msg: HeartbeatMessage, peer: Buffer): void {
    const transport = this.transport!;
    const theirs = msg.metadata?.[MAX_MESSAGE_BYTES_KEY];
    if (typeof theirs === 'number') transport.setPeerMaxMessageBytes?.(theirs, peer);
    transport.setPeerCapabilities?.(readCapabilities(msg.metadata, CAPABILITIES_KEY), peer);
    const reply = createHeartbeatReply(msg);
    reply.metadata = { ...reply.metadata, [MAX_MESSAGE_BYTES_KEY]: transport.limits.maxMessageBytes };
    // What this worker understands beyond the public protocol (docs/protocol.md#capabilities).
    this.capabilityNames ??= [...wireCapabilityNames(transport.capabilities), CAP_STREAM];
    reply.metadata[WORKER_CAPABILITIES_KEY] = this.capabilityNames;
    this.sender!.sendQuiet(peer, reply);
  }

  private onReject(rej: Rejection, peer: Buffer | undefined): void {
    debug('dropped message: %s (%s)', rej.reason, rej.detail);
    // A call we could read the id of gets an answer rather than silence (docs/protocol.md).
    if (peer && rej.id && rej.app && rej.type === 'call') {
      // Over the size limit: the link survives (libzmq's own limit is looser) and the caller learns why.
      const error =
        rej.reason === 'TOO_LARGE'
          ? { name: 'MessageTooLargeError', message: `${rej.detail} of this worker`, code: 'TOO_LARGE' }
          : { name: 'InvalidCallError', message: rej.detail };
      this.sender!.sendQuiet(peer, createError(rej.id, error, rej.app));
    }
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
      removeOrphanedChannel(this.spawnEnv?.endpoint);
      this.lifecycle.parentGone();
    }
    await this.dispatcher!.drain(this.durations.shutdownGraceMs);
    // Let replies already queued reach the parent before the socket goes.
    await Promise.race([this.sender!.flush(), delay(1000)]);
    const keeper = this.leaseKeeper;
    if (keeper && this.registry) {
      keeper.stop();
      this.leaseKeeper = undefined;
      await this.registry.unregister(keeper.lease).catch((err: unknown) => debug('unregister failed: %s', String(err)));
    }
    await this.closeOwnedRegistry();
    this.forwarder?.uninstall();
    this.stopLinkWatch?.();
    this.lifecycle.release();
    await this.transport?.close();
    this.state = 'stopped';
    debug('stopped (%s)', reason);
    this.resolveRun();
    this.lifecycle.exitAfter(reason);
  }
}

/**
 * Under a public parent a pipe on fd 1 or 2 is never read (the JS and Python parents leave it
 * unread), and a full one would block the worker at ~64 KiB; the wire copy is what they print.
 * A terminal, file or /dev/null (the Go and Rust parents) still gets its local copy.
 */
function keepsLocalOutput(fd: 1 | 2): boolean {
  try {
    return !fstatSync(fd).isFIFO();
  } catch {
    return true;
  }
}

function isFactory(t: TransportFactory | TransportOptions | undefined): t is TransportFactory {
  return t !== undefined && typeof (t as TransportFactory).service === 'function';
}

/**
 * The `transport` option: a factory, or the ZeroMQ settings the option used to take. Unless the
 * settings say otherwise, the transport's warnings (out of file descriptors, a bind beyond
 * loopback) go to stderr: in a worker nobody else would see them, and they are rate-limited.
 */
function transportFactory(options: ChildWorkerOptions): TransportFactory {
  const t = options.transport;
  return isFactory(t) ? t : zmqTransport({ onWarning: warnOnStderr, ...t });
}

function warnOnStderr(message: string): void {
  process.stderr.write(`multifrost: warning: ${message}\n`);
}

/** Connect mode's bind target and advertised address (bind-plan.ts), from the options. */
function connectBindPlan(options: ChildWorkerOptions, serviceId: string): BindPlan {
  const t = options.transport;
  return bindPlan({
    endpoint: options.endpoint,
    host: options.host,
    port: options.port,
    advertise: options.advertise,
    insecure: options.insecure,
    transportHost: isFactory(t) ? undefined : t?.host,
    curve: options.security !== undefined,
    serviceId,
  });
}

/** `insecure: true` off loopback: one line nobody reading the service's stderr can miss. */
function warnInsecureBind(serviceId: string, bound: string): void {
  process.stderr.write(
    `multifrost: WARNING: service '${serviceId}' serves WITHOUT CURVE on ${bound} (insecure: true): anyone who can reach this address can call it and read its traffic\n`,
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
