// The TypeScript worker the Rust parent drives: the value table plus slow, noisy and CPU-bound
// methods. MF_ZMTP_HEARTBEAT_MS turns libzmq's ZMTP PINGs on, to show what the zeromq crate does with them.
import { ChildWorker, zmqTransport } from 'multifrost';

class RustFacingWorker extends ChildWorker {
  add(a: number, b: number): number {
    return a + b;
  }
  echo(value: unknown): unknown {
    return value;
  }
  values(): unknown[] {
    return [
      null,
      true,
      7,
      -5,
      2 ** 40,
      2n ** 63n - 1n,
      2n ** 64n - 1n,
      1.5,
      Number.NaN,
      '',
      'héllo 🌍',
      Buffer.from([0, 255]),
      [],
      [1, [2]],
      {},
      { a: { b: 1 } },
      new Date(1_700_000_000_000),
    ];
  }
  fail(message: string): never {
    throw new RangeError(message);
  }
  shout(text: string): number {
    console.log(text);
    console.error(`err:${text}`);
    return text.length;
  }
  async sleep(ms: number): Promise<number> {
    await new Promise((r) => setTimeout(r, ms));
    return ms;
  }
  burn(ms: number): number {
    const end = Date.now() + ms;
    let n = 0;
    while (Date.now() < end) n++;
    return n;
  }
  pid(): number {
    return process.pid;
  }
}

const pingMs = process.env.MF_ZMTP_HEARTBEAT_MS;
new RustFacingWorker({
  ...(process.env.MF_SERVICE_ID ? { serviceId: process.env.MF_SERVICE_ID } : {}),
  ...(pingMs ? { transport: zmqTransport({ zmtpHeartbeatIntervalMs: Number(pingMs) }) } : {}),
}).run();
