/**
 * The file registry's bridge between endpoints and the `port` the public peers read: it records
 * only a TCP port (the peers connect to 127.0.0.1:<port>), so an endpoint it is given must be TCP,
 * and the endpoint it hands out is rebuilt from the port.
 */
import { MultifrostError } from '@multifrost/protocol';

/** Where the public peers connect for a registered port: the loopback interface. */
export const LOOPBACK_HOST = '127.0.0.1';

export function loopbackEndpoint(port: number): string {
  return `tcp://${LOOPBACK_HOST}:${port}`;
}

export function isPort(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) > 0 && (value as number) <= 65535;
}

/**
 * The port of a bound `tcp://host:port` endpoint (any host: a service bound to `0.0.0.0` or `*` is
 * reachable on loopback too). Anything else can't be written for the peers, so it is refused.
 */
export function portOfEndpoint(serviceId: string, endpoint: unknown): number {
  const m = typeof endpoint === 'string' ? /^tcp:\/\/(?:\[[^\]]*\]|[^:/[\]]+):(\d+)$/.exec(endpoint) : null;
  const port = m ? Number(m[1]) : NaN;
  if (!isPort(port)) {
    throw new MultifrostError(
      'INVALID_ARGUMENT',
      `register('${serviceId}'): the file registry records a TCP port for the other-language peers, so bind() must resolve to a bound tcp://<host>:<port> endpoint, got ${JSON.stringify(endpoint) ?? String(endpoint)}; use another ServiceRegistry for other transports`,
      { details: { serviceId, endpoint } },
    );
  }
  return port;
}
