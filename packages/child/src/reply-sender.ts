/**
 * Getting the worker's messages onto the transport: replies, heartbeat echoes and forwarded
 * output. A result that cannot be encoded becomes an error reply naming the bad path, so the
 * caller hears of it; every send is counted until the transport is done with it, so a stop can
 * flush the last replies before the socket goes.
 */
import { MultifrostError, createError, isMultifrostError, type Message } from '@multifrost/protocol';
import { createDebug } from '@multifrost/protocol/internal';
import type { ServiceTransport } from '@multifrost/transport-zmq';
import type { ReplySink } from './dispatcher.js';

const debug = createDebug('multifrost:child');

/** The part of a service transport replies need. */
export type ReplyTransport = Pick<ServiceTransport, 'post' | 'closed'>;

export class ReplySender implements ReplySink {
  private readonly transport: ReplyTransport;
  private inFlight = 0;
  private flushed: (() => void) | undefined;

  constructor(transport: ReplyTransport) {
    this.transport = transport;
  }

  /** Sends handed to the transport and not yet sent or failed. */
  get sendsInFlight(): number {
    return this.inFlight;
  }

  /**
   * Sends a message; a response or stream item that cannot be encoded is replaced by an ENCODE
   * error reply, and `false` says so (a stream then ends).
   */
  send(peer: Buffer, message: Message): boolean {
    const err = this.post(peer, message);
    if (err === undefined) return true;
    if ((err.code === 'ENCODE' || err.code === 'TOO_LARGE') && message.type === 'stream_item') {
      const what = `Cannot send item ${message.seq} of the stream: ${err.message}`;
      this.sendQuiet(
        peer,
        createError(
          message.id,
          err.code === 'TOO_LARGE'
            ? { name: 'MessageTooLargeError', message: what, code: 'TOO_LARGE' }
            : { name: 'EncodeError', message: what, code: 'ENCODE' },
          message.app,
        ),
      );
      return false;
    }
    if ((err.code === 'ENCODE' || err.code === 'TOO_LARGE') && message.type === 'response') {
      const text = err.message.startsWith('result') ? `Cannot send the result: ${err.message}` : err.message;
      this.sendQuiet(
        peer,
        createError(
          message.id,
          err.code === 'TOO_LARGE'
            ? { name: 'MessageTooLargeError', message: `Cannot send the result: ${err.message}`, code: 'TOO_LARGE' }
            : { name: 'EncodeError', message: text, code: 'ENCODE' },
          message.app,
        ),
      );
      return false;
    }
    debug('send of %s %s failed: %s', message.type, message.id, err.message);
    return false;
  }

  /** Sends a message nobody waits on (heartbeat echo, output, the encode fallback); failures are only logged. */
  sendQuiet(peer: Buffer, message: Message): void {
    const err = this.post(peer, message);
    if (err !== undefined) debug('send of %s failed: %s', message.type, err.message);
  }

  /** Resolves when every message handed to the transport has left (or failed). */
  flush(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => (this.flushed = resolve));
  }

  /**
   * Hands a message to the transport with shared callbacks (this is the hot path: no closure per
   * reply). Returns the error when the message could not even be queued (it cannot be encoded, or
   * the transport is closed); later failures (no peer, timeout) are only logged.
   */
  private post(peer: Buffer, message: Message): MultifrostError | undefined {
    const transport = this.transport;
    if (transport.closed) return undefined;
    // Counted before posting: a transport may report the send done before post returns.
    this.inFlight++;
    const err = transport.post(peer, message, this.onSendError, this.sendDone);
    if (err === undefined) return undefined;
    this.sendDone();
    return isMultifrostError(err) ? err : new MultifrostError('TRANSPORT', String(err), { cause: err });
  }

  private readonly onSendError = (err: unknown): void => {
    this.sendDone();
    debug('a reply could not be sent: %s', err instanceof Error ? err.message : String(err));
  };

  private readonly sendDone = (): void => {
    if (--this.inFlight === 0 && this.flushed) this.flushed();
  };
}
