export { ChildWorker } from './child-worker.js';
export type { ChildWorkerOptions } from './child-worker-options.js';
export type { ServiceSecurity } from './curve-service.js';
export { RESERVED_NAMES } from './reserved-names.js';
export type { ReservedName } from './reserved-names.js';
export { callContext, currentCall } from './call-context.js';
export type { CallContext } from './call-context.js';
export { MultifrostError, RemoteCallError, isMultifrostError } from '@multifrost/protocol';
// So a worker that installed only this package can pick or tune its transport.
export { zmqTransport } from '@multifrost/transport-zmq';
export type { TransportFactory, TransportOptions } from '@multifrost/transport-zmq';
