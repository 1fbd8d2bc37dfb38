/**
 * The service registry contract seen by parent and child. It is shaped so that three kinds of
 * backend map onto it one to one: the file registry every public peer shares (liveness by PID), a
 * TTL store such as Redis (`SET NX PX`, token-checked refresh and delete), and a lease store such
 * as etcd (leases with keepalive, put-if-absent transactions, prefix reads, watches). The mapping
 * is in docs/connect-mode.md, "Writing a registry backend".
 */

/** One registered service, as discovered. */
export interface ServiceEntry {
  serviceId: string;
  /**
   * Where a parent connects, exactly as the service's `bind()` reported it:
   * `tcp://127.0.0.1:41234`, `ipc:///run/app/math.sock`, ...
   */
  endpoint: string;
  /** The host part of a TCP endpoint, when there is one. */
  host?: string;
  /** The port of a TCP endpoint, when there is one (the file registry always has one). */
  port?: number;
  /** The registering process, where the backend records it (the file registry does). */
  pid?: number;
  /** When the service registered, as written by whichever peer registered it (`started` or `start_time`). */
  started?: string;
  /**
   * The service's CURVE public key (Z85), when it serves CURVE only; a parent then connects with
   * it as the server key, so a process without the matching secret cannot pose as the service.
   * Stored as `curve_public_key` in services.json.
   */
  curvePublicKey?: string;
}

/**
 * Proof of one registration, returned by `register` and required by `renew` and `unregister`, so a
 * process can only extend or remove the entry it wrote: never a newer registration of the same id
 * by someone else (a restarted service, or one that took over an expired id).
 */
export interface RegistrationLease {
  readonly serviceId: string;
  /**
   * Opaque to callers. The file registry derives it from the entry's pid and `started`; a TTL
   * backend stores a random one in the entry; etcd can use the lease id.
   */
  readonly token: string;
  /** The entry as registered. */
  readonly entry: ServiceEntry;
  /**
   * Set by backends whose entries expire: the entry disappears this long after the last
   * registration or `renew` unless renewed again. Undefined: no expiry (the file registry drops an
   * entry when its process is gone instead).
   */
  readonly ttlMs?: number;
}

export interface RegisterOptions {
  /** Gives up waiting (for a lock, a backend) with `ABORTED`. Once recorded, the entry stays. */
  signal?: AbortSignal;
  /** Recorded in the entry: the service's CURVE public key (Z85). */
  curvePublicKey?: string;
}

export interface DiscoverOptions {
  /**
   * Give up after this long with `SERVICE_NOT_FOUND`; 0 looks once.
   * @default 5000
   */
  timeoutMs?: number;
  /**
   * Poll interval, for backends that poll (the file registry does; etcd can watch instead).
   * @default 100
   */
  pollMs?: number;
  /** Stops waiting at once with `ABORTED`. */
  signal?: AbortSignal;
}

/** What `bind` resolves to in `register`: the endpoint parents should connect to. */
export type BindEndpoint = () => Promise<string>;

export interface ServiceRegistry {
  /**
   * Registers `serviceId` for this process and resolves with the lease. Fails with
   * `ALREADY_REGISTERED` if a live registrant holds the id. `bind` is called once the id is known
   * to be free (the file registry calls it while holding its lock), and the endpoint it resolves
   * to is what gets recorded, so a discovered endpoint is always bound. If `bind` rejects, nothing
   * is recorded and `register` rejects with that error.
   */
  register(serviceId: string, bind: BindEndpoint, options?: RegisterOptions): Promise<RegistrationLease>;

  /**
   * For backends whose entries expire (`lease.ttlMs` set): extends the lease by another `ttlMs`.
   * The registrant calls it well inside the TTL (every `ttlMs / 3`). Rejects with `LEASE_LOST`
   * when the entry expired or now belongs to another registration; the caller then registers
   * again or stops. Backends without expiry leave it out.
   */
  renew?(lease: RegistrationLease): Promise<void>;

  /**
   * Removes the entry if it is still the one this lease registered (token check). Resolves true
   * when something was removed, false when the entry was gone or belongs to someone else.
   */
  unregister(lease: RegistrationLease): Promise<boolean>;

  /** One look: the live entry for `serviceId`, or undefined. */
  lookup(serviceId: string): Promise<ServiceEntry | undefined>;
  /** Waits until a live entry appears; `SERVICE_NOT_FOUND` after the timeout, `ABORTED` on abort. */
  discover(serviceId: string, options?: DiscoverOptions): Promise<ServiceEntry>;
  /** Every live entry whose id starts with `prefix` (all of them without one), sorted by id. */
  list(prefix?: string): Promise<ServiceEntry[]>;

  /**
   * Releases what the registry holds open (a Redis connection). A registry made from a URL by a
   * worker or the CLI is closed by whoever made it; one you pass in stays yours to close. Leases
   * are not ended: a registrant unregisters first. Backends holding nothing leave it out.
   */
  close?(): Promise<void>;
}
