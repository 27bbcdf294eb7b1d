import { ByteReader, ByteWriter } from './varint-codec.ts';
import { topicIdBytes, topicIdString, type PartitionRef } from './partition-ref.ts';

/**
 * One committed batch, as the journal records it. The outcome (its base offset) is decided by
 * the writer against the shard state it replayed, and recorded here as a fact: replay applies it
 * and checks it, it never re-decides.
 */
export interface BatchDescriptor {
  partition: PartitionRef;
  /** Where the batch's bytes are in the entry's segment object. */
  position: number;
  length: number;
  /** First offset the batch holds. */
  baseOffset: number;
  /** Offsets the batch spans (lastOffsetDelta + 1). */
  offsetCount: number;
  /** Records in the batch (equals offsetCount for client batches). */
  recordCount: number;
  maxTimestamp: number;
  /** Producer fields of an idempotent batch; absent otherwise. */
  producer?: { id: number; epoch: number; baseSequence: number; lastSequence: number };
  transactional?: boolean;
  control?: boolean;
}

export interface JournalEntry {
  /** Position in the shard's journal, dense from 1. */
  seq: number;
  /** Unique per commit attempt: tells the writer, after an unknown outcome, whether it won. */
  commitId: string;
  node: string;
  /** Journal time: max(writer clock, previous entry's time). Every time rule uses it. */
  time: number;
  /** The segment object holding the entry's batches (absent for entries that carry none). */
  segment?: string;
  batches: BatchDescriptor[];
  /** Log start offsets moved forward by this entry (DeleteRecords, retention). */
  logStarts?: LogStartMove[];
  /**
   * Compaction: `batches` are existing batches rewritten into `segment`, not new ones. Replay
   * applies the new locations only if exactly those batches are still current.
   */
  replace?: boolean;
}

/** Records below `offset` are gone from the partition: it becomes the log start offset. */
export interface LogStartMove {
  partition: PartitionRef;
  offset: number;
}

export function encodeLogStarts(moves: readonly LogStartMove[]): Buffer {
  const w = new ByteWriter().byte(FORMAT_VERSION).uvarint(moves.length);
  for (const m of moves) w.bytes(topicIdBytes(m.partition.topicId)).uvarint(m.partition.partition).uvarint(m.offset);
  return w.finish();
}

export function decodeLogStarts(bytes: Uint8Array): LogStartMove[] {
  const r = new ByteReader(bytes);
  const version = r.byte();
  if (version !== FORMAT_VERSION) throw new RangeError(`unknown log-start format ${version}`);
  const n = r.uvarint();
  const out: LogStartMove[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ partition: { topicId: topicIdString(r.bytes(16)), partition: r.uvarint() }, offset: r.uvarint() });
  }
  if (!r.done) throw new RangeError('bytes left after the log-start moves');
  return out;
}

const FORMAT_VERSION = 1;
const FLAG_IDEMPOTENT = 1;
const FLAG_TRANSACTIONAL = 2;
const FLAG_CONTROL = 4;

/**
 * Packs descriptors: a topic table (16-byte ids) then per batch varints. About 15-25 bytes a
 * batch without producer fields, 25-35 with, so a commit of 1,000 batches stays near 25 KB.
 */
export function encodeDescriptors(batches: readonly BatchDescriptor[]): Buffer {
  const topics = new Map<string, number>();
  for (const b of batches) if (!topics.has(b.partition.topicId)) topics.set(b.partition.topicId, topics.size);
  const w = new ByteWriter().byte(FORMAT_VERSION).uvarint(topics.size);
  for (const id of topics.keys()) w.bytes(topicIdBytes(id));
  w.uvarint(batches.length);
  for (const b of batches) {
    const flags =
      (b.producer ? FLAG_IDEMPOTENT : 0) | (b.transactional ? FLAG_TRANSACTIONAL : 0) | (b.control ? FLAG_CONTROL : 0);
    w.uvarint(topics.get(b.partition.topicId)!)
      .uvarint(b.partition.partition)
      .uvarint(b.position)
      .uvarint(b.length)
      .uvarint(b.baseOffset)
      .uvarint(b.offsetCount)
      .uvarint(b.recordCount)
      .zigzag(b.maxTimestamp)
      .byte(flags);
    if (b.producer) {
      w.uvarint(b.producer.id).uvarint(b.producer.epoch).uvarint(b.producer.baseSequence).uvarint(b.producer.lastSequence);
    }
  }
  return w.finish();
}

export function decodeDescriptors(bytes: Uint8Array): BatchDescriptor[] {
  const r = new ByteReader(bytes);
  const version = r.byte();
  if (version !== FORMAT_VERSION) throw new RangeError(`unknown descriptor format ${version}`);
  const topicCount = r.uvarint();
  const topics: string[] = [];
  for (let i = 0; i < topicCount; i++) topics.push(topicIdString(r.bytes(16)));
  const count = r.uvarint();
  const out: BatchDescriptor[] = [];
  for (let i = 0; i < count; i++) {
    const topicId = topics[r.uvarint()];
    if (topicId === undefined) throw new RangeError('descriptor names a topic outside the table');
    const d: BatchDescriptor = {
      partition: { topicId, partition: r.uvarint() },
      position: r.uvarint(),
      length: r.uvarint(),
      baseOffset: r.uvarint(),
      offsetCount: r.uvarint(),
      recordCount: r.uvarint(),
      maxTimestamp: r.zigzag(),
    };
    const flags = r.byte();
    if (flags & FLAG_IDEMPOTENT) {
      d.producer = { id: r.uvarint(), epoch: r.uvarint(), baseSequence: r.uvarint(), lastSequence: r.uvarint() };
    }
    if (flags & FLAG_TRANSACTIONAL) d.transactional = true;
    if (flags & FLAG_CONTROL) d.control = true;
    out.push(d);
  }
  if (!r.done) throw new RangeError('bytes left after the descriptors');
  return out;
}
