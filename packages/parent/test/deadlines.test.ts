import { describe, expect, it } from 'vitest';
import { Deadlines } from '../src/deadlines.js';

/** A stand-in for the worker's pending calls: deadlines by name, expired in the callback. */
function book() {
  const pending = new Map<string, number>();
  const expired: string[] = [];
  let fires = 0;
  const deadlines = new Deadlines((now) => {
    fires++;
    let next = Infinity;
    for (const [name, at] of pending) {
      if (at <= now) {
        pending.delete(name);
        expired.push(name);
      } else if (at < next) next = at;
    }
    return next;
  });
  const add = (name: string, inMs: number) => {
    const at = performance.now() + inMs;
    pending.set(name, at);
    deadlines.add(at);
  };
  return { pending, expired, deadlines, add, fires: () => fires };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Deadlines', () => {
  it('expires each call at its own deadline, in order', async () => {
    const b = book();
    b.add('a', 30);
    await sleep(10);
    b.add('b', 30);
    b.add('c', 30);
    await sleep(25);
    expect(b.expired).toEqual(['a']);
    await sleep(40);
    expect(b.expired).toEqual(['a', 'b', 'c']);
  });

  it('calls that settle in time make it fire once per timeout period, not once per call', async () => {
    const b = book();
    for (let i = 0; i < 100; i++) {
      b.add(`call${i}`, 40);
      await Promise.resolve();
      b.pending.delete(`call${i}`); // answered before its deadline
    }
    await sleep(60);
    expect(b.expired).toEqual([]);
    expect(b.fires()).toBe(1); // the first call's deadline; nothing was pending after it
  });

  it('a call with an earlier deadline than the armed one is not kept waiting for it', async () => {
    const b = book();
    b.add('slow', 10_000);
    b.add('fast', 20);
    await sleep(60);
    expect(b.expired).toEqual(['fast']);
    expect([...b.pending.keys()]).toEqual(['slow']);
    b.deadlines.clear();
  });

  it('settled calls cost nothing when the timer fires, and clear() stops it', async () => {
    const b = book();
    b.add('done', 20);
    b.pending.delete('done'); // settled before its deadline
    await sleep(50);
    expect(b.expired).toEqual([]);
    b.add('x', 20);
    b.deadlines.clear();
    await sleep(50);
    expect(b.expired).toEqual([]);
  });
});
