// A short run of bench/fuzz-frames.ts: mutated requests of every API may only raise ProtocolError.

import { describe, expect, it } from '@jest/globals';
import { FuzzBug, runFuzz } from '../../bench/fuzz-frames.ts';

describe('fuzz-frames', () => {
  it('20,000 random and mutated frames raise only ProtocolError', () => {
    let result;
    try {
      result = runFuzz(20_000, 4242);
    } catch (e) {
      if (e instanceof FuzzBug) throw new Error(`${e.message}\ninput: ${e.input.toString('hex')}`, { cause: e.cause });
      throw e;
    }
    expect(result.count).toBe(20_000);
    expect(result.decoded).toBeGreaterThan(1000);
    expect(result.rejected).toBeGreaterThan(1000);
  }, 60_000);
});
