import type { ObjectStore } from '@floe/object-store';
import { segmentUploadTime } from './segment-key.ts';
import type { ShardReplica } from './shard-replica.ts';

export interface GcOptions {
  segmentPrefix: string;
  voidWindowMs: number;
  /** An unreferenced object is deleted only after being seen unreferenced for this long. */
  graceMs: number;
}

export interface GcResult {
  listed: number;
  referenced: number;
  deleted: string[];
  /** Unreferenced but still inside the void window or the grace period. */
  waiting: number;
}

/**
 * Deletes segment objects nothing refers to: orphans of writers that died or gave up between
 * upload and commit, and objects whose batches all fell below the log start. Safe with several
 * nodes collecting at once and with writers paused at any point:
 * - an object is kept while any shard's journal time is within the void window of its upload
 *   time (a late commit could still name it; after that, replay voids such a commit), so idle
 *   shards get a tick entry to move their time on;
 * - an object that lost its references is kept for `graceMs` after this collector first saw it
 *   so, so fetches already reading it finish (counted conservatively from this node's view).
 */
export class GarbageCollector {
  private readonly unreferencedSince = new Map<string, number>();
  private readonly objects: ObjectStore;
  private readonly replicas: () => ShardReplica[];
  private readonly opts: GcOptions;
  private readonly clock: () => number;

  constructor(objects: ObjectStore, replicas: () => ShardReplica[], opts: GcOptions, clock: () => number = Date.now) {
    this.objects = objects;
    this.replicas = replicas;
    this.opts = opts;
    this.clock = clock;
  }

  async collect(): Promise<GcResult> {
    const shards = this.replicas();
    await Promise.all(shards.map((r) => r.refresh()));
    // Idle shards: a tick moves their journal time so old orphans become collectable.
    const now = this.clock();
    await Promise.all(shards.filter((r) => r.state.time < now - this.opts.voidWindowMs / 2).map((r) => r.tick()));
    const minTime = Math.min(...shards.map((r) => r.state.time));

    const referenced = new Set<string>();
    for (const r of shards) {
      for (const [, p] of r.state.allPartitions()) for (const b of p.batches) referenced.add(b.segment);
    }
    const result: GcResult = { listed: 0, referenced: 0, deleted: [], waiting: 0 };
    const seen = new Set<string>();
    for await (const obj of this.objects.list(this.opts.segmentPrefix)) {
      result.listed++;
      seen.add(obj.key);
      if (referenced.has(obj.key)) {
        result.referenced++;
        this.unreferencedSince.delete(obj.key);
        continue;
      }
      const uploaded = segmentUploadTime(obj.key);
      if (uploaded === undefined) continue; // not a segment of ours
      const since = this.unreferencedSince.get(obj.key) ?? now;
      this.unreferencedSince.set(obj.key, since);
      if (minTime <= uploaded + this.opts.voidWindowMs || now - since < this.opts.graceMs) {
        result.waiting++;
        continue;
      }
      await this.objects.delete(obj.key);
      this.unreferencedSince.delete(obj.key);
      result.deleted.push(obj.key);
    }
    for (const key of this.unreferencedSince.keys()) if (!seen.has(key)) this.unreferencedSince.delete(key);
    return result;
  }
}
