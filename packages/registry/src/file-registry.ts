/**
 * The file registry every public peer shares (PROTOCOL.md §7): `services.json` in
 * `$MULTIFROST_HOME` or `~/.multifrost`, changed only under `services.lock`, written atomically,
 * keeping other processes' entries and unknown keys untouched. A corrupt file is reported (and a
 * copy kept), never wiped.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ENV_HOME, MultifrostError } from '@multifrost/protocol';
import { isRegistrantAlive } from './pid-liveness.js';
import { withLock } from './registry-lock.js';
import type { DiscoverOptions, ServiceEntry, ServiceRegistry } from './types.js';

export interface FileServiceRegistryOptions {
  /** Directory holding services.json and services.lock. Default `$MULTIFROST_HOME` or `~/.multifrost`. */
  home?: string;
  /** How long to wait for the lock. Default 10000 ms. */
  lockTimeoutMs?: number;
  /** A lock older than this is stale and broken. Default 10000 ms. */
  staleLockMs?: number;
  /** Lock and discover poll interval. Default 100 ms. */
  pollMs?: number;
}

type RawRegistry = Record<string, unknown>;

const MAX_ID_LENGTH = 256;

export function defaultRegistryHome(): string {
  const env = process.env[ENV_HOME];
  return env && env.length > 0 ? path.resolve(env) : path.join(os.homedir(), '.multifrost');
}

export function registryPaths(home: string): { file: string; lock: string } {
  return { file: path.join(home, 'services.json'), lock: path.join(home, 'services.lock') };
}

function toEntry(serviceId: string, raw: unknown): ServiceEntry | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (!Number.isInteger(r.port) || !Number.isInteger(r.pid)) return undefined;
  const entry: ServiceEntry = { serviceId, port: r.port as number, pid: r.pid as number };
  const started = r.started ?? r.start_time;
  if (typeof started === 'string') entry.started = started;
  else if (typeof started === 'number') entry.started = String(started);
  return entry;
}

function liveEntry(serviceId: string, raw: unknown): ServiceEntry | undefined {
  const entry = toEntry(serviceId, raw);
  return entry && isRegistrantAlive(entry.pid, entry.started) ? entry : undefined;
}

function validateId(serviceId: unknown): asserts serviceId is string {
  if (typeof serviceId !== 'string' || serviceId.length === 0 || serviceId.length > MAX_ID_LENGTH) {
    throw new MultifrostError('INVALID_ARGUMENT', `A service id must be a non-empty string of at most ${MAX_ID_LENGTH} characters, got ${JSON.stringify(serviceId)}`);
  }
}

export class FileServiceRegistry implements ServiceRegistry {
  readonly home: string;
  readonly file: string;
  readonly lockFile: string;
  private readonly lockOptions: { timeoutMs: number; staleMs: number; pollMs: number };
  private readonly pollMs: number;
  private corruptCopied = new Set<string>();

  constructor(options: FileServiceRegistryOptions = {}) {
    this.home = options.home ? path.resolve(options.home) : defaultRegistryHome();
    const paths = registryPaths(this.home);
    this.file = paths.file;
    this.lockFile = paths.lock;
    this.pollMs = options.pollMs ?? 100;
    this.lockOptions = {
      timeoutMs: options.lockTimeoutMs ?? 10_000,
      staleMs: options.staleLockMs ?? 10_000,
      pollMs: this.pollMs,
    };
  }

  async register(serviceId: string, bind: number | (() => Promise<number>)): Promise<ServiceEntry> {
    validateId(serviceId);
    await fs.mkdir(this.home, { recursive: true, mode: 0o700 });
    return withLock(this.lockFile, this.lockOptions, async () => {
      const data = await this.read();
      const existing = liveEntry(serviceId, data[serviceId]);
      if (existing && existing.pid !== process.pid) {
        throw new MultifrostError(
          'ALREADY_REGISTERED',
          `Service '${serviceId}' already running (PID: ${existing.pid}, port: ${existing.port})`,
          { details: { ...existing } },
        );
      }
      const port = typeof bind === 'number' ? bind : await bind();
      if (!Number.isInteger(port) || port <= 0 || port > 65535) {
        throw new MultifrostError('INVALID_ARGUMENT', `register('${serviceId}'): port must be an integer in 1-65535, got ${String(port)}`);
      }
      const entry: ServiceEntry = { serviceId, port, pid: process.pid, started: new Date().toISOString() };
      data[serviceId] = { port, pid: process.pid, started: entry.started };
      await this.write(data);
      return entry;
    });
  }

  async unregister(serviceId: string): Promise<boolean> {
    validateId(serviceId);
    try {
      await fs.access(this.file);
    } catch {
      return false;
    }
    return withLock(this.lockFile, this.lockOptions, async () => {
      const data = await this.read();
      const entry = toEntry(serviceId, data[serviceId]);
      if (!entry || entry.pid !== process.pid) return false;
      delete data[serviceId];
      await this.write(data);
      return true;
    });
  }

  async lookup(serviceId: string): Promise<ServiceEntry | undefined> {
    validateId(serviceId);
    // Writers replace the file atomically, so a lock-free read always sees a whole file.
    const data = await this.read();
    return liveEntry(serviceId, data[serviceId]);
  }

  async discover(serviceId: string, options: DiscoverOptions = {}): Promise<ServiceEntry> {
    validateId(serviceId);
    const timeoutMs = options.timeoutMs ?? 5_000;
    const pollMs = options.pollMs ?? this.pollMs;
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      if (options.signal?.aborted) {
        throw new MultifrostError('ABORTED', `Discovery of service '${serviceId}' was aborted`, { cause: options.signal.reason });
      }
      try {
        const entry = await this.lookup(serviceId);
        if (entry) return entry;
        lastError = undefined;
      } catch (err) {
        lastError = err;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      await new Promise((r) => setTimeout(r, Math.min(pollMs, remaining)));
    }
    if (lastError) throw lastError;
    throw new MultifrostError('SERVICE_NOT_FOUND', `Service '${serviceId}' not found within ${timeoutMs}ms (registry ${this.file})`, {
      details: { serviceId, registry: this.file },
    });
  }

  async list(): Promise<ServiceEntry[]> {
    const data = await this.read();
    const out: ServiceEntry[] = [];
    for (const [id, raw] of Object.entries(data)) {
      const entry = liveEntry(id, raw);
      if (entry) out.push(entry);
    }
    return out.sort((a, b) => a.serviceId.localeCompare(b.serviceId));
  }

  private async read(): Promise<RawRegistry> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new MultifrostError('REGISTRY_CORRUPT', `Cannot read registry ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    if (text.trim().length === 0) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw await this.corrupt(text, `invalid JSON (${(err as Error).message})`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw await this.corrupt(text, `expected a JSON object keyed by service id, found ${Array.isArray(parsed) ? 'an array' : typeof parsed}`);
    }
    return parsed as RawRegistry;
  }

  private async corrupt(text: string, why: string): Promise<MultifrostError> {
    let copy = `${this.file}.corrupt`;
    if (!this.corruptCopied.has(text)) {
      copy = `${this.file}.corrupt-${Date.now()}`;
      await fs.writeFile(copy, text, { mode: 0o600 }).catch(() => undefined);
      this.corruptCopied.add(text);
    }
    return new MultifrostError(
      'REGISTRY_CORRUPT',
      `Registry ${this.file} is corrupt: ${why}. It was left untouched (a copy is in ${path.basename(copy)}); fix or remove it.`,
      { details: { file: this.file } },
    );
  }

  private async write(data: RawRegistry): Promise<void> {
    const tmp = `${this.file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const handle = await fs.open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(data, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.rename(tmp, this.file);
    } catch (err) {
      await fs.unlink(tmp).catch(() => undefined);
      throw err;
    }
    // Make the rename itself durable; best effort (not every platform can fsync a directory).
    const dir = await fs.open(this.home, 'r').catch(() => undefined);
    await dir?.sync().catch(() => undefined);
    await dir?.close();
  }
}
