// Splits a `records` field into v2 batches as zero-copy subarrays, validating each batch's framing
// and header without decoding its records.
//
// Two modes:
//   produce  the records of a Produce request. Everything must be whole: a truncated batch is
//            CORRUPT_MESSAGE, and Kafka's header rules for client batches apply (recordCount ≥ 1,
//            lastOffsetDelta = recordCount - 1, INVALID_RECORD otherwise).
//   fetch    records read back from a log or a Fetch response, which may legitimately end in a
//            partial batch: iteration stops there and reports the leftover byte count. Empty
//            batches (recordCount 0, left by compaction) are accepted.
//
// Checks per batch, in the order Kafka's own reader applies them:
//   1. 12 bytes for baseOffset + batchLength            else partial (fetch) / CORRUPT_MESSAGE
//   2. batchLength ≥ 14 (the smallest legacy message)   else CORRUPT_MESSAGE
//   3. the whole batch is present                       else partial (fetch) / CORRUPT_MESSAGE
//      and within maxBatchBytes                         else MESSAGE_TOO_LARGE (produce) / CORRUPT_MESSAGE (fetch)
//   4. magic: 0 or 1 → INVALID_RECORD (legacy message sets; Kafka answers INVALID_RECORD to produce
//      v3+ requests carrying them), anything but 2 → CORRUPT_MESSAGE
//   5. batchLength ≥ 49 (a full v2 header)              else CORRUPT_MESSAGE
//   6. CRC-32C over attributes..end                     else CORRUPT_MESSAGE
//   7. compression codec 0..4                           else UNSUPPORTED_COMPRESSION_TYPE
//   8. recordCount ≥ 0 (fetch) / the produce rules above
//   9. produce, uncompressed: the record length prefixes tile the payload and their number equals
//      recordCount (CORRUPT_MESSAGE otherwise); skipped for compressed batches (that needs a
//      decompression, which decodeBatch does under a size limit).
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  COMPRESSION_CODEC_MASK,
  CRC_OFFSET,
  CRC_START_OFFSET,
  CURRENT_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MIN_BATCH_LENGTH,
  MIN_LEGACY_MESSAGE_LENGTH,
  RECORD_COUNT_OFFSET,
  RECORDS_OFFSET,
} from './batch-header.ts';
import { crc32c } from '@node-rs/crc32';
import { CompressionCodec, isCompressionCodec } from './compression.ts';
import { CorruptRecordError, InvalidRecordError, RecordTooLargeError, UnsupportedCompressionError } from './errors.ts';
import { countRecords } from './records-codec.ts';

export type BatchReadMode = 'produce' | 'fetch';

export interface BatchIteratorOptions {
  /** Default 'produce'. */
  mode?: BatchReadMode;
  /** Check each batch's CRC (default true). */
  validateCrc?: boolean;
  /** Largest accepted batch, in bytes including the 12-byte log overhead. Default: no limit. */
  maxBatchBytes?: number;
  /** produce mode: walk uncompressed records' length prefixes to check recordCount (default true). */
  verifyRecordCount?: boolean;
}

interface ResolvedOptions {
  produce: boolean;
  validateCrc: boolean;
  maxBatchBytes: number;
  verifyRecordCount: boolean;
}

function resolve(options: BatchIteratorOptions): ResolvedOptions {
  const produce = (options.mode ?? 'produce') === 'produce';
  return {
    produce,
    validateCrc: options.validateCrc ?? true,
    maxBatchBytes: options.maxBatchBytes ?? Number.POSITIVE_INFINITY,
    verifyRecordCount: produce && (options.verifyRecordCount ?? true),
  };
}

/**
 * Validates the batch starting at `pos` and returns its size in bytes, or -1 when (fetch mode
 * only) the buffer ends inside it.
 */
function checkBatchAt(buf: Buffer, pos: number, o: ResolvedOptions): number {
  const remaining = buf.length - pos;
  if (remaining < LOG_OVERHEAD) {
    if (!o.produce) return -1;
    throw new CorruptRecordError(`${remaining} trailing bytes are too few for a record batch`);
  }
  const batchLength = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
  if (batchLength < MIN_LEGACY_MESSAGE_LENGTH) {
    throw new CorruptRecordError(`record batch length ${batchLength} is below the minimum`);
  }
  const size = batchLength + LOG_OVERHEAD;
  if (o.produce) {
    if (size > remaining) {
      throw new CorruptRecordError(`record batch of ${size} bytes is truncated to ${remaining}`);
    }
    if (size > o.maxBatchBytes) {
      throw new RecordTooLargeError(`record batch of ${size} bytes exceeds the ${o.maxBatchBytes}-byte limit`);
    }
  } else {
    if (size > o.maxBatchBytes) {
      throw new CorruptRecordError(`record batch of ${size} bytes exceeds the ${o.maxBatchBytes}-byte limit`);
    }
    if (size > remaining) return -1;
  }
  const magic = buf.readInt8(pos + MAGIC_OFFSET);
  if (magic !== CURRENT_MAGIC) {
    if (magic === 0 || magic === 1) {
      throw new InvalidRecordError(`legacy message format (magic ${magic}) is not supported; use record batches (magic 2)`);
    }
    throw new CorruptRecordError(`invalid record batch magic ${magic}`);
  }
  if (batchLength < MIN_BATCH_LENGTH) {
    throw new CorruptRecordError(`record batch length ${batchLength} is smaller than the v2 header`);
  }
  const end = pos + size;
  if (o.validateCrc) {
    const crc = crc32c(buf.subarray(pos + CRC_START_OFFSET, end)) >>> 0;
    if (crc !== buf.readUInt32BE(pos + CRC_OFFSET)) {
      throw new CorruptRecordError(`record batch CRC mismatch at byte ${pos}`);
    }
  }
  const codec = buf.readInt16BE(pos + ATTRIBUTES_OFFSET) & COMPRESSION_CODEC_MASK;
  if (!isCompressionCodec(codec)) throw new UnsupportedCompressionError(`unknown compression codec id ${codec}`);
  const recordCount = buf.readInt32BE(pos + RECORD_COUNT_OFFSET);
  if (recordCount < 0) throw new CorruptRecordError(`negative record count ${recordCount}`);
  if (o.produce) {
    const lastOffsetDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
    if (recordCount === 0) throw new InvalidRecordError('record batch has no records');
    if (lastOffsetDelta !== recordCount - 1) {
      throw new InvalidRecordError(
        `inconsistent record batch: lastOffsetDelta ${lastOffsetDelta} with ${recordCount} records`,
      );
    }
    if (o.verifyRecordCount && codec === CompressionCodec.NONE) {
      const n = countRecords(buf.subarray(pos + RECORDS_OFFSET, end));
      if (n !== recordCount) {
        throw new CorruptRecordError(`record batch declares ${recordCount} records but holds ${n}`);
      }
    }
  }
  return size;
}

/**
 * Yields each batch of `records` as a subarray (no copy). The generator's return value is the
 * number of trailing bytes of a partial batch (always 0 in produce mode, which throws instead).
 */
export function* iterateBatches(
  records: Buffer,
  options: BatchIteratorOptions = {},
): Generator<Buffer, number, undefined> {
  const o = resolve(options);
  let pos = 0;
  while (pos < records.length) {
    const size = checkBatchAt(records, pos, o);
    if (size < 0) return records.length - pos;
    yield records.subarray(pos, pos + size);
    pos += size;
  }
  return 0;
}

export interface BatchSplit {
  batches: Buffer[];
  /** Bytes of a trailing partial batch that were left out (fetch mode). */
  partialBytes: number;
}

/** Like iterateBatches, collected into an array. */
export function splitBatches(records: Buffer, options: BatchIteratorOptions = {}): BatchSplit {
  const o = resolve(options);
  const batches: Buffer[] = [];
  let pos = 0;
  while (pos < records.length) {
    const size = checkBatchAt(records, pos, o);
    if (size < 0) return { batches, partialBytes: records.length - pos };
    batches.push(records.subarray(pos, pos + size));
    pos += size;
  }
  return { batches, partialBytes: 0 };
}

export interface ProduceRecordsOptions extends Omit<BatchIteratorOptions, 'mode'> {
  /** Produce request version (3+ carries record batches; zstd needs 7+). */
  apiVersion: number;
}

/**
 * Kafka's rules for the records of one partition in a Produce request (v3+): exactly one batch,
 * magic 2 (INVALID_RECORD otherwise), zstd only from v7 (UNSUPPORTED_COMPRESSION_TYPE), plus the
 * produce-mode checks above. Returns the batch as a subarray.
 */
export function validateProduceRecords(records: Buffer, options: ProduceRecordsOptions): Buffer {
  const o = resolve({ ...options, mode: 'produce' });
  if (records.length === 0) {
    throw new InvalidRecordError('produce request must have at least one record batch per partition');
  }
  const size = checkBatchAt(records, 0, o);
  const codec = records.readInt16BE(ATTRIBUTES_OFFSET) & COMPRESSION_CODEC_MASK;
  if (codec === CompressionCodec.ZSTD && options.apiVersion < 7) {
    throw new UnsupportedCompressionError(`produce version ${options.apiVersion} does not allow zstd compression`);
  }
  if (size !== records.length) {
    throw new InvalidRecordError('produce request must contain exactly one record batch per partition');
  }
  return records.subarray(0, size);
}
