// The embedded store's in-memory table: per partition key, the items sorted by sort key in UTF-8
// byte order (as DynamoDB sorts them). Stored items are never mutated: a put replaces the object.
import { itemSize, type Item } from './coordination-store.ts';
import { compareUtf8, type QueryPlan } from './validation.ts';

export interface Entry {
  sk: string;
  item: Item;
  /** itemSize(item), kept for billing. */
  size: number;
}

export class SortedIndex {
  private readonly partitions = new Map<string, Entry[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** First position whose sort key is >= sk (or > sk with `after`). */
  private static bound(entries: readonly Entry[], sk: string, after: boolean): number {
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareUtf8(entries[mid]!.sk, sk);
      if (c < 0 || (after && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(pk: string, sk: string): Entry | undefined {
    const entries = this.partitions.get(pk);
    if (entries === undefined) return undefined;
    const i = SortedIndex.bound(entries, sk, false);
    const e = entries[i];
    return e !== undefined && e.sk === sk ? e : undefined;
  }

  /** Stores `item` (which the caller must not mutate afterwards). */
  put(item: Item, size = itemSize(item)): void {
    let entries = this.partitions.get(item.pk);
    if (entries === undefined) {
      entries = [];
      this.partitions.set(item.pk, entries);
    }
    const entry: Entry = { sk: item.sk, item, size };
    const i = SortedIndex.bound(entries, item.sk, false);
    if (entries[i]?.sk === item.sk) entries[i] = entry;
    else {
      entries.splice(i, 0, entry);
      this.count++;
    }
  }

  delete(pk: string, sk: string): void {
    const entries = this.partitions.get(pk);
    if (entries === undefined) return;
    const i = SortedIndex.bound(entries, sk, false);
    if (entries[i]?.sk !== sk) return;
    entries.splice(i, 1);
    this.count--;
    if (entries.length === 0) this.partitions.delete(pk);
  }

  /** The entries of `pk` a query plan selects, in the order it asks for, up to its limit. */
  range(pk: string, plan: QueryPlan): Entry[] {
    const entries = this.partitions.get(pk);
    if (entries === undefined || plan.empty) return [];
    let lo = 0;
    let hi = entries.length;
    if (plan.prefix !== undefined) {
      const prefix = plan.prefix;
      lo = SortedIndex.bound(entries, prefix, false);
      // Keys starting with the prefix are contiguous from lo: find the first that does not.
      let a = lo;
      let b = entries.length;
      while (a < b) {
        const mid = (a + b) >>> 1;
        if (entries[mid]!.sk.startsWith(prefix)) a = mid + 1;
        else b = mid;
      }
      hi = a;
    }
    if (plan.lower) lo = Math.max(lo, SortedIndex.bound(entries, plan.lower.value, !plan.lower.inclusive));
    if (plan.upper !== undefined) hi = Math.min(hi, SortedIndex.bound(entries, plan.upper, false));
    if (hi <= lo) return [];
    const n = Math.min(hi - lo, plan.limit ?? Infinity);
    return plan.reverse ? entries.slice(hi - n, hi).reverse() : entries.slice(lo, lo + n);
  }

  /** Every stored item (references), for a snapshot. */
  items(): Item[] {
    const out: Item[] = [];
    for (const entries of this.partitions.values()) for (const e of entries) out.push(e.item);
    return out;
  }
}
