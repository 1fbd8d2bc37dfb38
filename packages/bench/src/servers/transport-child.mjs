// Experiment: a child on @multifrost/transport-zmq alone (no ChildWorker).
import { createResponse, createHeartbeatReply } from '@multifrost/protocol';
import { zmqTransport } from '@multifrost/transport-zmq';
process.on('SIGTERM', () => process.exit(0));
const t = zmqTransport().service();
const onErr = () => {};
t.onMessage = (msg, peer) => {
  if (msg.type === 'heartbeat') return t.post(peer, createHeartbeatReply(msg), onErr);
  if (msg.type !== 'call') return;
  const result = msg.function === 'add' ? msg.args[0] + msg.args[1] : (msg.args?.[0] ?? null);
  t.post(peer, createResponse(msg.id, result, msg.app), onErr);
};
t.connect(`tcp://127.0.0.1:${process.env.COMLINK_ZMQ_PORT}`);
