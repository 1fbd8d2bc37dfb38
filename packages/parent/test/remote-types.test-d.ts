// Type-level tests of `Remote<T>` and `Wire<T>`: checked by `tsc --noEmit` (pnpm typecheck) and by
// vitest's typecheck mode (pnpm test), so a wrong mapping fails both. The run-time side of each
// row is checked by packages/e2e/test/wire-types.test.ts against a real worker.
import { describe, expectTypeOf, it } from 'vitest';
import type { ParentWorker } from '../src/parent-worker.js';
import type { Remote } from '../src/proxy.js';
import type { Wire } from '../src/wire-type.js';

class Base {
  run(): void {}
  stop(): void {}
  listFunctions(): string[] {
    return [];
  }
}

class Point {
  constructor(
    public x: number,
    public y: number,
  ) {}
  norm(): number {
    return Math.hypot(this.x, this.y);
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
  label = 'm';
  [Symbol.iterator](): Iterator<number> {
    return [1][Symbol.iterator]();
  }
}

interface WireValues {
  map(): Map<string, number>;
  set(): Set<string>;
  smallBigint(): bigint;
  bytes(): Uint8Array;
  floats(): Float64Array;
  nothing(): void;
  asyncNothing(): Promise<void>;
  undef(): undefined;
  optional(): { a: number; b?: string };
  date(): Date;
  point(): Point;
  nested(): { tags: Set<string>; byId: Map<string, { at: Date; big: bigint }>; list: Array<Uint8Array> };
  tuple(): readonly [string, Set<number>];
  literal(): 'on' | 'off';
  anything(): unknown;
}

/** A worker whose method names collide with what the proxy never forwards. */
class Awkward {
  then(): number {
    return 1;
  }
  catch(): void {}
  finally(): void {}
  inspect(): string {
    return '';
  }
  toString(): string {
    return '';
  }
  valueOf(): number {
    return 0;
  }
  toJSON(): object {
    return {};
  }
  asymmetricMatch(): boolean {
    return false;
  }
  $$typeof(): void {}
  nodeType(): void {}
  real(): number {
    return 1;
  }
}

describe('Remote<T>', () => {
  it('leaves out the names the proxy blocks, since worker.call can never reach them', () => {
    expectTypeOf<keyof Remote<Awkward>>().toEqualTypeOf<'real'>();
    expectTypeOf<Remote<Awkward>>().not.toHaveProperty('then');
    expectTypeOf<Remote<Awkward>>().not.toHaveProperty('toString');
    expectTypeOf<Remote<Awkward>>().not.toHaveProperty('toJSON');
  });

  it('with() views also have callFunction', () => {
    type View = ReturnType<ParentWorker<MathWorker>['with']>;
    expectTypeOf<View['callFunction']>().toBeFunction();
    expectTypeOf<ReturnType<View['callFunction']>>().toEqualTypeOf<Promise<unknown>>();
  });

  it('maps methods to promise-returning functions and hides base, private, symbol and data members', () => {
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
    expectTypeOf<ParentWorker['call']['anything']>().returns.toEqualTypeOf<Promise<any>>(); // eslint-disable-line @typescript-eslint/no-explicit-any
  });

  it('resolves each method to what the wire delivers', () => {
    type R = Remote<WireValues>;
    expectTypeOf<R['map']>().returns.toEqualTypeOf<Promise<Record<string, number>>>();
    expectTypeOf<R['set']>().returns.toEqualTypeOf<Promise<string[]>>();
    expectTypeOf<R['smallBigint']>().returns.toEqualTypeOf<Promise<number | bigint>>();
    expectTypeOf<R['bytes']>().returns.toEqualTypeOf<Promise<Buffer>>();
    expectTypeOf<R['floats']>().returns.toEqualTypeOf<Promise<Buffer>>();
    expectTypeOf<R['nothing']>().returns.toEqualTypeOf<Promise<null>>();
    expectTypeOf<R['asyncNothing']>().returns.toEqualTypeOf<Promise<null>>();
    expectTypeOf<R['undef']>().returns.toEqualTypeOf<Promise<null>>();
    expectTypeOf<R['date']>().returns.toEqualTypeOf<Promise<Date>>();
    expectTypeOf<R['literal']>().returns.toEqualTypeOf<Promise<'on' | 'off'>>();
    expectTypeOf<R['anything']>().returns.toEqualTypeOf<Promise<unknown>>();
  });
});

describe('Wire<T>', () => {
  it('turns an optional property that may be undefined into one that may be null', () => {
    expectTypeOf<Wire<{ a: number; b?: string }>>().toEqualTypeOf<{ a: number; b?: string | null }>();
  });

  it('turns a class instance into its data members, without methods', () => {
    expectTypeOf<Wire<Point>>().toEqualTypeOf<{ x: number; y: number }>();
    expectTypeOf<Wire<Point>>().not.toHaveProperty('norm');
  });

  it('maps nested values, keeping tuples', () => {
    expectTypeOf<Wire<ReturnType<WireValues['nested']>>>().toEqualTypeOf<{
      tags: string[];
      byId: Record<string, { at: Date; big: number | bigint }>;
      list: Buffer[];
    }>();
    expectTypeOf<Wire<readonly [string, Set<number>]>>().toEqualTypeOf<[string, number[]]>();
  });

  it('keeps literal Map keys, each one possibly absent', () => {
    expectTypeOf<Wire<Map<'a' | 'b', Date>>>().toEqualTypeOf<{ a?: Date; b?: Date }>();
  });

  it('leaves primitives, null and any as they are', () => {
    expectTypeOf<Wire<string | null>>().toEqualTypeOf<string | null>();
    expectTypeOf<Wire<number | undefined>>().toEqualTypeOf<number | null>();
    expectTypeOf<Wire<any>>().toBeAny(); // eslint-disable-line @typescript-eslint/no-explicit-any
  });
});
