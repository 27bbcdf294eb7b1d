import { crc32c } from '@node-rs/crc32';
import { topicIdBytes, topicIdString, type PartitionRef } from './partition-ref.ts';

// Segment object format, version 1 (docs/segment-format.md):
//
//   "FLOESEG1"                                   8 bytes
//   partition runs: each partition's batches back to back, as the producers sent them
//   index: count u32, then per run: topic id (16), partition u32, position u64, length u32,
//          batch count u32                      36 bytes a run
//   footer: index position u64, index length u32, CRC-32C of the index u32, "FLOEEND1"
//
// Batches of one partition are contiguous, so a reader fetches one partition's range with one
// ranged GET. The journal records every batch's position, so readers never need the index; it
// is there for compaction, garbage collection and recovery tools.

export const SEGMENT_MAGIC = Buffer.from('FLOESEG1');
export const SEGMENT_END_MAGIC = Buffer.from('FLOEEND1');
const INDEX_ENTRY_BYTES = 36;
const FOOTER_BYTES = 24;

export interface SegmentRun {
  partition: PartitionRef;
  batches: Buffer[];
}

export interface BatchPlacement {
  position: number;
  length: number;
}

export interface BuiltSegment {
  bytes: Buffer;
  /** placements[i][j]: where batch j of run i sits in `bytes`. */
  placements: BatchPlacement[][];
}

export function buildSegment(runs: readonly SegmentRun[]): BuiltSegment {
  const parts: Buffer[] = [SEGMENT_MAGIC];
  const placements: BatchPlacement[][] = [];
  const index = Buffer.alloc(4 + runs.length * INDEX_ENTRY_BYTES);
  index.writeUInt32BE(runs.length, 0);
  let position = SEGMENT_MAGIC.length;
  runs.forEach((run, i) => {
    const start = position;
    const runPlacements: BatchPlacement[] = [];
    for (const batch of run.batches) {
      runPlacements.push({ position, length: batch.length });
      parts.push(batch);
      position += batch.length;
    }
    placements.push(runPlacements);
    const at = 4 + i * INDEX_ENTRY_BYTES;
    topicIdBytes(run.partition.topicId).copy(index, at);
    index.writeUInt32BE(run.partition.partition, at + 16);
    index.writeBigUInt64BE(BigInt(start), at + 20);
    index.writeUInt32BE(position - start, at + 28);
    index.writeUInt32BE(run.batches.length, at + 32);
  });
  const footer = Buffer.alloc(FOOTER_BYTES);
  footer.writeBigUInt64BE(BigInt(position), 0);
  footer.writeUInt32BE(index.length, 8);
  footer.writeUInt32BE(crc32c(index), 12);
  SEGMENT_END_MAGIC.copy(footer, 16);
  parts.push(index, footer);
  return { bytes: Buffer.concat(parts), placements };
}

export interface SegmentIndexEntry {
  partition: PartitionRef;
  position: number;
  length: number;
  batchCount: number;
}

export class SegmentFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SegmentFormatError';
  }
}

/** Reads the index of a whole segment object, checking magic numbers and the index CRC. */
export function readSegmentIndex(segment: Buffer): SegmentIndexEntry[] {
  if (segment.length < SEGMENT_MAGIC.length + 4 + FOOTER_BYTES) throw new SegmentFormatError('segment too short');
  if (!segment.subarray(0, 8).equals(SEGMENT_MAGIC)) throw new SegmentFormatError('bad segment magic');
  const footer = segment.subarray(segment.length - FOOTER_BYTES);
  if (!footer.subarray(16).equals(SEGMENT_END_MAGIC)) throw new SegmentFormatError('bad segment footer magic');
  const indexPos = Number(footer.readBigUInt64BE(0));
  const indexLen = footer.readUInt32BE(8);
  if (indexPos + indexLen !== segment.length - FOOTER_BYTES) throw new SegmentFormatError('index does not end at the footer');
  const index = segment.subarray(indexPos, indexPos + indexLen);
  if (crc32c(index) !== footer.readUInt32BE(12)) throw new SegmentFormatError('segment index CRC mismatch');
  const count = index.readUInt32BE(0);
  if (4 + count * INDEX_ENTRY_BYTES !== indexLen) throw new SegmentFormatError('index length does not match its count');
  const entries: SegmentIndexEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = 4 + i * INDEX_ENTRY_BYTES;
    const entry = {
      partition: { topicId: topicIdString(index.subarray(at, at + 16)), partition: index.readUInt32BE(at + 16) },
      position: Number(index.readBigUInt64BE(at + 20)),
      length: index.readUInt32BE(at + 28),
      batchCount: index.readUInt32BE(at + 32),
    };
    if (entry.position < SEGMENT_MAGIC.length || entry.position + entry.length > indexPos) {
      throw new SegmentFormatError(`run ${i} lies outside the data area`);
    }
    entries.push(entry);
  }
  return entries;
}
