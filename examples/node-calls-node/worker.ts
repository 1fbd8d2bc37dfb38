// The worker: a class whose public methods become remotely callable.
import { ChildWorker, callContext } from 'multifrost';

export class MathWorker extends ChildWorker {
  add(a: number, b: number): number {
    return a + b;
  }

  async fibonacci(n: number): Promise<number> {
    const { signal } = callContext();
    let [a, b] = [0, 1];
    for (let i = 0; i < n; i++) {
      if (signal.aborted) throw signal.reason;
      [a, b] = [b, a + b];
      if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
    }
    return a;
  }

  divide(a: number, b: number): number {
    if (b === 0) throw new RangeError('division by zero');
    return a / b;
  }

  greet(name: string): string {
    console.log(`worker says hello to ${name}`);
    return `Hello, ${name}!`;
  }
}

new MathWorker().run();
