// The pool's pure parts: worker choice, the waiting queue, option checking. No processes.
import { describe, expect, it } from 'vitest';
import { pickSlot } from '../src/pool-dispatch.js';
import { resolvePoolOptions, workerOptions } from '../src/pool-options.js';
import { PoolQueue } from '../src/pool-queue.js';
import { overMaxCalls } from '../src/pool-recycle.js';

const slot = (inFlight: number, open = true) => ({ inFlight, open });

describe('pickSlot', () => {
  it('least-loaded takes the fewest in flight, skips closed and full slots, and rotates ties from the cursor', () => {
    expect(pickSlot([slot(2), slot(1), slot(3)], 'least-loaded', 4, 0)).toBe(1);
    expect(pickSlot([slot(0, false), slot(1), slot(0)], 'least-loaded', 4, 0)).toBe(2);
    expect(pickSlot([slot(1), slot(1)], 'least-loaded', 4, 1)).toBe(1);
    expect(pickSlot([slot(4), slot(4)], 'least-loaded', 4, 0)).toBe(-1);
    expect(pickSlot([], 'least-loaded', 4, 0)).toBe(-1);
  });

  it('round-robin takes the next slot with room from the cursor, whatever its load', () => {
    expect(pickSlot([slot(0), slot(3), slot(0)], 'round-robin', 4, 1)).toBe(1);
    expect(pickSlot([slot(0), slot(4), slot(0)], 'round-robin', 4, 1)).toBe(2);
    expect(pickSlot([slot(1, false), slot(4)], 'round-robin', 4, 0)).toBe(-1);
  });
});

describe('PoolQueue', () => {
  const entry = (n: number) => ({ n, gone: false });

  it('is first in first out; removed entries are skipped and not counted; retries go first', () => {
    const q = new PoolQueue<ReturnType<typeof entry>>();
    const [a, b, c, d] = [entry(1), entry(2), entry(3), entry(4)];
    q.push(a);
    q.push(b);
    q.push(c);
    q.remove(b);
    q.remove(b);
    expect(q.size).toBe(2);
    q.pushFront(d);
    expect([q.shift()?.n, q.shift()?.n, q.shift()?.n, q.shift()]).toEqual([4, 1, 3, undefined]);
    expect(q.size).toBe(0);
    expect(a.gone && c.gone && d.gone).toBe(true);
  });

  it('holds 100,000 entries and hands them all back in order', () => {
    const q = new PoolQueue<ReturnType<typeof entry>>();
    for (let i = 0; i < 100_000; i++) q.push(entry(i));
    let last = -1;
    let ordered = true;
    for (let i = 0; i < 50_000; i++) {
      const e = q.shift()!;
      ordered &&= e.n === last + 1;
      last = e.n;
    }
    const rest = q.drainAll();
    expect(ordered).toBe(true);
    expect(rest).toHaveLength(50_000);
    expect(rest[0]!.n).toBe(50_000);
    expect(q.size).toBe(0);
  });
});

describe('resolvePoolOptions', () => {
  it('defaults: one worker, concurrency 1 for Python and 64 otherwise, a bounded queue', () => {
    const py = resolvePoolOptions({}, 'm.py', true);
    expect(py).toMatchObject({
      minWorkers: 1,
      maxWorkers: 1,
      concurrency: 1,
      maxQueue: 10_000,
      strategy: 'least-loaded',
    });
    expect(resolvePoolOptions({}, 'w.ts', false).concurrency).toBe(64);
    expect(resolvePoolOptions({ size: 4 }, 'w', false)).toMatchObject({ minWorkers: 4, maxWorkers: 4 });
    expect(resolvePoolOptions({ minWorkers: 2 }, 'w', false)).toMatchObject({ minWorkers: 2, maxWorkers: 2 });
    expect(resolvePoolOptions({ maxQueue: Infinity }, 'w', false).maxQueue).toBe(Infinity);
    expect(resolvePoolOptions({ size: 9 }, 'w', false, 3)).toMatchObject({ minWorkers: 3, maxWorkers: 3 });
  });

  it('refuses bad values, naming the option', () => {
    const bad: [object, RegExp][] = [
      [{ size: 0 }, /size must be an integer ≥ 1, got 0/],
      [{ size: 1.5 }, /size must be/],
      [{ minWorkers: 3, maxWorkers: 2 }, /maxWorkers must be ≥ minWorkers \(3\)/],
      [{ size: 2, maxWorkers: 3 }, /size must be left out/],
      [{ concurrency: -1 }, /concurrency must be/],
      [{ strategy: 'random' }, /strategy must be 'least-loaded' or 'round-robin'/],
      [{ maxQueue: Number.NaN }, /maxQueue must be/],
      [{ recycle: { maxRssMb: 0 } }, /recycle.maxRssMb must be a number > 0/],
      [{ retry: { idempotent: 'fn' } }, /retry.idempotent must be an array/],
      [{ autoRestart: true }, /autoRestart is not taken/],
      [{ idleTimeoutMs: -5 }, /idleTimeoutMs/],
    ];
    for (const [given, message] of bad) {
      let error: unknown;
      try {
        resolvePoolOptions(given as never, 'w', false);
      } catch (err) {
        error = err;
      }
      expect(error, JSON.stringify(given)).toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(String((error as Error).message)).toMatch(message);
    }
  });

  it('workerOptions passes on the spawn options without the pool keys', () => {
    expect(workerOptions({ size: 2, recycle: {}, env: { A: '1' }, closeGraceMs: 10, maxQueue: 3 })).toEqual({
      env: { A: '1' },
      closeGraceMs: 10,
    });
  });

  it('overMaxCalls fires at the count, never without the option', () => {
    const r = resolvePoolOptions({ recycle: { maxCalls: 2 } }, 'w', false).recycle;
    const facts = { pid: 1, inFlight: 0, idleSince: 0 };
    expect(overMaxCalls(r, { ...facts, calls: 1 })).toBe(false);
    expect(overMaxCalls(r, { ...facts, calls: 2 })).toBe(true);
    expect(overMaxCalls(resolvePoolOptions({}, 'w', false).recycle, { ...facts, calls: 1e9 })).toBe(false);
  });
});
