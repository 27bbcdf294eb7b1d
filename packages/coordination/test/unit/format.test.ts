// Properties of the pieces both stores rely on: UTF-8 sort-key order, the billing arithmetic, and
// the embedded log's frames (what recovery calls torn and what it calls corrupt).
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { queryPages, readUnits, writeUnits } from '../../src/billing.ts';
import { decodeRecord, encodeFrame, encodeMutation, scanFrames, splitRecords } from '../../src/embedded-format.ts';
import { compareUtf8 } from '../../src/validation.ts';

describe('compareUtf8', () => {
  it('orders strings as their UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareUtf8(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
      { numRuns: 5000 },
    );
    expect(compareUtf8('\uE000', '\u{1F600}')).toBe(-1); // JavaScript's < says the opposite
    expect('\uE000' < '\u{1F600}').toBe(false);
  });
});

describe('billing', () => {
  it('rounds writes up per KB and reads per 4 KB', () => {
    expect([0, 1, 1024, 1025, 3584, 409600].map(writeUnits)).toEqual([1, 1, 1, 2, 4, 400]);
    expect(readUnits(0, false)).toBe(0.5);
    expect(readUnits(4096, true)).toBe(1);
    expect(readUnits(4097, false)).toBe(1);
  });
  it('pages query results at 1 MB, the crossing item included', () => {
    expect(queryPages([])).toEqual([0]);
    expect(queryPages(Array(11).fill(100_000))).toEqual([1_100_000]);
    expect(queryPages(Array(12).fill(100_000))).toEqual([1_100_000, 100_000]);
  });
});

describe('log frames', () => {
  const frames = (records: string[][]) => {
    const parts = records.map((batch) =>
      Buffer.concat(encodeFrame(batch.map((sk) => encodeMutation([{ put: { pk: 'p', sk, v: sk.repeat(3) } }])))),
    );
    return { buf: Buffer.concat(parts), ends: parts.map((_, i) => parts.slice(0, i + 1).reduce((s, p) => s + p.length, 0)) };
  };
  const batches = fc.array(fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 4 }), {
    minLength: 1,
    maxLength: 6,
  });

  it('round-trips records', () => {
    fc.assert(
      fc.property(batches, (records) => {
        const { buf } = frames(records);
        const scan = scanFrames(buf, 0);
        expect(scan.status).toBe('ok');
        const sks = scan.frames.flatMap((f) => splitRecords(f).map((r) => decodeRecord(r)));
        expect(sks.map((r) => (r.kind === 'mutation' && 'put' in r.ops[0]! ? r.ops[0].put.sk : ''))).toEqual(records.flat());
      }),
    );
  });

  it('calls any cut of the file a torn tail and keeps every whole frame before it', () => {
    fc.assert(
      fc.property(batches, fc.double({ min: 0, max: 1, noNaN: true }), (records, where) => {
        const { buf, ends } = frames(records);
        const cut = Math.floor(where * buf.length);
        const scan = scanFrames(buf.subarray(0, cut), 0);
        const whole = ends.filter((e) => e <= cut).length;
        expect(scan.frames).toHaveLength(whole);
        expect(scan.status).toBe(cut === (ends[whole - 1] ?? 0) ? 'ok' : 'torn');
      }),
    );
  });

  it('calls damage to the last frame torn, and damage before it corrupt', () => {
    fc.assert(
      fc.property(batches, fc.nat(), fc.integer({ min: 1, max: 255 }), (records, at, flip) => {
        const { buf, ends } = frames(records);
        const pos = at % buf.length;
        const damaged = Buffer.from(buf);
        damaged[pos]! ^= flip;
        const scan = scanFrames(damaged, 0);
        const inLast = pos >= (ends[ends.length - 2] ?? 0);
        expect(scan.status).toBe(inLast ? 'torn' : 'corrupt');
      }),
      { numRuns: 2000 },
    );
  });
});
