// The TypeScript worker the Rust parent drives: the value table rows Rust holds, and the shared
// methods. MF_ZMTP_HEARTBEAT_MS turns libzmq's ZMTP PINGs on, to show what the zeromq crate does with them.
import { zmqTransport } from 'multifrost';
import { InteropWorker, serviceOptions, valueRows } from './fixtures/interop-worker.js';

class RustFacingWorker extends InteropWorker {
  values(): unknown[] {
    return valueRows(['MAX_SAFE_INTEGER', 'Infinity']);
  }
  fail(message: string): never {
    throw new RangeError(message);
  }
}

const pingMs = process.env.MF_ZMTP_HEARTBEAT_MS;
new RustFacingWorker({
  ...serviceOptions(),
  ...(pingMs ? { transport: zmqTransport({ zmtpHeartbeatIntervalMs: Number(pingMs) }) } : {}),
}).run();
