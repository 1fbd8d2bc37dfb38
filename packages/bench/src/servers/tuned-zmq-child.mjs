// Baseline child: the tuned raw msgpack pair (send timeout 0 with a queued writer, exact-size
// encoding of big replies). With BENCH_BATCH=1 each ZeroMQ message holds an array of calls and
// gets back one message holding the array of replies.
import { Router } from 'zeromq';
import { decode, encode } from './tuned-codec.mjs';
import { zmqWriter } from './zmq-writer.mjs';

const router = new Router({ linger: 0, sendTimeout: 0, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000 });
// BENCH_ENDPOINT from the ceiling clients; COMLINK_ZMQ_PORT when a Multifrost parent spawns it.
router.connect(process.env.BENCH_ENDPOINT || `tcp://127.0.0.1:${process.env.COMLINK_ZMQ_PORT}`);
const post = zmqWriter(router);
const batched = process.env.BENCH_BATCH === '1';
const empty = Buffer.alloc(0);
process.on('SIGTERM', () => process.exit(0));

const answer = (msg) => {
  const result = msg.function === 'add' ? msg.args[0] + msg.args[1] : (msg.args?.[0] ?? null);
  // A Multifrost parent's heartbeats are answered as heartbeats, as a public peer does.
  const type = msg.type === 'heartbeat' ? 'heartbeat' : 'response';
  return { app: msg.app, id: msg.id, type, timestamp: Date.now() / 1000, result };
};
const bigOf = (reply) => (Buffer.isBuffer(reply.result) ? reply.result : undefined);

for await (const [peer, , payload] of router) {
  const msg = decode(payload);
  if (batched) {
    const replies = msg.map(answer);
    post([peer, empty, encode(replies, replies.length === 1 ? bigOf(replies[0]) : undefined)]);
  } else {
    const reply = answer(msg);
    post([peer, empty, encode(reply, bigOf(reply))]);
  }
}
