/**
 * One service as stored under its Redis key: a JSON object with the endpoint, its host and port,
 * the registrant's pid and start time, the wire protocol, the CURVE public key when there is one,
 * and the lease token. The snake_case names are the file registry's and the Python module's, so
 * any peer that reads one reads the other. Readers skip an entry they cannot use rather than fail
 * the whole lookup or list: the key may have been written by someone else.
 */
import type { ServiceEntry } from '@multifrost/registry';

/** The protocol a registrant speaks, recorded so a future peer can refuse what it cannot talk to. */
export const ENTRY_PROTOCOL = 'comlink_ipc_v4';

export interface StoredEntry {
  endpoint: string;
  host?: string;
  port?: number;
  pid: number;
  started: string;
  protocol: string;
  curve_public_key?: string;
  token: string;
}

export function encodeEntry(entry: ServiceEntry, token: string): string {
  const stored: StoredEntry = {
    endpoint: entry.endpoint,
    ...(entry.host !== undefined ? { host: entry.host } : {}),
    ...(entry.port !== undefined ? { port: entry.port } : {}),
    pid: entry.pid ?? process.pid,
    started: entry.started ?? new Date().toISOString(),
    protocol: ENTRY_PROTOCOL,
    ...(entry.curvePublicKey !== undefined ? { curve_public_key: entry.curvePublicKey } : {}),
    token,
  };
  return JSON.stringify(stored);
}

/** The entry without its token (tokens stay inside leases), or undefined when `raw` is not one. */
export function decodeEntry(serviceId: string, raw: string | null | undefined): ServiceEntry | undefined {
  if (typeof raw !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const r = value as Record<string, unknown>;
  if (typeof r.endpoint !== 'string' || r.endpoint.length === 0) return undefined;
  const entry: ServiceEntry = { serviceId, endpoint: r.endpoint };
  if (typeof r.host === 'string') entry.host = r.host;
  if (Number.isInteger(r.port)) entry.port = r.port as number;
  if (Number.isInteger(r.pid)) entry.pid = r.pid as number;
  if (typeof r.started === 'string') entry.started = r.started;
  if (typeof r.curve_public_key === 'string') entry.curvePublicKey = r.curve_public_key;
  return entry;
}

/** The host and port of a `tcp://host:port` endpoint (brackets kept off an IPv6 host); none for ipc:// and the like. */
export function tcpParts(endpoint: string): { host?: string; port?: number } {
  const m = /^tcp:\/\/(\[[^\]]*\]|[^:/[\]]+):(\d+)$/.exec(endpoint);
  if (!m) return {};
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  const port = Number(m[2]);
  return Number.isInteger(port) && port > 0 && port <= 65535 ? { host, port } : { host };
}
