import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ProtocolError } from '../../../src/errors.ts';
import {
  buildBatch,
  buildEndTxnMarkerBatch,
  ControlRecordType,
  decodeBatch,
  decodeControlRecordKey,
  decodeEndTxnMarkerValue,
  decodeRecords,
  encodeControlRecordKey,
  type RecordInput,
  readEndTxnMarker,
  RecordErrorCode,
  splitBatches,
  updateBatchCrc,
} from '../../../src/records/index.ts';
import { ByteReader, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from '../../../src/records/varint.ts';
import { codecArb, expectProtocolError, recordArb } from './helpers.ts';

const { CORRUPT_MESSAGE, INVALID_RECORD, MESSAGE_TOO_LARGE } = RecordErrorCode;

function expectSameRecords(input: readonly RecordInput[], decoded: ReturnType<typeof decodeBatch>): void {
  expect(decoded.records).toHaveLength(input.length);
  input.forEach((r, i) => {
    const d = decoded.records[i]!;
    expect(d.offsetDelta).toBe(r.offsetDelta ?? i);
    expect(d.timestamp).toBe(BigInt(r.timestamp!));
    expect(d.key === null ? null : Buffer.from(d.key)).toEqual(r.key ?? null);
    expect(d.value === null ? null : Buffer.from(d.value)).toEqual(r.value ?? null);
    expect(d.headers.map((h) => [h.key, h.value === null ? null : Buffer.from(h.value)])).toEqual(
      (r.headers ?? []).map((h) => [h.key, h.value ?? null]),
    );
  });
}

describe('varints', () => {
  it('round-trip int32 and int64 through zigzag encoding', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (a, b) => {
        const buf = Buffer.alloc(16);
        let p = writeVarint(buf, 0, a);
        expect(p).toBe(sizeOfVarint(a));
        const q = writeVarlong(buf, p, b);
        expect(q - p).toBe(sizeOfVarlong(b));
        const r = new ByteReader(buf, 0, q);
        expect(r.readVarint()).toBe(a);
        expect(r.readVarlong()).toBe(b);
        expect(r.pos).toBe(q);
        p = 0;
      }),
      { numRuns: 2000 },
    );
  });

  it('matches known encodings', () => {
    const enc = (n: number) => {
      const b = Buffer.alloc(5);
      return b.subarray(0, writeVarint(b, 0, n)).toString('hex');
    };
    expect(enc(0)).toBe('00');
    expect(enc(-1)).toBe('01');
    expect(enc(1)).toBe('02');
    expect(enc(63)).toBe('7e');
    expect(enc(-64)).toBe('7f');
    expect(enc(64)).toBe('8001');
    expect(enc(2 ** 31 - 1)).toBe('feffffff0f');
    expect(enc(-(2 ** 31))).toBe('ffffffff0f');
  });

  it('rejects overlong, overflowing and truncated varints with CORRUPT_MESSAGE', () => {
    const read32 = (hex: string) => () => new ByteReader(Buffer.from(hex, 'hex')).readVarint();
    const read64 = (hex: string) => () => new ByteReader(Buffer.from(hex, 'hex')).readVarlong();
    expectProtocolError(read32('ffffffff1f'), CORRUPT_MESSAGE); // 33 bits
    expectProtocolError(read32('8080808080'), CORRUPT_MESSAGE); // 6 bytes
    expectProtocolError(read32('80'), CORRUPT_MESSAGE); // truncated
    expectProtocolError(read32(''), CORRUPT_MESSAGE);
    expectProtocolError(read64('ffffffffffffffffff03'), CORRUPT_MESSAGE); // 65 bits
    expectProtocolError(read64('8080808080808080808080'), CORRUPT_MESSAGE); // 11 bytes
    expectProtocolError(read64('ffffffff'), CORRUPT_MESSAGE);
    expect(read64('ffffffffffffffffff01')()).toBe(-(1n << 63n));
  });
});

describe('records codec', () => {
  it('round-trips random records through every codec', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { maxLength: 20 }),
        codecArb,
        fc.bigInt({ min: 0n, max: (1n << 62n) - 1n }),
        fc.boolean(),
        (records, codec, baseOffset, transactional) => {
          const batch = buildBatch({
            baseOffset,
            compression: codec,
            producerId: transactional ? 77n : -1n,
            producerEpoch: transactional ? 3 : -1,
            baseSequence: transactional ? 10 : -1,
            isTransactional: transactional,
            records,
          });
          const split = splitBatches(batch, { mode: 'fetch' });
          expect(split.batches).toHaveLength(1);
          const d = decodeBatch(split.batches[0]!, { maxDecompressedBytes: 1 << 20, requireSequentialOffsetDeltas: true });
          expect(d.header.compression).toBe(codec);
          expect(d.header.recordCount).toBe(records.length);
          expect(d.header.isTransactional).toBe(transactional);
          expect(d.header.baseOffset).toBe(baseOffset);
          expect(d.header.lastOffsetDelta).toBe(records.length - 1);
          if (records.length > 0) {
            expect(d.header.baseTimestamp).toBe(BigInt(records[0]!.timestamp!));
            expect(d.header.maxTimestamp).toBe(records.map((r) => BigInt(r.timestamp!)).reduce((a, b) => (a > b ? a : b)));
            expect(splitBatches(batch).batches).toHaveLength(1); // produce-mode validation passes too
          }
          expectSameRecords(records, d);
          d.records.forEach((r, i) => expect(r.offset).toBe(baseOffset + BigInt(i)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips extreme timestamps, offset deltas and header keys', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            timestamp: fc.bigInt({ min: -(1n << 62n), max: 1n << 62n }),
            offsetDelta: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
            headers: fc.array(fc.record({ key: fc.string({ unit: 'grapheme', maxLength: 10 }), value: fc.constant(null) })),
            key: fc.constant(null),
            value: fc.constant(null),
          }),
          { minLength: 1, maxLength: 10 },
        ),
        codecArb,
        (records, codec) => {
          const d = decodeBatch(buildBatch({ records, compression: codec }));
          expectSameRecords(records, d);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('handles large values across chunk and block boundaries in every codec', () => {
    const big = Buffer.alloc(300_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
    const records = [
      { value: big, timestamp: 1n },
      { value: Buffer.alloc(70_000, 3), key: Buffer.from('k'), timestamp: 2n },
    ];
    for (const codec of [0, 1, 2, 3, 4]) expectSameRecords(records, decodeBatch(buildBatch({ records, compression: codec })));
  });

  it('applies the decompression limit to a batch (MESSAGE_TOO_LARGE)', () => {
    const records = [{ value: Buffer.alloc(100_000), timestamp: 1n }];
    for (const codec of [1, 2, 3, 4]) {
      const batch = buildBatch({ records, compression: codec });
      expectProtocolError(() => decodeBatch(batch, { maxDecompressedBytes: 50_000 }), MESSAGE_TOO_LARGE);
      expect(decodeBatch(batch, { maxDecompressedBytes: 100_011 }).records).toHaveLength(1);
    }
    // Uncompressed records are already in memory: the limit is about decompression only.
    expect(decodeBatch(buildBatch({ records }), { maxDecompressedBytes: 50_000 }).records).toHaveLength(1);
  });

  it('rejects a bad CRC, legacy magic and short buffers', () => {
    const b = buildBatch({ records: [{ value: 'x', timestamp: 1n }] });
    const bad = Buffer.from(b);
    bad[bad.length - 1]! ^= 0x80;
    expectProtocolError(() => decodeBatch(bad), CORRUPT_MESSAGE);
    expectProtocolError(() => decodeBatch(b.subarray(0, 60)), CORRUPT_MESSAGE);
    expectProtocolError(() => decodeBatch(b.subarray(0, b.length - 1)), CORRUPT_MESSAGE);
    const legacy = Buffer.from(b);
    legacy.writeInt8(1, 16);
    expectProtocolError(() => decodeBatch(legacy), INVALID_RECORD);
  });

  it('requireSequentialOffsetDeltas rejects gaps with INVALID_RECORD', () => {
    const b = buildBatch({ records: [{ value: 'a', offsetDelta: 0 }, { value: 'b', offsetDelta: 2 }] });
    expect(decodeBatch(b).records.map((r) => r.offsetDelta)).toEqual([0, 2]);
    expectProtocolError(() => decodeBatch(b, { requireSequentialOffsetDeltas: true }), INVALID_RECORD);
  });
});

// Hand-assembled record bodies, to put hostile values in each length field.
function recordBytes(fields: string): Buffer {
  const body = Buffer.from(fields.replace(/\s+/g, ''), 'hex');
  const len = Buffer.alloc(5);
  return Buffer.concat([len.subarray(0, writeVarint(len, 0, body.length)), body]);
}
const ctx = { baseOffset: 0n, baseTimestamp: 0n };

describe('record decoding never trusts a length', () => {
  it('decodes a minimal record', () => {
    const r = decodeRecords(recordBytes('00 00 00 01 01 00'), 1, ctx);
    expect(r[0]).toMatchObject({ key: null, value: null, headers: [] });
  });

  const cases: Array<[string, string]> = [
    ['key length beyond the record', '00 00 00 14 6b 01 00'],
    ['key length -2', '00 00 00 03 01 00'],
    ['value length beyond the record', '00 00 00 01 7e 00'],
    ['value length -5', '00 00 00 01 09 00'],
    ['negative header count', '00 00 00 01 01 01'],
    ['huge header count', '00 00 00 01 01 feffffff0f'],
    ['negative header key length', '00 00 00 01 01 02 01 01'],
    ['header key beyond the record', '00 00 00 01 01 02 10 68 01'],
    ['header value length -3', '00 00 00 01 01 02 02 68 05'],
    ['header value beyond the record', '00 00 00 01 01 02 02 68 40 78'],
    ['overflowing offsetDelta', '00 00 ffffffffff0f 01 01 00'],
    ['overflowing timestampDelta', '00 ffffffffffffffffff7f 00 01 01 00'],
    ['truncated record', '00 00 00 01'],
    ['bytes left inside the record', '00 00 00 01 01 00 00'],
  ];
  for (const [name, hex] of cases) {
    it(`rejects ${name} with CORRUPT_MESSAGE`, () => {
      expectProtocolError(() => decodeRecords(recordBytes(hex), 1, ctx), CORRUPT_MESSAGE);
    });
  }

  it('rejects record lengths that are negative or beyond the data', () => {
    expectProtocolError(() => decodeRecords(Buffer.from('0300000001010000', 'hex'), 1, ctx), CORRUPT_MESSAGE); // length -2
    expectProtocolError(() => decodeRecords(Buffer.from('feffffff0f00000101000000', 'hex'), 1, ctx), CORRUPT_MESSAGE);
    expectProtocolError(() => decodeRecords(Buffer.from('ffffffff1f', 'hex'), 1, ctx), CORRUPT_MESSAGE);
  });

  it('rejects record counts that disagree with the data, without allocating for them', () => {
    const one = recordBytes('00 00 00 01 01 00');
    expectProtocolError(() => decodeRecords(one, 2, ctx), CORRUPT_MESSAGE);
    expectProtocolError(() => decodeRecords(one, 0, ctx), CORRUPT_MESSAGE);
    expectProtocolError(() => decodeRecords(one, 2 ** 31 - 1, ctx), CORRUPT_MESSAGE);
    expectProtocolError(() => decodeRecords(Buffer.concat([one, one]), 1, ctx), CORRUPT_MESSAGE);
  });

  it('a CRC-valid batch whose recordCount is huge is rejected as an invalid record', () => {
    const b = buildBatch({ records: [{ value: 'x' }] });
    b.writeInt32BE(2 ** 31 - 1, 57);
    b.writeInt32BE(2 ** 31 - 2, 23);
    updateBatchCrc(b);
    // The CRC holds, so the client built this on purpose: INVALID_RECORD, which producers do not retry.
    expectProtocolError(() => decodeBatch(b), INVALID_RECORD);
    // Without a CRC check the decoder cannot tell a transmission error apart.
    expectProtocolError(() => decodeBatch(b, { validateCrc: false }), CORRUPT_MESSAGE);
  });

  it('decoder only throws ProtocolError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 40 }), (bytes, count) => {
        try {
          decodeRecords(Buffer.from(bytes), count, ctx);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('batch decoder only throws ProtocolError on random and mutated batches (CRC not checked)', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { maxLength: 5 }),
        codecArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        (records, codec, edits) => {
          const b = Buffer.from(buildBatch({ records, compression: codec }));
          for (const [at, v] of edits) b[21 + (at % (b.length - 21))] = v;
          try {
            decodeBatch(b, { validateCrc: false, maxDecompressedBytes: 1 << 20 });
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
          }
        },
      ),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 61, maxLength: 400 }), (bytes) => {
        const b = Buffer.from(bytes);
        b.writeInt32BE(b.length - 12, 8);
        b.writeInt8(2, 16);
        try {
          decodeBatch(b, { validateCrc: false, maxDecompressedBytes: 1 << 20 });
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('control records', () => {
  it('builds and reads commit and abort markers', () => {
    for (const commit of [true, false]) {
      const b = buildEndTxnMarkerBatch({
        producerId: 1234n,
        producerEpoch: 5,
        coordinatorEpoch: 17,
        commit,
        baseOffset: 99n,
        timestamp: 1700000000000n,
      });
      const d = decodeBatch(b);
      expect(d.header).toMatchObject({ isControl: true, isTransactional: true, producerId: 1234n, producerEpoch: 5, recordCount: 1 });
      const key = d.records[0]!.key!;
      expect(key.toString('hex')).toBe(commit ? '00000001' : '00000000');
      expect(d.records[0]!.value!.toString('hex')).toBe('000000000011');
      expect(readEndTxnMarker(d)).toEqual({ commit, coordinatorEpoch: 17, producerId: 1234n, producerEpoch: 5 });
    }
  });

  it('ignores non-control batches and other control types', () => {
    expect(readEndTxnMarker(decodeBatch(buildBatch({ records: [{ value: 'x' }] })))).toBeNull();
    const leaderChange = buildBatch({
      isControl: true,
      records: [{ key: encodeControlRecordKey(ControlRecordType.LEADER_CHANGE), value: Buffer.alloc(4) }],
    });
    expect(readEndTxnMarker(decodeBatch(leaderChange))).toBeNull();
  });

  it('rejects malformed keys and values with CORRUPT_MESSAGE', () => {
    expectProtocolError(() => decodeControlRecordKey(null), CORRUPT_MESSAGE);
    expectProtocolError(() => decodeControlRecordKey(Buffer.from('0000', 'hex')), CORRUPT_MESSAGE);
    expectProtocolError(() => decodeControlRecordKey(Buffer.from('ffff0001', 'hex')), CORRUPT_MESSAGE);
    expect(decodeControlRecordKey(Buffer.from('0001000100', 'hex'))).toEqual({ version: 1, type: 1 });
    expectProtocolError(() => decodeEndTxnMarkerValue(Buffer.from('00000000', 'hex')), CORRUPT_MESSAGE);
    expectProtocolError(() => decodeEndTxnMarkerValue(null), CORRUPT_MESSAGE);
  });
});
