/**
 * `multifrost`: everything a full app needs from one package. A lightweight worker can install
 * `@multifrost/child` alone instead.
 */
export { ParentWorker, CircuitBreaker, WorkerPool, RemoteStream } from '@multifrost/parent';
export type {
  CallOptions,
  ParentWorkerOptions,
  SpawnOptions,
  SpawnChannel,
  ConnectOptions,
  RestartOptions,
  RestartInfo,
  ParentWorkerEvents,
  Remote,
  Streams,
  StreamView,
  UntypedApi,
  Wire,
  MetricsSnapshot,
  CircuitState,
  CircuitBreakerOptions,
  ExitInfo,
  OutputOption,
  OutputHandler,
  OutputLineInfo,
  OutputStream,
  ParentSecurity,
  PoolSpawnOptions,
  PoolConnectOptions,
  PoolCommonOptions,
  PoolSizeOptions,
  PoolStrategy,
  RecycleOptions,
  PoolRetryOptions,
  PoolBackoffOptions,
  PoolWorkerInfo,
  WorkerPoolEvents,
  PoolHealth,
  PoolCloseOptions,
  PoolMetricsSnapshot,
  PoolWorkerMetrics,
  PoolWorkerState,
} from '@multifrost/parent';
export { ChildWorker, callContext, currentCall, RESERVED_NAMES } from '@multifrost/child';
export type { ChildWorkerOptions, CallContext, ReservedName, ServiceSecurity } from '@multifrost/child';
export { FileServiceRegistry } from '@multifrost/registry';
export type {
  ServiceRegistry,
  ServiceEntry,
  RegistrationLease,
  RegisterOptions,
  DiscoverOptions,
  BindEndpoint,
} from '@multifrost/registry';
export {
  MultifrostError,
  RemoteCallError,
  isMultifrostError,
  APP_V3,
  APP_V4,
} from '@multifrost/protocol';
export type { MultifrostErrorCode, ProtocolVersion } from '@multifrost/protocol';
export {
  zmqTransport,
  tcpEndpoint,
  curveKeyPair,
  writeCurveCertificates,
  loadCurveCertificate,
  loadCurveAllowList,
} from '@multifrost/transport-zmq';
export type { CurveKeyPair, CurveKeyPairSource, CurvePublicKeySource } from '@multifrost/transport-zmq';
export type { TransportFactory, TransportOptions, CallerTransport, ServiceTransport } from '@multifrost/transport-zmq';
