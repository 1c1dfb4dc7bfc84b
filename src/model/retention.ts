/**
 * The bookkeeping behind bounded retention: in which order settled and collected Deferreds
 * leave the model, and a bounded memory of what left (so late events about it stay stale).
 * Kept apart from the reduction rules in sessionModel.ts, which only decide *what* changes.
 */

/** Where a retained Deferred sits: only settled and collected ones are ever evicted. */
export type Place = 'pending' | 'settled' | 'collected';

/** Insertion-ordered sets: the oldest settled / collected Deferred is first out. */
export class EvictionOrder {
  private readonly settled = new Map<number, true>();
  private readonly collected = new Map<number, true>();

  move(id: number, from: Place | null, to: Place | null): void {
    if (from === to) return;
    if (from !== null && from !== 'pending') this.orderOf(from).delete(id);
    if (to !== null && to !== 'pending') this.orderOf(to).set(id, true);
  }

  /**
   * Ids to evict, oldest first, so that at most `limit` of `place` remain besides the `kept`
   * ones (a paused frame's variables: few, and kept on top of the limit).
   */
  overflow(place: 'settled' | 'collected', limit: number, kept: ReadonlyMap<number, unknown> | null): number[] {
    const order = this.orderOf(place);
    let keptHere = 0;
    for (const id of kept?.keys() ?? []) if (order.has(id)) keptHere++;
    let excess = order.size - keptHere - limit;
    const out: number[] = [];
    if (excess <= 0) return out;
    for (const id of order.keys()) {
      if (excess === 0) break;
      if (kept?.has(id)) continue;
      out.push(id);
      excess--;
    }
    return out;
  }

  private orderOf(place: 'settled' | 'collected'): Map<number, true> {
    return place === 'settled' ? this.settled : this.collected;
  }
}

/** A map that forgets its oldest entries beyond `capacity`; `set` makes an entry the newest. */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as K);
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }
}
