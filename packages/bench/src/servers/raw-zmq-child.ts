// Baseline child: a bare zeromq.js ROUTER + msgpackr echo of Multifrost-shaped messages, with no
// framework at all. What a hand-written implementation of this design can reach.
import { Packr, Unpackr } from 'msgpackr';
import { Router } from 'zeromq';

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
const router = new Router({ linger: 0, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000 });
router.connect(`tcp://127.0.0.1:${process.env.BENCH_PORT}`);

for await (const [peer, , payload] of router) {
  const msg = unpackr.unpack(payload!) as { id: string; app: string; type: string; function?: string; args?: unknown[] };
  let result: unknown;
  if (msg.function === 'add') result = (msg.args![0] as number) + (msg.args![1] as number);
  else result = msg.args?.[0] ?? null;
  const reply = { app: msg.app, id: msg.id, type: msg.type === 'heartbeat' ? 'heartbeat' : 'response', timestamp: Date.now() / 1000, result };
  await router.send([peer!, Buffer.alloc(0), packr.pack(reply)]);
}
