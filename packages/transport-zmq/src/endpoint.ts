/**
 * TCP endpoint strings: building them the one way the peer tracker also sees them (libzmq reports
 * events under the endpoint string as given), reading the real port back, and telling loopback
 * interfaces apart from exposed ones.
 */
import { MultifrostError } from '@multifrost/protocol';

const LOOPBACK: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host);
}

/** IPv6 literals need brackets in a ZMQ endpoint; callers may pass them with or without. */
export function tcpEndpoint(host: string, port: number | '*'): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `tcp://${h}:${port}`;
}

export function isIpv6(host: string): boolean {
  return host.includes(':');
}

/** `tcp://127.0.0.1:41234` → 41234. libzmq writes the resolved port into `lastEndpoint`. */
export function portOf(endpoint: string): number {
  const port = Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
  if (!Number.isInteger(port) || port <= 0) {
    throw new MultifrostError('TRANSPORT', `Could not read the bound port from ${JSON.stringify(endpoint)}`);
  }
  return port;
}

export function checkPort(what: string, port: number, allowZero: boolean): void {
  const min = allowZero ? 0 : 1;
  if (!Number.isInteger(port) || port < min || port > 65535) {
    throw new MultifrostError('INVALID_ARGUMENT', `${what}: port must be an integer in ${min}-65535, got ${String(port)}`);
  }
}

/** `tcp://[::1]:41234` → `::1`, `tcp://127.0.0.1:41234` → `127.0.0.1`. */
export function hostOf(endpoint: string): string {
  const rest = endpoint.slice(endpoint.indexOf('://') + 3, endpoint.lastIndexOf(':'));
  return rest.startsWith('[') ? rest.slice(1, -1) : rest;
}
