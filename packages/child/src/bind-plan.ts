/**
 * Connect mode's addresses: where the service binds (`endpoint`, or `host` + `port`), what it
 * advertises in the registry (`advertise`, which may differ: a wildcard bind, a NAT or a port
 * mapping), and whether it is exposed beyond loopback, where serving without CURVE needs an
 * explicit `insecure: true`. The environment (MULTIFROST_HOST, MULTIFROST_ADVERTISE,
 * MULTIFROST_INSECURE) stands in for options a deployment sets without touching code.
 */
import { MultifrostError } from '@multifrost/protocol';
import { hostOf, isTcp, portOf, tcpEndpoint } from '@multifrost/transport-zmq';

export interface BindPlanInput {
  endpoint?: string;
  host?: string;
  port?: number;
  advertise?: string;
  insecure?: boolean;
  /** The ZeroMQ settings' `host`, when the transport option gave one. */
  transportHost?: string;
  /** Whether `security.curve` is set (checked for its own shape elsewhere). */
  curve: boolean;
  serviceId: string;
}

export interface BindPlan {
  /** Handed to `transport.bind`; undefined lets the transport pick a free port on its host. */
  bind: string | undefined;
  /** The endpoint to record in the registry, from the one the transport reports bound. */
  advertised(bound: string): string;
  /** The bind reaches beyond loopback and the service serves in the clear: say so loudly. */
  warnInsecure: boolean;
}

const WILDCARDS: ReadonlySet<string> = new Set(['0.0.0.0', '*', '::', '[::]']);
const LOOPBACKS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isWildcardHost(host: string): boolean {
  return WILDCARDS.has(host);
}

export function isLoopbackHost(host: string): boolean {
  return LOOPBACKS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Reads the options (and their environment stand-ins) into a plan, or fails with INVALID_ARGUMENT. */
export function bindPlan(input: BindPlanInput, env: NodeJS.ProcessEnv = process.env): BindPlan {
  const host = input.host ?? nonEmpty(env.MULTIFROST_HOST);
  const advertise = input.advertise ?? nonEmpty(env.MULTIFROST_ADVERTISE);
  const insecure = input.insecure ?? envFlag(env.MULTIFROST_INSECURE);
  if (input.host !== undefined && (typeof input.host !== 'string' || input.host.length === 0)) {
    throw invalid(
      input.serviceId,
      `host must be an address or interface such as '0.0.0.0' or '10.0.0.7', got ${show(input.host)}`,
    );
  }
  if (input.advertise !== undefined && (typeof input.advertise !== 'string' || input.advertise.length === 0)) {
    throw invalid(input.serviceId, `advertise must be 'host' or 'host:port', got ${show(input.advertise)}`);
  }
  if (input.endpoint !== undefined && input.host !== undefined) {
    throw invalid(input.serviceId, `set either endpoint (${input.endpoint}) or host (${input.host}), not both`);
  }
  let bind: string | undefined;
  let bindHost: string | undefined;
  if (input.endpoint !== undefined) {
    bind = input.endpoint;
    bindHost = typeof bind === 'string' && isTcp(bind) ? hostOf(bind) : undefined;
  } else {
    bindHost = host ?? input.transportHost ?? '127.0.0.1';
    // Unchanged from before when nothing asks for another address: the transport picks the port.
    bind = host === undefined && !input.port ? undefined : tcpEndpoint(bindHost, input.port ?? 0);
  }
  const wildcard = bindHost !== undefined && isWildcardHost(bindHost);
  if (wildcard && advertise === undefined) {
    throw invalid(
      input.serviceId,
      `binding ${bindHost} listens on every interface, so there is no one address to put in the registry; set advertise (or MULTIFROST_ADVERTISE) to the address parents should connect to, e.g. advertise: '10.0.0.7'`,
    );
  }
  const adv = advertise === undefined ? undefined : parseAdvertise(input.serviceId, advertise);
  const exposed = bindHost !== undefined && !isLoopbackHost(bindHost);
  if (exposed && !input.curve && !insecure) {
    throw invalid(
      input.serviceId,
      `binding ${bindHost} exposes the service beyond loopback, and off loopback CURVE is on by default: set security: { curve: { key, allow } } (docs/security.md), or insecure: true (MULTIFROST_INSECURE=1) to serve unauthenticated and unencrypted`,
    );
  }
  return {
    bind,
    warnInsecure: exposed && !input.curve,
    advertised(bound: string): string {
      if (adv === undefined || !isTcp(bound)) return bound;
      return tcpEndpoint(adv.host, adv.port ?? portOf(bound));
    },
  };
}

/** `10.0.0.7`, `10.0.0.7:5000`, `tcp://10.0.0.7:5000`, `[fd00::7]:5000` or a bare IPv6 address. */
function parseAdvertise(serviceId: string, text: string): { host: string; port?: number } {
  const rest = text.startsWith('tcp://') ? text.slice(6) : text;
  let host = rest;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2];
  } else if (rest.split(':').length === 2) {
    [host, portText] = rest.split(':') as [string, string];
  }
  const port = portText === undefined ? undefined : Number(portText);
  const badPort = port !== undefined && !(Number.isInteger(port) && port > 0 && port <= 65535);
  if (host.length === 0 || /[/\s]/.test(host) || badPort || isWildcardHost(host)) {
    throw invalid(
      serviceId,
      `advertise must be the address parents connect to, as 'host' or 'host:port' (not a wildcard), got ${show(text)}`,
    );
  }
  return port === undefined ? { host } : { host, port };
}

function envFlag(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes'].includes(value.trim().toLowerCase());
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function invalid(serviceId: string, message: string): MultifrostError {
  return new MultifrostError('INVALID_ARGUMENT', `service '${serviceId}': ${message}`, { details: { serviceId } });
}
