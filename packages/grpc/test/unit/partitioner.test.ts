import { describe, expect, it } from '@jest/globals';
import { murmur2, partitionForKey } from '../../src/partitioner.ts';

describe('murmur2', () => {
  // Vectors from Kafka's UtilsTest.testMurmur2.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('matches Kafka for %s', (s, h) => {
    expect(murmur2(Buffer.from(s))).toBe(h);
  });

  it('maps keys to partitions like Kafka (toPositive % n)', () => {
    expect(partitionForKey(Buffer.from('21'), 7)).toBe((-973932308 & 0x7fffffff) % 7);
    expect(partitionForKey(Buffer.alloc(0), 3)).toBeLessThan(3);
  });
});
