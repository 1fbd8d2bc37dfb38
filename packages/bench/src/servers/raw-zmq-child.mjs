// Baseline child: a bare zeromq.js ROUTER + msgpackr echo of Multifrost-shaped messages, with no
// framework at all — what a hand-written implementation of this design reaches.
import { Packr, Unpackr } from 'msgpackr';
import { Router } from 'zeromq';

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
const router = new Router({ linger: 0, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000 });
router.connect(`tcp://127.0.0.1:${process.env.COMLINK_ZMQ_PORT}`);
const empty = Buffer.alloc(0);
process.on('SIGTERM', () => process.exit(0)); // a clean exit, so --cpu-prof can write its profile

for await (const [peer, , payload] of router) {
  const msg = unpackr.unpack(payload);
  const result = msg.function === 'add' ? msg.args[0] + msg.args[1] : (msg.args?.[0] ?? null);
  const type = msg.type === 'heartbeat' ? 'heartbeat' : 'response';
  await router.send([
    peer,
    empty,
    packr.pack({ app: msg.app, id: msg.id, type, timestamp: Date.now() / 1000, result }),
  ]);
}
