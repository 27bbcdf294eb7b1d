import { describe, expect, it } from '@jest/globals';
import {
  buildBatch,
  iterateBatches,
  readBatchHeader,
  RecordErrorCode,
  splitBatches,
  updateBatchCrc,
  validateProduceRecords,
} from '../../../src/records/index.ts';
import { expectProtocolError } from './helpers.ts';

const { CORRUPT_MESSAGE, INVALID_RECORD, UNSUPPORTED_COMPRESSION_TYPE, MESSAGE_TOO_LARGE } = RecordErrorCode;

function batches(n: number, codec = 0): Buffer[] {
  return Array.from({ length: n }, (_, i) =>
    buildBatch({
      baseOffset: BigInt(i * 10),
      compression: codec,
      records: Array.from({ length: i + 1 }, (_, j) => ({ key: `k${j}`, value: `value-${i}-${j}` })),
    }),
  );
}

/** A legacy (magic 0 or 1) message set entry: offset, size, crc, magic, attributes, [timestamp], key, value. */
function legacyMessage(magic: 0 | 1): Buffer {
  const body = Buffer.alloc(magic === 0 ? 14 + 2 : 22 + 2);
  let p = 4; // crc left zero: never checked because the magic is rejected first
  body.writeInt8(magic, p++);
  body.writeInt8(0, p++);
  if (magic === 1) {
    body.writeBigInt64BE(0n, p);
    p += 8;
  }
  body.writeInt32BE(-1, p); // null key
  p += 4;
  body.writeInt32BE(2, p);
  p += 4;
  body.write('hi', p);
  const head = Buffer.alloc(12);
  head.writeBigInt64BE(0n, 0);
  head.writeInt32BE(body.length, 8);
  return Buffer.concat([head, body]);
}

describe('batch iterator', () => {
  it('splits back-to-back batches into zero-copy subarrays', () => {
    for (const codec of [0, 1, 2, 3, 4]) {
      const parts = batches(4, codec);
      const all = Buffer.concat(parts);
      const { batches: got, partialBytes } = splitBatches(all);
      expect(partialBytes).toBe(0);
      expect(got.map((b) => b.toString('hex'))).toEqual(parts.map((b) => b.toString('hex')));
      // Zero copy: the subarrays share memory with the input.
      got[1]![0] = 0x7f;
      expect(all[parts[0]!.length]).toBe(0x7f);
    }
  });

  it('iterateBatches yields the same batches and returns the partial byte count', () => {
    const parts = batches(3);
    const all = Buffer.concat(parts);
    const it = iterateBatches(all.subarray(0, all.length - 5), { mode: 'fetch' });
    const seen: Buffer[] = [];
    let r = it.next();
    while (!r.done) {
      seen.push(r.value);
      r = it.next();
    }
    expect(seen).toHaveLength(2);
    expect(r.value).toBe(parts[2]!.length - 5);
  });

  it('accepts an empty records buffer (no batches)', () => {
    expect(splitBatches(Buffer.alloc(0)).batches).toEqual([]);
  });

  it('rejects a trailing partial batch in produce mode and stops before it in fetch mode', () => {
    const parts = batches(3);
    const all = Buffer.concat(parts);
    for (const cut of [1, 5, 11, 12, 20, 60, parts[2]!.length - 1]) {
      const truncated = all.subarray(0, all.length - parts[2]!.length + cut);
      expectProtocolError(() => splitBatches(truncated), CORRUPT_MESSAGE);
      const fetched = splitBatches(truncated, { mode: 'fetch' });
      expect(fetched.batches).toHaveLength(2);
      expect(fetched.partialBytes).toBe(cut);
    }
  });

  it('rejects legacy message sets (magic 0 and 1) with INVALID_RECORD', () => {
    for (const magic of [0, 1] as const) {
      const legacy = legacyMessage(magic);
      const e = expectProtocolError(() => splitBatches(legacy), INVALID_RECORD);
      expect(e.message).toMatch(/legacy/);
      expectProtocolError(() => splitBatches(Buffer.concat([batches(1)[0]!, legacy])), INVALID_RECORD);
      expectProtocolError(() => splitBatches(legacy, { mode: 'fetch' }), INVALID_RECORD);
      expectProtocolError(() => validateProduceRecords(legacy, { apiVersion: 9 }), INVALID_RECORD);
    }
  });

  it('rejects unknown magic values with CORRUPT_MESSAGE', () => {
    for (const magic of [3, 127, -1]) {
      const b = Buffer.from(batches(1)[0]!);
      b.writeInt8(magic, 16);
      expectProtocolError(() => splitBatches(b), CORRUPT_MESSAGE);
    }
  });

  it('rejects insane batch lengths', () => {
    const good = batches(1)[0]!;
    for (const len of [-1, -2147483648, 0, 13, 14, 48, 2147483647, good.length]) {
      const b = Buffer.from(good);
      b.writeInt32BE(len, 8);
      expectProtocolError(() => splitBatches(b), CORRUPT_MESSAGE);
    }
    // In fetch mode a length beyond the buffer is a partial batch, not an error…
    const b = Buffer.from(good);
    b.writeInt32BE(2147483647, 8);
    expect(splitBatches(b, { mode: 'fetch' }).partialBytes).toBe(b.length);
    // …unless it exceeds the largest batch the reader accepts.
    expectProtocolError(() => splitBatches(b, { mode: 'fetch', maxBatchBytes: 1 << 20 }), CORRUPT_MESSAGE);
  });

  it('answers MESSAGE_TOO_LARGE for a complete produce batch above maxBatchBytes', () => {
    const b = batches(1)[0]!;
    expectProtocolError(() => splitBatches(b, { maxBatchBytes: b.length - 1 }), MESSAGE_TOO_LARGE);
    expect(splitBatches(b, { maxBatchBytes: b.length }).batches).toHaveLength(1);
  });

  it('rejects a CRC mismatch with CORRUPT_MESSAGE unless CRC checks are off', () => {
    const b = Buffer.from(batches(1)[0]!);
    b[b.length - 1]! ^= 0x01;
    expectProtocolError(() => splitBatches(b), CORRUPT_MESSAGE);
    expect(splitBatches(b, { validateCrc: false, verifyRecordCount: false }).batches).toHaveLength(1);
  });

  it('rejects compression codecs 5-7 with UNSUPPORTED_COMPRESSION_TYPE', () => {
    for (const codec of [5, 6, 7]) {
      const b = Buffer.from(batches(1)[0]!);
      b.writeInt16BE(codec, 21);
      updateBatchCrc(b);
      expectProtocolError(() => splitBatches(b), UNSUPPORTED_COMPRESSION_TYPE);
    }
  });

  it('enforces record count rules', () => {
    const set = (field: number, value: number, src = batches(2)[1]!) => {
      const b = Buffer.from(src);
      b.writeInt32BE(value, field);
      updateBatchCrc(b);
      return b;
    };
    // negative count: corrupt in both modes
    expectProtocolError(() => splitBatches(set(57, -1)), CORRUPT_MESSAGE);
    expectProtocolError(() => splitBatches(set(57, -1), { mode: 'fetch' }), CORRUPT_MESSAGE);
    // count and lastOffsetDelta disagree: INVALID_RECORD on produce
    expectProtocolError(() => splitBatches(set(23, 5)), INVALID_RECORD);
    // count matches lastOffsetDelta but not the records actually present
    const b = set(57, 3);
    b.writeInt32BE(2, 23);
    updateBatchCrc(b);
    expectProtocolError(() => splitBatches(b), CORRUPT_MESSAGE);
    // fetch mode reads headers only and accepts this batch; decodeBatch would reject it
    expect(splitBatches(b, { mode: 'fetch' }).batches).toHaveLength(1);
  });

  it('produce mode rejects an empty batch; fetch mode accepts one (compaction leaves them)', () => {
    const empty = buildBatch({ records: [], lastOffsetDelta: 4 });
    expect(readBatchHeader(empty).recordCount).toBe(0);
    expectProtocolError(() => splitBatches(empty), INVALID_RECORD);
    expect(splitBatches(empty, { mode: 'fetch' }).batches).toHaveLength(1);
  });

  it('validateProduceRecords applies Kafka’s produce rules', () => {
    const [one, two] = batches(2);
    expect(validateProduceRecords(one!, { apiVersion: 9 }).equals(one!)).toBe(true);
    expectProtocolError(() => validateProduceRecords(Buffer.alloc(0), { apiVersion: 9 }), INVALID_RECORD);
    expectProtocolError(() => validateProduceRecords(Buffer.concat([one!, two!]), { apiVersion: 9 }), INVALID_RECORD);
    const zstd = batches(1, 4)[0]!;
    expect(validateProduceRecords(zstd, { apiVersion: 7 }).length).toBe(zstd.length);
    expectProtocolError(() => validateProduceRecords(zstd, { apiVersion: 6 }), UNSUPPORTED_COMPRESSION_TYPE);
  });
});
