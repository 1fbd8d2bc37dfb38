// The worked example of docs/connect-mode.md ("A registry of your own"), as a file the tests run.
// Everything below the imports must stay identical to the doc's `// memory-registry.ts` block;
// memory-registry.test.ts compares them. The doc imports from 'multifrost' instead.
import { randomUUID } from 'node:crypto';
import { MultifrostError } from '@multifrost/protocol';
import type {
  DiscoverOptions,
  RegisterOptions,
  RegistrationLease,
  ServiceEntry,
  ServiceRegistry,
} from '../src/index.js';

/** Services known to this process only: a service and its parents running in one process, or tests. */
export class MemoryServiceRegistry implements ServiceRegistry {
  private readonly held = new Map<string, { entry: ServiceEntry; token: string }>();
  private readonly waiting = new Set<() => void>();

  async register(
    serviceId: string,
    bind: () => Promise<string>,
    options: RegisterOptions = {},
  ): Promise<RegistrationLease> {
    if (options.signal?.aborted) throw aborted('Registration', serviceId, options.signal);
    if (this.held.has(serviceId))
      throw new MultifrostError('ALREADY_REGISTERED', `Service '${serviceId}' is already registered`);
    const endpoint = await bind();
    // Someone may have taken the id while we were binding.
    if (this.held.has(serviceId))
      throw new MultifrostError('ALREADY_REGISTERED', `Service '${serviceId}' is already registered`);
    const entry: ServiceEntry = { serviceId, endpoint, pid: process.pid, started: new Date().toISOString() };
    // A CURVE service's public key: parents connect only to whoever proves it holds the secret.
    if (options.curvePublicKey !== undefined) entry.curvePublicKey = options.curvePublicKey;
    const token = randomUUID();
    this.held.set(serviceId, { entry, token });
    for (const wake of this.waiting) wake();
    return { serviceId, token, entry: { ...entry } };
  }

  async unregister(lease: RegistrationLease): Promise<boolean> {
    // Only the registration this lease came from: not a newer one under the same id.
    if (this.held.get(lease.serviceId)?.token !== lease.token) return false;
    return this.held.delete(lease.serviceId);
  }

  async lookup(serviceId: string): Promise<ServiceEntry | undefined> {
    const found = this.held.get(serviceId);
    return found && { ...found.entry };
  }

  async list(prefix = ''): Promise<ServiceEntry[]> {
    return [...this.held.values()]
      .map(({ entry }) => ({ ...entry }))
      .filter((entry) => entry.serviceId.startsWith(prefix))
      .sort((a, b) => (a.serviceId < b.serviceId ? -1 : a.serviceId > b.serviceId ? 1 : 0));
  }

  discover(serviceId: string, { timeoutMs = 5_000, signal }: DiscoverOptions = {}): Promise<ServiceEntry> {
    return new Promise((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        this.waiting.delete(check);
        signal?.removeEventListener('abort', onAbort);
      };
      const check = () => {
        const found = this.held.get(serviceId);
        if (found) {
          finish();
          resolve({ ...found.entry });
        }
      };
      const onAbort = () => {
        finish();
        reject(aborted('Discovery', serviceId, signal!));
      };
      const timer = setTimeout(() => {
        finish();
        reject(
          new MultifrostError('SERVICE_NOT_FOUND', `Service '${serviceId}' not found within ${timeoutMs}ms`, {
            details: { serviceId, timeoutMs },
          }),
        );
      }, timeoutMs);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.add(check);
      check(); // already there: resolves before even a 0 ms timeout fires
    });
  }
}

function aborted(what: string, serviceId: string, signal: AbortSignal): MultifrostError {
  return new MultifrostError('ABORTED', `${what} of service '${serviceId}' was aborted`, { cause: signal.reason });
}
