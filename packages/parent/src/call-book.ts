/**
 * The calls a parent waits on, found by id when their replies come. A worker that answers its calls
 * in turn (any worker with sync handlers, and most of the time one with async ones) answers the
 * oldest one first, so the book keeps the calls in the order they were booked and checks a reply's
 * id against the oldest one: one string comparison, no hashing. Only when a reply skips ahead does
 * the book build a map by id, and it keeps it while replies keep coming out of order; after
 * INDEX_IDLE replies in turn (and twice as many as there are calls) it drops it again. With a Map
 * alone, booking and finding a call (each hashes its 32-digit id, one of them a fresh string from
 * the decoder) were about a tenth of a parent's CPU per pipelined call (issue 16).
 *
 * Removing a call clears its place in the order at once, so a settled call (and its result, held by
 * its promise) is never kept alive by the book. The order is compacted when its cleared places
 * outnumber the live ones, so a call that stays pending for long does not make it grow without bound.
 * Pure: no sockets, no timers.
 */

/** What the book needs of a call: its id and a place it may note its position in. */
export interface Booked {
  readonly id: string;
  /** The call's index in the book's order; -1 once removed (set by the book). */
  slot: number;
}

/** Replies in turn after which the map by id is dropped again. */
export const INDEX_IDLE = 4096;
/** The order is compacted from this many places on (see `compact`). */
const COMPACT_MIN = 1024;
/** Empty places an empty book may keep (one call at a time reuses them, instead of a new array each time). */
const EMPTY_KEEP = 64;

export class CallBook<T extends Booked> {
  private order: (T | undefined)[] = [];
  /** Places before this are all cleared. */
  private head = 0;
  private count = 0;
  /** The calls by id, while replies come out of order (see above). */
  private index: Map<string, T> | undefined;
  private inTurn = 0;

  get size(): number {
    return this.count;
  }

  add(call: T): void {
    call.slot = this.order.length;
    this.order.push(call);
    this.count++;
    this.index?.set(call.id, call);
    if (this.order.length >= COMPACT_MIN) this.compact();
  }

  /** The call with this id, if it is in the book. */
  find(id: string): T | undefined {
    const order = this.order;
    let head = this.head;
    while (head < order.length && order[head] === undefined) head++;
    this.head = head;
    const oldest = order[head];
    if (oldest !== undefined && oldest.id === id) {
      // Dropped after INDEX_IDLE replies in turn, and never before twice as many as there are calls:
      // rebuilding it costs one pass over them, so even a worker that skips ahead just often enough
      // to make it be rebuilt each time costs O(1) per reply.
      if (this.index !== undefined && ++this.inTurn >= Math.max(INDEX_IDLE, 2 * this.count)) this.index = undefined;
      return oldest;
    }
    this.inTurn = 0;
    return this.indexed().get(id);
  }

  /** Takes a call out (a no-op when it is not in the book). */
  remove(call: T): void {
    const at = call.slot;
    if (at < 0 || this.order[at] !== call) return;
    this.order[at] = undefined;
    call.slot = -1;
    this.count--;
    this.index?.delete(call.id);
    // The last of a burst: its empty places go now, not when the next call is booked.
    if (this.count === 0 && this.order.length > EMPTY_KEEP) {
      this.order = [];
      this.head = 0;
    }
  }

  has(call: T): boolean {
    return call.slot >= 0 && this.order[call.slot] === call;
  }

  /** The calls in the book, oldest first (a copy: removing while iterating is safe). */
  values(): T[] {
    const out: T[] = [];
    for (let i = this.head; i < this.order.length; i++) {
      const call = this.order[i];
      if (call !== undefined) out.push(call);
    }
    return out;
  }

  private indexed(): Map<string, T> {
    if (this.index === undefined) {
      this.index = new Map();
      for (const call of this.values()) this.index.set(call.id, call);
    }
    return this.index;
  }

  /**
   * Drops the cleared places once they are at least half the order: each call is moved at most
   * once per doubling, so this costs O(1) per call.
   */
  private compact(): void {
    const order = this.order;
    if (order.length < 2 * this.count) return;
    const kept: T[] = [];
    for (let i = this.head; i < order.length; i++) {
      const call = order[i];
      if (call === undefined) continue;
      call.slot = kept.length;
      kept.push(call);
    }
    this.order = kept;
    this.head = 0;
  }
}
