import { ObjectNotFoundError, type ObjectStore } from '@floe/object-store';
import type { ByteCache } from './byte-cache.ts';
import { LogError } from './errors.ts';
import type { PartitionRef } from './partition-ref.ts';
import type { ShardReplica } from './shard-replica.ts';
import type { BatchLocation, PartitionState } from './shard-state.ts';

export interface ReadBatch {
  /** The batch's first offset (the stored bytes carry the producer's; the caller patches it in). */
  baseOffset: number;
  /** The offset after the batch's last. */
  endOffset: number;
  bytes: Buffer;
}

export interface ReadResult {
  highWatermark: number;
  logStartOffset: number;
  batches: ReadBatch[];
}

export interface ReaderOptions {
  /** Smallest ranged GET: reads extend forward over the partition's next batches up to this. */
  minReadBytes: number;
  /** A read at the end of the log refreshes the journal if this node's view is older than this. */
  maxStalenessMs: number;
}

/**
 * The fetch path: finds the batches covering an offset in the replayed index, reads their bytes
 * with as few ranged GETs as possible (consecutive batches of one object are one range, extended
 * to `minReadBytes` so sequential readers hit the cache), and serves recently written or read
 * bytes from memory.
 */
export class LogReader {
  private readonly objects: ObjectStore;
  private readonly replicaOf: (p: PartitionRef) => ShardReplica;
  private readonly cache: ByteCache;
  private readonly opts: ReaderOptions;

  constructor(objects: ObjectStore, replicaOf: (p: PartitionRef) => ShardReplica, cache: ByteCache, opts: ReaderOptions) {
    this.objects = objects;
    this.replicaOf = replicaOf;
    this.cache = cache;
    this.opts = opts;
  }

  /**
   * Batches from `offset` on, up to about `maxBytes` (always at least one batch when there is
   * data, as Kafka does). An offset past the end is checked against a fresh read of the journal
   * before it is called out of range: never OFFSET_OUT_OF_RANGE from a stale view.
   */
  async read(ref: PartitionRef, offset: number, maxBytes: number): Promise<ReadResult> {
    const replica = this.replicaOf(ref);
    let p = replica.state.partition(ref);
    const end = p?.nextOffset ?? 0;
    if (offset > end) {
      // Past what this node knows: only a fresh read of the journal may call it out of range.
      await replica.refresh();
      p = replica.state.partition(ref);
    } else if (offset === end) {
      // At the end of what this node knows (or of a partition never written): other nodes may
      // have committed more. A bounded-staleness refresh keeps idle polling cheap.
      await replica.refreshIfOlder(this.opts.maxStalenessMs);
      p = replica.state.partition(ref);
    }
    const hw = p?.nextOffset ?? 0;
    const start = p?.logStartOffset ?? 0;
    if (offset < start || offset > hw) {
      throw new LogError('offset-out-of-range', `offset ${offset} is outside [${start}, ${hw}]`);
    }
    if (!p || offset === hw) return { highWatermark: hw, logStartOffset: start, batches: [] };
    const wanted: BatchLocation[] = [];
    let bytes = 0;
    for (let i = p.findBatch(offset); i < p.batches.length; i++) {
      const b = p.batches[i]!;
      if (wanted.length > 0 && bytes + b.length > maxBytes) break;
      wanted.push(b);
      bytes += b.length;
    }
    const batches = await this.fetchBytes(p, wanted);
    return { highWatermark: hw, logStartOffset: start, batches };
  }

  private async fetchBytes(p: PartitionState, wanted: BatchLocation[]): Promise<ReadBatch[]> {
    const out: ReadBatch[] = [];
    let i = 0;
    while (i < wanted.length) {
      // A run: consecutive batches of one object, back to back.
      let j = i + 1;
      while (
        j < wanted.length &&
        wanted[j]!.segment === wanted[i]!.segment &&
        wanted[j]!.position === wanted[j - 1]!.position + wanted[j - 1]!.length
      ) j++;
      const run = wanted.slice(i, j);
      const data = await this.readRun(p, run);
      let at = 0;
      for (const b of run) {
        out.push({ baseOffset: b.baseOffset, endOffset: b.endOffset, bytes: data.subarray(at, at + b.length) });
        at += b.length;
      }
      i = j;
    }
    return out;
  }

  /** The bytes of `run` (consecutive in one object), from cache or one ranged GET with read-ahead. */
  private async readRun(p: PartitionState, run: BatchLocation[]): Promise<Buffer> {
    const first = run[0]!;
    const last = run[run.length - 1]!;
    const start = first.position;
    const end = last.position + last.length;
    const cached = this.cache.get(first.segment, start, end);
    if (cached) return cached;

    // Read ahead over the partition's following batches stored right after these in the object.
    let readEnd = end;
    let k = p.findBatch(last.baseOffset) + 1;
    while (k < p.batches.length && readEnd - start < this.opts.minReadBytes) {
      const b = p.batches[k]!;
      if (b.segment !== first.segment || b.position !== readEnd) break;
      readEnd += b.length;
      k++;
    }
    let data: Buffer;
    try {
      data = await this.objects.get(first.segment, { start, end: readEnd });
    } catch (err) {
      if (err instanceof ObjectNotFoundError) {
        throw new LogError('offset-out-of-range', `segment ${first.segment} is gone (deleted by retention)`, { cause: err });
      }
      throw new LogError('unavailable', `reading ${first.segment}: ${(err as Error).message}`, { cause: err });
    }
    if (data.length < end - start) throw new LogError('unavailable', `short read of ${first.segment}`);
    this.cache.set(first.segment, start, data);
    return data.subarray(0, end - start);
  }
}
