/**
 * @multifrost/transport-zmq: the ZeroMQ DEALER (parent) and ROUTER (child) transports behind the
 * CallerTransport / ServiceTransport interfaces.
 */
export { createCallerTransport, ZmqCallerTransport } from './caller-transport.js';
export { createServiceTransport, ZmqServiceTransport } from './service-transport.js';
export type { CallerTransport, ServiceTransport, TransportOptions, TransportStats } from './types.js';
