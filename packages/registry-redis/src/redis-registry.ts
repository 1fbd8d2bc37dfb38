/**
 * `RedisServiceRegistry`: the `ServiceRegistry` contract on one Redis key per service
 * (`multifrost:svc:<id>`, docs/multi-host.md). An entry lives only as long as its lease: it is set
 * with `SET NX PX <ttl>`, so a crashed or cut-off owner's entry expires by itself, and a live one
 * is never overwritten; `renew` and `unregister` are token-checked Lua scripts, so they touch only
 * the registration the lease names.
 *
 * The client never queues commands while Redis is away: a registry call waits at most
 * `connectTimeoutMs` for a connection and then fails with `REGISTRY_UNAVAILABLE`, rather than
 * hanging until Redis returns. ioredis keeps reconnecting in the background, so the next call
 * after Redis is back simply works.
 */
import { randomUUID } from 'node:crypto';
import { MultifrostError } from '@multifrost/protocol';
import { createDebug } from '@multifrost/protocol/internal';
import type {
  BindEndpoint,
  DiscoverOptions,
  RegisterOptions,
  RegistrationLease,
  ServiceEntry,
  ServiceRegistry,
} from '@multifrost/registry';
import { Redis } from 'ioredis';
import { escapeGlob } from './key-pattern.js';
import { RENEW_SCRIPT, UNREGISTER_SCRIPT } from './lease-scripts.js';
import { decodeEntry, encodeEntry, tcpParts } from './redis-entry.js';
import { alreadyRegistered, redactUrl, unavailable } from './registry-errors.js';
import { checkCurveKey, pollForEntry, throwIfAborted, validateServiceId } from '@multifrost/registry/internal';

const debug = createDebug('multifrost:registry-redis');

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379/0';
export const DEFAULT_TTL_MS = 5_000;
/** Below this a lease renewed every ttl/3 would be lost to one slow round trip or GC pause. */
export const MIN_TTL_MS = 1_000;
export const DEFAULT_KEY_PREFIX = 'multifrost:';

/** Why a lease was lost: its key expired (or was deleted), or it now holds another registration. */
export type LeaseLossReason = 'expired' | 'taken';

export interface RedisServiceRegistryOptions {
  /**
   * Where Redis is: `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS. The query
   * may set `ttlMs` and `keyPrefix` (`redis://10.0.0.5:6379/0?ttlMs=3000`); options given here win.
   * @default 'redis://127.0.0.1:6379/0'
   */
  url?: string;
  /**
   * How long an entry outlives its last renewal. A service renews every `ttlMs / 3`; a crashed
   * one disappears at most `ttlMs` after its last renewal. At least 1000.
   * @default 5000
   */
  ttlMs?: number;
  /** Prefix of every key this registry writes. @default 'multifrost:' */
  keyPrefix?: string;
  /** How often `discover` looks. @default 100 */
  pollMs?: number;
  /** How long a call waits for Redis to be reachable before `REGISTRY_UNAVAILABLE`. @default 2000 */
  connectTimeoutMs?: number;
  /** How long one Redis command may take (a host cut off answers nothing). @default 2000 */
  commandTimeoutMs?: number;
  /**
   * Told when `renew` finds the lease gone, before it rejects with `LEASE_LOST`. The child's lease
   * keeper registers again on its own; this is for logs and metrics.
   */
  onLeaseLost?: (lease: RegistrationLease, reason: LeaseLossReason) => void;
}

export class RedisServiceRegistry implements ServiceRegistry {
  /** The URL with its password masked: what messages and `details.registry` name. */
  readonly where: string;
  readonly ttlMs: number;
  readonly keyPrefix: string;
  private readonly pollMs: number;
  private readonly connectTimeoutMs: number;
  private readonly client: Redis;
  private readonly onLeaseLost: RedisServiceRegistryOptions['onLeaseLost'];
  private closed = false;

  constructor(options: RedisServiceRegistryOptions = {}) {
    const url = options.url ?? DEFAULT_REDIS_URL;
    if (!/^rediss?:\/\//.test(url) || !URL.canParse(url)) {
      throw new MultifrostError(
        'INVALID_ARGUMENT',
        `RedisServiceRegistry: url must look like redis://host:6379/0 (or rediss:// for TLS), got ${JSON.stringify(redactUrl(url))}`,
      );
    }
    this.where = redactUrl(url);
    // A URL is all MULTIFROST_REGISTRY and the CLI can pass, so it carries the lease settings too;
    // they are taken off before ioredis sees it, which would read them as its own options.
    const parsed = new URL(url);
    const fromUrl = (name: string): string | undefined => {
      const value = parsed.searchParams.get(name) ?? undefined;
      parsed.searchParams.delete(name);
      return value;
    };
    const urlTtl = fromUrl('ttlMs');
    const urlPrefix = fromUrl('keyPrefix');
    this.ttlMs = checkMs(
      options.ttlMs ?? (urlTtl === undefined ? undefined : Number(urlTtl)),
      'ttlMs',
      DEFAULT_TTL_MS,
      MIN_TTL_MS,
    );
    this.pollMs = checkMs(options.pollMs, 'pollMs', 100, 1);
    this.connectTimeoutMs = checkMs(options.connectTimeoutMs, 'connectTimeoutMs', 2_000, 1);
    const commandTimeout = checkMs(options.commandTimeoutMs, 'commandTimeoutMs', 2_000, 1);
    this.keyPrefix = options.keyPrefix ?? urlPrefix ?? DEFAULT_KEY_PREFIX;
    this.onLeaseLost = options.onLeaseLost;
    this.client = new Redis(parsed.toString(), {
      lazyConnect: true,
      // Queued commands would make every registry call hang for as long as Redis is away.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: this.connectTimeoutMs,
      commandTimeout,
      // Keep trying for as long as we live: recovery after an outage must need nobody.
      retryStrategy: (times) => Math.min(100 * times, 1_000),
    });
    // Without a listener ioredis prints every failed reconnect; the failure reaches callers instead.
    this.client.on('error', (err: Error) => debug('%s: %s', this.where, err.message));
  }

  async register(serviceId: string, bind: BindEndpoint, options: RegisterOptions = {}): Promise<RegistrationLease> {
    validateServiceId(serviceId);
    const { signal } = options;
    throwIfAborted(signal, 'Registration', serviceId);
    const curvePublicKey =
      options.curvePublicKey === undefined ? undefined : checkCurveKey(serviceId, options.curvePublicKey);
    const key = this.key(serviceId);
    const what = `register '${serviceId}'`;
    // Looked at before binding, so a duplicate is refused without opening a socket for nothing;
    // SET NX below settles a race between two registrants that both got past this.
    const held = await this.run(what, (c) => c.get(key), signal);
    if (held !== null) throw alreadyRegistered(serviceId, this.where, decodeEntry(serviceId, held));
    throwIfAborted(signal, 'Registration', serviceId);
    const endpoint = await bind();
    if (typeof endpoint !== 'string' || endpoint.length === 0) {
      throw new MultifrostError(
        'INVALID_ARGUMENT',
        `register('${serviceId}'): bind() must resolve to the bound endpoint string, got ${JSON.stringify(endpoint) ?? String(endpoint)}`,
      );
    }
    const entry: ServiceEntry = {
      serviceId,
      endpoint,
      ...tcpParts(endpoint),
      pid: process.pid,
      started: new Date().toISOString(),
      ...(curvePublicKey !== undefined ? { curvePublicKey } : {}),
    };
    const token = randomUUID();
    const set = await this.run(what, (c) => c.set(key, encodeEntry(entry, token), 'PX', this.ttlMs, 'NX'));
    if (set !== 'OK') {
      const winner = await this.run(what, (c) => c.get(key)).catch(() => null);
      throw alreadyRegistered(serviceId, this.where, decodeEntry(serviceId, winner));
    }
    debug('registered %s at %s (ttl %d ms)', serviceId, endpoint, this.ttlMs);
    return { serviceId, token, entry: { ...entry }, ttlMs: this.ttlMs };
  }

  async renew(lease: RegistrationLease): Promise<void> {
    const ttl = lease.ttlMs ?? this.ttlMs;
    const result = await this.run(`renew '${lease.serviceId}'`, (c) =>
      c.eval(RENEW_SCRIPT, 1, this.key(lease.serviceId), lease.token, String(ttl)),
    );
    if (result === 1) return;
    const reason: LeaseLossReason = result === 0 ? 'expired' : 'taken';
    try {
      this.onLeaseLost?.(lease, reason);
    } catch (err) {
      debug('onLeaseLost threw: %s', String(err));
    }
    throw new MultifrostError(
      'LEASE_LOST',
      reason === 'expired'
        ? `The lease of service '${lease.serviceId}' expired in ${this.where} (not renewed within ${ttl} ms)`
        : `Service '${lease.serviceId}' was registered again by someone else in ${this.where}`,
      { details: { serviceId: lease.serviceId, registry: this.where, reason } },
    );
  }

  async unregister(lease: RegistrationLease): Promise<boolean> {
    validateServiceId(lease?.serviceId);
    const result = await this.run(`unregister '${lease.serviceId}'`, (c) =>
      c.eval(UNREGISTER_SCRIPT, 1, this.key(lease.serviceId), String(lease.token)),
    );
    return result === 1;
  }

  async lookup(serviceId: string): Promise<ServiceEntry | undefined> {
    validateServiceId(serviceId);
    const raw = await this.run(`look up '${serviceId}'`, (c) => c.get(this.key(serviceId)));
    return decodeEntry(serviceId, raw);
  }

  async discover(serviceId: string, options: DiscoverOptions = {}): Promise<ServiceEntry> {
    validateServiceId(serviceId);
    const timeoutMs = checkMs(options.timeoutMs, 'timeoutMs', 5_000, 0);
    const pollMs = checkMs(options.pollMs, 'pollMs', this.pollMs, 1);
    // Redis may come back within the wait: keep looking, and only if it never does, say so.
    return pollForEntry({
      serviceId,
      timeoutMs,
      pollMs,
      signal: options.signal,
      where: this.where,
      lookup: () => this.lookup(serviceId),
      fatal: () => this.closed,
    });
  }

  async list(prefix = ''): Promise<ServiceEntry[]> {
    const base = this.key('');
    const match = `${escapeGlob(base)}${escapeGlob(prefix)}*`;
    const keys = new Set<string>();
    await this.run('list', async (c) => {
      let cursor = '0';
      do {
        const [next, found] = await c.scan(cursor, 'MATCH', match, 'COUNT', 500);
        cursor = next;
        // SCAN may return a key more than once.
        for (const k of found) keys.add(k);
      } while (cursor !== '0');
    });
    const ordered = [...keys].sort();
    const out: ServiceEntry[] = [];
    for (let i = 0; i < ordered.length; i += 500) {
      const chunk = ordered.slice(i, i + 500);
      const values = await this.run('list', (c) => c.mget(...chunk));
      chunk.forEach((k, j) => {
        const entry = decodeEntry(k.slice(base.length), values[j]);
        // Expired between SCAN and MGET, or not a Multifrost entry: not a live service.
        if (entry) out.push(entry);
      });
    }
    return out.sort((a, b) => (a.serviceId < b.serviceId ? -1 : a.serviceId > b.serviceId ? 1 : 0));
  }

  /** Closes the connection; later calls fail with `CLOSED`. Entries stay until their leases end. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.client.status === 'ready') await this.client.quit().catch(() => this.client.disconnect());
    else this.client.disconnect();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private key(serviceId: string): string {
    return `${this.keyPrefix}svc:${serviceId}`;
  }

  /** Runs `op` on a connected client; anything from Redis or the link becomes REGISTRY_UNAVAILABLE. */
  private async run<T>(what: string, op: (client: Redis) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const client = await this.connected(what, signal);
    try {
      return await op(client);
    } catch (err) {
      throw unavailable(this.where, what, err);
    }
  }

  private async connected(what: string, signal?: AbortSignal): Promise<Redis> {
    if (this.closed) {
      throw new MultifrostError('CLOSED', `The Redis registry at ${this.where} was closed (${what})`);
    }
    const c = this.client;
    if (c.status === 'ready') return c;
    // Errors surface through the wait below (and the 'error' listener), not as a rejection here.
    if (c.status === 'wait') c.connect().catch(() => {});
    await new Promise<void>((resolve, reject) => {
      let lastError: unknown = `no connection within ${this.connectTimeoutMs} ms`;
      const finish = (err?: unknown) => {
        clearTimeout(timer);
        c.off('ready', onReady);
        c.off('error', onError);
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      const onReady = () => finish();
      const onError = (err: unknown) => {
        lastError = err;
      };
      const onAbort = () =>
        finish(
          new MultifrostError('ABORTED', `${what} was aborted`, {
            cause: signal?.reason,
            details: { registry: this.where },
          }),
        );
      const timer = setTimeout(() => finish(unavailable(this.where, what, lastError)), this.connectTimeoutMs);
      c.on('ready', onReady);
      c.on('error', onError);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) onAbort();
    });
    return c;
  }
}

function checkMs(value: number | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new MultifrostError(
      'INVALID_ARGUMENT',
      `RedisServiceRegistry: ${name} must be a finite number of milliseconds of at least ${min}, got ${String(value)}`,
      { details: { option: name } },
    );
  }
  return Math.round(value);
}
