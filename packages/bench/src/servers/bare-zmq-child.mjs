// Baseline child: bare zeromq.js ROUTER frames, no msgpack. Every message is sent back as it came,
// through the tuned send path, so the pair measures what zeromq.js and libzmq cost per message.
import { Router } from 'zeromq';
import { zmqWriter } from './zmq-writer.mjs';

const router = new Router({ linger: 0, sendTimeout: 0, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000 });
router.connect(process.env.BENCH_ENDPOINT);
const post = zmqWriter(router);
process.on('SIGTERM', () => process.exit(0));

for await (const frames of router) post(frames);
