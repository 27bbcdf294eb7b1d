// The fixed 61-byte header of a v2 record batch (magic 2), read and patched in place.
//
//   offset  size  field
//        0     8  baseOffset            int64
//        8     4  batchLength           int32   bytes after this field (total size - 12)
//       12     4  partitionLeaderEpoch  int32   not covered by the CRC
//       16     1  magic                 int8    2
//       17     4  crc                   uint32  CRC-32C of bytes 21..end
//       21     2  attributes            int16
//       23     4  lastOffsetDelta       int32
//       27     8  baseTimestamp         int64
//       35     8  maxTimestamp          int64
//       43     8  producerId            int64
//       51     2  producerEpoch         int16
//       53     4  baseSequence          int32
//       57     4  recordCount           int32
//       61     …  records (compressed as one block when the codec is not none)
import { crc32c } from '@node-rs/crc32';
import { CorruptRecordError } from './errors.ts';

export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORD_COUNT_OFFSET = 57;
export const RECORDS_OFFSET = 61;

/** Size of the v2 batch header; also the smallest possible batch. */
export const BATCH_HEADER_SIZE = RECORDS_OFFSET;
/** baseOffset + batchLength: the bytes before what batchLength counts. */
export const LOG_OVERHEAD = 12;
/** Smallest valid batchLength for magic 2 (61 - 12). */
export const MIN_BATCH_LENGTH = BATCH_HEADER_SIZE - LOG_OVERHEAD;
/** Smallest batchLength of any message format (a magic 0 message): used to tell legacy data apart. */
export const MIN_LEGACY_MESSAGE_LENGTH = 14;
/** Byte offset of the first byte covered by the CRC. */
export const CRC_START_OFFSET = ATTRIBUTES_OFFSET;

export const CURRENT_MAGIC = 2;

export const COMPRESSION_CODEC_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_FLAG_MASK = 0x10;
export const CONTROL_FLAG_MASK = 0x20;
export const DELETE_HORIZON_FLAG_MASK = 0x40;

/** timestampType values (attribute bit 3). */
export const TimestampType = { CREATE_TIME: 0, LOG_APPEND_TIME: 1 } as const;
export type TimestampTypeId = (typeof TimestampType)[keyof typeof TimestampType];

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;
export const NO_TIMESTAMP = -1n;

/** The header fields of one v2 batch. 64-bit fields are bigint so no value is silently rounded. */
export interface BatchHeader {
  baseOffset: bigint;
  /** Bytes after the batchLength field; the whole batch is `batchLength + 12` bytes. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  /** Codec id from attribute bits 0-2 (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd; 5-7 are invalid). */
  compression: number;
  timestampType: TimestampTypeId;
  isTransactional: boolean;
  isControl: boolean;
  hasDeleteHorizon: boolean;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/**
 * Reads the 61-byte header at `offset` without looking at the records or checking the CRC.
 * Throws CORRUPT_MESSAGE when fewer than 61 bytes are available. Does not check the magic: call
 * it on bytes the batch iterator has accepted, or check `magic` yourself.
 */
export function readBatchHeader(buf: Buffer, offset = 0): BatchHeader {
  if (offset < 0 || buf.length - offset < BATCH_HEADER_SIZE) {
    throw new CorruptRecordError(
      `record batch header needs ${BATCH_HEADER_SIZE} bytes, ${Math.max(0, buf.length - offset)} available`,
    );
  }
  const attributes = buf.readInt16BE(offset + ATTRIBUTES_OFFSET);
  return {
    baseOffset: buf.readBigInt64BE(offset + BASE_OFFSET_OFFSET),
    batchLength: buf.readInt32BE(offset + BATCH_LENGTH_OFFSET),
    partitionLeaderEpoch: buf.readInt32BE(offset + PARTITION_LEADER_EPOCH_OFFSET),
    magic: buf.readInt8(offset + MAGIC_OFFSET),
    crc: buf.readUInt32BE(offset + CRC_OFFSET),
    attributes,
    compression: attributes & COMPRESSION_CODEC_MASK,
    timestampType: (attributes & TIMESTAMP_TYPE_MASK) !== 0 ? 1 : 0,
    isTransactional: (attributes & TRANSACTIONAL_FLAG_MASK) !== 0,
    isControl: (attributes & CONTROL_FLAG_MASK) !== 0,
    hasDeleteHorizon: (attributes & DELETE_HORIZON_FLAG_MASK) !== 0,
    lastOffsetDelta: buf.readInt32BE(offset + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: buf.readBigInt64BE(offset + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: buf.readBigInt64BE(offset + MAX_TIMESTAMP_OFFSET),
    producerId: buf.readBigInt64BE(offset + PRODUCER_ID_OFFSET),
    producerEpoch: buf.readInt16BE(offset + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(offset + BASE_SEQUENCE_OFFSET),
    recordCount: buf.readInt32BE(offset + RECORD_COUNT_OFFSET),
  };
}

/** Builds the attributes int16 from its parts. */
export function encodeAttributes(parts: {
  compression: number;
  timestampType?: TimestampTypeId;
  isTransactional?: boolean;
  isControl?: boolean;
  hasDeleteHorizon?: boolean;
}): number {
  return (
    (parts.compression & COMPRESSION_CODEC_MASK) |
    (parts.timestampType === TimestampType.LOG_APPEND_TIME ? TIMESTAMP_TYPE_MASK : 0) |
    (parts.isTransactional ? TRANSACTIONAL_FLAG_MASK : 0) |
    (parts.isControl ? CONTROL_FLAG_MASK : 0) |
    (parts.hasDeleteHorizon ? DELETE_HORIZON_FLAG_MASK : 0)
  );
}

/** Total size in bytes of the batch at `offset` according to its batchLength (not validated). */
export function batchSize(buf: Buffer, offset = 0): number {
  return buf.readInt32BE(offset + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
}

/** The CRC-32C the batch at `offset` should carry: over attributes..end of batch. */
export function computeBatchCrc(buf: Buffer, offset = 0): number {
  const end = offset + batchSize(buf, offset);
  if (end > buf.length || end < offset + BATCH_HEADER_SIZE) {
    throw new CorruptRecordError('record batch length does not fit its buffer');
  }
  return crc32c(buf.subarray(offset + CRC_START_OFFSET, end)) >>> 0;
}

/**
 * True when the stored CRC matches the batch's bytes. The batch starts at `offset` and its extent
 * comes from batchLength, which must fit in `buf` (else CORRUPT_MESSAGE is thrown).
 */
export function validateBatchCrc(buf: Buffer, offset = 0): boolean {
  if (buf.length - offset < BATCH_HEADER_SIZE) {
    throw new CorruptRecordError('record batch is shorter than its header');
  }
  return computeBatchCrc(buf, offset) === buf.readUInt32BE(offset + CRC_OFFSET);
}

/** Recomputes and stores the CRC (after patching a field the CRC covers). */
export function updateBatchCrc(buf: Buffer, offset = 0): void {
  buf.writeUInt32BE(computeBatchCrc(buf, offset), offset + CRC_OFFSET);
}

// ---- in-place patches ------------------------------------------------------------------------
// baseOffset and partitionLeaderEpoch lie before the CRC'd range, so patching them keeps the CRC
// valid: this is how a broker assigns offsets without touching the records.

export function setBaseOffset(buf: Buffer, baseOffset: bigint, offset = 0): void {
  buf.writeBigInt64BE(baseOffset, offset + BASE_OFFSET_OFFSET);
}

export function setPartitionLeaderEpoch(buf: Buffer, epoch: number, offset = 0): void {
  buf.writeInt32BE(epoch, offset + PARTITION_LEADER_EPOCH_OFFSET);
}

/**
 * Sets maxTimestamp and the timestampType bit to LOG_APPEND_TIME, as a broker does for topics with
 * message.timestamp.type=LogAppendTime. Both lie inside the CRC'd range, so the CRC is recomputed.
 */
export function setLogAppendTime(buf: Buffer, timestamp: bigint, offset = 0): void {
  const attributes = buf.readInt16BE(offset + ATTRIBUTES_OFFSET);
  buf.writeInt16BE(attributes | TIMESTAMP_TYPE_MASK, offset + ATTRIBUTES_OFFSET);
  buf.writeBigInt64BE(timestamp, offset + MAX_TIMESTAMP_OFFSET);
  updateBatchCrc(buf, offset);
}

// ---- cheap derived values ----------------------------------------------------------------------

export function readBaseOffset(buf: Buffer, offset = 0): bigint {
  return buf.readBigInt64BE(offset + BASE_OFFSET_OFFSET);
}

export function readLastOffsetDelta(buf: Buffer, offset = 0): number {
  return buf.readInt32BE(offset + LAST_OFFSET_DELTA_OFFSET);
}

export function readRecordCount(buf: Buffer, offset = 0): number {
  return buf.readInt32BE(offset + RECORD_COUNT_OFFSET);
}

export function readCompression(buf: Buffer, offset = 0): number {
  return buf.readInt16BE(offset + ATTRIBUTES_OFFSET) & COMPRESSION_CODEC_MASK;
}

/** baseOffset + lastOffsetDelta: the offset of the batch's last record (kept even after compaction). */
export function lastOffset(buf: Buffer, offset = 0): bigint {
  return readBaseOffset(buf, offset) + BigInt(readLastOffsetDelta(buf, offset));
}

/** The offset after the batch's last record. */
export function nextOffset(buf: Buffer, offset = 0): bigint {
  return lastOffset(buf, offset) + 1n;
}

/** Header-only variants for an already-read header. */
export function headerLastOffset(h: BatchHeader): bigint {
  return h.baseOffset + BigInt(h.lastOffsetDelta);
}

/** Offsets the batch spans (lastOffsetDelta + 1), which equals recordCount unless compacted. */
export function headerOffsetCount(h: BatchHeader): number {
  return h.lastOffsetDelta + 1;
}

/** The sequence number of the last record, wrapping at int32 max as Kafka does; -1 if none. */
export function lastSequence(h: BatchHeader): number {
  if (h.baseSequence === NO_SEQUENCE) return NO_SEQUENCE;
  const last = h.baseSequence + h.lastOffsetDelta;
  return last > 0x7fffffff ? last - 0x80000000 : last;
}
