import { describe, expect, it } from '@jest/globals';
import { LogLimiter } from '../../src/log-limiter.ts';

describe('LogLimiter', () => {
  it('lets a burst through, then the rate, and reports what it left out', () => {
    let t = 0;
    const l = new LogLimiter(10, 5, () => t);
    const first = Array.from({ length: 8 }, () => l.take().ok);
    expect(first).toEqual([true, true, true, true, true, false, false, false]);
    t += 100; // one token back
    expect(l.take()).toEqual({ ok: true, suppressed: 3 });
    expect(l.take()).toEqual({ ok: false });
    t += 10_000; // refills to the burst, no more
    expect(Array.from({ length: 6 }, () => l.take().ok)).toEqual([true, true, true, true, true, false]);
  });
});
