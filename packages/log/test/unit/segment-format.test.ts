import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { buildSegment, readSegmentIndex, SegmentFormatError } from '../../src/segment-format.ts';
import { newTopicId } from '../../src/topics.ts';

describe('segment objects', () => {
  const t1 = newTopicId();
  const t2 = newTopicId();
  const runs = [
    { partition: { topicId: t1, partition: 0 }, batches: [randomBytes(100), randomBytes(7)] },
    { partition: { topicId: t2, partition: 5 }, batches: [randomBytes(1000)] },
  ];

  it('places each partition run contiguously and indexes it', () => {
    const seg = buildSegment(runs);
    const index = readSegmentIndex(seg.bytes);
    expect(index.map((e) => [e.partition, e.batchCount, e.length])).toEqual([
      [{ topicId: t1, partition: 0 }, 2, 107],
      [{ topicId: t2, partition: 5 }, 1, 1000],
    ]);
    runs.forEach((run, i) =>
      run.batches.forEach((b, j) => {
        const p = seg.placements[i]![j]!;
        expect(seg.bytes.subarray(p.position, p.position + p.length).equals(b)).toBe(true);
      }),
    );
    // One ranged read covers a partition's run.
    const e = index[0]!;
    expect(seg.bytes.subarray(e.position, e.position + e.length).equals(Buffer.concat(runs[0]!.batches))).toBe(true);
  });

  it('detects a damaged index or footer', () => {
    const seg = buildSegment(runs).bytes;
    const flipped = Buffer.from(seg);
    flipped[flipped.length - 30]! ^= 1; // inside the index
    expect(() => readSegmentIndex(flipped)).toThrow(SegmentFormatError);
    expect(() => readSegmentIndex(seg.subarray(0, seg.length - 1))).toThrow(SegmentFormatError);
    expect(() => readSegmentIndex(Buffer.alloc(10))).toThrow(SegmentFormatError);
  });
});
