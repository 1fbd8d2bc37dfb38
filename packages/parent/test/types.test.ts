// Type-level tests: checked by `tsc --noEmit` (the typecheck task), trivially true at run time.
import { describe, expectTypeOf, it } from 'vitest';
import type { ParentWorker } from '../src/parent-worker.js';
import type { Remote } from '../src/proxy.js';

class Base {
  run(): void {}
  stop(): void {}
  listFunctions(): string[] {
    return [];
  }
}
class MathWorker extends Base {
  add(a: number, b: number): number {
    return a + b;
  }
  async slow(ms: number): Promise<string> {
    return String(ms);
  }
  _secret(): void {}
  count = 1;
}

describe('typed proxy', () => {
  it('maps methods to promise-returning functions and hides base, private and data members', () => {
    type R = Remote<MathWorker>;
    expectTypeOf<R['add']>().toEqualTypeOf<(a: number, b: number) => Promise<number>>();
    expectTypeOf<R['slow']>().toEqualTypeOf<(ms: number) => Promise<string>>();
    expectTypeOf<keyof R>().toEqualTypeOf<'add' | 'slow'>();
  });

  it('gives worker.call and worker.with().call the typed view', () => {
    expectTypeOf<ParentWorker<MathWorker>['call']['add']>().returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf<ReturnType<ParentWorker<MathWorker>['with']>['call']['slow']>().parameters.toEqualTypeOf<[number]>();
  });

  it('is open-ended when no worker type is given', () => {
    expectTypeOf<ParentWorker['call']['anything']>().toBeFunction();
  });
});
