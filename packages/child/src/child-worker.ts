/**
 * The worker side: `class MyWorker extends ChildWorker { add(a, b) { return a + b } }` and
 * `new MyWorker().run()`. This class is only the user-facing shell: its public members are exactly
 * the reserved names (reserved-names.ts), and all machinery sits in a WorkerRuntime behind a
 * #private field, so a user's `execute`, `send`, `state` or `queue` is just another method.
 */
import type { ChildWorkerOptions } from './child-worker-options.js';
import { assertNoReservedOnPrototypes } from './reserved-names.js';
import { WorkerRuntime } from './worker-runtime.js';

export abstract class ChildWorker {
  readonly #runtime: WorkerRuntime;

  constructor(options: ChildWorkerOptions | string = {}) {
    // The subclass's prototype chain is complete here; its instance fields are not (start() checks those).
    assertNoReservedOnPrototypes(this, ChildWorker.prototype);
    const opts = typeof options === 'string' ? { serviceId: options } : { ...options };
    this.#runtime = new WorkerRuntime(this, ChildWorker.prototype, opts);
  }

  /** The methods a parent may call, sorted (see docs/protocol.md, "Choices and clarifications"). */
  listFunctions(): string[] {
    return this.#runtime.listFunctions();
  }

  /** Spawn mode or connect mode, decided at start. */
  get mode(): 'spawn' | 'connect' | undefined {
    return this.#runtime.mode;
  }

  /** The port this worker bound (connect mode) or connected to (spawn mode). */
  get port(): number | undefined {
    return this.#runtime.port;
  }

  /** The namespace this worker serves (the `namespace` option, default `"default"`). */
  get namespace(): string {
    return this.#runtime.namespace;
  }

  /** Starts serving and resolves with the port once the socket is ready. Idempotent. */
  start(): Promise<number> {
    return this.#runtime.start();
  }

  /** Starts serving and resolves when the worker has stopped. */
  run(): Promise<void> {
    return this.#runtime.run();
  }

  /** Graceful stop: refuse new calls, let in-flight ones finish (within the grace), unregister, close. */
  stop(): Promise<void> {
    return this.#runtime.stop();
  }

  /** `await using worker = new MyWorker(...)` stops it at the end of the block; a symbol, so it takes no name from the user. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#runtime.stop();
  }
}
