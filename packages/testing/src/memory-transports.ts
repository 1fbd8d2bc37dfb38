/**
 * The caller and service ends of the in-memory transport: the shapes of CallerTransport and
 * ServiceTransport over the shared MemorySocket.
 */
import type { Message } from '@multifrost/protocol';
import type { CallerTransport, ServiceTransport } from '@multifrost/transport-zmq';
import type { MemoryHub } from './memory-hub.js';
import { MemorySocket, type SocketSettings } from './memory-socket.js';

export class MemoryCallerTransport extends MemorySocket implements CallerTransport {
  onMessage: ((message: Message) => void) | undefined;

  constructor(hub: MemoryHub, settings: SocketSettings) {
    super('caller', hub, settings);
  }

  send(message: Message): Promise<void> {
    return this.sendPromise(undefined, message);
  }

  post(message: Message, onError: (err: Error, message: Message) => void): Error | undefined {
    return this.enqueue(undefined, message, onError);
  }

  protected deliver(message: Message): void {
    this.onMessage?.(message);
  }
}

export class MemoryServiceTransport extends MemorySocket implements ServiceTransport {
  onMessage: ((message: Message, peer: Buffer) => void) | undefined;

  constructor(hub: MemoryHub, settings: SocketSettings) {
    super('service', hub, settings);
  }

  send(peer: Buffer, message: Message): Promise<void> {
    return this.sendPromise(peer, message);
  }

  post(
    peer: Buffer,
    message: Message,
    onError: (err: Error, message: Message) => void,
    onSent?: () => void,
  ): Error | undefined {
    return this.enqueue(peer, message, onError, onSent);
  }

  protected deliver(message: Message, peer: Buffer | undefined): void {
    this.onMessage?.(message, peer!);
  }
}
