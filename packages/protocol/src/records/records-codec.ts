// Full decode and encode of the records inside a v2 batch.
//
// Record (all varints zigzag-encoded):
//   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint
//   keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value
//   headerCount varint | headers: keyLength varint | key (UTF-8) | valueLength varint (-1 = null) | value
//
// Types: offsets, timestamps and producer ids are int64 on the wire and bigint here, so nothing is
// rounded silently. Decoded keys, values and header values are subarrays of the batch (or of the
// decompressed buffer): no copies, and they stay valid as long as that memory is not reused.
//
// Decoding never trusts a length: each one is checked against the bytes left before it is used,
// counts are bounded by what the remaining bytes could hold, and nothing is allocated from a
// declared size. Malformed input raises CorruptRecordError (CORRUPT_MESSAGE).
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH_OFFSET,
  type BatchHeader,
  CRC_OFFSET,
  CRC_START_OFFSET,
  CURRENT_MAGIC,
  encodeAttributes,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  NO_TIMESTAMP,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  readBatchHeader,
  RECORD_COUNT_OFFSET,
  RECORDS_OFFSET,
  TimestampType,
  type TimestampTypeId,
  validateBatchCrc,
} from './batch-header.ts';
import { crc32c } from '@node-rs/crc32';
import {
  assertCompressionCodec,
  compress,
  type CompressOptions,
  decompress,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
} from './compression.ts';
import { CorruptRecordError, InvalidRecordError } from './errors.ts';
import { ByteReader, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint.ts';

/** The fewest bytes one record can take: length, attributes, timestampDelta, offsetDelta, key, value, headerCount. */
export const MIN_RECORD_SIZE = 7;

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface DecodedRecord {
  attributes: number;
  timestampDelta: bigint;
  offsetDelta: number;
  /** Absolute offset: baseOffset + offsetDelta. */
  offset: bigint;
  /** baseTimestamp + timestampDelta; for LOG_APPEND_TIME batches the batch's maxTimestamp (as Kafka). */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface DecodedBatch {
  header: BatchHeader;
  records: DecodedRecord[];
}

export interface DecodeRecordsContext {
  baseOffset: bigint;
  baseTimestamp: bigint;
  /** When set, every record's timestamp is this (LOG_APPEND_TIME batches). */
  logAppendTime?: bigint | undefined;
}

/**
 * Decodes exactly `count` records filling all of `data` (the batch's records, decompressed).
 * Too few bytes, bytes left over, or any malformed record raise CorruptRecordError.
 */
export function decodeRecords(data: Buffer, count: number, ctx: DecodeRecordsContext): DecodedRecord[] {
  if (count < 0) throw new CorruptRecordError(`negative record count ${count}`);
  if (count > data.length / MIN_RECORD_SIZE) {
    throw new CorruptRecordError(`record count ${count} cannot fit in ${data.length} bytes of records`);
  }
  const r = new ByteReader(data);
  const records: DecodedRecord[] = [];
  for (let i = 0; i < count; i++) records.push(decodeRecord(r, ctx));
  if (r.pos !== data.length) {
    throw new CorruptRecordError(`${data.length - r.pos} bytes left after the batch's ${count} records`);
  }
  return records;
}

function decodeRecord(r: ByteReader, ctx: DecodeRecordsContext): DecodedRecord {
  const length = r.readVarint();
  if (length < 0) throw new CorruptRecordError(`negative record length ${length}`);
  if (length > r.remaining) throw new CorruptRecordError(`record length ${length} exceeds the ${r.remaining} bytes left`);
  const outerEnd = r.end;
  const recordEnd = r.pos + length;
  // Narrow the reader to this record so no field can read into the next one.
  const rr = r;
  rr.end = recordEnd;
  const attributes = rr.readInt8();
  const timestampDelta = rr.readVarlong();
  const offsetDelta = rr.readVarint();
  const key = rr.readNullableBytes('record key');
  const value = rr.readNullableBytes('record value');
  const headerCount = rr.readVarint();
  if (headerCount < 0) throw new CorruptRecordError(`negative header count ${headerCount}`);
  if (headerCount > rr.remaining / 2) {
    throw new CorruptRecordError(`header count ${headerCount} cannot fit in the ${rr.remaining} bytes left`);
  }
  const headers: RecordHeader[] = [];
  for (let i = 0; i < headerCount; i++) {
    const keyLen = rr.readVarint();
    if (keyLen < 0) throw new CorruptRecordError(`negative header key length ${keyLen}`);
    const hk = rr.readSlice(keyLen, 'header key');
    const hv = rr.readNullableBytes('header value');
    headers.push({ key: hk.toString('utf8'), value: hv });
  }
  if (rr.pos !== recordEnd) {
    throw new CorruptRecordError(`record declares ${length} bytes but its fields end ${recordEnd - rr.pos} bytes early`);
  }
  r.end = outerEnd;
  const base = ctx.baseTimestamp + timestampDelta;
  return {
    attributes,
    timestampDelta,
    offsetDelta,
    offset: ctx.baseOffset + BigInt(offsetDelta),
    timestamp: ctx.logAppendTime ?? base,
    key,
    value,
    headers,
  };
}

/**
 * Walks the record length prefixes of uncompressed records without decoding them; returns how
 * many records `data` holds, or throws CorruptRecordError when the lengths do not tile it exactly.
 */
export function countRecords(data: Buffer): number {
  const r = new ByteReader(data);
  let n = 0;
  while (r.pos < data.length) {
    const length = r.readVarint();
    if (length < MIN_RECORD_SIZE - 1) throw new CorruptRecordError(`record length ${length} is too small`);
    if (length > r.remaining) throw new CorruptRecordError(`record length ${length} exceeds the ${r.remaining} bytes left`);
    r.pos += length;
    n++;
  }
  return n;
}

export interface DecodeBatchOptions {
  /** Limit on the decompressed records (MESSAGE_TOO_LARGE beyond). Default 64 MiB. */
  maxDecompressedBytes?: number;
  /** Check the CRC before decoding (default true). */
  validateCrc?: boolean;
  /** Also require record i to have offsetDelta i, as Kafka checks on produce (default false). */
  requireSequentialOffsetDeltas?: boolean;
  /** zstd window limit, log2 bytes (default 27). */
  zstdWindowLogMax?: number;
}

/** The records area of the batch at the start of `buf`, after checking its framing. */
function batchExtent(buf: Buffer): { end: number } {
  if (buf.length < BATCH_HEADER_SIZE) {
    throw new CorruptRecordError(`record batch of ${buf.length} bytes is shorter than its ${BATCH_HEADER_SIZE}-byte header`);
  }
  const magic = buf.readInt8(MAGIC_OFFSET);
  if (magic !== CURRENT_MAGIC) {
    if (magic === 0 || magic === 1) throw new InvalidRecordError(`legacy message format (magic ${magic}) is not supported`);
    throw new CorruptRecordError(`invalid record batch magic ${magic}`);
  }
  const batchLength = buf.readInt32BE(BATCH_LENGTH_OFFSET);
  if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD || batchLength > buf.length - LOG_OVERHEAD) {
    throw new CorruptRecordError(`record batch length ${batchLength} does not fit the ${buf.length}-byte buffer`);
  }
  return { end: batchLength + LOG_OVERHEAD };
}

/**
 * Decodes the batch at the start of `buf` (bytes past its batchLength are ignored): header plus
 * every record, decompressing with a limit. Throws ProtocolError subclasses only.
 */
export function decodeBatch(buf: Buffer, options: DecodeBatchOptions = {}): DecodedBatch {
  const { end } = batchExtent(buf);
  if (options.validateCrc !== false && !validateBatchCrc(buf)) {
    throw new CorruptRecordError('record batch CRC mismatch');
  }
  const header = readBatchHeader(buf);
  assertCompressionCodec(header.compression);
  const payload = buf.subarray(RECORDS_OFFSET, end);
  let records: DecodedRecord[];
  try {
    let data: Buffer;
    if (header.compression === 0 || (payload.length === 0 && header.recordCount === 0)) {
      data = payload;
    } else {
      const decompressOptions = options.zstdWindowLogMax !== undefined ? { zstdWindowLogMax: options.zstdWindowLogMax } : {};
      data = decompress(header.compression, payload, options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES, decompressOptions);
    }
    records = decodeRecords(data, header.recordCount, {
      baseOffset: header.baseOffset,
      baseTimestamp: header.baseTimestamp,
      logAppendTime: header.timestampType === TimestampType.LOG_APPEND_TIME ? header.maxTimestamp : undefined,
    });
  } catch (err) {
    // The CRC was good, so the client sent these bytes on purpose: Kafka answers INVALID_RECORD
    // (which producers do not retry) rather than CORRUPT_MESSAGE (which they do).
    if (err instanceof CorruptRecordError && options.validateCrc !== false) {
      throw new InvalidRecordError(`records of a CRC-valid batch do not parse: ${err.message}`);
    }
    throw err;
  }
  if (options.requireSequentialOffsetDeltas) {
    for (let i = 0; i < records.length; i++) {
      if (records[i]!.offsetDelta !== i) {
        throw new InvalidRecordError(`record ${i} has offsetDelta ${records[i]!.offsetDelta}`);
      }
    }
    if (records.length > 0 && header.lastOffsetDelta !== records.length - 1) {
      throw new InvalidRecordError(`lastOffsetDelta ${header.lastOffsetDelta} does not match ${records.length} records`);
    }
  }
  return { header, records };
}

// ---- encoding --------------------------------------------------------------------------------

export type BytesInput = Uint8Array | string | null | undefined;

export interface RecordInput {
  key?: BytesInput;
  value?: BytesInput;
  headers?: ReadonlyArray<{ key: string; value?: BytesInput }>;
  /** Absolute timestamp in ms; defaults to the batch's baseTimestamp option or the current time. */
  timestamp?: bigint | number;
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number;
  /** Record attributes byte (unused by Kafka so far); default 0. */
  attributes?: number;
}

export interface BuildBatchOptions {
  baseOffset?: bigint | number;
  partitionLeaderEpoch?: number;
  producerId?: bigint | number;
  producerEpoch?: number;
  baseSequence?: number;
  isTransactional?: boolean;
  isControl?: boolean;
  hasDeleteHorizon?: boolean;
  timestampType?: TimestampTypeId;
  /** Codec id 0..4 (CompressionCodec). */
  compression?: number;
  compressOptions?: CompressOptions;
  /** Defaults to the first record's timestamp (-1 without records). */
  baseTimestamp?: bigint | number;
  /** Defaults to the largest record timestamp (-1 without records). Set it for LOG_APPEND_TIME. */
  maxTimestamp?: bigint | number;
  /** Defaults to the last record's offsetDelta (-1 without records). */
  lastOffsetDelta?: number;
  records: ReadonlyArray<RecordInput>;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

function toInt64(v: bigint | number, what: string): bigint {
  const b = typeof v === 'bigint' ? v : BigInt(v);
  if (b < INT64_MIN || b > INT64_MAX) throw new RangeError(`${what} ${b} is outside int64`);
  return b;
}

function checkInt(v: number, bits: 8 | 16 | 32, what: string): number {
  const lim = 2 ** (bits - 1);
  if (!Number.isInteger(v) || v < -lim || v >= lim) throw new RangeError(`${what} ${v} is outside int${bits}`);
  return v;
}

function toBytes(v: BytesInput): Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

interface PreparedRecord {
  attributes: number;
  timestampDelta: bigint;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ key: Buffer; value: Buffer | null }>;
  bodySize: number;
}

function bytesFieldSize(b: Buffer | null): number {
  return b === null ? 1 : sizeOfVarint(b.length) + b.length;
}

function writeBytesField(buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, b.length);
  b.copy(buf, pos);
  return pos + b.length;
}

/** Encodes records (uncompressed) as they appear inside a batch. */
function encodeRecords(records: ReadonlyArray<PreparedRecord>): Buffer {
  let total = 0;
  for (const p of records) total += sizeOfVarint(p.bodySize) + p.bodySize;
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const p of records) {
    pos = writeVarint(buf, pos, p.bodySize);
    buf.writeInt8(p.attributes, pos++);
    pos = writeVarlong(buf, pos, p.timestampDelta);
    pos = writeVarint(buf, pos, p.offsetDelta);
    pos = writeBytesField(buf, pos, p.key);
    pos = writeBytesField(buf, pos, p.value);
    pos = writeVarint(buf, pos, p.headers.length);
    for (const h of p.headers) {
      pos = writeBytesField(buf, pos, h.key);
      pos = writeBytesField(buf, pos, h.value);
    }
  }
  return buf;
}

/**
 * Builds one complete v2 batch with a correct CRC. Invalid arguments (out-of-range numbers,
 * unknown codec) are programming errors and raise RangeError / UnsupportedCompressionError.
 */
export function buildBatch(options: BuildBatchOptions): Buffer {
  const compression = options.compression ?? 0;
  assertCompressionCodec(compression);
  const now = BigInt(Date.now());
  const input = options.records;
  const defaultTs = options.baseTimestamp !== undefined ? toInt64(options.baseTimestamp, 'baseTimestamp') : now;
  const timestamps = input.map((r) => (r.timestamp !== undefined ? toInt64(r.timestamp, 'timestamp') : defaultTs));
  const baseTimestamp =
    options.baseTimestamp !== undefined ? defaultTs : timestamps.length > 0 ? timestamps[0]! : NO_TIMESTAMP;
  let maxTimestamp: bigint;
  if (options.maxTimestamp !== undefined) {
    maxTimestamp = toInt64(options.maxTimestamp, 'maxTimestamp');
  } else if (timestamps.length === 0) {
    maxTimestamp = NO_TIMESTAMP;
  } else {
    maxTimestamp = timestamps[0]!;
    for (const t of timestamps) if (t > maxTimestamp) maxTimestamp = t;
  }

  const prepared: PreparedRecord[] = input.map((r, i) => {
    const timestampDelta = toInt64(timestamps[i]! - baseTimestamp, 'timestamp delta');
    const offsetDelta = checkInt(r.offsetDelta ?? i, 32, 'offsetDelta');
    const attributes = checkInt(r.attributes ?? 0, 8, 'record attributes');
    const key = toBytes(r.key);
    const value = toBytes(r.value);
    const headers = (r.headers ?? []).map((h) => ({ key: Buffer.from(h.key, 'utf8'), value: toBytes(h.value) }));
    let bodySize =
      1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta) + bytesFieldSize(key) + bytesFieldSize(value);
    bodySize += sizeOfVarint(headers.length);
    for (const h of headers) bodySize += bytesFieldSize(h.key) + bytesFieldSize(h.value);
    if (bodySize > 0x7fffffff) throw new RangeError(`record ${i} is larger than 2 GiB`);
    return { attributes, timestampDelta, offsetDelta, key, value, headers, bodySize };
  });

  const raw = encodeRecords(prepared);
  const payload = compression === 0 ? raw : compress(compression, raw, options.compressOptions ?? {});
  const size = BATCH_HEADER_SIZE + payload.length;
  if (size - LOG_OVERHEAD > 0x7fffffff) throw new RangeError('record batch is larger than 2 GiB');
  const buf = Buffer.allocUnsafe(size);
  payload.copy(buf, RECORDS_OFFSET);

  const lastOffsetDelta = checkInt(
    options.lastOffsetDelta ?? (prepared.length > 0 ? prepared[prepared.length - 1]!.offsetDelta : -1),
    32,
    'lastOffsetDelta',
  );
  buf.writeBigInt64BE(toInt64(options.baseOffset ?? 0n, 'baseOffset'), BASE_OFFSET_OFFSET);
  buf.writeInt32BE(size - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  buf.writeInt32BE(checkInt(options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, 32, 'partitionLeaderEpoch'), PARTITION_LEADER_EPOCH_OFFSET);
  buf.writeInt8(CURRENT_MAGIC, MAGIC_OFFSET);
  const attributesParts: Parameters<typeof encodeAttributes>[0] = { compression };
  if (options.timestampType !== undefined) attributesParts.timestampType = options.timestampType;
  if (options.isTransactional !== undefined) attributesParts.isTransactional = options.isTransactional;
  if (options.isControl !== undefined) attributesParts.isControl = options.isControl;
  if (options.hasDeleteHorizon !== undefined) attributesParts.hasDeleteHorizon = options.hasDeleteHorizon;
  buf.writeInt16BE(encodeAttributes(attributesParts), ATTRIBUTES_OFFSET);
  buf.writeInt32BE(lastOffsetDelta, LAST_OFFSET_DELTA_OFFSET);
  buf.writeBigInt64BE(baseTimestamp, BASE_TIMESTAMP_OFFSET);
  buf.writeBigInt64BE(maxTimestamp, MAX_TIMESTAMP_OFFSET);
  buf.writeBigInt64BE(toInt64(options.producerId ?? NO_PRODUCER_ID, 'producerId'), PRODUCER_ID_OFFSET);
  buf.writeInt16BE(checkInt(options.producerEpoch ?? NO_PRODUCER_EPOCH, 16, 'producerEpoch'), PRODUCER_EPOCH_OFFSET);
  buf.writeInt32BE(checkInt(options.baseSequence ?? NO_SEQUENCE, 32, 'baseSequence'), BASE_SEQUENCE_OFFSET);
  buf.writeInt32BE(prepared.length, RECORD_COUNT_OFFSET);
  buf.writeUInt32BE(crc32c(buf.subarray(CRC_START_OFFSET)) >>> 0, CRC_OFFSET);
  return buf;
}
