/**
 * @multifrost/transport-zmq: the transport interfaces parent and child depend on, and the ZeroMQ
 * DEALER (caller) / ROUTER (service) implementation behind `zmqTransport()`.
 */
export { zmqTransport } from './zmq-transport.js';
export { createCallerTransport } from './caller-transport.js';
export { createServiceTransport } from './service-transport.js';
export { tcpEndpoint, portOf, hostOf, isTcp } from './endpoint.js';
export {
  curveKeyPair,
  loadCurveAllowList,
  loadCurveCertificate,
  parseCurveCertificate,
  resolveCurveKeyPair,
  resolveCurvePublicKey,
  writeCurveCertificates,
} from './curve-keys.js';
export type { CurveCertificate, CurveKeyPair, CurveKeyPairSource, CurvePublicKeySource } from './curve-keys.js';
export { assertCurveAvailable } from './curve-support.js';
export { wireCapabilityNames } from './capability-names.js';
export { z85Decode, z85Encode, isCurveKey } from './z85.js';
export type {
  BindOptions,
  ConnectOptions,
  CurveClientOptions,
  CurveServerOptions,
  HandshakeFailure,
  TransportCapabilities,
  CallerTransport,
  ServiceTransport,
  TransportFactory,
  TransportOptions,
  TransportStats,
} from './types.js';
