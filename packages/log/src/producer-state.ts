import type { LogErrorKind } from './errors.ts';

/** What a partition remembers of one idempotent producer. */
export interface ProducerEntry {
  epoch: number;
  lastSequence: number;
  /** The last few batches, newest last, to recognise retries (Kafka keeps 5). */
  recent: RecentBatch[];
}

export interface RecentBatch {
  baseSequence: number;
  lastSequence: number;
  baseOffset: number;
  maxTimestamp: number;
}

export const RECENT_BATCHES_KEPT = 5;
const INT32_MAX = 0x7fffffff;

/** Sequence numbers wrap from 2^31-1 to 0, as in Kafka. */
export function nextSequence(seq: number): number {
  return seq === INT32_MAX ? 0 : seq + 1;
}

export function lastSequenceOf(baseSequence: number, offsetCount: number): number {
  return (baseSequence + offsetCount - 1) % (INT32_MAX + 1);
}

export type SequenceCheck =
  | { ok: true }
  | { ok: false; duplicateOf: RecentBatch }
  /**
   * `gap`: the batch is ahead of the next expected sequence, or continues an epoch this state has
   * not seen begin (its predecessors may still be on their way).
   */
  | { ok: false; error: LogErrorKind; message: string; gap?: true };

/**
 * Kafka's rules for an idempotent batch against a producer's state:
 * - an unknown producer may start at any sequence (its state may have expired);
 * - an older epoch is fenced;
 * - a newer epoch must start at sequence 0;
 * - the same epoch must continue at lastSequence + 1, unless the batch repeats one of the
 *   recent batches exactly, which is a retry: answered with the original offset, not written.
 */
export function checkSequence(
  entry: ProducerEntry | undefined,
  epoch: number,
  baseSequence: number,
  lastSequence: number,
): SequenceCheck {
  if (!entry) return { ok: true };
  if (epoch < entry.epoch) {
    return { ok: false, error: 'invalid-producer-epoch', message: `producer epoch ${epoch} is older than ${entry.epoch}` };
  }
  if (epoch > entry.epoch) {
    // A later batch of the new epoch: its epoch's first batches may still be committing at another
    // node (the client bumped the epoch, then moved the partition), so this is a gap too.
    if (baseSequence !== 0) {
      return { ok: false, error: 'out-of-order-sequence', message: `new epoch ${epoch} must start at sequence 0, not ${baseSequence}`, gap: true };
    }
    return { ok: true };
  }
  const dup = entry.recent.find((r) => r.baseSequence === baseSequence && r.lastSequence === lastSequence);
  if (dup) return { ok: false, duplicateOf: dup };
  const expected = nextSequence(entry.lastSequence);
  if (baseSequence !== expected) {
    return {
      ok: false,
      error: 'out-of-order-sequence',
      message: `expected sequence ${expected}, got ${baseSequence} (epoch ${epoch})`,
      ...(baseSequence > expected ? { gap: true as const } : {}),
    };
  }
  return { ok: true };
}

/** The producer's state after appending a batch (a new object: states are shared by snapshots). */
export function afterAppend(
  entry: ProducerEntry | undefined,
  epoch: number,
  batch: RecentBatch,
): ProducerEntry {
  const recent = entry && entry.epoch === epoch ? [...entry.recent, batch] : [batch];
  if (recent.length > RECENT_BATCHES_KEPT) recent.splice(0, recent.length - RECENT_BATCHES_KEPT);
  return { epoch, lastSequence: batch.lastSequence, recent };
}
