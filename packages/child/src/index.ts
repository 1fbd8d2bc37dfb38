export { ChildWorker } from './child-worker.js';
export type { ChildWorkerOptions } from './child-worker.js';
export { callContext, currentCall } from './call-context.js';
export type { CallContext } from './call-context.js';
export { MultifrostError, RemoteCallError, isMultifrostError } from '@multifrost/protocol';
