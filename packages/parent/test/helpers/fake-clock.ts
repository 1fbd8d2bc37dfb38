// What the parent's tests over the in-memory transport share: fake timers (the memory transport
// delivers on microtasks, which stay real), a cleanup list run after each test, and a way to take
// the MultifrostError a call rejects with.
import { isMultifrostError, type MultifrostError } from '@multifrost/protocol';
import { afterEach, beforeEach, vi } from 'vitest';

/** Installs fake timers around each test of the calling file; returns its cleanup list. */
export function useFakeClock(): (() => Promise<unknown>)[] {
  const cleanup: (() => Promise<unknown>)[] = [];
  beforeEach(() => {
    vi.useFakeTimers({
      toFake: [
        'setTimeout',
        'clearTimeout',
        'setInterval',
        'clearInterval',
        'setImmediate',
        'clearImmediate',
        'Date',
        'performance',
      ],
    });
  });
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
    vi.useRealTimers();
  });
  return cleanup;
}

/** The MultifrostError `p` rejects with; throws when it resolves or rejects with anything else. */
export async function failure(p: Promise<unknown>): Promise<MultifrostError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMultifrostError(err)) throw new Error(`expected a MultifrostError, got ${String(err)}`);
  return err;
}
