/**
 * Reads a registry file only if it is a regular file of bounded size, without ever blocking.
 *
 * `fs.readFile` follows symlinks, opens a FIFO and then waits forever for a writer, and reads a
 * file of any size into memory: a `services.json` replaced by a FIFO made connect() and register()
 * hang past their timeouts, and a 200 MB one took register() to 1.37 GB. Here the file is opened
 * with O_NOFOLLOW (a symlink fails at once with ELOOP) and O_NONBLOCK (a FIFO opens without a
 * writer), and the descriptor is checked with fstat before anything is read, so there is no
 * window between the check and the read.
 */
import { constants, promises as fs } from 'node:fs';

export type SafeRead =
  | { kind: 'missing' }
  | { kind: 'bytes'; bytes: Buffer }
  | { kind: 'refused'; why: string; code?: string };

const FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

export async function readRegularFile(file: string, maxBytes: number): Promise<SafeRead> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    if (code === 'ELOOP') return { kind: 'refused', why: 'it is a symbolic link', code };
    return { kind: 'refused', why: (err as Error).message, code };
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return { kind: 'refused', why: `it is ${describeType(st)}, not a regular file` };
    if (st.size > maxBytes) return { kind: 'refused', why: `it is ${st.size} bytes, over the ${maxBytes}-byte cap` };
    // The file may change between fstat and the reads: grow the buffer as needed, up to one byte
    // past the cap, which is how a file that grew too large is noticed.
    let buffer = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) return { kind: 'refused', why: `it grew past the ${maxBytes}-byte cap while read` };
      if (length === buffer.length) {
        const bigger = Buffer.alloc(Math.min(buffer.length * 2, maxBytes + 1));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
    }
    return { kind: 'bytes', bytes: buffer.subarray(0, length) };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function describeType(st: import('node:fs').Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}
