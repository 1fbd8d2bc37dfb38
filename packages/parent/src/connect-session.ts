/**
 * Connect mode: finds a registered service (waiting for it to appear, and saying which ones are
 * there when it does not), connects to its endpoint, and follows it when it re-registers
 * elsewhere after going silent. The service's process is not ours: close() only disconnects.
 */
import { OUTPUT_OPT_IN_KEY, isMultifrostError, type MultifrostError } from '@multifrost/protocol';
import { createDebug, pause } from '@multifrost/protocol/internal';
import type { ServiceEntry, ServiceRegistry } from '@multifrost/registry';
import { isPidAlive } from '@multifrost/registry/internal';
import { isLoopback } from '@multifrost/transport-zmq/internal';
import {
  checkPlainEntry,
  type ClientCurve,
  curveForEntry,
  insecureAllowed,
  curveRequired,
  curveTimeout,
  handshakeError,
  loadClientCurve,
  type ParentSecurity,
} from './curve-client.js';
import { durationMs } from './durations.js';
import * as messages from './messages.js';
import type { ConnectOptions } from './options.js';
import { waitUntilAnswering } from './readiness.js';
import { registryFor } from './registry-url.js';
import type { WorkerHost, WorkerStrategy } from './strategy.js';

const debug = createDebug('multifrost:parent');

export interface ConnectPlan {
  serviceId: string;
  registry: ServiceRegistry;
  /** Made from a URL (or MULTIFROST_REGISTRY) for this connection, so closed with it. */
  ownsRegistry: boolean;
  /** Covers discovery and the first heartbeat reply together. */
  startTimeoutMs: number;
  /** The option name the user set the limit with, for messages (`startTimeoutMs` or the older `timeoutMs`). */
  timeoutOption: string;
  /** Whether to ask the service for its console output (the `output` option is not `'ignore'`). */
  wantsOutput: boolean;
  /** `security: { curve }`: connect as a CURVE client, and only to an entry whose key checks out. */
  security: ParentSecurity | undefined;
  /** The transport's name, for the message when it cannot do what `security` asks. */
  transportName: string;
  /** `insecure: true` (or MULTIFROST_INSECURE=1): a service off loopback without CURVE may be talked to. */
  insecure: boolean;
}

/** Reads connect()'s arguments; `startTimeoutMs` wins over the older `timeoutMs`, and messages name the one used. */
export function connectPlan(serviceId: string, options: ConnectOptions): ConnectPlan {
  if (typeof serviceId !== 'string' || serviceId.length === 0) throw messages.missingServiceId();
  const option =
    options.startTimeoutMs !== undefined || options.timeoutMs === undefined ? 'startTimeoutMs' : 'timeoutMs';
  const chosen = registryFor(options.registry);
  return {
    serviceId,
    registry: chosen.registry,
    ownsRegistry: chosen.owned,
    startTimeoutMs: durationMs(options.startTimeoutMs ?? options.timeoutMs, option, 5_000),
    timeoutOption: option,
    wantsOutput: options.output !== 'ignore',
    security: options.security,
    transportName: nameOf(options.transport),
    insecure: insecureAllowed(options.insecure),
  };
}

export class ConnectSession implements WorkerStrategy {
  readonly mode = 'connect';
  readonly pid = undefined;
  private endpoint: string | undefined;
  /** The registered process, when the entry names one on this host: its death fails calls at once. */
  private servicePid: number | undefined;
  /** Our CURVE keys, read once at start when `security` asks for CURVE. */
  private curve: ClientCurve | undefined;
  /** True while follow() is looking for the service. */
  private following = false;
  /** Aborts a discovery still waiting when close() begins. */
  private readonly discovery = new AbortController();

  constructor(
    private readonly host: WorkerHost,
    private readonly plan: ConnectPlan,
  ) {
    // A service forwards its output only to parents that ask (docs/protocol.md#extensions); the
    // start-up probe carries it, so the subscription exists before the first call.
    if (plan.wantsOutput) host.heartbeat.addMetadata({ [OUTPUT_OPT_IN_KEY]: true });
  }

  async start(): Promise<void> {
    const { plan, host } = this;
    const deadline = Date.now() + plan.startTimeoutMs;
    if (plan.security !== undefined) {
      this.curve = await loadClientCurve(plan.security, host.transport, plan.transportName);
    }
    const entry = await this.discover();
    this.servicePid = localPid(entry);
    host.transport.onPeersChanged = (n) => this.peersChanged(n);
    const curve = this.curve ? curveForEntry(plan.serviceId, entry, this.curve) : undefined;
    this.endpoint = entry.endpoint;
    const where = this.endpoint;
    const answer = () =>
      waitUntilAnswering(host, deadline, plan.startTimeoutMs, () =>
        messages.serviceSilent(plan.serviceId, where, plan.startTimeoutMs, plan.timeoutOption),
      );
    if (!curve) {
      // A CURVE-only service would just never complete our handshake: say why now.
      if (entry.curvePublicKey !== undefined) throw curveRequired(plan.serviceId, where);
      checkPlainEntry(plan.serviceId, entry, plan.insecure);
      host.transport.connect(where);
      await answer();
      return;
    }
    // libzmq retries a failed handshake forever; the first failure is the answer we wait for.
    let refused: (err: MultifrostError) => void = () => {};
    const handshake = new Promise<never>((_, reject) => {
      refused = reject;
    });
    host.transport.onHandshakeFailed = (failure) => {
      if (!host.ready) refused(handshakeError(plan.serviceId, where, failure));
      else debug('%s: CURVE handshake failed on %s: %s', host.name, failure.endpoint, failure.kind);
    };
    host.transport.connect(where, { curve });
    const answering = answer();
    answering.catch(() => {});
    try {
      await Promise.race([answering, handshake]);
    } catch (err) {
      throw curveTimeout(err, plan.serviceId);
    }
  }

  async abortStart(): Promise<void> {
    // A failed start ends the worker without close(): the registry's connection goes now.
    await this.close();
  }

  unresponsive(misses: number): void {
    // Nothing will answer these: fail them now rather than at their timeouts.
    this.host.failInFlight((fn) => messages.unreachableInFlight(this.host.name, fn, misses), true);
    void this.follow();
  }

  /**
   * While the service does not answer, keeps looking it up, from every FOLLOW_FIRST_MS up to once
   * per heartbeat interval, until it answers again or we close. A service that died and comes
   * back under the same id on another endpoint (seconds later, as a restarted process does) is
   * then followed within one interval of its registration; one lookup at the first miss would
   * find no live entry yet and never look again.
   */
  private async follow(): Promise<void> {
    if (this.following) return;
    this.following = true;
    const { host } = this;
    const ceilingMs = Math.max(FOLLOW_FIRST_MS, host.heartbeat.intervalMs);
    let pauseMs = FOLLOW_FIRST_MS;
    try {
      while (!host.closing && (host.heartbeat.isUnresponsive || host.transport.connectedPeers === 0)) {
        await this.rediscover();
        await pause(pauseMs, this.discovery.signal, { unref: true });
        pauseMs = Math.min(pauseMs * 2, ceilingMs);
      }
    } finally {
      this.following = false;
    }
  }

  async close(): Promise<void> {
    this.discovery.abort();
    if (this.plan.ownsRegistry) {
      await this.plan.registry.close?.().catch((err: unknown) => debug('closing the registry failed: %s', String(err)));
    }
  }

  /**
   * The link dropped. If the service's process (on this host) is gone, the calls it had will never
   * be answered: fail them now with WORKER_EXITED instead of at their timeouts (a SIGKILLed
   * service), and look for its successor.
   */
  private peersChanged(connected: number, attempt = 0): void {
    const { host } = this;
    const pid = this.servicePid;
    if (connected > 0 || pid === undefined || !host.ready || host.closing) return;
    if (isPidAlive(pid)) {
      // The kernel closes a dying process's sockets before it turns into a zombie: the link can
      // drop a moment before the pid reads as gone. Look again shortly, while the link stays down.
      if (attempt < GONE_RECHECKS_MS.length) {
        setTimeout(() => {
          if (host.transport.connectedPeers === 0) this.peersChanged(0, attempt + 1);
        }, GONE_RECHECKS_MS[attempt]).unref();
      }
      return;
    }
    debug('%s: service process %d is gone', host.name, pid);
    host.failInFlight((fn) => messages.serviceExitedInFlight(host.name, fn, pid), false);
    void this.follow();
  }

  notRunning(fn?: string): MultifrostError {
    return messages.notRunning(this.host.name, undefined, false, fn);
  }

  /** Waits for the service to register; on a miss, says which ones are there. */
  private async discover(): Promise<ServiceEntry> {
    const { registry, serviceId, startTimeoutMs, timeoutOption } = this.plan;
    try {
      return await registry.discover(serviceId, { timeoutMs: startTimeoutMs, signal: this.discovery.signal });
    } catch (err) {
      if (this.host.closing) throw messages.closedWhileStarting(this.host.name);
      if (!isMultifrostError(err) || err.code !== 'SERVICE_NOT_FOUND') throw err;
      const where = typeof err.details.registry === 'string' ? ` in ${err.details.registry}` : '';
      let registered: string;
      try {
        registered = messages.registeredList((await registry.list()).map((e) => e.serviceId));
      } catch (listErr) {
        registered = `the registry could not be listed: ${String(listErr)}`;
      }
      throw messages.serviceNotFound(serviceId, where, startTimeoutMs, timeoutOption, registered, err);
    }
  }

  /**
   * If the service re-registered on another endpoint, follow it. If it is where it was but we
   * have no connection to it, connect afresh: libzmq does not reconnect after a protocol error on
   * its side of the link (an over-size frame from the service), so the old link stays dead.
   */
  private async rediscover(): Promise<void> {
    const { host, plan } = this;
    try {
      const entry = await plan.registry.lookup(plan.serviceId);
      const next = entry?.endpoint;
      const dead = next === this.endpoint && host.transport.connectedPeers === 0;
      if (entry && next && (next !== this.endpoint || dead) && host.ready) {
        // A moved CURVE service must still present a key we accept; else stay put (and fail by health).
        const curve = this.curve ? curveForEntry(plan.serviceId, entry, this.curve) : undefined;
        if (!curve) checkPlainEntry(plan.serviceId, entry, plan.insecure);
        if (dead) debug('%s: no connection to %s; connecting again', host.name, next);
        else debug('%s: service moved from %s to %s', host.name, String(this.endpoint), next);
        if (this.endpoint !== undefined) host.transport.disconnect(this.endpoint);
        this.endpoint = next;
        this.servicePid = localPid(entry);
        host.transport.connect(next, curve ? { curve } : undefined);
      }
    } catch (err) {
      debug('%s: rediscovery failed: %s', host.name, String(err));
    }
  }
}

/** The entry's pid when the service runs on this host (ipc://, or TCP on loopback), else undefined. */
function localPid(entry: ServiceEntry): number | undefined {
  const local = entry.host === undefined || isLoopback(entry.host);
  return local && typeof entry.pid === 'number' && entry.pid > 0 ? entry.pid : undefined;
}

/** When to look again at a service pid still alive as its link dropped (it may be mid-exit). */
const GONE_RECHECKS_MS = [10, 50, 250, 1_000];

/** The first pause between lookups of an unresponsive service; it doubles up to the heartbeat interval. */
const FOLLOW_FIRST_MS = 100;

/** A factory's name (`zmq` by default, since plain settings mean the ZeroMQ transport). */
function nameOf(transport: ConnectOptions['transport']): string {
  const name = (transport as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : 'zmq';
}
