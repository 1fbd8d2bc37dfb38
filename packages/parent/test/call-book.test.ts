// The call book alone (pure): replies in turn, out of order, late and unknown; memory stays bounded.
import { describe, expect, it } from 'vitest';
import { CallBook, INDEX_IDLE, type Booked } from '../src/call-book.js';

interface Call extends Booked {
  result?: unknown;
}
const call = (id: string): Call => ({ id, slot: -1 });
/** How many places the book's order holds (cleared ones too): its memory, near enough. */
const places = (book: CallBook<Call>): number => (book as unknown as { order: unknown[] }).order.length;
const indexed = (book: CallBook<Call>): boolean =>
  (book as unknown as { index?: Map<string, Call> }).index !== undefined;

describe('CallBook', () => {
  it('finds calls answered in turn, out of order and not at all, and never one it gave up', () => {
    const book = new CallBook<Call>();
    const calls = Array.from({ length: 10 }, (_, i) => call(`c${i}`));
    for (const c of calls) book.add(c);
    expect(book.size).toBe(10);
    // In turn: the oldest each time, with no map by id.
    for (const c of calls.slice(0, 3)) {
      expect(book.find(c.id)).toBe(c);
      book.remove(c);
    }
    expect(indexed(book)).toBe(false);
    // Out of order: found through the map, which the book builds now.
    expect(book.find('c7')).toBe(calls[7]);
    expect(indexed(book)).toBe(true);
    book.remove(calls[7]!);
    expect(book.find('c7')).toBeUndefined(); // a late reply
    expect(book.find('nope')).toBeUndefined(); // a reply no call asked for
    expect(book.has(calls[7]!)).toBe(false);
    expect(book.has(calls[8]!)).toBe(true);
    book.remove(calls[7]!); // twice: a no-op
    expect(book.size).toBe(6);
    expect(book.values().map((c) => c.id)).toEqual(['c3', 'c4', 'c5', 'c6', 'c8', 'c9']);
    // Calls booked while the map is kept are in it too.
    const late = call('late');
    book.add(late);
    expect(book.find('late')).toBe(late);
  });

  it('drops the map by id after replies come in turn again', () => {
    const book = new CallBook<Call>();
    let n = 0;
    const add = () => {
      const c = call(`c${n++}`);
      book.add(c);
      return c;
    };
    const a = add();
    const b = add();
    expect(book.find(b.id)).toBe(b); // out of order
    book.remove(b);
    expect(indexed(book)).toBe(true);
    book.remove(a);
    for (let i = 0; i < INDEX_IDLE; i++) {
      const c = add();
      expect(book.find(c.id)).toBe(c);
      book.remove(c);
    }
    expect(indexed(book)).toBe(false);
  });

  it('keeps the map while many calls are pending, so rebuilding it stays O(1) per reply', () => {
    const book = new CallBook<Call>();
    const calls = Array.from({ length: 10_000 }, (_, i) => call(`c${i}`));
    for (const c of calls) book.add(c);
    expect(book.find('c9999')).toBe(calls[9_999]); // out of order: the map is built (10,000 calls)
    for (const c of calls.slice(0, INDEX_IDLE)) {
      expect(book.find(c.id)).toBe(c);
      book.remove(c);
    }
    // 4,096 in turn, but about 5,900 calls still pending: a rebuild would cost more than it saved.
    expect(indexed(book)).toBe(true);
  });

  it('holds no settled call, and its order stays bounded while one call stays pending for long', () => {
    const book = new CallBook<Call>();
    const stuck = call('stuck');
    book.add(stuck);
    let n = 0;
    for (let round = 0; round < 50; round++) {
      const batch = Array.from({ length: 256 }, () => call(`c${n++}`));
      for (const c of batch) book.add(c);
      // Answered in reverse (out of order), so the map and the compaction both have work.
      for (const c of [...batch].reverse()) {
        expect(book.find(c.id)).toBe(c);
        book.remove(c);
      }
      expect(book.size).toBe(1);
      expect(places(book)).toBeLessThan(2_100);
    }
    const order = (book as unknown as { order: (Call | undefined)[] }).order;
    expect(order.filter((c) => c !== undefined)).toEqual([stuck]);
    expect(book.find('stuck')).toBe(stuck);
    expect(book.values()).toEqual([stuck]);
    book.remove(stuck);
    expect(places(book)).toBe(0); // the last call gone: no empty places kept until the next one
  });
});
