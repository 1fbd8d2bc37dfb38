/**
 * What every registry backend's `discover` does alike: look the id up until a live entry appears,
 * the timeout passes or the signal aborts. A lookup that fails (a corrupt file mid-write, a Redis
 * that is away) is retried; only if the wait ends on a failure is that failure the answer, else
 * SERVICE_NOT_FOUND. Shared by the file registry and @multifrost/registry-redis.
 */
import { MultifrostError } from '@multifrost/protocol';
import { pause } from '@multifrost/protocol/internal';

export function abortedError(
  signal: AbortSignal,
  what: 'Discovery' | 'Registration',
  serviceId: string,
): MultifrostError {
  return new MultifrostError('ABORTED', `${what} of service '${serviceId}' was aborted`, {
    cause: signal.reason,
    details: { serviceId },
  });
}

export function throwIfAborted(
  signal: AbortSignal | undefined,
  what: 'Discovery' | 'Registration',
  serviceId: string,
): void {
  if (signal?.aborted) throw abortedError(signal, what, serviceId);
}

export interface DiscoveryPoll<E> {
  serviceId: string;
  timeoutMs: number;
  pollMs: number;
  signal: AbortSignal | undefined;
  /** Where the registry is, for the not-found message (a file path, a redacted URL). */
  where: string;
  lookup: () => Promise<E | undefined>;
  /** A lookup failure that must end the wait at once (a closed registry). */
  fatal?: (err: unknown) => boolean;
}

export async function pollForEntry<E>(poll: DiscoveryPoll<E>): Promise<E> {
  const { serviceId, timeoutMs, pollMs, signal, where } = poll;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    throwIfAborted(signal, 'Discovery', serviceId);
    try {
      const entry = await poll.lookup();
      if (entry) return entry;
      lastError = undefined;
    } catch (err) {
      if (poll.fatal?.(err)) throw err;
      lastError = err;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await pause(Math.min(pollMs, remaining), signal);
  }
  if (lastError) throw lastError;
  throw new MultifrostError(
    'SERVICE_NOT_FOUND',
    `Service '${serviceId}' not found within ${timeoutMs}ms (registry ${where})`,
    {
      details: { serviceId, registry: where, timeoutMs },
    },
  );
}
