import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { CoordinationError, type CoordinationStore } from '@floe/coordination';
import { LogError } from './errors.ts';
import type { BatchDescriptor, JournalEntry, LogStartMove } from './journal-entry.ts';
import { Journal, sleep } from './journal.ts';
import type { BatchPlacement } from './segment-format.ts';
import { segmentTooOld, ShardState, type BatchOutcome, type PendingBatch } from './shard-state.ts';

const MAX_COMMIT_ATTEMPTS = 50;
/**
 * How long a commit holding an idempotent batch ahead of its producer's next sequence waits for
 * the missing batches, refreshing. Any node takes any partition's writes, so when a client moves
 * a partition to another node (a node died or came back) its batches still in flight at the
 * first node may commit just after the next one reaches the second. Kafka's single leader never
 * sees that race; answering it at once with OUT_OF_ORDER_SEQUENCE_NUMBER is fatal to a
 * librdkafka producer, which believes every earlier batch was acknowledged or is in flight.
 */
export const SEQUENCE_GAP_WAIT_MS = 3_000;
const GAP_POLL_MS = 50;

/**
 * This node's replica of one journal shard: the replayed state, refreshed from the journal, and
 * the commit loop that appends this node's batches at the tail.
 */
export class ShardReplica extends EventEmitter {
  readonly state: ShardState;
  readonly journal: Journal;
  private refreshing: Promise<void> | undefined;
  private commitChain: Promise<unknown> = Promise.resolve();
  /** Wall time of the last completed refresh. */
  lastRefresh = 0;

  readonly shard: number;
  private readonly node: string;
  private readonly clock: () => number;

  constructor(store: CoordinationStore, shard: number, node: string, voidWindowMs: number, clock: () => number = Date.now) {
    super();
    this.state = new ShardState(voidWindowMs);
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
      const entries = await this.journal.readAfter(this.state.seq, true).catch((err: unknown) => {
        // An unreachable table is the log's 'unavailable' (a retriable answer to the client),
        // not an unknown failure.
        if (err instanceof CoordinationError && err.retriable) throw new LogError('unavailable', `shard ${this.shard}: reading the journal: ${err.message}`, { cause: err });
        throw err;
      });
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
    return this.serial(async () => {
      await this.waitForSequenceGaps(batches);
      return this.appendLoop(() => {
        const plan = this.state.plan(batches);
        const time = this.entryTime();
        if (plan.appended.length > 0 && segmentTooOld(segment, time, this.state.voidWindowMs)) {
          throw new LogError('timeout', `segment ${segment} is older than the void window; the producer must retry`);
        }
        const descriptors: BatchDescriptor[] = plan.appended.map(({ index, descriptor }) => ({
          ...descriptor,
          position: placements[index]!.position,
          length: placements[index]!.length,
        }));
        return {
          result: plan.outcomes,
          entry: descriptors.length > 0 ? { time, segment, batches: descriptors } : undefined,
        };
      });
    });
  }

  /** Refreshes (bounded, SEQUENCE_GAP_WAIT_MS) while a batch is ahead of its producer's sequence. */
  private async waitForSequenceGaps(batches: readonly PendingBatch[]): Promise<void> {
    if (!batches.some((b) => b.producer)) return;
    const hasGap = () => this.state.plan(batches).outcomes.some((o) => o.kind === 'rejected' && o.gap === true);
    if (!hasGap()) return;
    // The state at hand may just be stale: a fresh read first.
    await this.refresh();
    const deadline = this.clock() + SEQUENCE_GAP_WAIT_MS;
    while (hasGap() && this.clock() < deadline) {
      await sleep(GAP_POLL_MS);
      await this.refresh();
    }
  }

  /**
   * Moves log start offsets forward (DeleteRecords, retention). Moves that no longer advance
   * (another node got there first) are dropped; returns the log start of each partition after.
   */
  moveLogStarts(moves: readonly LogStartMove[]): Promise<number[]> {
    return this.serial(() =>
      this.appendLoop(() => {
        const current = moves.map((m) => this.state.partition(m.partition));
        const result = moves.map((m, i) => Math.max(current[i]?.logStartOffset ?? 0, Math.min(m.offset, current[i]?.nextOffset ?? 0)));
        const advancing = moves
          .map((m, i) => ({ partition: m.partition, offset: result[i]! }))
          .filter((m, i) => m.offset > (current[i]?.logStartOffset ?? 0));
        return { result, entry: advancing.length > 0 ? { time: this.entryTime(), batches: [], logStarts: advancing } : undefined };
      }),
    );
  }

  /**
   * Commits a compaction: `batches` (existing batches, same offsets) now live in `segment`.
   * Returns false, writing nothing, when those batches are no longer exactly current.
   */
  replaceBatches(segment: string, batches: readonly BatchDescriptor[]): Promise<boolean> {
    return this.serial(() =>
      this.appendLoop(() => {
        const p = this.state.partition(batches[0]!.partition);
        const i = p ? p.findBatch(batches[0]!.baseOffset) : 0;
        const current =
          p !== undefined &&
          batches.every((d, k) => {
            const loc = p.batches[i + k];
            return loc !== undefined && loc.baseOffset === d.baseOffset && loc.endOffset === d.baseOffset + d.offsetCount;
          });
        const time = this.entryTime();
        if (!current || segmentTooOld(segment, time, this.state.voidWindowMs)) return { result: false, entry: undefined };
        return { result: true, entry: { time, segment, batches: [...batches], replace: true } };
      }),
    );
  }

  /** Appends an empty entry so the shard's journal time advances (garbage collection needs it). */
  tick(): Promise<void> {
    return this.serial(() => this.appendLoop(() => ({ result: undefined, entry: { time: this.entryTime(), batches: [] } })));
  }

  private entryTime(): number {
    return Math.max(this.clock(), this.state.time);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.commitChain.then(work);
    this.commitChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Plans against the replayed state and appends the planned entry at the tail; on losing the
   * slot to another commit, refreshes and plans again.
   */
  private async appendLoop<T>(
    planNext: () => { result: T; entry: Omit<JournalEntry, 'seq' | 'commitId' | 'node'> | undefined },
  ): Promise<T> {
    for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
      const { result, entry: body } = planNext();
      if (!body) return result;
      const entry: JournalEntry = { ...body, seq: this.state.seq + 1, commitId: randomUUID(), node: this.node };
      if ((await this.journal.append(entry)) === 'committed') {
        // Entries before ours were applied by the refresh that preceded this plan; ours is next
        // unless a concurrent refresh already applied it.
        if (entry.seq === this.state.seq + 1) {
          this.state.apply(entry);
          this.emit('advance', this.state.seq);
        } else {
          await this.refresh();
        }
        return result;
      }
      await this.refresh();
    }
    throw new LogError('unavailable', `shard ${this.shard}: gave up after ${MAX_COMMIT_ATTEMPTS} commit conflicts`);
  }
}
