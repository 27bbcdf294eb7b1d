import type { CoordinationStore } from '@floe/coordination';
import type { ObjectStore } from '@floe/object-store';
import { ByteCache } from './byte-cache.ts';
import { loadOrCreateCluster, type ClusterInfo } from './cluster.ts';
import { LogReader, type ReadResult } from './log-reader.ts';
import { LogWriter, type FlushReport, type FlushStats } from './log-writer.ts';
import { shardOf, type PartitionRef } from './partition-ref.ts';
import { ShardReplica } from './shard-replica.ts';
import type { BatchOutcome, PendingBatch } from './shard-state.ts';
import { TopicStore } from './topics.ts';
import { LogError } from './errors.ts';
import { GarbageCollector, type GcResult } from './garbage-collector.ts';
import { Compactor } from './compactor.ts';
import { retentionConfig, retentionTarget } from './retention.ts';
import { DEFAULT_VOID_WINDOW_MS } from './segment-key.ts';
import type { LogStartMove } from './journal-entry.ts';

export interface FloeLogOptions {
  objects: ObjectStore;
  coordination: CoordinationStore;
  /** This node's id: unique among live nodes (it names segment objects and journal entries). */
  node: string;
  /** Journal shards, used only when this node creates the cluster. Default 8 (ARCHITECTURE.md). */
  shardCount?: number;
  /** Default 100 ms. */
  lingerMs?: number;
  /** Default 4 MiB. */
  maxFlushBytes?: number;
  /** Default "segments/". */
  segmentPrefix?: string;
  /** Default 256 MiB. */
  cacheBytes?: number;
  /** Default 1 MiB. */
  minReadBytes?: number;
  /** How often a waiting fetch looks for other nodes' commits. Default 200 ms. */
  pollIntervalMs?: number;
  /** Runs after each segment upload, before its commits: a seam for fault-injection tests. */
  afterUpload?: (segmentKey: string) => Promise<void> | void;
  /** Told of every flush once its commits are done (metrics). */
  onFlush?: (flush: FlushReport) => void;
  /** The void window, used only when this node creates the cluster. Default 5 minutes. */
  voidWindowMs?: number;
  /** How long garbage collection keeps an object after it lost its references. Default 10 min. */
  gcGraceMs?: number;
  /** Compact a partition once its batches are spread over this many objects. Default 4. */
  compactionMinObjects?: number;
}

export interface ProducerInfo {
  id: number;
  epoch: number;
  lastSequence: number;
  /** Max timestamp of its last remembered batch, -1 if none. */
  lastTimestamp: number;
}

export interface PartitionOffsets {
  logStartOffset: number;
  highWatermark: number;
  /** Largest batch max timestamp and the last offset of that batch (-1 when empty). */
  maxTimestamp: number;
  maxTimestampOffset: number;
}

/**
 * The storage core as the broker sees it: topics, appends that resolve once durable with their
 * offsets, reads by offset, and waits for new data. It takes record batches as opaque buffers
 * with the few facts it needs (offset span, producer fields), never Kafka messages.
 */
export class FloeLog {
  readonly topics: TopicStore;
  private readonly replicas = new Map<number, ShardReplica>();
  private readonly writer: LogWriter;
  private readonly reader: LogReader;
  private readonly cache: ByteCache;
  private readonly pollIntervalMs: number;
  private readonly gc: GarbageCollector;
  private readonly compactor: Compactor;

  private readonly opts: FloeLogOptions;
  readonly cluster: ClusterInfo;

  private constructor(opts: FloeLogOptions, cluster: ClusterInfo) {
    this.opts = opts;
    this.cluster = cluster;
    this.topics = new TopicStore(opts.coordination);
    this.cache = new ByteCache(opts.cacheBytes ?? 256 * 1024 * 1024);
    this.pollIntervalMs = opts.pollIntervalMs ?? 200;
    const replicaOf = (p: PartitionRef) => this.replica(shardOf(p, cluster.shardCount));
    this.writer = new LogWriter(opts.objects, replicaOf, this.cache, {
      node: opts.node,
      lingerMs: opts.lingerMs ?? 100,
      maxFlushBytes: opts.maxFlushBytes ?? 4 * 1024 * 1024,
      segmentPrefix: opts.segmentPrefix ?? 'segments/',
      ...(opts.afterUpload ? { afterUpload: opts.afterUpload } : {}),
      ...(opts.onFlush ? { onFlush: opts.onFlush } : {}),
    });
    this.gc = new GarbageCollector(
      opts.objects,
      () => Array.from({ length: cluster.shardCount }, (_, s) => this.replica(s)),
      {
        segmentPrefix: opts.segmentPrefix ?? 'segments/',
        voidWindowMs: cluster.voidWindowMs,
        graceMs: opts.gcGraceMs ?? 10 * 60 * 1000,
      },
    );
    this.reader = new LogReader(opts.objects, replicaOf, this.cache, {
      minReadBytes: opts.minReadBytes ?? 1024 * 1024,
      maxStalenessMs: this.pollIntervalMs,
    });
    this.compactor = new Compactor(opts.objects, this.reader, {
      node: opts.node,
      segmentPrefix: opts.segmentPrefix ?? 'segments/',
      minObjects: opts.compactionMinObjects ?? 4,
      maxObjectBytes: 64 * 1024 * 1024,
    });
  }

  static async open(opts: FloeLogOptions): Promise<FloeLog> {
    const cluster = await loadOrCreateCluster(opts.coordination, {
      shardCount: opts.shardCount ?? 8,
      voidWindowMs: opts.voidWindowMs ?? DEFAULT_VOID_WINDOW_MS,
    });
    return new FloeLog(opts, cluster);
  }

  replica(shard: number): ShardReplica {
    let r = this.replicas.get(shard);
    if (!r) {
      r = new ShardReplica(this.opts.coordination, shard, this.opts.node, this.cluster.voidWindowMs);
      this.replicas.set(shard, r);
    }
    return r;
  }

  private replicaFor(ref: PartitionRef): ShardReplica {
    return this.replica(shardOf(ref, this.cluster.shardCount));
  }

  /** Appends one batch; resolves once its object and its commit are durable. */
  append(ref: PartitionRef, info: Omit<PendingBatch, 'partition'>, batch: Buffer): Promise<BatchOutcome> {
    return this.writer.append({ ...info, partition: ref }, batch);
  }

  read(ref: PartitionRef, offset: number, maxBytes: number): Promise<ReadResult> {
    return this.reader.read(ref, offset, maxBytes);
  }

  /** Offsets of a partition; `fresh` reads the journal first (for answers that must be current). */
  async offsets(ref: PartitionRef, fresh = true): Promise<PartitionOffsets> {
    const replica = this.replicaFor(ref);
    if (fresh) await replica.refresh();
    const p = replica.state.partition(ref);
    return {
      logStartOffset: p?.logStartOffset ?? 0,
      highWatermark: p?.nextOffset ?? 0,
      maxTimestamp: p?.maxTimestamp ?? -1,
      maxTimestampOffset: p?.maxTimestampOffset ?? -1,
    };
  }

  /** Bytes of the batches a partition retains (from its log start on). */
  async partitionSize(ref: PartitionRef, fresh = true): Promise<number> {
    const replica = this.replicaFor(ref);
    if (fresh) await replica.refresh();
    const p = replica.state.partition(ref);
    let bytes = 0;
    for (const b of p?.batches ?? []) if (b.endOffset > p!.logStartOffset) bytes += b.length;
    return bytes;
  }

  /** The idempotent producers a partition remembers, by id. */
  async producers(ref: PartitionRef, fresh = true): Promise<ProducerInfo[]> {
    const replica = this.replicaFor(ref);
    if (fresh) await replica.refresh();
    const p = replica.state.partition(ref);
    return [...(p?.producers ?? [])]
      .sort(([a], [b]) => a - b)
      .map(([id, e]) => ({ id, epoch: e.epoch, lastSequence: e.lastSequence, lastTimestamp: e.recent.at(-1)?.maxTimestamp ?? -1 }));
  }

  /**
   * The first batch whose max timestamp is at least `timestamp` (the caller finds the exact
   * record inside it), or undefined when there is none.
   */
  async findBatchByTimestamp(ref: PartitionRef, timestamp: number): Promise<{ baseOffset: number; batch: Buffer } | undefined> {
    const replica = this.replicaFor(ref);
    await replica.refresh();
    const p = replica.state.partition(ref);
    if (!p) return undefined;
    const loc = p.batches.find((b) => b.endOffset > p.logStartOffset && b.maxTimestamp >= timestamp);
    if (!loc) return undefined;
    const got = await this.reader.read(ref, Math.max(loc.baseOffset, p.logStartOffset), 1);
    const first = got.batches[0];
    return first ? { baseOffset: first.baseOffset, batch: first.bytes } : undefined;
  }

  /**
   * Resolves when any watched partition has data past its offset, after `timeoutMs`, or when
   * `signal` aborts. Waits on this node's commits directly and polls the journal for other nodes'
   * at `pollIntervalMs`.
   */
  waitForData(
    watches: readonly { ref: PartitionRef; offset: number }[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const ready = () =>
      watches.some((w) => (this.replicaFor(w.ref).state.partition(w.ref)?.nextOffset ?? 0) > w.offset);
    if (ready() || timeoutMs <= 0 || signal?.aborted) return Promise.resolve();
    const replicas = [...new Set(watches.map((w) => this.replicaFor(w.ref)))];
    return new Promise((resolve) => {
      const onAdvance = () => {
        if (ready()) done();
      };
      const poll = setInterval(() => {
        for (const r of replicas) r.refreshIfOlder(this.pollIntervalMs).catch(() => undefined);
      }, this.pollIntervalMs);
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearInterval(poll);
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        for (const r of replicas) r.off('advance', onAdvance);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
      for (const r of replicas) r.on('advance', onAdvance);
    });
  }

  /**
   * DeleteRecords: makes `beforeOffset` the log start (-1: the high watermark). Returns the new
   * log start (the low watermark). An offset past the high watermark is out of range.
   */
  async deleteRecords(ref: PartitionRef, beforeOffset: number): Promise<number> {
    const replica = this.replicaFor(ref);
    await replica.refresh();
    const hw = replica.state.partition(ref)?.nextOffset ?? 0;
    const target = beforeOffset === -1 ? hw : beforeOffset;
    if (!Number.isSafeInteger(target) || target < 0 || target > hw) {
      throw new LogError('offset-out-of-range', `cannot delete records before ${beforeOffset}: the high watermark is ${hw}`);
    }
    const [lowWatermark] = await replica.moveLogStarts([{ partition: ref, offset: target }]);
    return lowWatermark!;
  }

  /**
   * Deletes a topic: removes its item (the name is free again; a new topic of that name gets a
   * new id), then moves every partition's log start to its end so all its objects become garbage.
   */
  async deleteTopic(name: string): Promise<void> {
    const topic = await this.topics.get(name);
    if (!topic) throw new LogError('unknown-topic-or-partition', `no topic "${name}"`);
    await this.topics.delete(topic);
    const byShard = new Map<ShardReplica, LogStartMove[]>();
    for (let partition = 0; partition < topic.partitions; partition++) {
      const ref = { topicId: topic.id, partition };
      const replica = this.replicaFor(ref);
      if (!byShard.has(replica)) byShard.set(replica, []);
      byShard.get(replica)!.push({ partition: ref, offset: Number.MAX_SAFE_INTEGER });
    }
    // Offsets past the end are clamped to each partition's high watermark by moveLogStarts.
    await Promise.all([...byShard].map(async ([replica, moves]) => {
      await replica.refresh();
      await replica.moveLogStarts(moves);
    }));
  }

  /**
   * Applies retention.ms and retention.bytes of every topic at time `now`: one journal entry per
   * shard whose partitions have expired batches. Returns the partitions whose log start moved.
   */
  async enforceRetention(now = Date.now()): Promise<LogStartMove[]> {
    const byShard = new Map<ShardReplica, LogStartMove[]>();
    for (const topic of await this.topics.list()) {
      const cfg = retentionConfig(topic.configs);
      if (cfg.retentionMs < 0 && cfg.retentionBytes < 0) continue;
      for (let partition = 0; partition < topic.partitions; partition++) {
        const ref = { topicId: topic.id, partition };
        const replica = this.replicaFor(ref);
        if (!byShard.has(replica)) {
          await replica.refresh();
          byShard.set(replica, []);
        }
        const p = replica.state.partition(ref);
        const target = p && retentionTarget(p, cfg, now);
        if (target !== undefined) byShard.get(replica)!.push({ partition: ref, offset: target });
      }
    }
    const moved: LogStartMove[] = [];
    for (const [replica, moves] of byShard) {
      if (moves.length === 0) continue;
      await replica.moveLogStarts(moves);
      moved.push(...moves);
    }
    return moved;
  }

  /**
   * Rewrites partitions whose batches are spread over many small objects into objects of their
   * own (see Compactor). Returns how many batches were rewritten.
   */
  async compact(): Promise<number> {
    let rewritten = 0;
    for (const topic of await this.topics.list()) {
      for (let partition = 0; partition < topic.partitions; partition++) {
        const ref = { topicId: topic.id, partition };
        rewritten += await this.compactor.compactPartition(ref, this.replicaFor(ref));
      }
    }
    return rewritten;
  }

  /** Deletes segment objects nothing refers to any more (see GarbageCollector). */
  collectGarbage(): Promise<GcResult> {
    return this.gc.collect();
  }

  stats(): { flush: FlushStats; cacheBytes: number; cacheHits: number; cacheMisses: number } {
    return {
      flush: { ...this.writer.stats },
      cacheBytes: this.cache.bytes,
      cacheHits: this.cache.hits,
      cacheMisses: this.cache.misses,
    };
  }

  /** Flushes and commits everything buffered, then stops accepting appends. */
  async close(): Promise<void> {
    await this.writer.close();
  }
}
