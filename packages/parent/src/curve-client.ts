/**
 * Connect mode's `security: { curve }` on the parent: our key pair, the server key we connect
 * with (the registry entry's, checked against `serverKey` when given), and the handshake failures
 * that end connect() with AUTH_FAILED at once instead of at the start timeout.
 *
 * The parent always connects with the entry's key as `curve_serverkey`, so whatever listens at
 * that endpoint must prove it holds the matching secret before a single message flows: an
 * impostor (a stale entry, a hostile port) is never talked to.
 */
import { MultifrostError } from '@multifrost/protocol';
import type { ServiceEntry } from '@multifrost/registry';
import { isLoopback } from '@multifrost/transport-zmq/internal';
import {
  hostOf,
  isTcp,
  resolveCurveKeyPair,
  resolveCurvePublicKey,
  type CallerTransport,
  type CurveClientOptions,
  type CurveKeyPair,
  type CurveKeyPairSource,
  type CurvePublicKeySource,
  type HandshakeFailure,
} from '@multifrost/transport-zmq';

export interface ParentSecurity {
  curve: {
    /** Our key pair: a `NAME.key_secret` file or `{ publicKey, secretKey }`; must be in the service's allow-list. */
    key: CurveKeyPairSource;
    /** The service's public key (Z85 or a certificate file). When set, the registry entry must name this key. */
    serverKey?: CurvePublicKeySource;
  };
}

export interface ClientCurve {
  keys: CurveKeyPair;
  expectedServerKey: string | undefined;
}

/** Reads the key files once; INVALID_ARGUMENT for a malformed option, UNSUPPORTED for a transport without CURVE. */
export async function loadClientCurve(
  security: ParentSecurity,
  transport: CallerTransport,
  transportName: string,
): Promise<ClientCurve> {
  const curve = (security as Partial<ParentSecurity> | null)?.curve;
  if (typeof curve !== 'object' || curve === null) {
    throw new MultifrostError('INVALID_ARGUMENT', 'security must be { curve: { key, serverKey? } }');
  }
  if (transport.capabilities?.curve !== true) {
    throw new MultifrostError(
      'UNSUPPORTED',
      `security.curve: the '${transportName}' transport cannot do CURVE, and connecting unauthenticated was not asked for; use the ZeroMQ transport`,
    );
  }
  const keys = await resolveCurveKeyPair(curve.key, 'security.curve.key');
  const expectedServerKey =
    curve.serverKey === undefined
      ? undefined
      : await resolveCurvePublicKey(curve.serverKey, 'security.curve.serverKey');
  return { keys, expectedServerKey };
}

/** The connect options for an entry, or AUTH_FAILED when the entry cannot be trusted. */
export function curveForEntry(serviceId: string, entry: ServiceEntry, curve: ClientCurve): CurveClientOptions {
  const key = entry.curvePublicKey;
  if (key === undefined) {
    throw new MultifrostError(
      'AUTH_FAILED',
      `service '${serviceId}' does not use CURVE (its registry entry has no curve_public_key)`,
      { details: { serviceId, endpoint: entry.endpoint } },
    );
  }
  if (curve.expectedServerKey !== undefined && key !== curve.expectedServerKey) {
    throw new MultifrostError(
      'AUTH_FAILED',
      `service '${serviceId}' is registered with CURVE key ${key}, expected ${curve.expectedServerKey}`,
      { details: { serviceId, endpoint: entry.endpoint, registeredKey: key, expectedKey: curve.expectedServerKey } },
    );
  }
  return { ...curve.keys, serverKey: key };
}

/** What a failed handshake with the service means, in the user's terms. */
export function handshakeError(serviceId: string, endpoint: string, failure: HandshakeFailure): MultifrostError {
  const details = { serviceId, endpoint, kind: failure.kind, detail: failure.detail };
  if (failure.kind === 'auth') {
    return new MultifrostError(
      'AUTH_FAILED',
      `service '${serviceId}' at ${endpoint} refused our CURVE key (not in its allow-list)`,
      { details },
    );
  }
  return new MultifrostError(
    'AUTH_FAILED',
    `service '${serviceId}' at ${endpoint} failed the CURVE handshake: the process there does not hold the secret key of the service's registered CURVE key (an impostor or a stale registry entry), or does not speak CURVE`,
    { details },
  );
}

/** A start timeout under CURVE says so: a silent handshake looks just like a silent service. */
export function curveTimeout(err: unknown, serviceId: string): unknown {
  if (!(err instanceof MultifrostError) || err.code !== 'START_FAILED') return err;
  return new MultifrostError(
    err.code,
    `${err.message} (CURVE: no handshake with service '${serviceId}' completed; check that our key is in its allow-list and that its registry entry is current)`,
    { cause: err, details: err.details },
  );
}

export function curveRequired(serviceId: string, endpoint: string): MultifrostError {
  return new MultifrostError(
    'AUTH_FAILED',
    `service '${serviceId}' serves CURVE only (its registry entry has a curve_public_key); connect with security: { curve: { key } } and a key it allows`,
    { details: { serviceId, endpoint } },
  );
}

/**
 * Off loopback, CURVE is on by default: an entry naming another host and no CURVE key is refused
 * (AUTH_FAILED) unless `insecure` was asked for, and then said loudly once per endpoint.
 */
export function checkPlainEntry(serviceId: string, entry: ServiceEntry, insecure: boolean): void {
  const host = entry.host ?? (isTcp(entry.endpoint) ? hostOf(entry.endpoint) : undefined);
  if (host === undefined || isLoopback(host) || /^127\.\d+\.\d+\.\d+$/.test(host)) return;
  if (!insecure) {
    throw new MultifrostError(
      'AUTH_FAILED',
      `service '${serviceId}' at ${entry.endpoint} is off loopback and does not use CURVE, so anyone on the network could read or fake its traffic; refusing to connect. Serve it with security.curve (docs/security.md), or pass insecure: true (MULTIFROST_INSECURE=1) to connect unauthenticated`,
      { details: { serviceId, endpoint: entry.endpoint } },
    );
  }
  if (warned.has(entry.endpoint)) return;
  warned.add(entry.endpoint);
  process.stderr.write(
    `multifrost: WARNING: connecting to service '${serviceId}' at ${entry.endpoint} WITHOUT CURVE (insecure: true): the traffic is neither authenticated nor encrypted\n`,
  );
}

const warned = new Set<string>();

/** The `insecure` option, or MULTIFROST_INSECURE=1 when it is not given. */
export function insecureAllowed(option: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (option !== undefined) return option === true;
  const value = env.MULTIFROST_INSECURE?.trim().toLowerCase();
  return value === '1' || value === 'true' || value === 'yes';
}

export function securityInSpawnMode(): MultifrostError {
  return new MultifrostError(
    'INVALID_ARGUMENT',
    'security is for ParentWorker.connect(); spawn mode already talks to its worker over a private channel',
  );
}
