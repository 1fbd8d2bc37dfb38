export { createCallerTransport, createServiceTransport, ZmqCallerTransport, ZmqServiceTransport } from './zmq-transport.js';
export type { CallerTransport, ServiceTransport, TransportOptions, TransportStats } from './types.js';
