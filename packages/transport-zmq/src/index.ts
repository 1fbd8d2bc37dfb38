/**
 * @multifrost/transport-zmq: the transport interfaces parent and child depend on, and the ZeroMQ
 * DEALER (caller) / ROUTER (service) implementation behind `zmqTransport()`.
 */
export { zmqTransport } from './zmq-transport.js';
export { createCallerTransport } from './caller-transport.js';
export { createServiceTransport } from './service-transport.js';
export { tcpEndpoint, portOf, hostOf, isTcp } from './endpoint.js';
export type {
  BindOptions,
  CallerTransport,
  ServiceTransport,
  TransportFactory,
  TransportOptions,
  TransportStats,
} from './types.js';
