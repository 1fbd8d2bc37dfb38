/**
 * The ZeroMQ transport as a TransportFactory: the one place its options are taken, checked once,
 * and handed to every caller (DEALER) and service (ROUTER) it makes.
 */
import { ZmqCallerTransport } from './caller-transport.js';
import { resolveOptions } from './options.js';
import { ZmqServiceTransport } from './service-transport.js';
import type { CallerTransport, ServiceTransport, TransportFactory, TransportOptions } from './types.js';

/**
 * @example
 * const transport = zmqTransport({ sendTimeoutMs: 2000 });
 * const service = transport.service();
 * const endpoint = await service.bind(); // 'tcp://127.0.0.1:53211'
 */
export function zmqTransport(options: TransportOptions = {}): TransportFactory {
  // Checked here so a bad option fails where it was written, not at the first spawn.
  resolveOptions(options);
  const frozen: TransportOptions = { ...options };
  return {
    name: 'zmq',
    caller: (): CallerTransport => new ZmqCallerTransport(frozen),
    service: (): ServiceTransport => new ZmqServiceTransport(frozen),
  };
}
