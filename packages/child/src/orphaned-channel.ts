/**
 * When a spawning parent dies without closing (SIGKILL, a crash), the private channel it made
 * (`ipc://<tmp>/multifrost-XXXXXX/w.sock`, see docs/security.md) would stay behind: the parent
 * can no longer remove it, and this worker is the last process that knows where it is. So the
 * worker removes it on its way out. Only that exact shape is touched, and `rmdir` refuses a
 * directory that holds anything else, so nothing but the socket and its empty folder can go.
 */
import { rmdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';

export function removeOrphanedChannel(endpoint: string | undefined): void {
  if (!endpoint?.startsWith('ipc://')) return;
  const socket = endpoint.slice('ipc://'.length);
  const dir = path.dirname(socket);
  if (path.basename(socket) !== 'w.sock' || !/^multifrost-[A-Za-z0-9]{6}$/.test(path.basename(dir))) return;
  try {
    unlinkSync(socket);
    rmdirSync(dir);
  } catch {
    // Already gone, or not ours to remove: either way there is nothing more to do.
  }
}
