/**
 * Connect mode's `security: { curve }`: reads the service's key pair and allow-list once at start
 * and turns them into the transport's CURVE bind options and the key recorded in the registry.
 * Anything that cannot honour it (spawn mode, a transport without CURVE) fails the start: a
 * service asked to be authenticated must never end up serving in the clear.
 */
import { MultifrostError } from '@multifrost/protocol';
import {
  loadCurveAllowList,
  resolveCurveKeyPair,
  type BindOptions,
  type CurveKeyPairSource,
  type ServiceTransport,
} from '@multifrost/transport-zmq';

export interface ServiceSecurity {
  curve: {
    /** The service's own key pair: its `.key_secret` file, or `{ publicKey, secretKey }` in Z85. */
    key: CurveKeyPairSource;
    /** The clients admitted: Z85 public keys, certificate files, or directories of `*.key` files. */
    allow: string | string[];
  };
}

export interface CurveBinding {
  bind: BindOptions;
  publicKey: string;
}

/** Undefined without `security`; otherwise the bind options and the public key to register. */
export async function curveBinding(
  security: ServiceSecurity | undefined,
  transport: ServiceTransport,
  transportName: string,
): Promise<CurveBinding | undefined> {
  if (security === undefined) return undefined;
  const curve = (security as Partial<ServiceSecurity> | null)?.curve;
  if (typeof curve !== 'object' || curve === null) {
    throw new MultifrostError('INVALID_ARGUMENT', 'security must be { curve: { key, allow } }');
  }
  if (transport.capabilities?.curve !== true) {
    throw new MultifrostError(
      'UNSUPPORTED',
      `security.curve: the '${transportName}' transport cannot do CURVE, so this service would run unauthenticated; use the ZeroMQ transport`,
    );
  }
  const keys = await resolveCurveKeyPair(curve.key, 'security.curve.key');
  const allow = await loadCurveAllowList(curve.allow, 'security.curve.allow');
  return { bind: { curve: { ...keys, allow } }, publicKey: keys.publicKey };
}

export function securityInSpawnMode(): MultifrostError {
  return new MultifrostError(
    'INVALID_ARGUMENT',
    'security.curve is for connect mode (a serviceId); this worker was spawned, and spawn mode already talks over a private channel to its parent',
  );
}
