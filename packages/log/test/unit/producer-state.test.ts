import { describe, expect, it } from '@jest/globals';
import { afterAppend, checkSequence, lastSequenceOf, nextSequence } from '../../src/producer-state.ts';

const entry = afterAppend(undefined, 3, { baseSequence: 10, lastSequence: 14, baseOffset: 100, maxTimestamp: 1 });

describe('idempotent producer sequence rules', () => {
  it('accepts any sequence from an unknown producer', () => {
    expect(checkSequence(undefined, 0, 42, 50)).toEqual({ ok: true });
  });
  it('accepts the next sequence in the same epoch', () => {
    expect(checkSequence(entry, 3, 15, 20)).toEqual({ ok: true });
  });
  it('answers a retry of a recent batch with its original offset', () => {
    const r = checkSequence(entry, 3, 10, 14);
    expect(r).toMatchObject({ ok: false, duplicateOf: { baseOffset: 100 } });
  });
  it('rejects a gap as out of order', () => {
    expect(checkSequence(entry, 3, 17, 20)).toMatchObject({ ok: false, error: 'out-of-order-sequence', gap: true });
  });
  it('fences an older epoch', () => {
    expect(checkSequence(entry, 2, 15, 20)).toMatchObject({ ok: false, error: 'invalid-producer-epoch' });
  });
  it('requires a new epoch to start at 0', () => {
    expect(checkSequence(entry, 4, 0, 3)).toEqual({ ok: true });
    // Refused, but as a gap: the new epoch's first batches may be committing at another node.
    expect(checkSequence(entry, 4, 15, 20)).toMatchObject({ ok: false, error: 'out-of-order-sequence', gap: true });
  });
  it('wraps sequences at 2^31', () => {
    expect(nextSequence(0x7fffffff)).toBe(0);
    expect(lastSequenceOf(0x7ffffffe, 3)).toBe(0);
    const wrapped = afterAppend(undefined, 0, { baseSequence: 0x7ffffffe, lastSequence: 0x7fffffff, baseOffset: 0, maxTimestamp: 0 });
    expect(checkSequence(wrapped, 0, 0, 4)).toEqual({ ok: true });
  });
  it('keeps only the last five batches', () => {
    let e = entry;
    for (let i = 0; i < 10; i++) e = afterAppend(e, 3, { baseSequence: 15 + i, lastSequence: 15 + i, baseOffset: 105 + i, maxTimestamp: 1 });
    expect(e.recent.map((r) => r.baseSequence)).toEqual([20, 21, 22, 23, 24]);
  });
});
