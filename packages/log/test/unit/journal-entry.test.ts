import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { decodeDescriptors, encodeDescriptors, type BatchDescriptor } from '../../src/journal-entry.ts';

const topicId = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64url'));
const descriptor: fc.Arbitrary<BatchDescriptor> = fc
  .record({
    partition: fc.record({ topicId, partition: fc.nat({ max: 100_000 }) }),
    position: fc.nat({ max: 2 ** 40 }),
    length: fc.nat({ max: 2 ** 31 }),
    baseOffset: fc.maxSafeNat(),
    offsetCount: fc.nat({ max: 2 ** 31 }),
    recordCount: fc.nat({ max: 2 ** 31 }),
    maxTimestamp: fc.integer({ min: -1, max: 2 ** 45 }),
    producer: fc.option(
      fc.record({ id: fc.maxSafeNat(), epoch: fc.nat({ max: 32767 }), baseSequence: fc.nat({ max: 2 ** 31 - 1 }), lastSequence: fc.nat({ max: 2 ** 31 - 1 }) }),
      { nil: undefined },
    ),
    transactional: fc.option(fc.constant(true), { nil: undefined }),
    control: fc.option(fc.constant(true), { nil: undefined }),
  })
  .map((d) => {
    const out = { ...d } as BatchDescriptor;
    for (const k of ['producer', 'transactional', 'control'] as const) if (out[k] === undefined) delete out[k];
    return out;
  });

describe('journal descriptors', () => {
  it('round-trip', () => {
    fc.assert(
      fc.property(fc.array(descriptor, { maxLength: 50 }), (ds) => {
        expect(decodeDescriptors(encodeDescriptors(ds))).toEqual(ds);
      }),
    );
  });

  it('stay small: about 20-35 bytes a batch', () => {
    const t = Buffer.alloc(16, 7).toString('base64url');
    const ds: BatchDescriptor[] = Array.from({ length: 1000 }, (_, i) => ({
      partition: { topicId: t, partition: i },
      position: 8 + i * 16_384,
      length: 16_384,
      baseOffset: 1_000_000 + i * 16,
      offsetCount: 16,
      recordCount: 16,
      maxTimestamp: 1_790_000_000_000 + i,
      producer: { id: 12_345, epoch: 0, baseSequence: 1000 + i, lastSequence: 1015 + i },
    }));
    const size = encodeDescriptors(ds).length;
    expect(size / ds.length).toBeLessThan(35);
  });

  it('reject truncated or trailing bytes', () => {
    const t = Buffer.alloc(16, 1).toString('base64url');
    const bytes = encodeDescriptors([
      { partition: { topicId: t, partition: 1 }, position: 8, length: 10, baseOffset: 0, offsetCount: 1, recordCount: 1, maxTimestamp: 5 },
    ]);
    expect(() => decodeDescriptors(bytes.subarray(0, bytes.length - 1))).toThrow();
    expect(() => decodeDescriptors(Buffer.concat([bytes, Buffer.from([0])]))).toThrow();
  });
});
