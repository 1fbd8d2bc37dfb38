// The Multifrost Node child used by the benchmarks (plain JS, as a user would ship it).
import { ChildWorker } from '@multifrost/child';

class BenchWorker extends ChildWorker {
  add(a, b) {
    return a + b;
  }
  echo(value) {
    return value;
  }
}
new BenchWorker().run();
