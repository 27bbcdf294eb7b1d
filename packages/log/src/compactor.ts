import { randomBytes } from 'node:crypto';
import type { ObjectStore } from '@floe/object-store';
import type { BatchDescriptor } from './journal-entry.ts';
import type { LogReader } from './log-reader.ts';
import type { PartitionRef } from './partition-ref.ts';
import { buildSegment } from './segment-format.ts';
import { segmentKey } from './segment-key.ts';
import type { ShardReplica } from './shard-replica.ts';
import type { BatchLocation } from './shard-state.ts';

export interface CompactionOptions {
  node: string;
  segmentPrefix: string;
  /** Rewrite when a partition's batches are spread over at least this many objects. Default 4. */
  minObjects: number;
  /** Largest object compaction writes. Default 64 MiB. */
  maxObjectBytes: number;
}

/**
 * Compaction of small objects: a partition whose batches lie in many small flush objects gets
 * them rewritten, byte for byte and offsets unchanged, into one object of its own, committed as a
 * "replace" entry. Replay applies it only if exactly those batches are still current, so it is
 * safe beside writers, retention and other compactors; the objects it replaces lose their
 * references and garbage collection deletes them after the grace period.
 */
export class Compactor {
  private readonly objects: ObjectStore;
  private readonly reader: LogReader;
  private readonly opts: CompactionOptions;

  constructor(objects: ObjectStore, reader: LogReader, opts: CompactionOptions) {
    this.objects = objects;
    this.reader = reader;
    this.opts = opts;
  }

  /** Compacts one partition if worth it; returns how many batches were rewritten. */
  async compactPartition(ref: PartitionRef, replica: ShardReplica): Promise<number> {
    await replica.refresh();
    const p = replica.state.partition(ref);
    if (!p) return 0;
    const run = this.pickRun(p.batches);
    if (!run) return 0;
    const read = await this.reader.read(ref, run[0]!.baseOffset, run.reduce((n, b) => n + b.length, 0));
    const wanted = read.batches.filter((b) => b.baseOffset >= run[0]!.baseOffset && b.endOffset <= run[run.length - 1]!.endOffset);
    if (wanted.length !== run.length) return 0; // the partition changed under us: try next time
    const segment = buildSegment([{ partition: ref, batches: wanted.map((b) => b.bytes) }]);
    const key = segmentKey(this.opts.segmentPrefix, this.opts.node, Date.now(), randomBytes(6).toString('hex'));
    await this.objects.putIfAbsent(key, segment.bytes);
    const descriptors: BatchDescriptor[] = run.map((loc, k) => ({
      partition: ref,
      position: segment.placements[0]![k]!.position,
      length: segment.placements[0]![k]!.length,
      baseOffset: loc.baseOffset,
      offsetCount: loc.endOffset - loc.baseOffset,
      recordCount: loc.endOffset - loc.baseOffset,
      maxTimestamp: loc.maxTimestamp,
    }));
    const applied = await replica.replaceBatches(key, descriptors);
    return applied ? run.length : 0;
  }

  /** The oldest run of batches spread over at least `minObjects` objects, within the size cap. */
  private pickRun(batches: readonly BatchLocation[]): BatchLocation[] | undefined {
    const run: BatchLocation[] = [];
    const objects = new Set<string>();
    let bytes = 0;
    for (const b of batches) {
      if (bytes + b.length > this.opts.maxObjectBytes) break;
      run.push(b);
      objects.add(b.segment);
      bytes += b.length;
    }
    return objects.size >= this.opts.minObjects ? run : undefined;
  }
}
