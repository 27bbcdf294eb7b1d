import { describe, expect, it } from '@jest/globals';
import { ANOMALY_KINDS, anomalyTotal, checkHistory, type AnomalyKind } from '../../src/checker/check.ts';
import type { History, HistoryEvent, Read, Send } from '../../src/checker/history.ts';

// A clean history: producer p sends a0..a3 to partition 0 (offsets 0..3), q sends b0, b1 to
// partition 1; a group of two members and one assign-mode reader read everything.
const acked = (producer: string, seq: number, partition: number, offset: number): Send => ({ producer, seq, value: `${producer}.${seq}`, outcome: 'acknowledged', partition, offset });
const sends: Send[] = [acked('a', 0, 0, 0), acked('a', 1, 0, 1), acked('a', 2, 0, 2), acked('a', 3, 0, 3), acked('b', 0, 1, 0), acked('b', 1, 1, 1)];
const read = (consumer: string, s: Send): HistoryEvent & Read => ({ type: 'read', consumer, partition: s.partition!, offset: s.offset!, value: s.value });
const final = (s: Send[]): Read[] => s.map((x) => ({ consumer: 'final', partition: x.partition!, offset: x.offset!, value: x.value }));

function clean(): History {
  return {
    sends,
    events: [
      { type: 'assignment', group: 'g', consumer: 'm1', event: 'assigned', partitions: [0] },
      { type: 'assignment', group: 'g', consumer: 'm2', event: 'assigned', partitions: [1] },
      ...sends.slice(0, 4).map((s) => read('m1', s)),
      ...sends.slice(4).map((s) => read('m2', s)),
      { type: 'commit', group: 'g', consumer: 'm1', partition: 0, offset: 4 },
      { type: 'commit', group: 'g', consumer: 'm2', partition: 1, offset: 2 },
      ...sends.map((s) => read('reader', s)),
    ],
    finalRead: final(sends),
    ends: { 0: 4, 1: 2 },
    followers: [{ group: 'g' }, { consumer: 'reader' }],
  };
}

const only = (kind: AnomalyKind, h: History) => {
  const r = checkHistory(h);
  for (const k of ANOMALY_KINDS) expect([k, r.counts[k]]).toEqual([k, k === kind ? expect.any(Number) : 0]);
  expect(r.counts[kind]).toBeGreaterThan(0);
  return r;
};

describe('checkHistory', () => {
  it('finds nothing in a clean history, and counts what it saw', () => {
    const r = checkHistory(clean());
    expect(anomalyTotal(r)).toBe(0);
    expect(r.totals).toEqual({ sent: 6, acknowledged: 6, failed: 0, unknown: 0, unknownFound: 0, read: 12, finalRead: 6 });
  });

  it('accepts unknown sends found or not, and failed sends not found', () => {
    const h = clean();
    const extra: Send[] = [
      { producer: 'a', seq: 4, value: 'a.4', outcome: 'unknown' },
      { producer: 'a', seq: 5, value: 'a.5', outcome: 'unknown' },
      { producer: 'a', seq: 6, value: 'a.6', outcome: 'failed' },
    ];
    const r = checkHistory({ ...h, sends: [...sends, ...extra], finalRead: [...h.finalRead, { consumer: 'final', partition: 0, offset: 4, value: 'a.4' }], ends: { 0: 5, 1: 2 }, followers: [] });
    expect(anomalyTotal(r)).toBe(0);
    expect(r.totals.unknownFound).toBe(1);
  });

  it('detects an acknowledged record missing from the final read', () => {
    const h = clean();
    const r = only('lostAcknowledged', { ...h, finalRead: h.finalRead.filter((x) => x.value !== 'a.2') });
    expect(r.examples.lostAcknowledged).toEqual(['a.2 (a) acknowledged at 0:2']);
  });

  it('detects one value at two offsets (a batch stored twice)', () => {
    const h = clean();
    const dup: Read[] = [{ consumer: 'final', partition: 0, offset: 4, value: 'a.2' }, { consumer: 'final', partition: 0, offset: 5, value: 'a.3' }];
    const r = checkHistory({ ...h, finalRead: [...h.finalRead, ...dup], ends: { 0: 6, 1: 2 }, followers: [] });
    expect(r.counts.duplicated).toBe(2);
    expect(r.examples.duplicated[0]).toBe('a.2 at 0:2, 0:4');
  });

  it('detects one offset holding two values, and a read disagreeing with its acknowledgement', () => {
    const h = clean();
    const events = [...h.events, { type: 'read' as const, consumer: 'm1', partition: 1, offset: 0, value: 'b.1' }];
    const r = checkHistory({ ...h, events });
    expect(r.counts.offsetConflict).toBe(1);
    expect(r.examples.offsetConflict[0]).toMatch(/^1:0: b\.0 and b\.1/);
    const s2 = sends.map((s) => (s.value === 'a.1' ? { ...s, offset: 2 } : s));
    expect(checkHistory({ ...h, sends: s2 }).counts.offsetConflict).toBeGreaterThan(0);
  });

  it("detects a producer's records out of its send order within a partition", () => {
    const h = clean();
    const swapped = h.finalRead.map((r) => (r.value === 'a.1' ? { ...r, offset: 2 } : r.value === 'a.2' ? { ...r, offset: 1 } : r));
    const s2 = sends.map((s) => (s.value === 'a.1' ? { ...s, offset: 2 } : s.value === 'a.2' ? { ...s, offset: 1 } : s));
    // Reads during the run left out: only the log's order is at stake here.
    const r = only('outOfOrder', { ...h, sends: s2, finalRead: swapped, events: h.events.filter((e) => e.type !== 'read'), followers: [] });
    expect(r.examples.outOfOrder[0]).toBe('partition 0: a #1 at 2 after #2 at 1');
  });

  it('detects a read of a value never sent', () => {
    const h = clean();
    const r = only('phantomRead', { ...h, finalRead: [...h.finalRead, { consumer: 'final', partition: 1, offset: 2, value: 'zz' }], ends: { 0: 4, 1: 3 }, followers: [] });
    expect(r.examples.phantomRead).toEqual(['zz was never sent']);
  });

  it('detects a send that failed for sure yet was read', () => {
    const h = clean();
    const r = only('failedButRead', {
      ...h,
      sends: [...sends, { producer: 'b', seq: 2, value: 'b.2', outcome: 'failed' }],
      finalRead: [...h.finalRead, { consumer: 'final', partition: 1, offset: 2, value: 'b.2' }],
      ends: { 0: 4, 1: 3 },
      followers: [],
    });
    expect(r.examples.failedButRead).toEqual(['b.2 (b) failed for sure, yet read']);
  });

  it('detects a follower that stopped short of the end', () => {
    const h = clean();
    const events = h.events.filter((e) => !(e.type === 'read' && e.consumer === 'reader' && e.partition === 0 && e.offset >= 2));
    const r = only('stuckConsumer', { ...h, events });
    expect(r.examples.stuckConsumer).toEqual(['reader reader partition 0: reached 2, end 4']);
    const groupStuck = h.events.filter((e) => !(e.type === 'read' && e.consumer === 'm2'));
    expect(only('stuckConsumer', { ...h, events: groupStuck }).examples.stuckConsumer).toEqual(['group g partition 1: reached 0, end 2']);
  });

  it('does not call a follower stuck on a partition whose records were all deleted before it', () => {
    const h = clean();
    const r = checkHistory({ ...h, finalRead: h.finalRead.filter((x) => x.partition !== 1), ends: { 0: 4 }, followers: [{ consumer: 'reader' }] });
    expect(r.counts.stuckConsumer).toBe(0);
  });

  it('detects two members owning one partition at once, and in one generation', () => {
    const h = clean();
    const overlap: HistoryEvent = { type: 'assignment', group: 'g', consumer: 'm2', event: 'assigned', partitions: [0] };
    const r = only('doubleOwnership', { ...h, events: [h.events[0]!, h.events[1]!, overlap, ...h.events.slice(2)] });
    expect(r.examples.doubleOwnership).toEqual(['group g partition 0: assigned to m2 while m1 owned it']);
    // A clean handover (revoke, then assign) is fine; a generation shared by two owners is not.
    const handover: HistoryEvent[] = [
      { type: 'assignment', group: 'g', consumer: 'm1', event: 'revoked', partitions: [0], generation: 1 },
      { type: 'assignment', group: 'g', consumer: 'm2', event: 'assigned', partitions: [0], generation: 2 },
    ];
    expect(checkHistory({ ...h, events: [...h.events, ...handover] }).counts.doubleOwnership).toBe(0);
    const sameGen: HistoryEvent[] = [
      { type: 'assignment', group: 'g2', consumer: 'x', event: 'assigned', partitions: [5], generation: 3 },
      { type: 'assignment', group: 'g2', consumer: 'x', event: 'revoked', partitions: [5], generation: 3 },
      { type: 'assignment', group: 'g2', consumer: 'y', event: 'assigned', partitions: [5], generation: 3 },
    ];
    expect(checkHistory({ ...h, events: [...h.events, ...sameGen] }).examples.doubleOwnership).toEqual(['group g2 generation 3 partition 5: x and y']);
    // A member that is gone owns nothing.
    const gone: HistoryEvent[] = [{ type: 'assignment', group: 'g', consumer: 'm1', event: 'gone', partitions: [] }, { type: 'assignment', group: 'g', consumer: 'm2', event: 'assigned', partitions: [0] }];
    expect(checkHistory({ ...h, events: [...h.events, ...gone] }).counts.doubleOwnership).toBe(0);
  });

  it('detects a committed offset moving backwards', () => {
    const h = clean();
    const r = only('commitBackwards', { ...h, events: [...h.events, { type: 'commit', group: 'g', consumer: 'm2', partition: 0, offset: 3 }] });
    expect(r.examples.commitBackwards).toEqual(['group g partition 0: 4 -> 3 by m2']);
    // Another group has its own offsets.
    expect(checkHistory({ ...h, events: [...h.events, { type: 'commit', group: 'other', consumer: 'z', partition: 0, offset: 1 }] }).counts.commitBackwards).toBe(0);
  });

  it('detects a consumer re-reading without a new assignment, and allows it after one', () => {
    const h = clean();
    const again = read('m1', sends[1]!);
    const r = only('readOrder', { ...h, events: [...h.events, again] });
    expect(r.examples.readOrder).toEqual(['m1 partition 0: offset 1 after 3']);
    const reassigned: HistoryEvent[] = [
      { type: 'assignment', group: 'g', consumer: 'm1', event: 'revoked', partitions: [0] },
      { type: 'assignment', group: 'g', consumer: 'm1', event: 'assigned', partitions: [0] },
      again,
    ];
    expect(anomalyTotal(checkHistory({ ...h, events: [...h.events, ...reassigned] }))).toBe(0);
  });
});
