// The TypeScript worker the Go parent drives: the value table rows Go holds, and the shared
// slow, noisy and CPU-bound methods for the liveness and output tests.
import { InteropWorker, serviceOptions, valueRows } from './fixtures/interop-worker.js';

class GoFacingWorker extends InteropWorker {
  values(): unknown[] {
    return valueRows(['MAX_SAFE_INTEGER', 'NaN', 'Infinity']);
  }
  fail(message: string): never {
    throw new RangeError(message);
  }
}
new GoFacingWorker(serviceOptions()).run();
