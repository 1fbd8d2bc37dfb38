/**
 * The registry's entries as every peer writes them: a JSON object keyed by service id, each entry
 * `{port, pid, started}` — or `start_time` (Go), or with keys we don't know. We read what we can
 * and leave every other byte of meaning alone, because the entry may belong to another peer.
 */
import { MultifrostError } from '@multifrost/protocol';
import { isRegistrantAlive } from './pid-liveness.js';
import { LOOPBACK_HOST, loopbackEndpoint } from './tcp-endpoint.js';
import type { ServiceEntry } from './types.js';

/** The parsed file, exactly as read: entries we can't interpret are kept for the next write. */
export type RawRegistry = Record<string, unknown>;

export const MAX_SERVICE_ID_LENGTH = 256;

export function validateServiceId(serviceId: unknown): asserts serviceId is string {
  if (typeof serviceId !== 'string' || serviceId.length === 0 || serviceId.length > MAX_SERVICE_ID_LENGTH) {
    throw new MultifrostError(
      'INVALID_ARGUMENT',
      `A service id must be a non-empty string of at most ${MAX_SERVICE_ID_LENGTH} characters, got ${JSON.stringify(serviceId) ?? String(serviceId)}`,
    );
  }
}

/** A Z85 CURVE key is 40 characters of its alphabet; a registry stores it, so a typo must not pass (a wrong key would lock every parent out). */
export function checkCurveKey(serviceId: string, key: unknown): string {
  if (typeof key !== 'string' || !/^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/.test(key)) {
    throw new MultifrostError(
      'INVALID_ARGUMENT',
      `register('${serviceId}'): curvePublicKey must be a 40-character Z85 key, got ${JSON.stringify(key) ?? String(key)}`,
    );
  }
  return key;
}

// Service ids are arbitrary strings, so `__proto__`, `constructor` or `toString` must be plain keys:
// `data[id]` would read Object.prototype's members, and `data['__proto__'] = x` would set the
// prototype and vanish from JSON.stringify — a registration that "succeeds" and is never written.
export function getRaw(data: RawRegistry, serviceId: string): unknown {
  return Object.hasOwn(data, serviceId) ? data[serviceId] : undefined;
}

export function setRaw(data: RawRegistry, serviceId: string, value: unknown): void {
  Object.defineProperty(data, serviceId, { value, enumerable: true, writable: true, configurable: true });
}

/** A file entry always has these: the peers' `port` and `pid`. */
export type FileServiceEntry = ServiceEntry & { port: number; pid: number };

/**
 * The entry's port/pid/started, with the endpoint the peers imply (loopback TCP on that port), or
 * undefined when it has no integer port and pid (skipped, not dropped).
 */
export function toEntry(serviceId: string, raw: unknown): FileServiceEntry | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  if (!Number.isInteger(r.port) || !Number.isInteger(r.pid)) return undefined;
  const port = r.port as number;
  const entry: FileServiceEntry = {
    serviceId,
    endpoint: loopbackEndpoint(port),
    host: LOOPBACK_HOST,
    port,
    pid: r.pid as number,
  };
  // Go writes `start_time`; Rust writes unix seconds, which some writers may emit as a number.
  const started = r.started ?? r.start_time;
  if (typeof started === 'string') entry.started = started;
  else if (typeof started === 'number' && Number.isFinite(started)) entry.started = String(started);
  if (typeof r.curve_public_key === 'string') entry.curvePublicKey = r.curve_public_key;
  return entry;
}

/** The entry, if the process that registered it is still the one alive under its PID. */
export function liveEntry(serviceId: string, raw: unknown): FileServiceEntry | undefined {
  const entry = toEntry(serviceId, raw);
  return entry && isRegistrantAlive(entry.pid, entry.started) ? entry : undefined;
}

/**
 * The file registry's lease token: the registrant's pid and `started`, which together name one
 * registration (a re-registration writes a new `started`), so no secret needs storing on disk.
 */
export function entryToken(entry: { pid: number; started?: string }): string {
  return `${entry.pid}@${entry.started ?? ''}`;
}
