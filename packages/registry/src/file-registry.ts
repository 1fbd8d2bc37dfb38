/**
 * `FileServiceRegistry`: the file registry every public peer shares
 * ([protocol](../../../docs/protocol.md#connect-mode-and-the-registry)).
 * `services.json` in `$MULTIFROST_HOME` or `~/.multifrost`, changed only under `services.lock`
 * (and the v3 Python peer's `registry.lock`), written atomically, keeping other processes' entries
 * and unknown keys untouched.
 *
 * Same-PID re-registration is allowed and overwrites: the entry is ours, so "already running"
 * would only stop a process from re-registering after restarting its own server on a new port.
 *
 * On disk nothing changes for the peers: entries stay `{port, pid, started}`. The endpoint of an
 * entry is derived (`tcp://127.0.0.1:<port>`), the lease token is the pid and `started`, and there
 * is no TTL: an entry lives as long as its process, so there is no `renew`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { abortedError, pollForEntry, throwIfAborted } from './discovery.js';
import { MultifrostError } from '@multifrost/protocol';
import { RegistryFile } from './registry-file.js';
import { defaultRegistryHome, registryLockOrder, registryPaths } from './registry-home.js';
import { withLocks, type LockOptions } from './registry-lock.js';
import {
  entryToken,
  getRaw,
  liveEntry,
  setRaw,
  toEntry,
  checkCurveKey,
  validateServiceId,
  type FileServiceEntry,
} from './service-entries.js';
import { isPort, portOfEndpoint } from './tcp-endpoint.js';
import { registryMs } from './registry-durations.js';
import type { BindEndpoint, DiscoverOptions, RegisterOptions, RegistrationLease, ServiceRegistry } from './types.js';

export interface FileServiceRegistryOptions {
  /** Directory holding services.json and services.lock. Default `$MULTIFROST_HOME` or `~/.multifrost`, read at construction. */
  home?: string;
  /** How long to wait for the lock. Default 10000 ms. */
  lockTimeoutMs?: number;
  /** A lock whose mtime is older than this is stale and broken. Default 10000 ms (the other peers' figure). */
  staleLockMs?: number;
  /** Longest pause between lock attempts, and discover's default poll interval. Default 100 ms. */
  pollMs?: number;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;
export const DEFAULT_STALE_LOCK_MS = 10_000;
export const DEFAULT_POLL_MS = 100;
export const DEFAULT_DISCOVER_TIMEOUT_MS = 5_000;

export class FileServiceRegistry implements ServiceRegistry {
  readonly home: string;
  /** `<home>/services.json` */
  readonly file: string;
  /** `<home>/services.lock` */
  readonly lockFile: string;
  /** `<home>/registry.lock`, the v3 Python peer's lock, held too (after `lockFile`). */
  readonly legacyLockFile: string;
  private readonly locks: string[];
  private readonly lockOptions: LockOptions;
  private readonly pollMs: number;
  private readonly registryFile: RegistryFile;

  constructor(options: FileServiceRegistryOptions = {}) {
    this.home = options.home ? path.resolve(options.home) : defaultRegistryHome();
    const paths = registryPaths(this.home);
    this.file = paths.file;
    this.lockFile = paths.lock;
    this.legacyLockFile = paths.legacyLock;
    this.locks = registryLockOrder(paths);
    this.pollMs = registryMs(options.pollMs, 'pollMs', DEFAULT_POLL_MS, 'interval');
    this.lockOptions = {
      timeoutMs: registryMs(options.lockTimeoutMs, 'lockTimeoutMs', DEFAULT_LOCK_TIMEOUT_MS, 'timeout'),
      staleMs: registryMs(options.staleLockMs, 'staleLockMs', DEFAULT_STALE_LOCK_MS, 'clamped'),
      pollMs: this.pollMs,
    };
    this.registryFile = new RegistryFile(this.file);
  }

  /**
   * Registers `serviceId`; `bind` runs under the lock and must resolve to a `tcp://<host>:<port>`
   * endpoint, whose port is what gets written (the public peers read only `port`).
   */
  register(serviceId: string, bind: BindEndpoint, options?: RegisterOptions): Promise<RegistrationLease>;
  /** @deprecated Pass a `bind` that resolves to an endpoint and keep the lease; this shape will be removed. */
  register(serviceId: string, bind: number | (() => Promise<number>)): Promise<FileServiceEntry>;
  async register(
    serviceId: string,
    bind: number | (() => Promise<number | string>),
    options: RegisterOptions = {},
  ): Promise<RegistrationLease | FileServiceEntry> {
    validateServiceId(serviceId);
    const { signal } = options;
    throwIfAborted(signal, 'Registration', serviceId);
    await fs.mkdir(this.home, { recursive: true, mode: 0o700 });
    const locked = { ...this.lockOptions, ...(signal ? { signal } : {}) };
    const outcome = await withLocks(this.locks, locked, async () => {
      // A corrupt file throws here, before bind: we never overwrite what we couldn't read.
      const data = await this.registryFile.read();
      const existing = liveEntry(serviceId, getRaw(data, serviceId));
      if (existing && existing.pid !== process.pid) {
        throw new MultifrostError(
          'ALREADY_REGISTERED',
          `Service '${serviceId}' already running (PID: ${existing.pid}, port: ${existing.port})`,
          { details: { ...existing } },
        );
      }
      // The wait for the lock may have ended in the abort; don't bind for a caller who left.
      throwIfAborted(signal, 'Registration', serviceId);
      // Bound while we hold the lock, so the port we record is really listening by the time
      // anyone can read it (the public peers register first and bind after).
      const bound = typeof bind === 'number' ? bind : await bind();
      const legacy = typeof bound === 'number';
      const port = legacy ? bound : portOfEndpoint(serviceId, bound);
      if (!isPort(port)) {
        throw new MultifrostError(
          'INVALID_ARGUMENT',
          `register('${serviceId}'): port must be an integer in 1-65535, got ${String(port)}`,
        );
      }
      const started = uniqueStarted(existing?.started);
      const raw: Record<string, unknown> = { port, pid: process.pid, started };
      if (options.curvePublicKey !== undefined) raw.curve_public_key = checkCurveKey(serviceId, options.curvePublicKey);
      setRaw(data, serviceId, raw);
      await this.registryFile.write(data);
      const entry = toEntry(serviceId, raw)!;
      return { legacy, entry };
    }).catch((err: unknown) => {
      throw signal?.aborted && err === signal.reason ? abortedError(signal, 'Registration', serviceId) : err;
    });
    if (outcome.legacy) return outcome.entry;
    return { serviceId, token: entryToken(outcome.entry), entry: outcome.entry };
  }

  /**
   * Removes the entry if it is still the registration `lease` names (same pid and `started`), and
   * resolves true; false if it is gone or someone else's.
   */
  unregister(lease: RegistrationLease): Promise<boolean>;
  /** @deprecated Removes the entry if this process registered it. Pass the lease instead; this shape will be removed. */
  unregister(serviceId: string): Promise<boolean>;
  async unregister(leaseOrId: RegistrationLease | string): Promise<boolean> {
    const serviceId = typeof leaseOrId === 'string' ? leaseOrId : leaseOrId?.serviceId;
    validateServiceId(serviceId);
    const owns =
      typeof leaseOrId === 'string'
        ? (entry: FileServiceEntry) => entry.pid === process.pid
        : (entry: FileServiceEntry) => entryToken(entry) === leaseOrId.token;
    // No file, nothing of ours: don't create the directory or take the lock just to find that out.
    try {
      await fs.access(this.file);
    } catch {
      return false;
    }
    return withLocks(this.locks, this.lockOptions, async () => {
      const data = await this.registryFile.read();
      const entry = toEntry(serviceId, getRaw(data, serviceId));
      if (!entry || !owns(entry)) return false;
      delete data[serviceId];
      await this.registryFile.write(data);
      return true;
    });
  }

  async lookup(serviceId: string): Promise<FileServiceEntry | undefined> {
    validateServiceId(serviceId);
    // No lock: writers replace the file atomically, so a read always sees a whole file, and
    // pollers don't contend with registrations (JS and Python take the lock on every poll).
    const data = await this.registryFile.read();
    return liveEntry(serviceId, getRaw(data, serviceId));
  }

  async discover(serviceId: string, options: DiscoverOptions = {}): Promise<FileServiceEntry> {
    validateServiceId(serviceId);
    const timeoutMs = registryMs(options.timeoutMs, 'timeoutMs', DEFAULT_DISCOVER_TIMEOUT_MS, 'timeout');
    const pollMs = registryMs(options.pollMs, 'pollMs', this.pollMs, 'interval');
    // A corrupt file may be a peer's half-finished non-atomic write (Go, JS 136808e): keep polling,
    // and only if it never recovers report the corruption as the reason.
    return pollForEntry({
      serviceId,
      timeoutMs,
      pollMs,
      signal: options.signal,
      where: this.file,
      lookup: () => this.lookup(serviceId),
    });
  }

  async list(prefix = ''): Promise<FileServiceEntry[]> {
    const data = await this.registryFile.read();
    const out: FileServiceEntry[] = [];
    for (const [id, raw] of Object.entries(data)) {
      if (!id.startsWith(prefix)) continue;
      const entry = liveEntry(id, raw);
      if (entry) out.push(entry);
    }
    return out.sort((a, b) => (a.serviceId < b.serviceId ? -1 : a.serviceId > b.serviceId ? 1 : 0));
  }
}

/**
 * Now as ISO, but never equal to the `started` being replaced: the lease token is pid + started, so
 * a re-registration within the same millisecond must still make the old lease stale.
 */
function uniqueStarted(previous: string | undefined): string {
  let now = Date.now();
  const before = previous === undefined ? NaN : Date.parse(previous);
  if (now <= before) now = before + 1;
  return new Date(now).toISOString();
}
