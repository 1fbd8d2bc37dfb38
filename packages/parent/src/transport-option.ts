/**
 * The `transport` option: a TransportFactory (any transport), or, as before factories existed, a
 * plain object of ZeroMQ socket options that is turned into the ZeroMQ factory.
 */
import { zmqTransport, type TransportFactory, type TransportOptions } from '@multifrost/transport-zmq';

export function transportFactory(option: TransportFactory | TransportOptions | undefined): TransportFactory {
  if (option === undefined) return zmqTransport();
  if ('caller' in option) return option;
  return zmqTransport(option);
}
