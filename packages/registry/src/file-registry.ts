/**
 * `FileServiceRegistry`: the file registry every public peer shares (PROTOCOL.md §7).
 * `services.json` in `$MULTIFROST_HOME` or `~/.multifrost`, changed only under `services.lock`,
 * written atomically, keeping other processes' entries and unknown keys untouched.
 *
 * Same-PID re-registration is allowed and overwrites: the entry is ours, so "already running"
 * would only stop a process from re-registering after restarting its own server on a new port.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MultifrostError } from '@multifrost/protocol';
import { RegistryFile } from './registry-file.js';
import { defaultRegistryHome, registryPaths } from './registry-home.js';
import { withLock, type LockOptions } from './registry-lock.js';
import { getRaw, liveEntry, setRaw, toEntry, validateServiceId } from './service-entries.js';
import type { DiscoverOptions, ServiceEntry, ServiceRegistry } from './types.js';

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
  private readonly lockOptions: LockOptions;
  private readonly pollMs: number;
  private readonly registryFile: RegistryFile;

  constructor(options: FileServiceRegistryOptions = {}) {
    this.home = options.home ? path.resolve(options.home) : defaultRegistryHome();
    const paths = registryPaths(this.home);
    this.file = paths.file;
    this.lockFile = paths.lock;
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.lockOptions = {
      timeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
      staleMs: options.staleLockMs ?? DEFAULT_STALE_LOCK_MS,
      pollMs: this.pollMs,
    };
    this.registryFile = new RegistryFile(this.file);
  }

  async register(serviceId: string, bind: number | (() => Promise<number>)): Promise<ServiceEntry> {
    validateServiceId(serviceId);
    await fs.mkdir(this.home, { recursive: true, mode: 0o700 });
    return withLock(this.lockFile, this.lockOptions, async () => {
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
      // Bound while we hold the lock, so the port we record is really listening by the time
      // anyone can read it (the public peers register first and bind after).
      const port = typeof bind === 'number' ? bind : await bind();
      if (!Number.isInteger(port) || port <= 0 || port > 65535) {
        throw new MultifrostError('INVALID_ARGUMENT', `register('${serviceId}'): port must be an integer in 1-65535, got ${String(port)}`);
      }
      const entry: ServiceEntry = { serviceId, port, pid: process.pid, started: new Date().toISOString() };
      setRaw(data, serviceId, { port, pid: entry.pid, started: entry.started });
      await this.registryFile.write(data);
      return entry;
    });
  }

  async unregister(serviceId: string): Promise<boolean> {
    validateServiceId(serviceId);
    // No file, nothing of ours: don't create the directory or take the lock just to find that out.
    try {
      await fs.access(this.file);
    } catch {
      return false;
    }
    return withLock(this.lockFile, this.lockOptions, async () => {
      const data = await this.registryFile.read();
      const entry = toEntry(serviceId, getRaw(data, serviceId));
      if (!entry || entry.pid !== process.pid) return false;
      delete data[serviceId];
      await this.registryFile.write(data);
      return true;
    });
  }

  async lookup(serviceId: string): Promise<ServiceEntry | undefined> {
    validateServiceId(serviceId);
    // No lock: writers replace the file atomically, so a read always sees a whole file, and
    // pollers don't contend with registrations (JS and Python take the lock on every poll).
    const data = await this.registryFile.read();
    return liveEntry(serviceId, getRaw(data, serviceId));
  }

  async discover(serviceId: string, options: DiscoverOptions = {}): Promise<ServiceEntry> {
    validateServiceId(serviceId);
    const timeoutMs = options.timeoutMs ?? DEFAULT_DISCOVER_TIMEOUT_MS;
    const pollMs = options.pollMs ?? this.pollMs;
    const { signal } = options;
    const deadline = Date.now() + timeoutMs;
    // A corrupt file may be a peer's half-finished non-atomic write (Go, JS 136808e): keep polling,
    // and only if it never recovers report the corruption as the reason.
    let lastError: unknown;
    for (;;) {
      throwIfAborted(signal, serviceId);
      try {
        const entry = await this.lookup(serviceId);
        if (entry) return entry;
        lastError = undefined;
      } catch (err) {
        lastError = err;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      await abortableSleep(Math.min(pollMs, remaining), signal, serviceId);
    }
    if (lastError) throw lastError;
    throw new MultifrostError('SERVICE_NOT_FOUND', `Service '${serviceId}' not found within ${timeoutMs}ms (registry ${this.file})`, {
      details: { serviceId, registry: this.file, timeoutMs },
    });
  }

  async list(): Promise<ServiceEntry[]> {
    const data = await this.registryFile.read();
    const out: ServiceEntry[] = [];
    for (const [id, raw] of Object.entries(data)) {
      const entry = liveEntry(id, raw);
      if (entry) out.push(entry);
    }
    return out.sort((a, b) => (a.serviceId < b.serviceId ? -1 : a.serviceId > b.serviceId ? 1 : 0));
  }
}

function abortedError(signal: AbortSignal, serviceId: string): MultifrostError {
  return new MultifrostError('ABORTED', `Discovery of service '${serviceId}' was aborted`, { cause: signal.reason });
}

function throwIfAborted(signal: AbortSignal | undefined, serviceId: string): void {
  if (signal?.aborted) throw abortedError(signal, serviceId);
}

/** Sleeps, but an abort ends the wait at once rather than at the next poll. */
function abortableSleep(ms: number, signal: AbortSignal | undefined, serviceId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(signal!, serviceId));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
