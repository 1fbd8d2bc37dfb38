/**
 * Reading and writing `services.json`. Writes are atomic (temp file in the same directory, fsync,
 * rename over), so a reader — ours, or Go's lock-free Discover — always sees a whole file. A file
 * that doesn't parse is reported and copied aside, never wiped: it may hold other peers' services.
 * Only a regular file of bounded size is read, without blocking (safe-read.ts), and other peers'
 * bytes survive a rewrite exactly, valid UTF-8 or not (byte-exact-text.ts).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MultifrostError } from '@multifrost/protocol';
import { decodeKeepingBytes, encodeKeepingBytes } from './byte-exact-text.js';
import { readRegularFile } from './safe-read.js';
import type { RawRegistry } from './service-entries.js';

/** Far above any real registry (about 200 bytes per service), far below what would hurt memory. */
export const DEFAULT_MAX_REGISTRY_BYTES = 16 * 1024 * 1024;

export class RegistryFile {
  /** Contents already copied aside by this instance, so discover's polling doesn't re-scan each time. */
  private readonly copied = new Map<string, string>();

  constructor(
    readonly file: string,
    private readonly maxBytes = DEFAULT_MAX_REGISTRY_BYTES,
  ) {}

  /** The parsed registry; missing or empty (whitespace only) is an empty registry. */
  async read(): Promise<RawRegistry> {
    const read = await readRegularFile(this.file, this.maxBytes);
    if (read.kind === 'missing') return {};
    if (read.kind === 'refused') {
      // Not corruption as such (a FIFO, a symlink, EACCES, too big), but the same outcome: we can't
      // trust what we'd write back, so refuse rather than replace it.
      throw new MultifrostError('REGISTRY_CORRUPT', `Cannot read registry ${this.file}: ${read.why}`, {
        details: { file: this.file, code: read.code },
      });
    }
    const bytes = read.bytes;
    const text = decodeKeepingBytes(bytes);
    if (text.trim().length === 0) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw await this.corrupt(bytes, `invalid JSON (${(err as Error).message})`, err);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      const found = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`;
      throw await this.corrupt(bytes, `expected a JSON object keyed by service id, found ${found}`);
    }
    return parsed as RawRegistry;
  }

  /** Replaces the file atomically. Call only under the registry lock. */
  async write(data: RawRegistry): Promise<void> {
    const dir = path.dirname(this.file);
    // Unique per writer: the fixed `services.json.tmp` of Rust and JS d8419e0 is shared between
    // writers, and two of them would interleave in it.
    const tmp = `${this.file}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`;
    try {
      const handle = await fs.open(tmp, 'wx', 0o600);
      try {
        await handle.writeFile(encodeKeepingBytes(`${JSON.stringify(data, null, 2)}\n`));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(tmp, this.file);
    } catch (err) {
      await fs.unlink(tmp).catch(() => undefined);
      throw err;
    }
    // Makes the rename itself survive a power cut. Best effort: not every platform can fsync a directory.
    const dirHandle = await fs.open(dir, 'r').catch(() => undefined);
    if (dirHandle) {
      await dirHandle.sync().catch(() => undefined);
      await dirHandle.close().catch(() => undefined);
    }
  }

  /** Keeps one byte-exact copy of a corrupt file (per distinct content) and builds the error. */
  private async corrupt(bytes: Buffer, why: string, cause?: unknown): Promise<MultifrostError> {
    const key = bytes.toString('latin1');
    let copy = this.copied.get(key);
    if (copy === undefined) {
      copy = (await this.existingCopy(bytes)) ?? (await this.makeCopy(bytes));
      if (copy !== undefined) this.copied.set(key, copy);
    }
    const kept = copy === undefined ? 'no copy could be written' : `a copy is in ${copy}`;
    return new MultifrostError(
      'REGISTRY_CORRUPT',
      `Registry ${this.file} is corrupt: ${why}. It was left untouched (${kept}); fix or remove it.`,
      { cause, details: { file: this.file, copy } },
    );
  }

  /** A copy some earlier reader (maybe another process) already made of these bytes. */
  private async existingCopy(bytes: Buffer): Promise<string | undefined> {
    const dir = path.dirname(this.file);
    const prefix = `${path.basename(this.file)}.corrupt-`;
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.startsWith(prefix)).sort()) {
      const candidate = path.join(dir, name);
      const other = await readRegularFile(candidate, bytes.length);
      if (other.kind === 'bytes' && other.bytes.equals(bytes)) return candidate;
    }
    return undefined;
  }

  private async makeCopy(bytes: Buffer): Promise<string | undefined> {
    const base = `${this.file}.corrupt-${Date.now()}`;
    for (const name of [base, `${base}-${process.pid}`]) {
      try {
        await fs.writeFile(name, bytes, { flag: 'wx', mode: 0o600 });
        return name;
      } catch {
        // Taken by another reader in the same millisecond (try the pid-suffixed name), or unwritable.
      }
    }
    return undefined;
  }
}
