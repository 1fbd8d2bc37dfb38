/**
 * `@multifrost/transport-zmq/internal`: the ZeroMQ transport classes themselves, for this
 * package's tests and for tooling that needs a concrete type. Applications get transports from
 * `zmqTransport()`. No semver promise: anything here may change in any release.
 */
export { ZmqCallerTransport } from './caller-transport.js';
export { ZmqServiceTransport } from './service-transport.js';
export { isLoopback } from './endpoint.js';
