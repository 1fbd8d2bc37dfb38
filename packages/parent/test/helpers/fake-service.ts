// A scripted worker on the in-memory transport: it answers heartbeats and calls the way a test
// says, and records what it was sent. Paired with a one-entry registry so ParentWorker.connect()
// reaches it without files or sockets.
import {
  MultifrostError,
  createError,
  createHeartbeatReply,
  createResponse,
  type CallMessage,
  type Message,
} from '@multifrost/protocol';
import type { ServiceEntry, ServiceRegistry } from '@multifrost/registry';
import { createMemoryTransport, type MemoryTransport } from '@multifrost/testing';
import type { ServiceTransport } from '@multifrost/transport-zmq';

export type Handler = (
  call: CallMessage,
) => { result: unknown } | { error: { name: string; message: string } } | 'hold';

export class FakeService {
  constructor(readonly mem: MemoryTransport = createMemoryTransport()) {}
  readonly received: Message[] = [];
  answerHeartbeats = true;
  handler: Handler = (call) => ({ result: call.args });
  private transport: ServiceTransport | undefined;
  private peer: Buffer | undefined;
  endpoint = '';

  async start(): Promise<this> {
    const t = this.mem.service();
    this.transport = t;
    this.endpoint = await t.bind();
    t.onMessage = (msg, peer) => {
      this.peer = peer;
      this.received.push(msg);
      if (msg.type === 'heartbeat') {
        if (this.answerHeartbeats && msg.metadata?.hb_response !== true) void t.send(peer, createHeartbeatReply(msg));
        return;
      }
      if (msg.type !== 'call') return;
      const out = this.handler(msg);
      if (out === 'hold') return;
      if ('result' in out) void t.send(peer, createResponse(msg.id, out.result, msg.app));
      else void t.send(peer, createError(msg.id, out.error, msg.app));
    };
    return this;
  }

  /** Replies later to a call that was held. */
  reply(id: string, result: unknown): Promise<void> {
    return this.transport!.send(this.peer!, createResponse(id, result));
  }

  of<T extends Message['type']>(type: T): Extract<Message, { type: T }>[] {
    return this.received.filter((m): m is Extract<Message, { type: T }> => m.type === type);
  }

  registry(serviceId = 'svc'): OneServiceRegistry {
    return new OneServiceRegistry({ serviceId, endpoint: this.endpoint });
  }

  async close(): Promise<void> {
    await this.transport?.close();
  }
}

/** A registry holding one entry (which a test may move); registering is not what these tests are about. */
export class OneServiceRegistry implements ServiceRegistry {
  /** The signals discover() was given. */
  readonly signals: (AbortSignal | undefined)[] = [];
  constructor(public entry: ServiceEntry) {}
  register(..._args: unknown[]): Promise<never> {
    return Promise.reject(new Error('not used'));
  }
  unregister(..._args: unknown[]): Promise<boolean> {
    return Promise.resolve(false);
  }
  async lookup(serviceId: string): Promise<ServiceEntry | undefined> {
    return serviceId === this.entry.serviceId ? this.entry : undefined;
  }
  async discover(serviceId: string, options: { signal?: AbortSignal } = {}): Promise<ServiceEntry> {
    this.signals.push(options.signal);
    if (serviceId === this.entry.serviceId) return this.entry;
    throw new MultifrostError('SERVICE_NOT_FOUND', `no ${serviceId}`);
  }
  async list(): Promise<ServiceEntry[]> {
    return [this.entry];
  }
}
