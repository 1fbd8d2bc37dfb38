/**
 * Connect mode on a registry whose entries expire (a lease with `ttlMs`, e.g. Redis or etcd): the
 * registration is renewed every `ttlMs / 3`, and when the backend reports it lost (it expired, or
 * the id was taken over) the worker registers again with the endpoint it is still bound to, so it
 * stays discoverable. The file registry has no expiry, so for it this does nothing.
 */
import { isMultifrostError } from '@multifrost/protocol';
import { createDebug, timerDelay } from '@multifrost/protocol/internal';
import type { RegistrationLease, ServiceRegistry } from '@multifrost/registry';

const debug = createDebug('multifrost:child');

export class LeaseKeeper {
  private current: RegistrationLease;
  private readonly registry: ServiceRegistry;
  private timer: NodeJS.Timeout | undefined;
  /** A renew still running: the next tick waits rather than racing it. */
  private busy = false;

  constructor(registry: ServiceRegistry, lease: RegistrationLease) {
    this.registry = registry;
    this.current = lease;
  }

  /** The lease to unregister with: a re-registration replaces the first one. */
  get lease(): RegistrationLease {
    return this.current;
  }

  start(): void {
    const ttl = this.current.ttlMs;
    // A ttl of Infinity is a lease that never expires, and 0, a negative or NaN gives no period to
    // renew in; setInterval would turn any of them into a 1 ms loop.
    if (!this.registry.renew || !(ttl !== undefined && ttl > 0 && Number.isFinite(ttl)) || this.timer) return;
    this.timer = setInterval(() => void this.tick(), Math.max(1, timerDelay(Math.floor(ttl / 3))));
    // Renewing must not keep an otherwise finished process alive.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.registry.renew!(this.current);
    } catch (err) {
      if (isMultifrostError(err) && err.code === 'LEASE_LOST') await this.reregister();
      else debug('renewing %s failed: %s', this.current.serviceId, String(err));
    } finally {
      this.busy = false;
    }
  }

  private async reregister(): Promise<void> {
    const { serviceId, entry } = this.current;
    debug('lease for %s lost; registering %s again', serviceId, entry.endpoint);
    try {
      const lease = await this.registry.register(
        serviceId,
        () => Promise.resolve(entry.endpoint),
        // The socket is still the CURVE one it was: the new entry must name the same key.
        entry.curvePublicKey === undefined ? undefined : { curvePublicKey: entry.curvePublicKey },
      );
      if (!this.timer) {
        // stop() ran meanwhile and the worker unregistered the old lease: take this one back out too.
        await this.registry.unregister(lease).catch(() => false);
        return;
      }
      this.current = lease;
    } catch (err) {
      // Someone else holds the id now; try again on the next tick, they may go away.
      debug('registering %s again failed: %s', serviceId, String(err));
    }
  }
}
