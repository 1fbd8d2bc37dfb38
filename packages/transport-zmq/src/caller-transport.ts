/**
 * The parent's transport: a zeromq DEALER. It sends `[empty, payload]` and receives
 * `[empty, payload]` ([protocol](../../../docs/protocol.md)); it binds in spawn mode and connects in connect mode.
 */
import type { Message } from '@multifrost/protocol';
import { Dealer } from 'zeromq';
import { ZmqTransportBase } from './transport-base.js';
import type { SendErrorHandler } from './writer-queue.js';
import type { CallerTransport, TransportOptions } from './types.js';

export class ZmqCallerTransport extends ZmqTransportBase<Dealer> implements CallerTransport {
  onMessage: ((message: Message) => void) | undefined;

  constructor(options: TransportOptions = {}) {
    super((o) => new Dealer(o), 'parent', options);
  }

  send(message: Message): Promise<void> {
    return this.enqueue(undefined, message);
  }

  post(message: Message, onError: (err: Error, message: Message) => void): Error | undefined {
    return this.enqueueWith(undefined, message, onError as SendErrorHandler);
  }

  protected deliver(message: Message): void {
    this.onMessage?.(message);
  }
}

/** @deprecated Use `zmqTransport(options).caller()`. */
export function createCallerTransport(options?: TransportOptions): CallerTransport {
  return new ZmqCallerTransport(options);
}
