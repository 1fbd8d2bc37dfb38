/**
 * Choosing a registry by URL (`registry: 'redis://host:6379/0'`, `MULTIFROST_REGISTRY`, the CLI's
 * `--registry`), shared by child, parent and CLI so that all three read a URL the same way. The
 * file registry stays the default. A remote backend lives in its own package, loaded only when a
 * URL names it; the `import()` itself stays with the caller (`loadRemote`), because a package can
 * only be resolved from one that declares it, and this package must not depend on its backends.
 */
import { fileURLToPath } from 'node:url';
import { MultifrostError } from '@multifrost/protocol';
import { FileServiceRegistry } from './file-registry.js';
import type {
  BindEndpoint,
  DiscoverOptions,
  RegisterOptions,
  RegistrationLease,
  ServiceEntry,
  ServiceRegistry,
} from './types.js';

/** What the `registry` option accepts: a registry, or the URL of one. */
export type RegistryChoice = ServiceRegistry | string;

/** Imports the backend for `url` (today only `redis:`/`rediss:`) and makes a registry on it. */
export type RemoteRegistryLoader = (url: string) => Promise<ServiceRegistry>;

export interface ChosenRegistry {
  registry: ServiceRegistry;
  /** Made here from a URL: whoever chose it closes it when done (a given registry is the caller's). */
  owned: boolean;
}

/** The package a `redis://` registry needs. */
export const REDIS_REGISTRY_PACKAGE = '@multifrost/registry-redis';

/**
 * `choice` when it is a registry; else the registry its URL (or `MULTIFROST_REGISTRY` in `env`)
 * names: `redis://…`/`rediss://…` (loaded on first use), `file:///dir` or `file` (the file
 * registry), nothing (the file registry under `MULTIFROST_HOME`). A bad URL fails here, at once.
 */
export function chooseRegistry(
  choice: RegistryChoice | undefined,
  loadRemote: RemoteRegistryLoader,
  env: NodeJS.ProcessEnv = process.env,
): ChosenRegistry {
  if (choice !== undefined && typeof choice !== 'string') {
    if (typeof choice !== 'object' || choice === null || typeof (choice as ServiceRegistry).discover !== 'function') {
      throw new MultifrostError(
        'INVALID_ARGUMENT',
        `registry must be a ServiceRegistry or a registry URL such as redis://127.0.0.1:6379/0, got ${describe(choice)}`,
      );
    }
    return { registry: choice, owned: false };
  }
  const from = choice !== undefined ? 'the registry option' : 'MULTIFROST_REGISTRY';
  const url = (choice ?? env.MULTIFROST_REGISTRY ?? '').trim();
  if (url === '' || url === 'file') return { registry: new FileServiceRegistry(), owned: true };
  if (/^file:/i.test(url)) {
    let home: string;
    try {
      home = fileURLToPath(url);
    } catch (err) {
      throw badUrl(url, from, err);
    }
    return { registry: new FileServiceRegistry({ home }), owned: true };
  }
  if (/^rediss?:\/\//i.test(url)) {
    if (!URL.canParse(url)) throw badUrl(url, from);
    return { registry: new DeferredRegistry(url, loadRemote), owned: true };
  }
  throw badUrl(url, from);
}

/**
 * For `loadRemote`: the error when the backend's package cannot be imported. A missing package
 * gets an install hint; anything else (a broken install) keeps its own message as the cause.
 */
export function remoteRegistryMissing(url: string, err: unknown): MultifrostError {
  const code = (err as { code?: unknown } | null)?.code;
  const missing =
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String(err).includes(REDIS_REGISTRY_PACKAGE);
  return new MultifrostError(
    'UNSUPPORTED',
    missing
      ? `The registry ${maskPassword(url)} needs the ${REDIS_REGISTRY_PACKAGE} package: install it next to multifrost (npm install ${REDIS_REGISTRY_PACKAGE})`
      : `The registry ${maskPassword(url)} could not be loaded from ${REDIS_REGISTRY_PACKAGE}: ${String(err)}`,
    { cause: err, details: { registry: maskPassword(url) } },
  );
}

/** The URL as it may be printed: a password never reaches a message or a log. */
export function maskPassword(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable registry URL>';
  }
}

function badUrl(url: string, from: string, cause?: unknown): MultifrostError {
  return new MultifrostError(
    'INVALID_ARGUMENT',
    `${from} is not a registry URL: ${JSON.stringify(maskPassword(url))}; use redis://host:6379/0 (rediss:// for TLS), file:///a/dir, or leave it unset for the file registry in MULTIFROST_HOME`,
    { cause, details: { registry: maskPassword(url) } },
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object without discover()';
  return typeof value;
}

/**
 * A registry whose backend is imported on first use, so choosing one stays synchronous (connect()
 * and a worker's options are read before anything is awaited) and a process that never reaches
 * the registry never loads it. A failed import is not remembered: installing the package and
 * trying again works without a restart.
 */
class DeferredRegistry implements ServiceRegistry {
  private loading: Promise<ServiceRegistry> | undefined;
  private loaded: ServiceRegistry | undefined;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly loadRemote: RemoteRegistryLoader,
  ) {}

  private backend(): Promise<ServiceRegistry> {
    if (this.closed) {
      return Promise.reject(new MultifrostError('CLOSED', `The registry ${maskPassword(this.url)} was closed`));
    }
    this.loading ??= this.loadRemote(this.url).then(
      (registry) => (this.loaded = registry),
      (err: unknown) => {
        this.loading = undefined;
        throw err;
      },
    );
    return this.loading;
  }

  async register(serviceId: string, bind: BindEndpoint, options?: RegisterOptions): Promise<RegistrationLease> {
    return (await this.backend()).register(serviceId, bind, options);
  }

  async renew(lease: RegistrationLease): Promise<void> {
    const backend = await this.backend();
    await backend.renew?.(lease);
  }

  async unregister(lease: RegistrationLease): Promise<boolean> {
    return (await this.backend()).unregister(lease);
  }

  async lookup(serviceId: string): Promise<ServiceEntry | undefined> {
    return (await this.backend()).lookup(serviceId);
  }

  async discover(serviceId: string, options?: DiscoverOptions): Promise<ServiceEntry> {
    return (await this.backend()).discover(serviceId, options);
  }

  async list(prefix?: string): Promise<ServiceEntry[]> {
    return (await this.backend()).list(prefix);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const loaded = this.loaded ?? (await this.loading?.catch(() => undefined));
    await loaded?.close?.();
  }

  toString(): string {
    return maskPassword(this.url);
  }
}
