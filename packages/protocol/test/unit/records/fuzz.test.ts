import { describe, expect, it } from '@jest/globals';
import { runBatchFuzz } from '../../../bench/fuzz-batches.ts';

describe('record batch fuzzing', () => {
  it('10,000 random and mutated batches raise nothing but ProtocolError', async () => {
    const r = await runBatchFuzz(10_000, 20240601);
    expect(r.count).toBe(10_000);
    // The mutations must exercise both outcomes.
    expect(r.decoded).toBeGreaterThan(500);
    expect(r.rejected).toBeGreaterThan(5000);
    expect(Object.keys(r.codes).map(Number).sort((a, b) => a - b)).toEqual([2, 10, 76, 87]);
  }, 120_000);
});
