/**
 * Parent sides of the ceiling baselines (issue 16): bare zeromq.js frames, the tuned raw msgpack
 * pair and its batched form, and a Node Unix-domain socket with length-prefixed msgpack. Each one
 * spawns its child from servers/ and speaks the message shape the raw pair uses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { newId } from '@multifrost/protocol';
import { Dealer } from 'zeromq';
import { frameReader, frameWriter } from './servers/length-prefixed.mjs';
import { decode, encode } from './servers/tuned-codec.mjs';
import { zmqWriter } from './servers/zmq-writer.mjs';
import type { Client } from './targets.js';

const servers = path.join(path.dirname(fileURLToPath(import.meta.url)), 'servers');
const CHILD_NODE = process.env.BENCH_CHILD_NODE || process.execPath;
const empty = Buffer.alloc(0);

interface Reply {
  id: string;
  result: unknown;
}

function spawnChild(script: string, env: Record<string, string>): ChildProcess {
  return spawn(CHILD_NODE, [path.join(servers, script)], { env: { ...process.env, ...env }, stdio: 'ignore' });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(process.env.BENCH_CHILD_NODE ? 'SIGTERM' : 'SIGKILL');
  return exited;
}

/** A private directory for ipc:// and Unix socket paths, removed on close. */
function socketDir(): { file: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'mf-bench-'));
  return { file: path.join(dir, 's'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

async function bindDealer(over: 'tcp' | 'ipc'): Promise<{ dealer: Dealer; endpoint: string; remove: () => void }> {
  const dealer = new Dealer({ linger: 0, sendTimeout: 0, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000 });
  if (over === 'tcp') {
    await dealer.bind('tcp://127.0.0.1:*');
    return { dealer, endpoint: dealer.lastEndpoint!, remove: () => {} };
  }
  const dir = socketDir();
  await dealer.bind(`ipc://${dir.file}`);
  return { dealer, endpoint: `ipc://${dir.file}`, remove: dir.remove };
}

/**
 * Bare frames: the call is an 8-byte id frame (plus the payload frame for an echo), echoed back
 * as is; `add` answers with its own frame, so no value is computed or encoded on either side.
 */
export async function startBareZmq(over: 'tcp' | 'ipc'): Promise<Client> {
  const { dealer, endpoint, remove } = await bindDealer(over);
  const child = spawnChild('bare-zmq-child.mjs', { BENCH_ENDPOINT: endpoint });
  const post = zmqWriter(dealer);
  const pending = new Map<number, (v: unknown) => void>();
  let next = 0;
  void (async () => {
    try {
      for await (const [, head, payload] of dealer) {
        const id = head!.readUInt32LE(0);
        const resolve = pending.get(id);
        pending.delete(id);
        resolve?.(payload ?? 3);
      }
    } catch {
      // socket closed
    }
  })();
  return {
    call(fn, args) {
      const id = next++ >>> 0;
      const head = Buffer.allocUnsafe(8);
      head.writeUInt32LE(id, 0);
      head.writeUInt32LE(0, 4);
      return new Promise((resolve) => {
        pending.set(id, resolve);
        post(fn === 'echo' ? [empty, head, args[0] as Buffer] : [empty, head]);
      });
    },
    childPid: child.pid!,
    async close() {
      await stop(child);
      dealer.close();
      remove();
    },
  };
}

const callMessage = (id: string, fn: string, args: unknown[]) => ({
  app: 'comlink_ipc_v3',
  id,
  type: 'call',
  timestamp: Date.now() / 1000,
  function: fn,
  args,
  namespace: 'default',
});
const bigArg = (args: unknown[]) => (Buffer.isBuffer(args[0]) ? args[0] : undefined);

/**
 * The tuned raw pair: one msgpack message per ZeroMQ message, sent at timeout 0 through a queue,
 * big payloads encoded into an exactly sized buffer. `batched`: every call made in one tick leaves
 * in one ZeroMQ message (a msgpack array), flushed as soon as the tick ends; the child answers
 * each batch with one message.
 */
export async function startTunedZmq(
  batched: boolean,
  {
    over = 'tcp',
    script = 'tuned-zmq-child.mjs',
    ids = 'counter',
  }: { over?: 'tcp' | 'ipc'; script?: string; ids?: 'counter' | 'uuid' } = {},
): Promise<Client> {
  const { dealer, endpoint, remove } = await bindDealer(over);
  // COMLINK_ZMQ_PORT too, for a Multifrost child in place of the tuned one (a mixed pair of focus.ts).
  const port = endpoint.startsWith('tcp://') ? endpoint.split(':').pop()! : '';
  const child = spawnChild(script, {
    BENCH_ENDPOINT: endpoint,
    BENCH_BATCH: batched ? '1' : '0',
    COMLINK_ZMQ_PORT: port,
  });
  const post = zmqWriter(dealer);
  const pending = new Map<string, (v: unknown) => void>();
  const settle = (reply: Reply) => {
    const resolve = pending.get(reply.id);
    pending.delete(reply.id);
    resolve?.(reply.result);
  };
  void (async () => {
    try {
      for await (const [, payload] of dealer) {
        const msg = decode(payload!) as Reply | Reply[];
        if (Array.isArray(msg)) for (const reply of msg) settle(reply);
        else settle(msg);
      }
    } catch {
      // socket closed
    }
  })();
  let next = 0;
  let batch: ReturnType<typeof callMessage>[] = [];
  let big: Buffer | undefined;
  const flush = () => {
    const calls = batch;
    batch = [];
    post([empty, encode(calls, calls.length === 1 ? big : undefined)]);
    big = undefined;
  };
  return {
    call(fn, args) {
      // `uuid`: ids as Multifrost's (32 hex digits of a UUID v4), so the messages have its shape.
      const id = ids === 'uuid' ? newId() : String(next++);
      return new Promise((resolve) => {
        pending.set(id, resolve);
        const msg = callMessage(id, fn, args);
        if (!batched) return post([empty, encode(msg, bigArg(args))]);
        if (batch.length === 0) queueMicrotask(flush);
        batch.push(msg);
        big = bigArg(args);
      });
    },
    childPid: child.pid!,
    async close() {
      await stop(child);
      dealer.close();
      remove();
    },
  };
}

/** The Unix-socket pair: the parent listens on a socket path, the child connects. */
export async function startUnixSocket(): Promise<Client> {
  const dir = socketDir();
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(dir.file, () => resolve());
  });
  const child = spawnChild('unix-socket-child.mjs', { BENCH_ENDPOINT: dir.file });
  const socket = await new Promise<Socket>((resolve, reject) => {
    server.once('connection', resolve);
    child.once('exit', (code) => reject(new Error(`unix-socket child exited (${code}) before connecting`)));
  });
  socket.setNoDelay?.(true);
  const pending = new Map<string, (v: unknown) => void>();
  socket.on(
    'data',
    frameReader((body) => {
      const reply = decode(body) as Reply;
      const resolve = pending.get(reply.id);
      pending.delete(reply.id);
      resolve?.(reply.result);
    }),
  );
  socket.on('error', () => {});
  const write = frameWriter(socket);
  let next = 0;
  return {
    call(fn, args) {
      const id = String(next++);
      return new Promise((resolve) => {
        pending.set(id, resolve);
        write(encode(callMessage(id, fn, args), bigArg(args)));
      });
    },
    childPid: child.pid!,
    async close() {
      socket.destroy();
      await stop(child);
      await new Promise<void>((r) => server.close(() => r()));
      dir.remove();
    },
  };
}
