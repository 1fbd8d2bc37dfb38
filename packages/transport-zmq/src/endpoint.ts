/**
 * Endpoint strings: checking the ones bind/connect are given, building TCP ones the one way the
 * peer tracker also sees them (libzmq reports events under the endpoint string as given), reading
 * the real port back, and telling loopback interfaces apart from exposed ones.
 */
import { MultifrostError } from '@multifrost/protocol';

const LOOPBACK: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** The schemes libzmq 4.3.5 can bind and connect for DEALER/ROUTER sockets. */
const SCHEMES: ReadonlySet<string> = new Set(['tcp', 'ipc', 'inproc']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host);
}

/** `tcp://host:port`. IPv6 literals need brackets in a ZMQ endpoint; callers may pass them with or without. */
export function tcpEndpoint(host: string, port: number | '*'): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `tcp://${h}:${port}`;
}

export function isIpv6(host: string): boolean {
  return host.includes(':');
}

export function isTcp(endpoint: string): boolean {
  return endpoint.startsWith('tcp://');
}

/** `tcp://127.0.0.1:41234` → 41234. libzmq writes the resolved port into `lastEndpoint`. */
export function portOf(endpoint: string): number {
  const port = Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
  if (!isTcp(endpoint) || !Number.isInteger(port) || port <= 0) {
    throw new MultifrostError('INVALID_ARGUMENT', `Could not read a TCP port from ${JSON.stringify(endpoint)}`);
  }
  return port;
}

export function checkPort(what: string, port: number, allowZero: boolean): void {
  const min = allowZero ? 0 : 1;
  if (!Number.isInteger(port) || port < min || port > 65535) {
    throw new MultifrostError(
      'INVALID_ARGUMENT',
      `${what}: port must be an integer in ${min}-65535, got ${String(port)}`,
    );
  }
}

/** `tcp://[::1]:41234` → `::1`, `tcp://127.0.0.1:41234` → `127.0.0.1`. */
export function hostOf(endpoint: string): string {
  const rest = endpoint.slice(endpoint.indexOf('://') + 3, endpoint.lastIndexOf(':'));
  return rest.startsWith('[') ? rest.slice(1, -1) : rest;
}

/**
 * Checks an endpoint given to bind/connect and returns the string to hand to libzmq. For bind, a
 * TCP port of 0 becomes `*` (libzmq's "any free port"); connect needs a real port.
 */
export function checkEndpoint(what: 'bind()' | 'connect()' | 'disconnect()', endpoint: unknown): string {
  if (typeof endpoint !== 'string') {
    throw new MultifrostError(
      'INVALID_ARGUMENT',
      `${what}: expected an endpoint string such as "tcp://127.0.0.1:4567", got ${describe(endpoint)}`,
    );
  }
  const sep = endpoint.indexOf('://');
  const scheme = sep > 0 ? endpoint.slice(0, sep) : '';
  if (!SCHEMES.has(scheme) || endpoint.length === sep + 3) {
    throw new MultifrostError(
      'INVALID_ARGUMENT',
      `${what}: ${JSON.stringify(endpoint)} is not a ZeroMQ endpoint (expected tcp://host:port, ipc://path or inproc://name)`,
    );
  }
  if (scheme !== 'tcp') return endpoint;
  const portText = endpoint.slice(endpoint.lastIndexOf(':') + 1);
  const host = hostOf(endpoint);
  if (host.length === 0 || endpoint.lastIndexOf(':') <= sep) {
    throw new MultifrostError(
      'INVALID_ARGUMENT',
      `${what}: ${JSON.stringify(endpoint)} needs a host and a port (tcp://host:port)`,
    );
  }
  if (what === 'bind()' && (portText === '*' || portText === '0')) return tcpEndpoint(host, '*');
  checkPort(`${what} ${endpoint}`, portText === '' ? NaN : Number(portText), false);
  return endpoint;
}

function describe(value: unknown): string {
  return typeof value === 'number' ? `the number ${value} (build one with tcpEndpoint(host, port))` : typeof value;
}
