/**
 * The things being compared, behind one small client interface: Multifrost (Node and Python
 * children), the ceiling baselines of ceiling-clients.ts (a Unix-domain socket, bare zeromq.js
 * frames, the tuned raw msgpack pair and its batched form), node's child_process IPC with
 * structured clone, HTTP with fetch, and the old hand-written raw pair (an experiment now).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Packr, Unpackr } from 'msgpackr';
import { ParentWorker } from 'multifrost';
import { Dealer } from 'zeromq';
import type { TransportOptions } from '@multifrost/transport-zmq';
import { pythonBin } from '../../../scripts/python-bin.mjs';
import { startBareZmq, startTunedZmq, startUnixSocket } from './ceiling-clients.js';
import { unixTransport } from './unix-transport.js';

const servers = path.join(path.dirname(fileURLToPath(import.meta.url)), 'servers');
/** The interpreter for the Python target (scripts/python-bin.mjs): throws "run `npm run setup`" if none. */
export { pythonBin };
/** Runs the Node children (e.g. a wrapper adding --cpu-prof, see focus.ts); default this Node. */
const CHILD_NODE = process.env.BENCH_CHILD_NODE || process.execPath;

export interface Client {
  call(fn: 'add' | 'echo', args: unknown[]): Promise<unknown>;
  readonly childPid: number;
  close(): Promise<void>;
}

export type TargetName =
  | 'unix-socket'
  | 'bare-zmq'
  | 'bare-zmq-ipc'
  | 'tuned-raw'
  | 'tuned-batch'
  | 'raw-zmq'
  | 'multifrost'
  | 'multifrost-python'
  | 'fork-ipc'
  | 'http'
  | 'transport-child'
  | 'raw-parent-mf-child'
  | 'mf-parent-raw-child'
  | 'tuned-parent-mf-child'
  | 'tuned-raw-uuid'
  | 'mf-parent-tuned-child'
  | 'raw-big'
  | 'raw-128'
  | 'raw-129'
  | 'multifrost-timeout'
  | 'multifrost-tcp'
  | 'multifrost-unbatched'
  | 'multifrost-tcp-unbatched'
  | 'tuned-raw-ipc'
  | 'multifrost-unix';
/**
 * The columns of the report, in order. `tuned-raw-uuid` is the tuned raw pair with Multifrost's ids
 * (32 hex digits of a UUID v4, which the protocol asks for, instead of a short counter): the same
 * messages as Multifrost's unbatched calls. `multifrost-unbatched` is Multifrost with batches and
 * payload frames off, the path every public peer takes (issue 16's per-call figures).
 */
export const TARGETS: TargetName[] = [
  'unix-socket',
  'bare-zmq',
  'tuned-raw',
  'tuned-raw-uuid',
  'tuned-batch',
  'fork-ipc',
  'http',
  'multifrost',
  'multifrost-unbatched',
  'multifrost-python',
];
/**
 * Mixed pairs for locating a cost (focus.ts only): the raw parent against the Multifrost child and
 * against a child on @multifrost/transport-zmq alone, the Multifrost parent against the raw child,
 * the tuned raw parent against the Multifrost child and the Multifrost parent against the tuned raw
 * child (`tuned-parent-mf-child`, `mf-parent-tuned-child`: unbatched, TCP; compare with `tuned-raw`
 * and `multifrost-tcp-unbatched` to tell which side adds a cost), the raw pair sending
 * Multifrost-sized calls (UUID id + deadline metadata: over zeromq.js's 128-byte copy threshold), and the raw pair
 * with calls of exactly 128 and 129 bytes (`add(1,2)` with a 35- or 36-character id, no metadata):
 * either side of that threshold, above which zeromq.js sends by reference and receives into
 * external buffers. `multifrost-timeout` is Multifrost with `defaultTimeoutMs` set, so every call
 * carries its deadline (28 bytes more: 153 bytes for `add(1,2)`). `multifrost-tcp` is Multifrost
 * forced onto the TCP channel (the default for a Node worker is the private ipc:// one), to price it;
 * `multifrost-tcp-unbatched` is the report's `multifrost-unbatched` on the TCP channel;
 * `tuned-raw-ipc` is the tuned raw pair over an ipc:// endpoint. The two tell the spawn channel's share of a gap from Multifrost's own.
 * `raw-zmq` is the report's old baseline (a plain send loop, msgpackr's growing buffer); `bare-zmq-ipc`
 * is the bare-frames pair over an ipc:// endpoint, and `multifrost-unix` Multifrost, parent and child
 * unchanged, over the bench-only Unix-socket transport of unix-transport.ts (latency-floor.ts).
 */
export const EXPERIMENTS: TargetName[] = [
  'raw-zmq',
  'bare-zmq-ipc',
  'transport-child',
  'raw-parent-mf-child',
  'mf-parent-raw-child',
  'tuned-parent-mf-child',
  'mf-parent-tuned-child',
  'raw-big',
  'raw-128',
  'raw-129',
  'multifrost-timeout',
  'multifrost-tcp',
  'multifrost-tcp-unbatched',
  'tuned-raw-ipc',
  'multifrost-unix',
];

export async function startClient(target: TargetName): Promise<Client> {
  switch (target) {
    case 'unix-socket':
      return startUnixSocket();
    case 'bare-zmq':
      return startBareZmq('tcp');
    case 'bare-zmq-ipc':
      return startBareZmq('ipc');
    case 'tuned-raw':
      return startTunedZmq(false);
    case 'tuned-batch':
      return startTunedZmq(true);
    case 'raw-zmq':
      return startRaw();
    case 'multifrost':
      return startMultifrost(path.join(servers, 'multifrost-child.mjs'), { executable: CHILD_NODE });
    case 'multifrost-timeout':
      return startMultifrost(path.join(servers, 'multifrost-child.mjs'), {
        executable: CHILD_NODE,
        defaultTimeoutMs: 60_000,
      });
    case 'multifrost-tcp':
      return startMultifrost(path.join(servers, 'multifrost-child.mjs'), { executable: CHILD_NODE, channel: 'tcp' });
    case 'multifrost-unbatched':
      // Batches and payload frames off (the parent lists neither, so the child uses neither).
      return startMultifrost(path.join(servers, 'multifrost-child.mjs'), {
        executable: CHILD_NODE,
        transport: { batch: false, payloadFrames: false },
      });
    case 'multifrost-tcp-unbatched':
      return startMultifrost(path.join(servers, 'multifrost-child.mjs'), {
        executable: CHILD_NODE,
        channel: 'tcp',
        transport: { batch: false, payloadFrames: false },
      });
    case 'tuned-raw-ipc':
      return startTunedZmq(false, { over: 'ipc' });
    case 'multifrost-unix':
      return startMultifrost(path.join(servers, 'multifrost-unix-child.ts'), { transport: unixTransport() });
    case 'transport-child':
      return startRaw('transport-child.mjs');
    case 'raw-big':
      return startRaw('raw-zmq-child.mjs', 'uuid+deadline');
    case 'raw-128':
      return startRaw('raw-zmq-child.mjs', 35);
    case 'raw-129':
      return startRaw('raw-zmq-child.mjs', 36);
    case 'raw-parent-mf-child':
      return startRaw('multifrost-child.mjs');
    case 'mf-parent-raw-child':
      // The raw child reads only COMLINK_ZMQ_PORT, like a public peer.
      return startMultifrost(path.join(servers, 'raw-zmq-child.mjs'), { executable: CHILD_NODE, channel: 'tcp' });
    case 'tuned-raw-uuid':
      return startTunedZmq(false, { ids: 'uuid' });
    case 'tuned-parent-mf-child':
      // The tuned raw parent (unbatched) against the Multifrost child, which then batches nothing.
      return startTunedZmq(false, { script: 'multifrost-child.mjs' });
    case 'mf-parent-tuned-child':
      // The Multifrost parent against the tuned raw child (which lists no capabilities), over TCP.
      return startMultifrost(path.join(servers, 'tuned-zmq-child.mjs'), { executable: CHILD_NODE, channel: 'tcp' });
    case 'multifrost-python':
      return startMultifrost(path.join(servers, 'python_child.py'), { executable: pythonBin() });
    case 'fork-ipc':
      return startFork();
    case 'http':
      return startHttp();
    default:
      throw new Error(
        `unknown benchmark target '${String(target)}'; one of ${[...TARGETS, ...EXPERIMENTS].join(', ')}`,
      );
  }
}

/** The parent with its default options (as a user gets it), but for the executable and silenced output. */
async function startMultifrost(
  script: string,
  options: {
    executable?: string;
    defaultTimeoutMs?: number;
    channel?: 'private' | 'tcp';
    transport?: ReturnType<typeof unixTransport> | TransportOptions;
  },
): Promise<Client> {
  const w = await ParentWorker.spawn(script, { ...options, output: 'ignore' });
  return {
    call: (fn, args) => w.callFunction(fn, args),
    childPid: w.pid!,
    close: () => w.close(),
  };
}

function waitExit(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => child.once('exit', () => r()));
}

/** ids: short counters, UUIDs plus a deadline (Multifrost's calls), or counters padded to a length. */
async function startRaw(
  script = 'raw-zmq-child.mjs',
  ids: 'short' | 'uuid+deadline' | number = 'short',
): Promise<Client> {
  const big = ids === 'uuid+deadline';
  const packr = new Packr({ useRecords: false, variableMapSize: true });
  const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });
  const dealer = new Dealer({ linger: 0, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000 });
  await dealer.bind('tcp://127.0.0.1:*');
  const port = dealer.lastEndpoint!.split(':').pop()!;
  const child = spawn(CHILD_NODE, [path.join(servers, script)], {
    env: { ...process.env, COMLINK_ZMQ_PORT: port },
    stdio: 'ignore',
  });
  const pending = new Map<string, (v: unknown) => void>();
  let next = 0;
  const empty = Buffer.alloc(0);
  const queue: Buffer[][] = [];
  let pumping = false;
  const pump = async () => {
    pumping = true;
    while (queue.length) await dealer.send(queue.shift()!);
    pumping = false;
  };
  void (async () => {
    try {
      for await (const [, payload] of dealer) {
        const msg = unpackr.unpack(payload!) as { id: string; result: unknown };
        const resolve = pending.get(msg.id);
        pending.delete(msg.id);
        resolve?.(msg.result);
      }
    } catch {
      // socket closed
    }
  })();
  return {
    call(fn, args) {
      const id = big
        ? crypto.randomUUID()
        : typeof ids === 'number'
          ? String(next++).padStart(ids, '0')
          : String(next++);
      return new Promise((resolve) => {
        pending.set(id, resolve);
        queue.push([
          empty,
          packr.pack({
            app: 'comlink_ipc_v3',
            id,
            type: 'call',
            timestamp: Date.now() / 1000,
            function: fn,
            args,
            namespace: 'default',
            ...(big ? { metadata: { deadline: Date.now() / 1000 + 60 } } : {}),
          }),
        ]);
        if (!pumping) void pump();
      });
    },
    childPid: child.pid!,
    async close() {
      child.kill(process.env.BENCH_CHILD_NODE ? 'SIGTERM' : 'SIGKILL');
      dealer.close();
      await waitExit(child);
    },
  };
}

async function startFork(): Promise<Client> {
  const child = fork(path.join(servers, 'fork-child.mjs'), { serialization: 'advanced', stdio: 'ignore' });
  const pending = new Map<number, (v: unknown) => void>();
  let next = 0;
  child.on('message', (msg: { id: number; result: unknown }) => {
    const resolve = pending.get(msg.id);
    pending.delete(msg.id);
    resolve?.(msg.result);
  });
  return {
    call(fn, args) {
      const id = next++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        child.send({ id, fn, args });
      });
    },
    childPid: child.pid!,
    async close() {
      child.kill('SIGKILL');
      await waitExit(child);
    },
  };
}

async function startHttp(): Promise<Client> {
  const child = fork(path.join(servers, 'http-child.mjs'), { stdio: 'ignore' });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  const base = `http://127.0.0.1:${port}`;
  return {
    async call(fn, args) {
      if (fn === 'echo') {
        const res = await fetch(`${base}/echo`, { method: 'POST', body: args[0] as Buffer });
        return Buffer.from(await res.arrayBuffer());
      }
      const res = await fetch(`${base}/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ fn, args }),
      });
      return ((await res.json()) as { result: unknown }).result;
    },
    childPid: child.pid!,
    async close() {
      child.kill('SIGKILL');
      await waitExit(child);
    },
  };
}
