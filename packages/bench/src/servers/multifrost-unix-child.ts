// The benchmark's Multifrost Node child over the bench-only Unix-socket transport (unix-transport.ts).
import { ChildWorker } from '@multifrost/child';
import { unixTransport } from '../unix-transport.js';

class BenchWorker extends ChildWorker {
  add(a: number, b: number) {
    return a + b;
  }
  echo(value: unknown) {
    return value;
  }
}
new BenchWorker({ transport: unixTransport() }).run();
