/**
 * The errors the Redis registry raises, worded once: where the registry is (its URL with any
 * password masked, since messages end up in logs) and which operation on which service failed.
 */
import { MultifrostError } from '@multifrost/protocol';
import { maskPassword, type ServiceEntry } from '@multifrost/registry';

/** The URL as it may be printed: `redis://user:***@host:6379/0`. */
export const redactUrl = maskPassword;

export function unavailable(where: string, what: string, cause: unknown): MultifrostError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new MultifrostError(
    'REGISTRY_UNAVAILABLE',
    `The Redis registry at ${where} is unavailable (${what}): ${reason}`,
    {
      cause,
      details: { registry: where },
    },
  );
}

export function alreadyRegistered(serviceId: string, where: string, held: ServiceEntry | undefined): MultifrostError {
  const by = held
    ? `(PID: ${String(held.pid)}, endpoint: ${held.endpoint}${held.host ? `, host: ${held.host}` : ''})`
    : '(its key holds something that is not a Multifrost entry)';
  return new MultifrostError('ALREADY_REGISTERED', `Service '${serviceId}' already running ${by} in ${where}`, {
    details: { serviceId, registry: where, ...(held ? { ...held } : {}) },
  });
}
