import type { LogErrorKind } from './errors.ts';
import type { BatchDescriptor, JournalEntry } from './journal-entry.ts';
import { partitionKey, type PartitionRef } from './partition-ref.ts';
import { afterAppend, checkSequence, lastSequenceOf, type ProducerEntry } from './producer-state.ts';
import { segmentUploadTime } from './segment-key.ts';

/** Whether an entry naming `segment` at journal time `time` breaks the void-window rule. */
export function segmentTooOld(segment: string, time: number, voidWindowMs: number): boolean {
  const uploaded = segmentUploadTime(segment);
  return uploaded === undefined || time - uploaded > voidWindowMs;
}

/** Where one committed batch lives. */
export interface BatchLocation {
  baseOffset: number;
  /** Exclusive: the offset after the batch's last. */
  endOffset: number;
  segment: string;
  position: number;
  length: number;
  maxTimestamp: number;
}

/** A partition's state as replayed from its shard's journal. */
export class PartitionState {
  nextOffset = 0;
  logStartOffset = 0;
  /** Committed batches in offset order. */
  readonly batches: BatchLocation[] = [];
  readonly producers = new Map<number, ProducerEntry>();
  maxTimestamp = -1;
  maxTimestampOffset = -1;

  /** Index of the batch holding `offset`, or of the first batch after it. */
  findBatch(offset: number): number {
    let lo = 0;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.batches[mid]!.endOffset <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** A batch waiting to be committed, with the facts the log needs (read from its header by the caller). */
export interface PendingBatch {
  partition: PartitionRef;
  /** Offsets the batch spans (lastOffsetDelta + 1). */
  offsetCount: number;
  recordCount: number;
  maxTimestamp: number;
  producer?: { id: number; epoch: number; baseSequence: number };
  transactional?: boolean;
}

export type BatchOutcome =
  | { kind: 'appended'; baseOffset: number }
  | { kind: 'duplicate'; baseOffset: number; maxTimestamp: number }
  | { kind: 'rejected'; error: LogErrorKind; message: string; gap?: true };

export interface Plan {
  outcomes: BatchOutcome[];
  /** Descriptors of the appended batches (positions still to be filled by the caller). */
  appended: { index: number; descriptor: Omit<BatchDescriptor, 'position' | 'length'> }[];
}

export class JournalDivergenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JournalDivergenceError';
  }
}

/**
 * The state of one journal shard: every partition in it, rebuilt by applying entries in sequence
 * order. Deterministic: every node applying the same entries holds the same state.
 */
export class ShardState {
  readonly voidWindowMs: number;
  constructor(voidWindowMs: number) {
    this.voidWindowMs = voidWindowMs;
  }
  /** Sequence number of the last applied entry (0: none). */
  seq = 0;
  /** Journal time of the last applied entry. */
  time = 0;
  private readonly partitions = new Map<string, PartitionState>();

  partition(ref: PartitionRef): PartitionState | undefined {
    return this.partitions.get(partitionKey(ref));
  }

  private partitionOrNew(ref: PartitionRef): PartitionState {
    const key = partitionKey(ref);
    let p = this.partitions.get(key);
    if (!p) {
      p = new PartitionState();
      this.partitions.set(key, p);
    }
    return p;
  }

  /**
   * Decides, without changing anything, what committing `batches` in this order after the
   * current state would do: offsets for appended batches, the original offset for retries, an
   * error for fenced or out-of-order ones.
   */
  plan(batches: readonly PendingBatch[]): Plan {
    const next = new Map<string, number>();
    const producers = new Map<string, ProducerEntry | undefined>();
    const outcomes: BatchOutcome[] = [];
    const appended: Plan['appended'] = [];
    batches.forEach((b, index) => {
      const key = partitionKey(b.partition);
      const state = this.partitions.get(key);
      const baseOffset = next.get(key) ?? state?.nextOffset ?? 0;
      let producerInfo: BatchDescriptor['producer'];
      if (b.producer) {
        const pkey = `${key}/${b.producer.id}`;
        const current = producers.has(pkey) ? producers.get(pkey) : state?.producers.get(b.producer.id);
        const lastSequence = lastSequenceOf(b.producer.baseSequence, b.offsetCount);
        const check = checkSequence(current, b.producer.epoch, b.producer.baseSequence, lastSequence);
        if (!check.ok) {
          outcomes.push(
            'duplicateOf' in check
              ? { kind: 'duplicate', baseOffset: check.duplicateOf.baseOffset, maxTimestamp: check.duplicateOf.maxTimestamp }
              : { kind: 'rejected', error: check.error, message: check.message, ...(check.gap ? { gap: true as const } : {}) },
          );
          return;
        }
        producers.set(
          pkey,
          afterAppend(current, b.producer.epoch, {
            baseSequence: b.producer.baseSequence,
            lastSequence,
            baseOffset,
            maxTimestamp: b.maxTimestamp,
          }),
        );
        producerInfo = { id: b.producer.id, epoch: b.producer.epoch, baseSequence: b.producer.baseSequence, lastSequence };
      }
      next.set(key, baseOffset + b.offsetCount);
      outcomes.push({ kind: 'appended', baseOffset });
      const descriptor: Plan['appended'][number]['descriptor'] = {
        partition: b.partition,
        baseOffset,
        offsetCount: b.offsetCount,
        recordCount: b.recordCount,
        maxTimestamp: b.maxTimestamp,
      };
      if (producerInfo) descriptor.producer = producerInfo;
      if (b.transactional) descriptor.transactional = true;
      appended.push({ index, descriptor });
    });
    return { outcomes, appended };
  }

  /** Applies the next committed entry. Entries must come densely in order and agree with the state. */
  apply(entry: JournalEntry): void {
    if (entry.seq !== this.seq + 1) {
      throw new JournalDivergenceError(`entry ${entry.seq} applied after ${this.seq}`);
    }
    // An entry naming a segment older than the void window commits nothing (writers never
    // write one; this keeps garbage collection safe whatever a writer did).
    const batches = entry.segment !== undefined && segmentTooOld(entry.segment, entry.time, this.voidWindowMs) ? [] : entry.batches;
    if (entry.replace) {
      if (batches.length > 0) this.applyReplacement(entry.segment!, batches);
      this.seq = entry.seq;
      this.time = Math.max(this.time, entry.time);
      return;
    }
    for (const d of batches) {
      const p = this.partitionOrNew(d.partition);
      if (d.baseOffset !== p.nextOffset) {
        throw new JournalDivergenceError(
          `entry ${entry.seq} puts ${partitionKey(d.partition)} at offset ${d.baseOffset}, expected ${p.nextOffset}`,
        );
      }
      if (!entry.segment) throw new JournalDivergenceError(`entry ${entry.seq} has batches but no segment`);
      p.batches.push({
        baseOffset: d.baseOffset,
        endOffset: d.baseOffset + d.offsetCount,
        segment: entry.segment,
        position: d.position,
        length: d.length,
        maxTimestamp: d.maxTimestamp,
      });
      p.nextOffset += d.offsetCount;
      if (d.maxTimestamp > p.maxTimestamp) {
        p.maxTimestamp = d.maxTimestamp;
        p.maxTimestampOffset = d.baseOffset + d.offsetCount - 1;
      }
      if (d.producer) {
        p.producers.set(
          d.producer.id,
          afterAppend(p.producers.get(d.producer.id), d.producer.epoch, {
            baseSequence: d.producer.baseSequence,
            lastSequence: d.producer.lastSequence,
            baseOffset: d.baseOffset,
            maxTimestamp: d.maxTimestamp,
          }),
        );
      }
    }
    for (const m of entry.logStarts ?? []) {
      const p = this.partitionOrNew(m.partition);
      if (m.offset > p.nextOffset) {
        throw new JournalDivergenceError(`entry ${entry.seq} moves the log start of ${partitionKey(m.partition)} past its end`);
      }
      if (m.offset <= p.logStartOffset) continue;
      p.logStartOffset = m.offset;
      // Forget batches wholly below the log start: their bytes are no longer readable.
      let drop = 0;
      while (drop < p.batches.length && p.batches[drop]!.endOffset <= m.offset) drop++;
      p.batches.splice(0, drop);
    }
    this.seq = entry.seq;
    this.time = Math.max(this.time, entry.time);
  }

  /**
   * Points the batches of a compaction at their new object, if they are all still current (same
   * offsets, contiguous in the index); otherwise the replacement is a no-op and its object
   * garbage. Offsets, producer state and the high watermark never change.
   */
  private applyReplacement(segment: string, batches: readonly BatchDescriptor[]): void {
    const p = this.partitions.get(partitionKey(batches[0]!.partition));
    if (!p || batches.some((d) => partitionKey(d.partition) !== partitionKey(batches[0]!.partition))) return;
    const i = p.findBatch(batches[0]!.baseOffset);
    const current = batches.every((d, k) => {
      const loc = p.batches[i + k];
      return loc !== undefined && loc.baseOffset === d.baseOffset && loc.endOffset === d.baseOffset + d.offsetCount;
    });
    if (!current) return;
    batches.forEach((d, k) => {
      const loc = p.batches[i + k]!;
      p.batches[i + k] = { ...loc, segment, position: d.position, length: d.length };
    });
  }

  /** Every partition of the shard with its state. */
  *allPartitions(): IterableIterator<[string, PartitionState]> {
    yield* this.partitions.entries();
  }
}
