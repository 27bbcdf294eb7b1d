import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { CoordinationStore } from '@floe/coordination';
import { LogError } from './errors.ts';
import type { BatchDescriptor, JournalEntry } from './journal-entry.ts';
import { Journal } from './journal.ts';
import type { BatchPlacement } from './segment-format.ts';
import { ShardState, type BatchOutcome, type PendingBatch } from './shard-state.ts';

const MAX_COMMIT_ATTEMPTS = 50;

/**
 * This node's replica of one journal shard: the replayed state, refreshed from the journal, and
 * the commit loop that appends this node's batches at the tail.
 */
export class ShardReplica extends EventEmitter {
  readonly state = new ShardState();
  readonly journal: Journal;
  private refreshing: Promise<void> | undefined;
  private commitChain: Promise<unknown> = Promise.resolve();
  /** Wall time of the last completed refresh. */
  lastRefresh = 0;

  readonly shard: number;
  private readonly node: string;
  private readonly clock: () => number;

  constructor(store: CoordinationStore, shard: number, node: string, clock: () => number = Date.now) {
    super();
    this.shard = shard;
    this.node = node;
    this.clock = clock;
    this.setMaxListeners(0);
    this.journal = new Journal(store, shard);
  }

  /**
   * Applies every entry committed after the replica's state, reading strongly consistently.
   * Concurrent callers share one read (a burst of requests costs one query).
   */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Refreshes unless the last refresh started less than `maxAgeMs` ago (for polling waiters). */
  refreshIfOlder(maxAgeMs: number): Promise<void> {
    return this.clock() - this.lastRefresh < maxAgeMs ? Promise.resolve() : this.refresh();
  }

  private async doRefresh(): Promise<void> {
    const started = this.clock();
    let applied = 0;
    for (;;) {
      const entries = await this.journal.readAfter(this.state.seq, true);
      for (const e of entries) this.apply(e);
      applied += entries.length;
      if (entries.length < 100) break;
    }
    this.lastRefresh = started;
    if (applied > 0) this.emit('advance', this.state.seq);
  }

  private apply(e: JournalEntry): void {
    if (e.seq <= this.state.seq) return; // already applied (our own commit raced a refresh)
    this.state.apply(e);
  }

  /**
   * Commits `batches` (already in `segment` at `placements[i]`) at the journal's tail and returns
   * each batch's outcome. Commits of one shard run one at a time on this node; a race with
   * another node costs a refresh and a new plan, never a wrong offset.
   */
  commit(segment: string, batches: readonly PendingBatch[], placements: readonly BatchPlacement[]): Promise<BatchOutcome[]> {
    const run = this.commitChain.then(() => this.commitNow(segment, batches, placements));
    this.commitChain = run.catch(() => undefined);
    return run;
  }

  private async commitNow(
    segment: string,
    batches: readonly PendingBatch[],
    placements: readonly BatchPlacement[],
  ): Promise<BatchOutcome[]> {
    for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
      const plan = this.state.plan(batches);
      if (plan.appended.length === 0) return plan.outcomes;
      const descriptors: BatchDescriptor[] = plan.appended.map(({ index, descriptor }) => ({
        ...descriptor,
        position: placements[index]!.position,
        length: placements[index]!.length,
      }));
      const entry: JournalEntry = {
        seq: this.state.seq + 1,
        commitId: randomUUID(),
        node: this.node,
        time: Math.max(this.clock(), this.state.time),
        segment,
        batches: descriptors,
      };
      const result = await this.journal.append(entry);
      if (result === 'committed') {
        // Entries before ours were applied by the refresh that preceded this plan; ours is next.
        if (entry.seq === this.state.seq + 1) {
          this.state.apply(entry);
          this.emit('advance', this.state.seq);
        } else {
          await this.refresh();
        }
        return plan.outcomes;
      }
      await this.refresh();
    }
    throw new LogError('unavailable', `shard ${this.shard}: gave up after ${MAX_COMMIT_ATTEMPTS} commit conflicts`);
  }
}
