export { ChildWorker } from './child-worker.js';
export type { ChildWorkerOptions } from './child-worker-options.js';
export { RESERVED_NAMES } from './reserved-names.js';
export type { ReservedName } from './reserved-names.js';
export { callContext, currentCall } from './call-context.js';
export type { CallContext } from './call-context.js';
export { MultifrostError, RemoteCallError, isMultifrostError } from '@multifrost/protocol';
