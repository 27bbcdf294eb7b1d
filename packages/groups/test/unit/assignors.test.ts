// The server-side assignors of the consumer group protocol (KIP-848): "range" (contiguous ranges
// per topic in member-id order) and "uniform" (every subscribed partition exactly once, balanced,
// sticky to the previous target), with examples and property tests of their invariants.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  assign,
  isAssignor,
  rangeAssign,
  uniformAssign,
  type Assignment,
  type AssignorMember,
  type AssignorTopic,
} from '../../src/assignors.ts';

/** Topics by id, as the consumer group hands them to the assignors; each one's id is "id-<name>". */
function topicsOf(...specs: [name: string, partitions: number][]): Map<string, AssignorTopic> {
  return new Map(specs.map(([name, partitions]) => [`id-${name}`, { id: `id-${name}`, name, partitions }]));
}

function member(memberId: string, ...topicNames: string[]): AssignorMember {
  return { memberId, topics: topicNames.map((n) => `id-${n}`) };
}

/** "topicId:partition" of every partition in an assignment, sorted. */
function keys(a: Assignment | undefined): string[] {
  return Object.entries(a ?? {})
    .flatMap(([t, parts]) => parts.map((p) => `${t}:${p}`))
    .sort();
}

function count(a: Assignment | undefined): number {
  return keys(a).length;
}

/** The result without empty per-topic lists, so results compare by the partitions they give. */
function normalized(r: Record<string, Assignment>): Record<string, Assignment> {
  return Object.fromEntries(
    Object.entries(r).map(([m, a]) => [m, Object.fromEntries(Object.entries(a).filter(([, parts]) => parts.length > 0))]),
  );
}

/** Who holds each partition: "topicId:partition" -> member ids (more than one is a bug). */
function owners(r: Record<string, Assignment>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [m, a] of Object.entries(r)) for (const k of keys(a)) out.set(k, [...(out.get(k) ?? []), m]);
  return out;
}

function counts(r: Record<string, Assignment>): number[] {
  return Object.values(r).map(count);
}

function spread(r: Record<string, Assignment>): number {
  const c = counts(r);
  return Math.max(...c) - Math.min(...c);
}

/** How many partitions changed hands between two assignments (dropped or newly assigned ones count once). */
function moved(before: Record<string, Assignment>, after: Record<string, Assignment>): number {
  const was = owners(before);
  let n = 0;
  for (const [k, [now]] of owners(after)) if (was.get(k)?.[0] !== now) n++;
  return n;
}

describe('assignor names', () => {
  test('uniform and range are known; anything else is not', () => {
    expect(isAssignor('uniform')).toBe(true);
    expect(isAssignor('range')).toBe(true);
    expect(isAssignor('sticky')).toBe(false);
    expect(isAssignor('')).toBe(false);
  });
});

describe('range', () => {
  test('contiguous ranges per topic in member-id order, the extra partitions to the first members', () => {
    const topics = topicsOf(['t', 7], ['u', 3]);
    // Given out of order: the ranges follow member ids, not the order of the list.
    const r = rangeAssign([member('c', 't', 'u'), member('a', 't'), member('b', 't', 'u')], topics);
    expect(r).toEqual({
      a: { 'id-t': [0, 1, 2] },
      b: { 'id-t': [3, 4], 'id-u': [0, 1] },
      c: { 'id-t': [5, 6], 'id-u': [2] },
    });
  });

  test('only subscribers get partitions; a topic nobody subscribes to is not assigned; members may get nothing', () => {
    const topics = topicsOf(['t', 2], ['u', 4], ['nobody', 5]);
    const r = rangeAssign([member('m1', 't'), member('m2', 't'), member('m3', 't'), member('m4', 'u'), member('idle')], topics);
    expect(r).toEqual({
      m1: { 'id-t': [0] },
      m2: { 'id-t': [1] },
      m3: {},
      m4: { 'id-u': [0, 1, 2, 3] },
      idle: {},
    });
  });

  test('assign("range") ignores the previous assignment', () => {
    const topics = topicsOf(['t', 4]);
    const members = [member('a', 't'), member('b', 't')];
    expect(assign('range', members, topics, { a: { 'id-t': [3] }, b: { 'id-t': [0, 1, 2] } })).toEqual({
      a: { 'id-t': [0, 1] },
      b: { 'id-t': [2, 3] },
    });
  });
});

describe('uniform', () => {
  test('no members: nothing to assign', () => {
    expect(uniformAssign([], topicsOf(['t', 3]), {})).toEqual({});
  });

  test('homogeneous subscriptions: every partition once, balanced across topics', () => {
    const topics = topicsOf(['t', 5], ['u', 4], ['other', 6]);
    const r = uniformAssign([member('a', 't', 'u'), member('b', 't', 'u'), member('c', 't', 'u')], topics, {});
    expect(counts(r)).toEqual([3, 3, 3]);
    const o = owners(r);
    expect([...o.keys()].sort()).toEqual([...keys({ 'id-t': [0, 1, 2, 3, 4], 'id-u': [0, 1, 2, 3] })]);
    for (const holders of o.values()) expect(holders).toHaveLength(1);
  });

  test('homogeneous subscriptions with a remainder: counts differ by at most one', () => {
    const r = uniformAssign([member('a', 't'), member('b', 't'), member('c', 't'), member('d', 't')], topicsOf(['t', 10]), {});
    expect(counts(r).sort()).toEqual([2, 2, 3, 3]);
  });

  test('more members than partitions: each partition to one member, the rest get nothing', () => {
    const r = uniformAssign([member('a', 't'), member('b', 't'), member('c', 't')], topicsOf(['t', 2]), {});
    expect(counts(r).sort()).toEqual([0, 1, 1]);
    expect(Object.keys(r).sort()).toEqual(['a', 'b', 'c']);
  });

  test('sticky: a fourth member joining a balanced 3-member, 12-partition group takes 3 partitions, nothing else moves', () => {
    const topics = topicsOf(['t', 12]);
    const three = [member('a', 't'), member('b', 't'), member('c', 't')];
    const before = uniformAssign(three, topics, {});
    expect(counts(before)).toEqual([4, 4, 4]);
    const after = uniformAssign([...three, member('d', 't')], topics, before);
    expect(counts(after)).toEqual([3, 3, 3, 3]);
    expect(moved(before, after)).toBe(3);
    // Each old member kept 3 of its own 4 partitions; the newcomer got one from each.
    for (const m of ['a', 'b', 'c']) expect(keys(after[m]).every((k) => keys(before[m]).includes(k))).toBe(true);
  });

  test('sticky: a member leaving gives up only its own partitions', () => {
    const topics = topicsOf(['t', 12]);
    const before = uniformAssign([member('a', 't'), member('b', 't'), member('c', 't')], topics, {});
    const after = uniformAssign([member('a', 't'), member('c', 't')], topics, before);
    expect(counts(after)).toEqual([6, 6]);
    for (const m of ['a', 'c']) expect(keys(after[m])).toEqual(expect.arrayContaining(keys(before[m])));
    expect(moved(before, after)).toBe(4);
    // b's partitions were split evenly.
    const fromB = keys(before.b);
    expect(keys(after.a).filter((k) => fromB.includes(k))).toHaveLength(2);
    expect(keys(after.c).filter((k) => fromB.includes(k))).toHaveLength(2);
  });

  test('sticky: an unchanged group gets the same assignment, even one the assignor would not have chosen', () => {
    const topics = topicsOf(['t', 4], ['u', 2]);
    const members = [member('a', 't', 'u'), member('b', 't', 'u')];
    const previous = { a: { 'id-t': [3], 'id-u': [0, 1] }, b: { 'id-t': [0, 1, 2] } };
    expect(normalized(uniformAssign(members, topics, previous))).toEqual(previous);
  });

  test('previous owners that left or unsubscribed do not keep anything', () => {
    const topics = topicsOf(['t', 4], ['u', 4]);
    const previous = { gone: { 'id-t': [0, 1] }, a: { 'id-t': [2, 3], 'id-u': [0, 1, 2, 3] } };
    const r = uniformAssign([member('a', 'u'), member('b', 'u')], topics, previous);
    expect(owners(r).has('id-t:0')).toBe(false);
    expect(counts(r)).toEqual([2, 2]);
    // a keeps two of its u partitions.
    expect(keys(r.a).every((k) => keys(previous.a).includes(k))).toBe(true);
  });

  test('heterogeneous: a topic goes only to its subscribers, and the rest balances around it', () => {
    // a may take t and u, b only t: balance means a takes all of u and b all of t.
    const r = uniformAssign([member('a', 't', 'u'), member('b', 't')], topicsOf(['t', 4], ['u', 4]), {});
    expect(normalized(r)).toEqual({ a: { 'id-u': [0, 1, 2, 3] }, b: { 'id-t': [0, 1, 2, 3] } });
  });

  test('heterogeneous: a topic only one member subscribes to stays with it, however unbalanced', () => {
    const r = uniformAssign([member('a', 't'), member('b', 't'), member('c', 'big')], topicsOf(['t', 4], ['big', 9]), {});
    expect(normalized(r).c).toEqual({ 'id-big': [0, 1, 2, 3, 4, 5, 6, 7, 8] });
    expect([count(r.a), count(r.b)]).toEqual([2, 2]);
    expect([...keys(r.a), ...keys(r.b)].sort()).toEqual(keys({ 'id-t': [0, 1, 2, 3] }));
  });

  test('heterogeneous: balances a sticky previous assignment that became lopsided', () => {
    // b had everything of t; a newcomer subscribed to t and u takes half of t (u has one partition).
    const topics = topicsOf(['t', 10], ['u', 1]);
    const r = uniformAssign([member('a', 't', 'u'), member('b', 't')], topics, { b: { 'id-t': [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] } });
    expect(counts(r).sort()).toEqual([5, 6]);
    expect(keys(r.a)).toContain('id-u:0');
    expect(keys(r.b).every((k) => k.startsWith('id-t:'))).toBe(true);
  });
});

// ---- Property tests ----------------------------------------------------------------------------

interface Scenario {
  topics: Map<string, AssignorTopic>;
  members: AssignorMember[];
  previous: Record<string, Assignment>;
  homogeneous: boolean;
}

const TOPIC_NAMES = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];

/**
 * Random topics (0-12 partitions), 1-8 members with subscriptions (one shared set, or one each),
 * and a previous assignment in which each partition had at most one owner: a member, a member
 * that since left, possibly one no longer subscribed to it.
 */
function scenario(homogeneous: boolean): fc.Arbitrary<Scenario> {
  return fc
    .record({
      partitions: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: TOPIC_NAMES.length }),
      memberIds: fc.uniqueArray(fc.stringMatching(/^[a-z0-9-]{1,6}$/), { minLength: 1, maxLength: 8 }),
      seed: fc.array(fc.nat(), { minLength: 200, maxLength: 200 }),
      shared: fc.array(fc.boolean(), { minLength: TOPIC_NAMES.length, maxLength: TOPIC_NAMES.length }),
      own: fc.array(fc.array(fc.boolean(), { minLength: TOPIC_NAMES.length, maxLength: TOPIC_NAMES.length }), {
        minLength: 8,
        maxLength: 8,
      }),
    })
    .map(({ partitions, memberIds, seed, shared, own }) => {
      const topics = new Map<string, AssignorTopic>();
      partitions.forEach((n, i) => topics.set(`id-${TOPIC_NAMES[i]!}`, { id: `id-${TOPIC_NAMES[i]!}`, name: TOPIC_NAMES[i]!, partitions: n }));
      const ids = [...topics.keys()];
      const members = memberIds.map((memberId, i) => ({
        memberId,
        topics: ids.filter((_, t) => (homogeneous ? shared[t] : own[i]![t])),
      }));
      const candidates = [...memberIds, 'departed'];
      const previous: Record<string, Assignment> = {};
      let s = 0;
      for (const t of topics.values()) {
        for (let p = 0; p < t.partitions; p++) {
          const pick = seed[s++ % seed.length]! % (candidates.length + 1);
          if (pick === candidates.length) continue; // nobody had it
          ((previous[candidates[pick]!] ??= {})[t.id] ??= []).push(p);
        }
      }
      return { topics, members, previous, homogeneous };
    });
}

/** The invariants both assignors keep: each subscribed partition exactly once, only to a subscriber. */
function checkSound(s: Scenario, r: Record<string, Assignment>): void {
  expect(Object.keys(r).sort()).toEqual(s.members.map((m) => m.memberId).sort());
  const subscribed = new Map(s.members.map((m) => [m.memberId, new Set(m.topics)]));
  const expected: string[] = [];
  for (const t of s.topics.values()) {
    if (s.members.some((m) => m.topics.includes(t.id))) for (let p = 0; p < t.partitions; p++) expected.push(`${t.id}:${p}`);
  }
  const o = owners(r);
  expect([...o.keys()].sort()).toEqual(expected.sort());
  for (const [k, holders] of o) {
    expect(holders).toHaveLength(1);
    const topicId = k.slice(0, k.lastIndexOf(':'));
    expect(subscribed.get(holders[0]!)!.has(topicId)).toBe(true);
  }
  for (const a of Object.values(r)) for (const parts of Object.values(a)) expect(parts).toEqual([...parts].sort((x, y) => x - y));
}

const HOMOGENEOUS = scenario(true);
const HETEROGENEOUS = scenario(false);
const EITHER = fc.oneof(HOMOGENEOUS, HETEROGENEOUS);

const shuffled = <T>(xs: readonly T[], seed: number): T[] => {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = (seed * (i + 7) + i * 31) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
};

describe('uniform: properties', () => {
  test('every partition of a subscribed topic exactly once, to a subscriber; balanced within one for homogeneous subscriptions', () => {
    fc.assert(
      fc.property(HOMOGENEOUS, (s) => {
        const r = uniformAssign(s.members, s.topics, s.previous);
        checkSound(s, r);
        expect(spread(r)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
  });

  test('homogeneous: keeps as many previous partitions as any balanced assignment could', () => {
    fc.assert(
      fc.property(HOMOGENEOUS, (s) => {
        const r = uniformAssign(s.members, s.topics, s.previous);
        const subscribed = new Set(s.members[0]!.topics.filter((t) => s.topics.get(t)!.partitions > 0));
        const total = [...subscribed].reduce((n, t) => n + s.topics.get(t)!.partitions, 0);
        const floor = Math.floor(total / s.members.length);
        const extras = total % s.members.length;
        // Previous partitions each member may keep (of topics still subscribed, the member still here).
        const had = s.members.map((m) => keys(s.previous[m.memberId]).filter((k) => subscribed.has(k.slice(0, k.lastIndexOf(':')))).length);
        const best = had.reduce((n, c) => n + Math.min(c, floor), 0) + Math.min(extras, had.filter((c) => c > floor).length);
        const kept = s.members.reduce((n, m) => n + keys(r[m.memberId]).filter((k) => keys(s.previous[m.memberId]).includes(k)).length, 0);
        expect(kept).toBe(best);
      }),
      { numRuns: 500 },
    );
  });

  test('heterogeneous: only subscribers, each partition once, and no single move to another subscriber would narrow a gap of more than one', () => {
    fc.assert(
      fc.property(HETEROGENEOUS, (s) => {
        const r = uniformAssign(s.members, s.topics, s.previous);
        checkSound(s, r);
        const c = new Map(Object.entries(r).map(([m, a]) => [m, count(a)]));
        for (const [from, a] of Object.entries(r)) {
          for (const [topicId, parts] of Object.entries(a)) {
            if (parts.length === 0) continue;
            for (const to of s.members.filter((m) => m.topics.includes(topicId))) {
              expect(c.get(from)! - c.get(to.memberId)!).toBeLessThanOrEqual(1);
            }
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  test('deterministic: the same input gives the same output, whatever the order of members and topics', () => {
    fc.assert(
      fc.property(EITHER, fc.nat(), (s, seed) => {
        const r = uniformAssign(s.members, s.topics, s.previous);
        expect(uniformAssign(s.members, s.topics, s.previous)).toEqual(r);
        const topics = new Map(shuffled([...s.topics], seed));
        expect(normalized(uniformAssign(shuffled(s.members, seed + 1), topics, s.previous))).toEqual(normalized(r));
      }),
      { numRuns: 300 },
    );
  });

  test('a second run over its own output moves nothing', () => {
    fc.assert(
      fc.property(EITHER, (s) => {
        const r = uniformAssign(s.members, s.topics, s.previous);
        expect(normalized(uniformAssign(s.members, s.topics, r))).toEqual(normalized(r));
      }),
      { numRuns: 300 },
    );
  });
});

describe('range: properties', () => {
  test('each partition once, to a subscriber; per topic, contiguous ranges in member-id order, sizes non-increasing and within one', () => {
    fc.assert(
      fc.property(EITHER, fc.nat(), (s, seed) => {
        const r = rangeAssign(s.members, s.topics);
        checkSound(s, r);
        for (const t of s.topics.values()) {
          const subscribers = s.members.filter((m) => m.topics.includes(t.id)).map((m) => m.memberId).sort();
          let next = 0;
          const sizes: number[] = [];
          for (const m of subscribers) {
            const parts = r[m]![t.id] ?? [];
            expect(parts).toEqual(Array.from({ length: parts.length }, (_, i) => next + i));
            next += parts.length;
            sizes.push(parts.length);
          }
          for (let i = 1; i < sizes.length; i++) expect(sizes[i]!).toBeLessThanOrEqual(sizes[i - 1]!);
          if (sizes.length > 0) expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        }
        expect(rangeAssign(shuffled(s.members, seed), new Map(shuffled([...s.topics], seed)))).toEqual(r);
      }),
      { numRuns: 300 },
    );
  });
});
