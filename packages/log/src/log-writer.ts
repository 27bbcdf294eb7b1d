import { randomBytes } from 'node:crypto';
import type { ObjectStore } from '@floe/object-store';
import type { ByteCache } from './byte-cache.ts';
import { LogError } from './errors.ts';
import { partitionKey, type PartitionRef } from './partition-ref.ts';
import { buildSegment, type SegmentRun } from './segment-format.ts';
import { segmentKey } from './segment-key.ts';
import type { ShardReplica } from './shard-replica.ts';
import type { BatchOutcome, PendingBatch } from './shard-state.ts';

export interface WriterOptions {
  node: string;
  /** Flush after this long with anything buffered. */
  lingerMs: number;
  /** Flush as soon as this many bytes are buffered (one segment object per flush). */
  maxFlushBytes: number;
  /** Key prefix of segment objects. */
  segmentPrefix: string;
  /** Runs after a segment is durable and before its commits (a seam for fault tests). */
  afterUpload?: (segmentKey: string) => Promise<void> | void;
  /** Told of every flush once its commits are done (metrics). */
  onFlush?: (flush: FlushReport) => void;
}

/** One flush: one segment object and its commits. */
export interface FlushReport {
  segmentBytes: number;
  batches: number;
  /** From the start of the upload to the last commit. */
  durationMs: number;
}

export interface FlushStats {
  flushes: number;
  segmentBytes: number;
  batches: number;
  lastFlushMs: number;
}

interface Waiting {
  pending: PendingBatch;
  batch: Buffer;
  resolve: (o: BatchOutcome) => void;
  reject: (e: unknown) => void;
}

/**
 * The produce path. Batches from every connection and partition wait here up to `lingerMs` (or
 * until `maxFlushBytes`), then one segment object holds them all, then each journal shard they
 * touch gets one commit that assigns their offsets, and only then is anyone answered.
 * One flush uploads at a time, so commits reach each shard in arrival order.
 */
export class LogWriter {
  private buffer: Waiting[] = [];
  private bufferedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly committing = new Set<Promise<void>>();
  private closed = false;
  readonly stats: FlushStats = { flushes: 0, segmentBytes: 0, batches: 0, lastFlushMs: 0 };

  private readonly objects: ObjectStore;
  private readonly replicaOf: (p: PartitionRef) => ShardReplica;
  private readonly cache: ByteCache;
  private readonly opts: WriterOptions;

  constructor(objects: ObjectStore, replicaOf: (p: PartitionRef) => ShardReplica, cache: ByteCache, opts: WriterOptions) {
    this.objects = objects;
    this.replicaOf = replicaOf;
    this.cache = cache;
    this.opts = opts;
  }

  /** Resolves with the batch's outcome once its object and its commit are both durable. */
  append(pending: PendingBatch, batch: Buffer): Promise<BatchOutcome> {
    if (this.closed) return Promise.reject(new LogError('shutting-down', 'the log is closing'));
    return new Promise((resolve, reject) => {
      this.buffer.push({ pending, batch, resolve, reject });
      this.bufferedBytes += batch.length;
      if (this.bufferedBytes >= this.opts.maxFlushBytes) this.kick();
      else this.timer ??= setTimeout(() => this.kick(), this.opts.lingerMs);
    });
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.flushing || this.buffer.length === 0) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined;
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.buffer.length > 0) {
      const take: Waiting[] = [];
      let bytes = 0;
      while (this.buffer.length > 0 && (take.length === 0 || bytes + this.buffer[0]!.batch.length <= this.opts.maxFlushBytes)) {
        const w = this.buffer.shift()!;
        bytes += w.batch.length;
        take.push(w);
      }
      this.bufferedBytes -= bytes;
      // The next flush may upload while these commits run: a shard takes commits in call order.
      const { commits } = await this.upload(take);
      this.committing.add(commits);
      void commits.finally(() => this.committing.delete(commits));
      if (this.bufferedBytes < this.opts.maxFlushBytes && this.buffer.length > 0 && !this.closed) {
        // Not full: wait for the linger time again rather than flushing a trickle at once.
        this.timer ??= setTimeout(() => this.kick(), this.opts.lingerMs);
        return;
      }
    }
  }

  /** Uploads one segment for `take`, then starts its commits; resolves once they are queued. */
  private async upload(take: Waiting[]): Promise<{ commits: Promise<void> }> {
    const started = performance.now();
    // Group by partition, keeping arrival order within each partition.
    const runs = new Map<string, { run: SegmentRun; waiting: Waiting[] }>();
    for (const w of take) {
      const key = partitionKey(w.pending.partition);
      let r = runs.get(key);
      if (!r) {
        r = { run: { partition: w.pending.partition, batches: [] }, waiting: [] };
        runs.set(key, r);
      }
      r.run.batches.push(w.batch);
      r.waiting.push(w);
    }
    const groups = [...runs.values()];
    const segment = buildSegment(groups.map((g) => g.run));
    const key = segmentKey(this.opts.segmentPrefix, this.opts.node, Date.now(), randomBytes(6).toString('hex'));
    try {
      await this.objects.putIfAbsent(key, segment.bytes);
    } catch (err) {
      const e = new LogError('unavailable', `segment upload failed: ${(err as Error).message}`, { cause: err });
      for (const w of take) w.reject(e);
      return { commits: Promise.resolve() };
    }
    this.cache.set(key, 0, segment.bytes);
    await this.opts.afterUpload?.(key);
    this.stats.flushes++;
    this.stats.segmentBytes += segment.bytes.length;
    this.stats.batches += take.length;

    // One commit per shard, each holding all of that shard's batches of this flush.
    const byShard = new Map<ShardReplica, { pending: PendingBatch[]; placements: { position: number; length: number }[]; waiting: Waiting[] }>();
    groups.forEach((g, i) => {
      const replica = this.replicaOf(g.run.partition);
      let s = byShard.get(replica);
      if (!s) {
        s = { pending: [], placements: [], waiting: [] };
        byShard.set(replica, s);
      }
      g.waiting.forEach((w, j) => {
        s.pending.push(w.pending);
        s.placements.push(segment.placements[i]![j]!);
        s.waiting.push(w);
      });
    });
    const commits = [...byShard.entries()].map(async ([replica, s]) => {
      try {
        const outcomes = await replica.commit(key, s.pending, s.placements);
        outcomes.forEach((o, i) => s.waiting[i]!.resolve(o));
      } catch (err) {
        for (const w of s.waiting) w.reject(err);
      }
    });
    const all = Promise.all(commits).then(() => {
      this.stats.lastFlushMs = performance.now() - started;
      this.opts.onFlush?.({ segmentBytes: segment.bytes.length, batches: take.length, durationMs: this.stats.lastFlushMs });
    });
    return { commits: all };
  }

  /** Flushes what is buffered and waits for every commit in flight. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.buffer.length > 0 || this.flushing) {
      this.kick();
      await this.flushing;
    }
    await Promise.all(this.committing);
  }
}
