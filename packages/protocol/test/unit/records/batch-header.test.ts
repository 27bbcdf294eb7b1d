import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  BATCH_HEADER_SIZE,
  buildBatch,
  computeBatchCrc,
  RecordErrorCode,
  decodeBatch,
  headerLastOffset,
  lastOffset,
  lastSequence,
  nextOffset,
  readBatchHeader,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  splitBatches,
  validateBatchCrc,
} from '../../../src/records/index.ts';
import { codecArb, crc32cReference, expectProtocolError, recordArb } from './helpers.ts';

// A batch written byte by byte from Kafka's record-format documentation, not by our encoder:
// one uncompressed record, key "k", value "v1", one header h=x.
const HAND_BUILT = Buffer.from(
  [
    '0000000000000005', // baseOffset 5
    '0000003f', // batchLength 63 (75 - 12)
    '00000003', // partitionLeaderEpoch 3
    '02', // magic
    '9f24bf72', // crc (CRC-32C of everything after it)
    '0000', // attributes: no compression, create time, not transactional, not control
    '00000000', // lastOffsetDelta 0
    '0000018bcfe56800', // baseTimestamp 1700000000000
    '0000018bcfe56800', // maxTimestamp
    'ffffffffffffffff', // producerId -1
    'ffff', // producerEpoch -1
    'ffffffff', // baseSequence -1
    '00000001', // recordCount 1
    // record
    '1a', // length 13 (zigzag 26)
    '00', // attributes
    '00', // timestampDelta 0
    '00', // offsetDelta 0
    '02', '6b', // key length 1, "k"
    '04', '7631', // value length 2, "v1"
    '02', // 1 header
    '02', '68', // header key length 1, "h"
    '02', '78', // header value length 1, "x"
  ].join(''),
  'hex',
);

const CORRUPT_MESSAGE_CODE = RecordErrorCode.CORRUPT_MESSAGE;

describe('batch header', () => {
  it('decodes a hand-built batch (known answer)', () => {
    expect(HAND_BUILT.length).toBe(75);
    expect(crc32cReference(HAND_BUILT.subarray(21))).toBe(0x9f24bf72);
    expect(validateBatchCrc(HAND_BUILT)).toBe(true);
    const h = readBatchHeader(HAND_BUILT);
    expect(h).toEqual({
      baseOffset: 5n,
      batchLength: 63,
      partitionLeaderEpoch: 3,
      magic: 2,
      crc: 0x9f24bf72,
      attributes: 0,
      compression: 0,
      timestampType: 0,
      isTransactional: false,
      isControl: false,
      hasDeleteHorizon: false,
      lastOffsetDelta: 0,
      baseTimestamp: 1700000000000n,
      maxTimestamp: 1700000000000n,
      producerId: -1n,
      producerEpoch: -1,
      baseSequence: -1,
      recordCount: 1,
    });
    const d = decodeBatch(HAND_BUILT);
    expect(d.records).toHaveLength(1);
    const r = d.records[0]!;
    expect(r.offset).toBe(5n);
    expect(r.timestamp).toBe(1700000000000n);
    expect(r.key?.toString()).toBe('k');
    expect(r.value?.toString()).toBe('v1');
    expect(r.headers.map((x) => [x.key, x.value?.toString()])).toEqual([['h', 'x']]);
  });

  it('the encoder reproduces the hand-built batch exactly', () => {
    const built = buildBatch({
      baseOffset: 5n,
      partitionLeaderEpoch: 3,
      records: [{ key: 'k', value: 'v1', headers: [{ key: 'h', value: 'x' }], timestamp: 1700000000000n }],
    });
    expect(built.toString('hex')).toBe(HAND_BUILT.toString('hex'));
  });

  it('decodes attribute bits', () => {
    const b = Buffer.from(HAND_BUILT);
    b.writeInt16BE(0x7f, 21); // codec 7, log append time, transactional, control, delete horizon
    const h = readBatchHeader(b);
    expect(h).toMatchObject({
      compression: 7,
      timestampType: 1,
      isTransactional: true,
      isControl: true,
      hasDeleteHorizon: true,
    });
  });

  it('rejects a header shorter than 61 bytes with CORRUPT_MESSAGE', () => {
    expectProtocolError(() => readBatchHeader(HAND_BUILT.subarray(0, BATCH_HEADER_SIZE - 1)), CORRUPT_MESSAGE_CODE);
    expectProtocolError(() => readBatchHeader(HAND_BUILT, 20), CORRUPT_MESSAGE_CODE);
  });

  it('computes derived offsets and sequences', () => {
    const b = buildBatch({
      baseOffset: 1000n,
      producerId: 9n,
      producerEpoch: 0,
      baseSequence: 0x7ffffffe,
      records: [{ value: 'a' }, { value: 'b' }, { value: 'c' }],
    });
    expect(lastOffset(b)).toBe(1002n);
    expect(nextOffset(b)).toBe(1003n);
    const h = readBatchHeader(b);
    expect(headerLastOffset(h)).toBe(1002n);
    // Kafka's sequence numbers wrap from int32 max to 0.
    expect(lastSequence(h)).toBe(0);
    expect(lastSequence({ ...h, baseSequence: 5 })).toBe(7);
    expect(lastSequence({ ...h, baseSequence: -1 })).toBe(-1);
  });

  it('detects every single-bit flip in the CRC-covered range and the CRC itself', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 5 }), codecArb, fc.nat(), (records, codec, pick) => {
        const batch = buildBatch({ records, compression: codec });
        const covered = batch.length - 17; // crc field .. end
        const bit = pick % (covered * 8);
        const flipped = Buffer.from(batch);
        flipped[17 + (bit >> 3)]! ^= 1 << (bit & 7);
        expect(validateBatchCrc(flipped)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('detects every single-bit flip exhaustively on the hand-built batch', () => {
    for (let i = 17 * 8; i < HAND_BUILT.length * 8; i++) {
      const b = Buffer.from(HAND_BUILT);
      b[i >> 3]! ^= 1 << (i & 7);
      expect(validateBatchCrc(b)).toBe(false);
    }
  });

  it('in-place patches of baseOffset and partitionLeaderEpoch keep the CRC valid', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { maxLength: 4 }),
        codecArb,
        fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        (records, codec, base, epoch) => {
          const batch = buildBatch({ records, compression: codec });
          const crc = batch.readUInt32BE(17);
          setBaseOffset(batch, base);
          setPartitionLeaderEpoch(batch, epoch);
          expect(batch.readUInt32BE(17)).toBe(crc);
          expect(validateBatchCrc(batch)).toBe(true);
          const h = readBatchHeader(batch);
          expect(h.baseOffset).toBe(base);
          expect(h.partitionLeaderEpoch).toBe(epoch);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('patches batches in place inside a larger buffer', () => {
    const a = buildBatch({ records: [{ value: 'a' }] });
    const b = buildBatch({ records: [{ value: 'b' }, { value: 'c' }] });
    const all = Buffer.concat([a, b]);
    const [, second] = splitBatches(all).batches;
    setBaseOffset(second!, 42n);
    expect(readBatchHeader(all, a.length).baseOffset).toBe(42n);
    expect(validateBatchCrc(all, a.length)).toBe(true);
  });

  it('setLogAppendTime rewrites the timestamp type and maxTimestamp and the CRC', () => {
    const batch = buildBatch({ records: [{ value: 'a', timestamp: 5 }, { value: 'b', timestamp: 9 }] });
    setLogAppendTime(batch, 123456n);
    expect(validateBatchCrc(batch)).toBe(true);
    expect(computeBatchCrc(batch)).toBe(batch.readUInt32BE(17));
    const d = decodeBatch(batch);
    expect(d.header.timestampType).toBe(1);
    expect(d.header.maxTimestamp).toBe(123456n);
    // Kafka reports the log append time as every record's timestamp.
    expect(d.records.map((r) => r.timestamp)).toEqual([123456n, 123456n]);
  });

  it('rejects a batchLength that does not fit when checking the CRC', () => {
    const b = Buffer.from(HAND_BUILT);
    b.writeInt32BE(1000, 8);
    expectProtocolError(() => validateBatchCrc(b), CORRUPT_MESSAGE_CODE);
    b.writeInt32BE(-5, 8);
    expectProtocolError(() => validateBatchCrc(b), CORRUPT_MESSAGE_CODE);
  });
});
