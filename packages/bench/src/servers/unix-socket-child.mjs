// Baseline child: a plain Node Unix-domain socket with length-prefixed msgpack frames and write
// coalescing (every reply of one read leaves in one writev): the practical limit of local IPC in Node.
import { createConnection } from 'node:net';
import { frameReader, frameWriter } from './length-prefixed.mjs';
import { decode, encode } from './tuned-codec.mjs';

const socket = createConnection(process.env.BENCH_ENDPOINT);
socket.setNoDelay?.(true);
const write = frameWriter(socket);
socket.on(
  'data',
  frameReader((body) => {
    const msg = decode(body);
    const result = msg.function === 'add' ? msg.args[0] + msg.args[1] : (msg.args?.[0] ?? null);
    const reply = { app: msg.app, id: msg.id, type: 'response', timestamp: Date.now() / 1000, result };
    write(encode(reply, Buffer.isBuffer(result) ? result : undefined));
  }),
);
socket.on('close', () => process.exit(0));
socket.on('error', () => process.exit(1));
process.on('SIGTERM', () => process.exit(0));
