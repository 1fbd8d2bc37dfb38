/**
 * The child's transport: a zeromq ROUTER. It receives `[routing_id, empty, payload]` and replies
 * `[routing_id, empty, payload]` ([protocol](../../../docs/protocol.md)); it connects in spawn mode and binds in connect
 * mode.
 *
 * Like every public peer, it does not set ROUTER_MANDATORY: a message to a routing id that is not
 * (or no longer) connected is silently dropped by libzmq and still counts as sent. A reply to a
 * parent that went away has nobody to read it, so raising an error there would help no one.
 */
import type { Message } from '@multifrost/protocol';
import { Router } from 'zeromq';
import { ZmqTransportBase } from './transport-base.js';
import type { SendErrorHandler } from './writer-queue.js';
import type { ServiceTransport, TransportOptions } from './types.js';

export class ZmqServiceTransport extends ZmqTransportBase<Router> implements ServiceTransport {
  onMessage: ((message: Message, peer: Buffer) => void) | undefined;

  constructor(options: TransportOptions = {}) {
    super((o) => new Router(o), 'child', options);
  }

  send(peer: Buffer, message: Message): Promise<void> {
    return this.enqueue(peer, message);
  }

  post(
    peer: Buffer,
    message: Message,
    onError: (err: Error, message: Message) => void,
    onSent?: () => void,
  ): Error | undefined {
    return this.enqueueWith(peer, message, onError as SendErrorHandler, onSent);
  }

  protected deliver(message: Message, peer: Buffer | undefined): void {
    // parseFrames always returns the routing id for a ROUTER ('child') frame set.
    this.onMessage?.(message, peer!);
  }
}

/** @deprecated Use `zmqTransport(options).service()`. */
export function createServiceTransport(options?: TransportOptions): ServiceTransport {
  return new ZmqServiceTransport(options);
}
