/**
 * A pause that an abort ends early, resolving (never rejecting): the caller's loop sees the
 * aborted signal on its next check and stops. Shared by the registry's lock wait and the parent's
 * search for a service that went away; `unref` lets a background search not keep the process alive.
 */
export function pause(ms: number, signal?: AbortSignal, options: { unref?: boolean } = {}): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (options.unref) timer.unref();
    signal?.addEventListener('abort', done, { once: true });
  });
}
