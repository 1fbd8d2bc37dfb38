// The Multifrost Node child used by the benchmarks.
import { ChildWorker } from '@multifrost/child';

class BenchWorker extends ChildWorker {
  add(a: number, b: number): number {
    return a + b;
  }
  echo(value: unknown): unknown {
    return value;
  }
}
void new BenchWorker().run();
