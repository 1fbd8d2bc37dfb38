/**
 * When a spawning parent dies without closing (SIGKILL, a crash), the private channel it made
 * (`ipc://<tmp>/multifrost-XXXXXX/w.sock`, see docs/security.md) would stay behind: the parent
 * can no longer remove it, and this worker is the last process that knows where it is. So the
 * worker removes it on its way out. Only that exact shape is touched, and `rmdir` refuses a
 * directory that holds anything else, so nothing but the socket and its empty folder can go.
 * The parent watch's thread does the same removal when the main thread is too busy to (it is
 * handed the paths, since it cannot import this module).
 */
import { rmdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';

/** The socket and folder of our private channel, or undefined when the endpoint is not one. */
export function orphanedChannelPaths(endpoint: string | undefined): { socket: string; dir: string } | undefined {
  if (!endpoint?.startsWith('ipc://')) return undefined;
  const socket = endpoint.slice('ipc://'.length);
  const dir = path.dirname(socket);
  if (path.basename(socket) !== 'w.sock' || !/^multifrost-[A-Za-z0-9]{6}$/.test(path.basename(dir))) return undefined;
  return { socket, dir };
}

export function removeOrphanedChannel(endpoint: string | undefined): void {
  const paths = orphanedChannelPaths(endpoint);
  if (!paths) return;
  try {
    unlinkSync(paths.socket);
    rmdirSync(paths.dir);
  } catch {
    // Already gone, or not ours to remove: either way there is nothing more to do.
  }
}
