/**
 * The calls waiting for a free worker, first in first out. A call that leaves the queue early
 * (timeout, abort) is only marked and skipped later, so 10,000 waiting calls cost no array splices;
 * a call resent after its worker died goes to the front, ahead of calls that came after it.
 */

export interface Waiting {
  /** Set once the call left the queue (dispatched, timed out, aborted, cancelled). */
  gone: boolean;
}

export class PoolQueue<E extends Waiting> {
  private items: (E | undefined)[] = [];
  private head = 0;
  private readonly front: E[] = [];
  private live = 0;

  get size(): number {
    return this.live;
  }

  push(entry: E): void {
    this.items.push(entry);
    this.live++;
  }

  /** Ahead of everything else (a retry keeps its place in line). */
  pushFront(entry: E): void {
    this.front.push(entry);
    this.live++;
  }

  /** Marks an entry as gone; it no longer counts and is skipped by shift(). */
  remove(entry: E): void {
    if (entry.gone) return;
    entry.gone = true;
    this.live--;
  }

  shift(): E | undefined {
    while (this.front.length > 0) {
      const e = this.front.pop()!;
      if (!e.gone) return this.take(e);
    }
    while (this.head < this.items.length) {
      const e = this.items[this.head];
      this.items[this.head++] = undefined;
      if (e && !e.gone) {
        this.compact();
        return this.take(e);
      }
    }
    this.compact();
    return undefined;
  }

  /** Takes every waiting entry out (close, or no worker left to run them). */
  drainAll(): E[] {
    const out: E[] = [];
    for (let e = this.shift(); e; e = this.shift()) out.push(e);
    return out;
  }

  private take(e: E): E {
    e.gone = true;
    this.live--;
    return e;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
