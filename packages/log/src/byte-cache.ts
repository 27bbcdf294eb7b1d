/**
 * A least-recently-used cache of segment bytes, bounded by total size: whole segments this node
 * wrote (so tail reads never touch the object store) and ranges it read with read-ahead. A lookup
 * finds any cached range of the segment that contains the bytes asked for.
 */
export class ByteCache {
  /** LRU order over entries; key is `${segment}@${start}`. */
  private readonly entries = new Map<string, { segment: string; start: number; data: Buffer }>();
  private readonly bySegment = new Map<string, Set<string>>();
  private size = 0;
  hits = 0;
  misses = 0;
  private readonly maxBytes: number;


  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** Bytes [start, end) of `segment`, if cached. */
  get(segment: string, start: number, end: number): Buffer | undefined {
    const keys = this.bySegment.get(segment);
    if (keys) {
      for (const key of keys) {
        const e = this.entries.get(key)!;
        if (e.start <= start && e.start + e.data.length >= end) {
          this.hits++;
          this.entries.delete(key);
          this.entries.set(key, e);
          return e.data.subarray(start - e.start, end - e.start);
        }
      }
    }
    this.misses++;
    return undefined;
  }

  /** Caches `data` as the bytes of `segment` starting at `start` (0 for a whole segment). */
  set(segment: string, start: number, data: Buffer): void {
    if (data.length > this.maxBytes) return;
    const key = `${segment}@${start}`;
    this.remove(key);
    this.entries.set(key, { segment, start, data });
    let keys = this.bySegment.get(segment);
    if (!keys) this.bySegment.set(segment, (keys = new Set()));
    keys.add(key);
    this.size += data.length;
    while (this.size > this.maxBytes) {
      const oldest = this.entries.keys().next().value!;
      this.remove(oldest);
    }
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.size -= e.data.length;
    const keys = this.bySegment.get(e.segment)!;
    keys.delete(key);
    if (keys.size === 0) this.bySegment.delete(e.segment);
  }

  get bytes(): number {
    return this.size;
  }
}
