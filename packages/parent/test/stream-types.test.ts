/** The typed surfaces: generator methods appear on `stream` (not on `call`), plain methods on `call` only. */
import { describe, expectTypeOf, it } from 'vitest';
import type { Remote, Streams, UntypedApi } from '../src/proxy.js';
import type { RemoteStream } from '../src/remote-stream.js';

class Api {
  add(a: number, b: number): number {
    return a + b;
  }
  async *tokens(_prompt: string): AsyncGenerator<string> {
    yield 'a';
  }
  *rows(): Generator<{ id: number; at: Date; tags: Set<string> }> {}
  list(): number[] {
    return [];
  }
  name(): string {
    return '';
  }
  fail(): never {
    throw new Error('no');
  }
  _hidden(): AsyncGenerator<number> {
    throw new Error();
  }
}

describe('Streams<T> and Remote<T>', () => {
  it('maps generator methods to RemoteStream of their wire item type', () => {
    expectTypeOf<Streams<Api>['tokens']>().toEqualTypeOf<(_prompt: string) => RemoteStream<string>>();
    expectTypeOf<ReturnType<Streams<Api>['rows']>>().toEqualTypeOf<
      RemoteStream<{ id: number; at: Date; tags: string[] }>
    >();
    expectTypeOf<keyof Streams<Api>>().toEqualTypeOf<'tokens' | 'rows'>();
  });

  it('leaves generator methods off call, keeps arrays and strings there', () => {
    expectTypeOf<keyof Remote<Api>>().toEqualTypeOf<'add' | 'list' | 'name' | 'fail'>();
  });

  it('an untyped API offers every name on both', () => {
    expectTypeOf<Streams<UntypedApi>['anything']>().toBeFunction();
    expectTypeOf<Remote<UntypedApi>['anything']>().toBeFunction();
  });
});
