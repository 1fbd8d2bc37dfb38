export { ParentWorker } from './parent-worker.js';
export { WorkerPool } from './pool.js';
export type { PoolCloseOptions } from './pool.js';
export type { PoolHealth } from './pool-health.js';
export type {
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
} from './pool-options.js';
export type { PoolMetricsSnapshot, PoolWorkerMetrics, PoolWorkerState } from './pool-metrics.js';
export type {
  CallOptions,
  ParentWorkerOptions,
  SpawnOptions,
  ConnectOptions,
  RestartOptions,
  RestartInfo,
  ParentWorkerEvents,
} from './options.js';
export type { Remote, Streams, StreamView, UntypedApi, WorkerView } from './proxy.js';
export { RemoteStream } from './remote-stream.js';
export type { Wire } from './wire-type.js';
export type { MetricsSnapshot } from './metrics.js';
export type { CircuitState, CircuitBreakerOptions } from './circuit-breaker.js';
export { CircuitBreaker } from './circuit-breaker.js';
export type { ExitInfo } from './worker-process.js';
export type { OutputOption, OutputHandler, OutputLineInfo, OutputStream } from './output-sink.js';
export { MultifrostError, RemoteCallError, isMultifrostError } from '@multifrost/protocol';
export type { MultifrostErrorCode } from '@multifrost/protocol';
export type { SpawnChannel } from './private-channel.js';
export type { ParentSecurity } from './curve-client.js';
