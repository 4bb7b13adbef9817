/**
 * A set for entries that come and go all the time, such as the requests in flight: each entry
 * lives in a slot of one array, and a removed entry's slot is cleared and reused. Unlike a Set,
 * adding the same item twice stores it twice; each `add` has its own slot.
 *
 * Why not a `Set`: a long-lived Set that gains and loses an entry per request keeps replacing its
 * table (V8 rehashes as deleted entries pile up). A replaced table keeps the entries it held then,
 * and once the Set's table is in the old generation, every later table is allocated there too; the
 * dead replaced tables stay until the next mark-compact, and until then the young-generation
 * collector treats what they point to as live. Under load most requests are in flight when some
 * table is replaced, so most of them, with all they hold, were promoted, only for the next full
 * collection to free them. Measured on the proxy path with --trace-gc-nvp (fixed 16 MB semi-space):
 * ~1.7 MB surviving and ~1.5 MB promoted per scavenge (~4.5 KB per request), 16–20 µs of collector
 * time per request with a Set; 281 KB, 85 KB and 3.8 µs with this. test/util/slot-set.test.ts shows
 * the difference in a child process.
 */
export class SlotSet<T extends object> {
  private readonly slots: Array<T | undefined> = [];
  private readonly free: number[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds `item` and returns its slot, which `delete` needs. */
  add(item: T): number {
    const slot = this.free.length > 0 ? this.free.pop()! : this.slots.length;
    this.slots[slot] = item;
    this.count++;
    return slot;
  }

  /** Removes `item` from `slot`; false (and nothing changes) when the slot holds something else. */
  delete(slot: number, item: T): boolean {
    if (this.slots[slot] !== item) return false;
    this.slots[slot] = undefined;
    this.free.push(slot);
    this.count--;
    return true;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (const item of this.slots) if (item !== undefined) yield item;
  }
}
