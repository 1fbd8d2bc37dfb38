/**
 * The service registry seen by parent and child: an interface, so a file registry (the one every
 * public peer shares) or a future network registry can stand behind it.
 */

export interface ServiceEntry {
  serviceId: string;
  port: number;
  pid: number;
  /** When the service registered, as written by whichever peer registered it (`started` or `start_time`). */
  started?: string;
}

export interface DiscoverOptions {
  /** Give up after this long. Default 5000 ms. */
  timeoutMs?: number;
  /** Poll interval. Default 100 ms. */
  pollMs?: number;
  signal?: AbortSignal;
}

export interface ServiceRegistry {
  /**
   * Registers `serviceId` for this process. Under the registry lock: fails with
   * `ALREADY_REGISTERED` if a live process holds the id; otherwise obtains the port (calling
   * `bind` while holding the lock, so the recorded port is really bound) and records it.
   */
  register(serviceId: string, bind: number | (() => Promise<number>)): Promise<ServiceEntry>;
  /** Removes the entry if this process owns it. Resolves true when something was removed. */
  unregister(serviceId: string): Promise<boolean>;
  /** One look: the live entry for `serviceId`, or undefined. */
  lookup(serviceId: string): Promise<ServiceEntry | undefined>;
  /** Polls until a live entry appears; rejects with `SERVICE_NOT_FOUND` after the timeout. */
  discover(serviceId: string, options?: DiscoverOptions): Promise<ServiceEntry>;
  /** Every entry whose process is alive. */
  list(): Promise<ServiceEntry[]>;
}
