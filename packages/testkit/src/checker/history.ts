// What a queue workload records: every send with its outcome, every record read, every commit
// and every change of a group member's partitions. Plain data, so that the checker is a pure
// function over it and a run's history can be written to and read from JSON.

/** acknowledged: the broker said it is written (at `partition`/`offset`); failed: it is certainly not written; unknown: either. */
export type SendOutcome = 'acknowledged' | 'failed' | 'unknown';

export interface Send {
  producer: string;
  /** The producer's send order (0, 1, 2, ...): per partition its acknowledged records must keep it. */
  seq: number;
  /** Unique across the run. */
  value: string;
  outcome: SendOutcome;
  partition?: number;
  offset?: number;
}

export interface Read {
  consumer: string;
  partition: number;
  offset: number;
  value: string;
  /** The reader's group generation, when its client reports one. */
  generation?: number;
}

export interface Commit {
  group: string;
  consumer: string;
  partition: number;
  /** The next offset to read, as Kafka commits it. */
  offset: number;
}

export interface Assignment {
  group: string;
  consumer: string;
  event: 'assigned' | 'revoked' | 'gone';
  partitions: readonly number[];
  generation?: number;
}

/** One event of a run, in the order it was observed. */
export type HistoryEvent =
  | ({ type: 'read' } & Read)
  | ({ type: 'commit' } & Commit)
  | ({ type: 'assignment' } & Assignment);

export interface History {
  sends: readonly Send[];
  /** Reads, commits and assignments during the run, in observed order. */
  events: readonly HistoryEvent[];
  /** The final read of every partition, from its start to its end, by a fresh consumer after healing. */
  finalRead: readonly Read[];
  /** Each partition's end offset when the final read was taken. */
  ends: Readonly<Record<number, number>>;
  /**
   * Readers that were meant to read everything and had the whole heal time to do so: a group (by
   * name) collectively, or one assign-mode reader (by consumer name) of every partition.
   */
  followers: readonly { group?: string; consumer?: string }[];
}
