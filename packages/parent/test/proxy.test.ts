import { describe, expect, it } from 'vitest';
import { createCallProxy } from '../src/proxy.js';

interface Api {
  add(a: number, b: number): number;
  run(): void;
}

describe('call proxy', () => {
  it('turns property calls into invocations with positional args', async () => {
    const calls: [string, unknown[]][] = [];
    const proxy = createCallProxy<Api>(async (fn, args) => {
      calls.push([fn, args]);
      return 42;
    });
    await expect(proxy.add(1, 2)).resolves.toBe(42);
    expect(calls).toEqual([['add', [1, 2]]]);
  });

  it('is not a thenable, so awaiting it sends nothing', async () => {
    let invoked = 0;
    const proxy = createCallProxy<Api>(async () => invoked++);
    const awaited = await proxy;
    expect(awaited).toBe(proxy);
    expect((proxy as unknown as { then?: unknown }).then).toBeUndefined();
    expect((proxy as unknown as Record<symbol, unknown>)[Symbol.iterator]).toBeUndefined();
    expect(invoked).toBe(0);
  });

  it('returns the same function for the same name', () => {
    const proxy = createCallProxy<Api>(async () => 0);
    expect(proxy.add).toBe(proxy.add);
  });
});
