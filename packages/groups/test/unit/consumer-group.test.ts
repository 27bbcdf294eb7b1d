// The consumer group protocol (KIP-848) as pure steps on a draft group, with an explicit clock:
// ConsumerGroupHeartbeat joining (epoch 0), leaving (-1, and -2 for a static member's restart),
// epoch fencing, reconciliation (revoke first at the same member epoch, then the target epoch and
// the partitions nobody else holds), subscriptions by name and by regex, topics gaining
// partitions, session and revocation expiry, the group state, and the offset-commit check; then
// the GroupCoordinator's consumer-group paths over a real embedded coordination table.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedCoordinationStore } from '@floe/coordination';
import type { Assignment, AssignorTopic } from '../../src/assignors.ts';
import type { JoinRequest } from '../../src/classic-protocol.ts';
import { GroupCoordinator, type GroupCoordinatorOptions } from '../../src/group-coordinator.ts';
import type { Group } from '../../src/group-model.ts';
import { isConsumerGroup, type CommittedOffset } from '../../src/group-table.ts';
import {
  checkConsumerCommit,
  consumerGroupState,
  consumerHeartbeat,
  DEFAULT_CONSUMER_GROUP_SETTINGS,
  expireConsumers,
  newConsumerGroup,
  nextConsumerExpiry,
  subscribedTopics,
  type ConsumerGroup,
  type ConsumerGroupSettings,
  type ConsumerHeartbeatRequest,
  type ConsumerHeartbeatResponse,
} from '../../src/consumer-group.ts';

const T0 = 1_700_000_000_000;
const SESSION = 45_000;
const REBALANCE = 30_000;
const SETTINGS: ConsumerGroupSettings = { ...DEFAULT_CONSUMER_GROUP_SETTINGS, sessionMs: SESSION, heartbeatIntervalMs: 5_000 };

/** Topics by name, as the coordinator gets them; each one's id is "id-<name>". */
function topicsOf(...specs: [name: string, partitions: number][]): Map<string, AssignorTopic> {
  return new Map(specs.map(([name, partitions]) => [name, { id: `id-${name}`, name, partitions }]));
}

const T6 = topicsOf(['t', 6]);

/** All partitions of topic `name` from `from` to `to` - 1. */
function parts(name: string, from: number, to: number): Assignment {
  return { [`id-${name}`]: Array.from({ length: to - from }, (_, i) => from + i) };
}

function keys(a: Assignment | undefined): string[] {
  return Object.entries(a ?? {})
    .flatMap(([t, ps]) => ps.map((p) => `${t}:${p}`))
    .sort();
}

function minus(a: Assignment, b: Assignment): Assignment {
  const drop = new Set(keys(b));
  const out: Assignment = {};
  for (const [t, ps] of Object.entries(a)) {
    const keep = ps.filter((p) => !drop.has(`${t}:${p}`));
    if (keep.length > 0) out[t] = keep;
  }
  return out;
}

function joinReq(memberId: string, over: Partial<ConsumerHeartbeatRequest> = {}): ConsumerHeartbeatRequest {
  return {
    groupId: 'g',
    memberId,
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: REBALANCE,
    subscribedTopicNames: ['t'],
    subscribedTopicRegex: null,
    serverAssignor: null,
    ownedPartitions: {},
    clientId: `client-${memberId}`,
    clientHost: '/127.0.0.1',
    ...over,
  };
}

/** A heartbeat that changes nothing but what the member owns (null: unchanged). */
function hbReq(memberId: string, memberEpoch: number, owned: Assignment | null, over: Partial<ConsumerHeartbeatRequest> = {}): ConsumerHeartbeatRequest {
  return {
    ...joinReq(memberId),
    memberEpoch,
    rebalanceTimeoutMs: -1,
    subscribedTopicNames: null,
    ownedPartitions: owned,
    ...over,
  };
}

function step(g: ConsumerGroup, req: ConsumerHeartbeatRequest, now: number, topics = T6): ConsumerHeartbeatResponse {
  return consumerHeartbeat(g, req, topics, SETTINGS, now);
}

function ok(r: ConsumerHeartbeatResponse): ConsumerHeartbeatResponse {
  if (r.error !== null) throw new Error(`heartbeat failed: ${r.error}: ${r.message}`);
  return r;
}

/**
 * A well-behaved client: it sends its epoch and what it owns, and takes whatever assignment the
 * answer carries (revoking and adopting at once).
 */
class Client {
  epoch = 0;
  owned: Assignment = {};
  last: ConsumerHeartbeatResponse | undefined;
  readonly memberId: string;
  readonly join: Partial<ConsumerHeartbeatRequest>;
  constructor(memberId: string, join: Partial<ConsumerHeartbeatRequest> = {}) {
    this.memberId = memberId;
    this.join = join;
  }

  request(over: Partial<ConsumerHeartbeatRequest> = {}): ConsumerHeartbeatRequest {
    const groupId = this.join.groupId ?? 'g';
    return this.epoch === 0
      ? joinReq(this.memberId, { ...this.join, ...over })
      : hbReq(this.memberId, this.epoch, this.owned, { groupId, instanceId: this.join.instanceId ?? null, ...over });
  }

  apply(r: ConsumerHeartbeatResponse): ConsumerHeartbeatResponse {
    ok(r);
    this.epoch = r.memberEpoch;
    if (r.assignment !== undefined) this.owned = r.assignment;
    this.last = r;
    return r;
  }

  beat(g: ConsumerGroup, now: number, topics = T6, over: Partial<ConsumerHeartbeatRequest> = {}): ConsumerHeartbeatResponse {
    return this.apply(step(g, this.request(over), now, topics));
  }
}

/** Heartbeats every client in turn until the group is Stable (fails after `rounds`). */
function settle(g: ConsumerGroup, clients: Client[], now: number, topics = T6, rounds = 10): void {
  for (let i = 0; i < rounds; i++) {
    for (const c of clients) c.beat(g, now, topics);
    if (consumerGroupState(g) === 'Stable') return;
  }
  throw new Error(`not Stable after ${rounds} rounds: ${JSON.stringify(g)}`);
}

/** Every partition of the topics exactly once across the clients. */
function expectPartitioned(clients: Client[], topics: Map<string, AssignorTopic>): void {
  const all = clients.flatMap((c) => keys(c.owned));
  const expected = [...topics.values()].flatMap((t) => keys({ [t.id]: Array.from({ length: t.partitions }, (_, p) => p) }));
  expect(all.sort()).toEqual(expected.sort());
}

function member(g: ConsumerGroup, memberId: string) {
  const m = g.members.find((x) => x.memberId === memberId);
  if (!m) throw new Error(`no member ${memberId}`);
  return m;
}

describe('joining', () => {
  test('the first member gets every partition, with the group epoch as its member epoch', () => {
    const g = newConsumerGroup('g', T0);
    expect(consumerGroupState(g)).toBe('Empty');
    const r = step(g, joinReq('a'), T0);
    expect(r).toEqual({ error: null, message: null, memberId: 'a', memberEpoch: g.groupEpoch, heartbeatIntervalMs: 5_000, assignment: parts('t', 0, 6) });
    expect(g.groupEpoch).toBeGreaterThan(0);
    expect(g.assignmentEpoch).toBe(g.groupEpoch);
    expect(consumerGroupState(g)).toBe('Stable');
    expect(member(g, 'a')).toMatchObject({ epoch: g.groupEpoch, clientId: 'client-a', clientHost: '/127.0.0.1', rebalanceMs: REBALANCE, seenAt: T0 });
  });

  test('an empty member id (v0) gets one chosen by the coordinator', () => {
    const g = newConsumerGroup('g', T0);
    const r = ok(step(g, joinReq(''), T0));
    expect(r.memberId).toMatch(/^[0-9a-f-]{36}$/);
    expect(g.members.map((m) => m.memberId)).toEqual([r.memberId]);
    // It heartbeats with that id from then on.
    expect(ok(step(g, hbReq(r.memberId!, r.memberEpoch, r.assignment!), T0 + 1)).assignment).toBeUndefined();
  });

  test('a second member: the first revokes first (same epoch), the second gets the moved partitions once they are gone', () => {
    const g = newConsumerGroup('g', T0);
    const ra = ok(step(g, joinReq('a'), T0));
    const e1 = ra.memberEpoch;

    const rb = ok(step(g, joinReq('b'), T0 + 10));
    const e2 = g.groupEpoch;
    expect(e2).toBeGreaterThan(e1);
    expect(g.assignmentEpoch).toBe(e2);
    // The target splits the topic 3/3; b starts with nothing because a still holds its share.
    const targetA = g.target.a!;
    const targetB = g.target.b!;
    expect(keys(targetA)).toHaveLength(3);
    expect([...keys(targetA), ...keys(targetB)].sort()).toEqual(keys(parts('t', 0, 6)));
    expect(rb).toMatchObject({ error: null, memberId: 'b', memberEpoch: e2 });
    expect(rb.assignment).toEqual({});
    expect(consumerGroupState(g)).toBe('Reconciling');

    // a is told to give up b's share, at its own epoch.
    const a1 = ok(step(g, hbReq('a', e1, parts('t', 0, 6)), T0 + 20));
    expect(a1.memberEpoch).toBe(e1);
    expect(a1.assignment).toEqual(minus(parts('t', 0, 6), targetB));
    expect(a1.assignment).toEqual(targetA);

    // b gets nothing while a has not confirmed: the answer carries no assignment (unchanged).
    const b1 = ok(step(g, hbReq('b', e2, {}), T0 + 30));
    expect(b1).toMatchObject({ memberEpoch: e2, assignment: undefined });
    // Nor while a heartbeats without saying what it owns.
    const a2 = ok(step(g, hbReq('a', e1, null), T0 + 40));
    expect(a2).toMatchObject({ memberEpoch: e1, assignment: undefined });
    expect(ok(step(g, hbReq('b', e2, {}), T0 + 50)).assignment).toBeUndefined();

    // a's heartbeat shows the partitions gone: it takes the new epoch, its assignment unchanged.
    const a3 = ok(step(g, hbReq('a', e1, targetA), T0 + 60));
    expect(a3).toMatchObject({ memberEpoch: e2, assignment: undefined });
    expect(member(g, 'a').previousEpoch).toBe(e1);

    // Now b gets them, at the new epoch.
    const b2 = ok(step(g, hbReq('b', e2, {}), T0 + 70));
    expect(b2).toMatchObject({ memberEpoch: e2, assignment: targetB });
    expect(consumerGroupState(g)).toBe('Stable');

    // Steady state: no assignment in the answers.
    expect(ok(step(g, hbReq('a', e2, targetA), T0 + 80)).assignment).toBeUndefined();
    expect(ok(step(g, hbReq('b', e2, targetB), T0 + 90)).assignment).toBeUndefined();
    expect(g.groupEpoch).toBe(e2);
  });

  test('an owned set that differs from the assignment gets the full assignment again', () => {
    const g = newConsumerGroup('g', T0);
    const a = new Client('a');
    a.beat(g, T0);
    expect(ok(step(g, hbReq('a', a.epoch, a.owned), T0 + 1)).assignment).toBeUndefined();
    // The client lost track (say it owns nothing): it is told its assignment.
    expect(ok(step(g, hbReq('a', a.epoch, {}), T0 + 2)).assignment).toEqual(parts('t', 0, 6));
  });

  test('a partition another member still revokes is handed out only after it confirms, even to a third member', () => {
    const g = newConsumerGroup('g', T0);
    const [a, b, c] = [new Client('a'), new Client('b'), new Client('c')];
    a.beat(g, T0);
    b.beat(g, T0 + 1);
    c.beat(g, T0 + 2);
    // b and c ask before a revoked: nothing for them.
    b.beat(g, T0 + 3);
    c.beat(g, T0 + 4);
    expect(keys(b.owned)).toEqual([]);
    expect(keys(c.owned)).toEqual([]);
    a.beat(g, T0 + 5); // revokes
    expect(keys(a.owned)).toHaveLength(2);
    b.beat(g, T0 + 6); // still revoking on a's side: nothing moves yet
    expect(keys(b.owned)).toEqual([]);
    a.beat(g, T0 + 7); // confirms
    b.beat(g, T0 + 8);
    c.beat(g, T0 + 9);
    expect(consumerGroupState(g)).toBe('Stable');
    expectPartitioned([a, b, c], T6);
    expect([a, b, c].map((x) => keys(x.owned).length)).toEqual([2, 2, 2]);
    expect(new Set([a.epoch, b.epoch, c.epoch])).toEqual(new Set([g.groupEpoch]));
  });

  test('a rejoin with epoch 0 under a known member id starts the member over', () => {
    const g = newConsumerGroup('g', T0);
    const [a, b] = [new Client('a'), new Client('b')];
    settle(g, [a, b], T0);
    const before = g.groupEpoch;
    const r = ok(step(g, joinReq('a'), T0 + 100));
    expect(g.members.map((m) => m.memberId).sort()).toEqual(['a', 'b']);
    expect(g.groupEpoch).toBeGreaterThan(before);
    // Nobody else holds its former partitions: the sticky target gives them straight back.
    expect(r).toMatchObject({ memberEpoch: g.groupEpoch, assignment: a.owned });
    a.epoch = r.memberEpoch;
    settle(g, [a, b], T0 + 200);
    expectPartitioned([a, b], T6);
  });
});

describe('leaving', () => {
  test('a leave (-1) frees the partitions and bumps the group epoch; the others take them', () => {
    const g = newConsumerGroup('g', T0);
    const [a, b] = [new Client('a'), new Client('b')];
    settle(g, [a, b], T0);
    const before = g.groupEpoch;
    const r = step(g, hbReq('b', b.epoch, null, { memberEpoch: -1 }), T0 + 100);
    expect(r).toEqual({ error: null, message: null, memberId: 'b', memberEpoch: -1, heartbeatIntervalMs: 0, assignment: undefined });
    expect(g.members.map((m) => m.memberId)).toEqual(['a']);
    expect(g.groupEpoch).toBeGreaterThan(before);
    expect(g.target).toEqual({ a: parts('t', 0, 6) });
    const ra = a.beat(g, T0 + 110);
    expect(ra).toMatchObject({ memberEpoch: g.groupEpoch, assignment: parts('t', 0, 6) });
    expect(consumerGroupState(g)).toBe('Stable');
  });

  test('the last member leaving leaves an Empty group', () => {
    const g = newConsumerGroup('g', T0);
    const a = new Client('a');
    a.beat(g, T0);
    ok(step(g, hbReq('a', a.epoch, null, { memberEpoch: -1 }), T0 + 1));
    expect(g.members).toEqual([]);
    expect(consumerGroupState(g)).toBe('Empty');
  });

  test('a leave from an unknown member: UNKNOWN_MEMBER_ID', () => {
    const g = newConsumerGroup('g', T0);
    new Client('a').beat(g, T0);
    expect(step(g, hbReq('ghost', -1, null), T0 + 1)).toMatchObject({ error: 'unknown-member-id', memberEpoch: -1, assignment: undefined });
    expect(step(g, hbReq('ghost', -2, null), T0 + 1).error).toBe('unknown-member-id');
  });

  test('-2 from a dynamic member is a plain leave', () => {
    const g = newConsumerGroup('g', T0);
    const a = new Client('a');
    a.beat(g, T0);
    const before = g.groupEpoch;
    expect(ok(step(g, hbReq('a', a.epoch, null, { memberEpoch: -2 }), T0 + 1)).memberEpoch).toBe(-2);
    expect(g.members).toEqual([]);
    expect(g.groupEpoch).toBeGreaterThan(before);
  });
});

describe('epochs and errors', () => {
  function stableTwo(): { g: ConsumerGroup; a: Client; b: Client } {
    const g = newConsumerGroup('g', T0);
    const [a, b] = [new Client('a'), new Client('b')];
    settle(g, [a, b], T0);
    return { g, a, b };
  }

  test('FENCED_MEMBER_EPOCH for an epoch that is neither the current nor the previous one', () => {
    const { g, a } = stableTwo();
    const before = structuredClone(g);
    expect(step(g, hbReq('a', a.epoch + 1, a.owned), T0 + 10)).toMatchObject({ error: 'fenced-member-epoch', memberId: 'a', memberEpoch: -1, assignment: undefined });
    expect(step(g, hbReq('a', 1_000, a.owned), T0 + 10).error).toBe('fenced-member-epoch');
    expect(step(g, hbReq('a', member(g, 'a').previousEpoch - 1, a.owned), T0 + 10).error).toBe('fenced-member-epoch');
    expect(g).toEqual(before);
  });

  test('one epoch behind with owned partitions within the assignment is a lost answer, not a fence', () => {
    const { g, a } = stableTwo();
    const m = member(g, 'a');
    expect(m.previousEpoch).toBeGreaterThan(0);
    expect(m.previousEpoch).toBeLessThan(m.epoch);
    // Subset (its assignment, or part of it) or unchanged (null): tolerated, answered with the current epoch.
    expect(ok(step(g, hbReq('a', m.previousEpoch, a.owned), T0 + 10)).memberEpoch).toBe(m.epoch);
    expect(ok(step(g, hbReq('a', m.previousEpoch, null), T0 + 11)).memberEpoch).toBe(m.epoch);
    const some = { [Object.keys(a.owned)[0]!]: [a.owned[Object.keys(a.owned)[0]!]![0]!] };
    const r = ok(step(g, hbReq('a', m.previousEpoch, some), T0 + 12));
    expect(r).toMatchObject({ memberEpoch: m.epoch, assignment: a.owned });
    // Owning something outside its assignment (b's partitions): fenced.
    expect(step(g, hbReq('a', m.previousEpoch, parts('t', 0, 6)), T0 + 13).error).toBe('fenced-member-epoch');
  });

  test('UNKNOWN_MEMBER_ID for a heartbeat from a member the group does not have', () => {
    const { g } = stableTwo();
    expect(step(g, hbReq('ghost', g.groupEpoch, {}), T0 + 10)).toMatchObject({ error: 'unknown-member-id', memberId: 'ghost', memberEpoch: -1 });
    expect(step(newConsumerGroup('empty', T0), hbReq('ghost', 3, {}), T0).error).toBe('unknown-member-id');
  });

  test('FENCED_MEMBER_EPOCH for a member id used with another instance id', () => {
    const g = newConsumerGroup('g', T0);
    const a = new Client('a', { instanceId: 'ia' });
    a.beat(g, T0);
    expect(ok(step(g, hbReq('a', a.epoch, null, { instanceId: 'ia' }), T0 + 1)).error).toBeNull();
    expect(step(g, hbReq('a', a.epoch, null, { instanceId: 'other' }), T0 + 2).error).toBe('fenced-member-epoch');
  });

  test('INVALID_REQUEST for a join without rebalance timeout, subscription or owned partitions; nothing joins', () => {
    const g = newConsumerGroup('g', T0);
    for (const over of [
      { rebalanceTimeoutMs: -1 },
      { subscribedTopicNames: null, subscribedTopicRegex: null },
      { ownedPartitions: null },
    ] satisfies Partial<ConsumerHeartbeatRequest>[]) {
      expect(step(g, joinReq('a', over), T0)).toMatchObject({ error: 'invalid-request', memberEpoch: -1, assignment: undefined });
    }
    expect(g.members).toEqual([]);
    expect(g.groupEpoch).toBe(0);
  });

  test('UNSUPPORTED_ASSIGNOR for an assignor the coordinator does not have', () => {
    const g = newConsumerGroup('g', T0);
    expect(step(g, joinReq('a', { serverAssignor: 'sticky' }), T0)).toMatchObject({ error: 'unsupported-assignor', memberEpoch: -1 });
    expect(g.members).toEqual([]);
    const a = new Client('a');
    a.beat(g, T0);
    expect(step(g, hbReq('a', a.epoch, null, { serverAssignor: 'cooperative-sticky' }), T0 + 1).error).toBe('unsupported-assignor');
  });

  test('GROUP_MAX_SIZE_REACHED when the group is full', () => {
    const g = newConsumerGroup('g', T0);
    const settings = { ...SETTINGS, maxSize: 1 };
    ok(consumerHeartbeat(g, joinReq('a'), T6, settings, T0));
    expect(consumerHeartbeat(g, joinReq('b'), T6, settings, T0).error).toBe('group-max-size-reached');
    expect(g.members.map((m) => m.memberId)).toEqual(['a']);
  });

  test('the range assignor when the members ask for it', () => {
    const g = newConsumerGroup('g', T0);
    const [a, b] = [new Client('a', { serverAssignor: 'range' }), new Client('b', { serverAssignor: 'range' })];
    settle(g, [a, b], T0);
    expect(g.assignor).toBe('range');
    expect(a.owned).toEqual(parts('t', 0, 3));
    expect(b.owned).toEqual(parts('t', 3, 6));
  });

  test('a change of assignor bumps the group epoch', () => {
    const g = newConsumerGroup('g', T0);
    const a = new Client('a');
    a.beat(g, T0);
    expect(g.assignor).toBe('uniform');
    const before = g.groupEpoch;
    a.beat(g, T0 + 1, T6, { serverAssignor: 'range' });
    expect(g.assignor).toBe('range');
    expect(g.groupEpoch).toBeGreaterThan(before);
  });
});

describe('static members', () => {
  function staticGroup(): { g: ConsumerGroup; a: Client; b: Client } {
    const g = newConsumerGroup('g', T0);
    const [a, b] = [new Client('a', { instanceId: 'instance-a' }), new Client('b')];
    settle(g, [a, b], T0);
    return { g, a, b };
  }

  test('a temporary leave (-2) keeps the assignment; the restarted instance gets it back under a new member id, no rebalance', () => {
    const { g, a, b } = staticGroup();
    const epoch = g.groupEpoch;
    const owned = a.owned;
    expect(ok(step(g, hbReq('a', a.epoch, null, { memberEpoch: -2, instanceId: 'instance-a' }), T0 + 100)).memberEpoch).toBe(-2);
    expect(g.groupEpoch).toBe(epoch);
    expect(member(g, 'a').leftTemporarily).toBe(true);
    // Its partitions wait for it: b does not get them.
    b.beat(g, T0 + 110);
    expect(b.last!.assignment).toBeUndefined();
    expect(keys(b.owned)).toHaveLength(3);

    const r = ok(step(g, joinReq('a2', { instanceId: 'instance-a' }), T0 + 120));
    expect(r).toMatchObject({ memberId: 'a2', memberEpoch: a.epoch, assignment: owned });
    expect(g.groupEpoch).toBe(epoch);
    expect(g.members.map((m) => m.memberId).sort()).toEqual(['a2', 'b']);
    expect(g.target.a).toBeUndefined();
    expect(g.target.a2).toEqual(owned);
    expect(member(g, 'a2')).toMatchObject({ instanceId: 'instance-a', leftTemporarily: false });
    expect(consumerGroupState(g)).toBe('Stable');
    // The old member id is gone.
    expect(step(g, hbReq('a', a.epoch, null), T0 + 130).error).toBe('unknown-member-id');
  });

  test('rejoining with another subscription is a rebalance', () => {
    const { g, a } = staticGroup();
    const epoch = g.groupEpoch;
    ok(step(g, hbReq('a', a.epoch, null, { memberEpoch: -2, instanceId: 'instance-a' }), T0 + 100));
    // (u does not exist: only the subscription differs, not the subscribed topics.)
    ok(step(g, joinReq('a2', { instanceId: 'instance-a', subscribedTopicNames: ['t', 'u'] }), T0 + 120));
    expect(g.groupEpoch).toBeGreaterThan(epoch);
  });

  test('UNRELEASED_INSTANCE_ID while the instance is still held by an active member', () => {
    const { g } = staticGroup();
    const before = structuredClone(g);
    expect(step(g, joinReq('a2', { instanceId: 'instance-a' }), T0 + 100)).toMatchObject({ error: 'unreleased-instance-id', memberEpoch: -1 });
    expect(g).toEqual(before);
  });

  test('a refused rejoin (its member id known, the instance held by another) leaves the group as it was', () => {
    const { g, b } = staticGroup();
    const before = structuredClone(g);
    expect(step(g, joinReq('b', { instanceId: 'instance-a' }), T0 + 100).error).toBe('unreleased-instance-id');
    expect(g).toEqual(before);
    // b is still a member and heartbeats on.
    expect(b.beat(g, T0 + 110).error).toBeNull();
  });

  test('a static member that never comes back is expelled with its session, and its partitions move', () => {
    const { g, a, b } = staticGroup();
    ok(step(g, hbReq('a', a.epoch, null, { memberEpoch: -2, instanceId: 'instance-a' }), T0 + 100));
    const epoch = g.groupEpoch;
    // b keeps heartbeating; a's session (from its last sign of life at T0) runs out.
    for (let t = T0 + SESSION / 4; t < T0 + SESSION + SESSION / 4; t += SESSION / 4) b.beat(g, t);
    expect(g.members.map((m) => m.memberId).sort()).toEqual(['a', 'b']);
    b.beat(g, T0 + SESSION + SESSION / 4);
    expect(g.members.map((m) => m.memberId)).toEqual(['b']);
    expect(g.groupEpoch).toBeGreaterThan(epoch);
    expect(b.owned).toEqual(parts('t', 0, 6));
    // The instance id is free again: it joins as a new member.
    const r = ok(step(g, joinReq('a3', { instanceId: 'instance-a' }), T0 + SESSION * 2));
    expect(r.assignment).toEqual({});
  });
});

describe('expiry', () => {
  test('a silent member is expelled between 1 and 1.25 sessions after its last heartbeat', () => {
    const g = newConsumerGroup('g', T0);
    const [a, b] = [new Client('a'), new Client('b')];
    settle(g, [a, b], T0);
    // a's last heartbeat comes just before a quarter session: it does not move its seenAt.
    a.beat(g, T0 + SESSION / 4 - 1);
    expect(member(g, 'a').seenAt).toBe(T0);
    expect(nextConsumerExpiry(g, SETTINGS)).toBe(T0 + SESSION + SESSION / 4);
    // b keeps going (each heartbeat a quarter session after the last refresh).
    for (let t = T0 + SESSION / 4; t < T0 + SESSION + SESSION / 4; t += SESSION / 4) b.beat(g, t);
    expect(member(g, 'b').seenAt).toBe(T0 + SESSION);
    expect(g.members).toHaveLength(2);
    expect(expireConsumers(g, SETTINGS, T0 + SESSION + SESSION / 4 - 1)).toBe(false);
    const epoch = g.groupEpoch;
    // At 1.25 sessions after seenAt (a session and 1 ms after its last heartbeat), a goes.
    b.beat(g, T0 + SESSION + SESSION / 4);
    expect(g.members.map((m) => m.memberId)).toEqual(['b']);
    expect(g.groupEpoch).toBeGreaterThan(epoch);
    expect(b.owned).toEqual(parts('t', 0, 6));
    expect(step(g, hbReq('a', a.epoch, a.owned), T0 + SESSION + SESSION / 4 + 1).error).toBe('unknown-member-id');
  });

  test('a heartbeat a quarter session after the last refresh moves the expiry on', () => {
    const g = newConsumerGroup('g', T0);
    const a = new Client('a');
    a.beat(g, T0);
    a.beat(g, T0 + SESSION / 4);
    expect(member(g, 'a').seenAt).toBe(T0 + SESSION / 4);
    expect(nextConsumerExpiry(g, SETTINGS)).toBe(T0 + SESSION / 4 + SESSION + SESSION / 4);
    expect(expireConsumers(g, SETTINGS, T0 + SESSION + SESSION / 4)).toBe(false);
  });

  test('a member that does not revoke within its rebalance timeout is expelled', () => {
    const g = newConsumerGroup('g', T0);
    const [a, b] = [new Client('a'), new Client('b')];
    a.beat(g, T0);
    b.beat(g, T0 + 1);
    const all = a.owned;
    // a is told to revoke at T1, and keeps heartbeating as if it still owned everything.
    const T1 = T0 + 2;
    const told = ok(step(g, hbReq('a', a.epoch, all), T1));
    expect(keys(told.assignment)).toHaveLength(3);
    expect(member(g, 'a').revokeDeadline).toBe(T1 + REBALANCE);
    expect(nextConsumerExpiry(g, SETTINGS)).toBe(T1 + REBALANCE + 1);
    expect(ok(step(g, hbReq('a', a.epoch, all), T1 + REBALANCE)).memberEpoch).toBe(a.epoch);
    expect(g.members).toHaveLength(2);
    expect(step(g, hbReq('a', a.epoch, all), T1 + REBALANCE + 1).error).toBe('unknown-member-id');
    expect(g.members.map((m) => m.memberId)).toEqual(['b']);
    b.beat(g, T1 + REBALANCE + 2);
    expect(b.owned).toEqual(parts('t', 0, 6));
  });

  test('expiry alone bumps the group epoch; the next heartbeat computes the new target (Assigning until then)', () => {
    const g = newConsumerGroup('g', T0);
    const [a, b] = [new Client('a'), new Client('b')];
    settle(g, [a, b], T0);
    member(g, 'b').seenAt = T0 + SESSION;
    expect(expireConsumers(g, SETTINGS, T0 + SESSION + SESSION / 4)).toBe(true);
    expect(consumerGroupState(g)).toBe('Assigning');
    b.beat(g, T0 + SESSION + SESSION / 4 + 1);
    expect(consumerGroupState(g)).toBe('Stable');
    expect(b.owned).toEqual(parts('t', 0, 6));
  });
});

describe('subscriptions', () => {
  test('a regex subscribes to the matching topics, including ones created later', () => {
    const g = newConsumerGroup('g', T0);
    const topics = topicsOf(['orders-eu', 2], ['orders-us', 1], ['payments', 2], ['xorders-eu', 1]);
    const a = new Client('a', { subscribedTopicNames: null, subscribedTopicRegex: 'orders-.*' });
    expect(a.beat(g, T0, topics).assignment).toEqual({ 'id-orders-eu': [0, 1], 'id-orders-us': [0] });
    expect(subscribedTopics(member(g, 'a'), topics).map((t) => t.name)).toEqual(['orders-eu', 'orders-us']);

    const epoch = g.groupEpoch;
    const more = new Map([...topics, ['orders-asia', { id: 'id-orders-asia', name: 'orders-asia', partitions: 2 }]]);
    const r = a.beat(g, T0 + 1, more);
    expect(g.groupEpoch).toBeGreaterThan(epoch);
    expect(r).toMatchObject({ memberEpoch: g.groupEpoch, assignment: { 'id-orders-eu': [0, 1], 'id-orders-us': [0], 'id-orders-asia': [0, 1] } });
  });

  test('changing the regex bumps the epoch; the old partitions are revoked before the new ones come', () => {
    const g = newConsumerGroup('g', T0);
    const topics = topicsOf(['orders', 2], ['payments', 2]);
    const a = new Client('a', { subscribedTopicNames: null, subscribedTopicRegex: 'orders' });
    a.beat(g, T0, topics);
    const epoch = g.groupEpoch;
    const r1 = ok(step(g, hbReq('a', a.epoch, a.owned, { subscribedTopicRegex: 'pay.*' }), T0 + 1, topics));
    expect(g.groupEpoch).toBeGreaterThan(epoch);
    expect(r1.memberEpoch).toBe(a.epoch);
    expect(r1.assignment).toEqual({});
    const r2 = ok(step(g, hbReq('a', a.epoch, {}), T0 + 2, topics));
    expect(r2).toMatchObject({ memberEpoch: g.groupEpoch, assignment: { 'id-payments': [0, 1] } });
  });

  test('an empty regex clears a regex subscription, and changes nothing for a member without one', () => {
    const g = newConsumerGroup('g', T0);
    const topics = topicsOf(['t', 2], ['orders', 2]);
    const a = new Client('a', { subscribedTopicNames: ['t'], subscribedTopicRegex: 'orders' });
    expect(a.beat(g, T0, topics).assignment).toEqual({ 'id-t': [0, 1], 'id-orders': [0, 1] });
    a.beat(g, T0 + 1, topics, { subscribedTopicRegex: '' });
    expect(member(g, 'a').subscribedRegex).toBeNull();
    a.beat(g, T0 + 2, topics);
    expect(a.owned).toEqual({ 'id-t': [0, 1] });
    const epoch = g.groupEpoch;
    a.beat(g, T0 + 3, topics, { subscribedTopicRegex: '' });
    a.beat(g, T0 + 4, topics, { subscribedTopicNames: ['t'], subscribedTopicRegex: '' });
    expect(g.groupEpoch).toBe(epoch);
    expect(consumerGroupState(g)).toBe('Stable');
    // Nor for a member that joined with an empty regex.
    const b = new Client('b', { subscribedTopicNames: ['t'], subscribedTopicRegex: '' });
    b.beat(g, T0 + 5, topics);
    expect(member(g, 'b').subscribedRegex).toBeNull();
    const joined = g.groupEpoch;
    b.beat(g, T0 + 6, topics, { subscribedTopicRegex: '' });
    expect(g.groupEpoch).toBe(joined);
  });

  test('changing the topic names bumps the epoch and brings the new topic’s partitions; the same names in another order do not', () => {
    const g = newConsumerGroup('g', T0);
    const topics = topicsOf(['t', 2], ['u', 3]);
    const a = new Client('a', { subscribedTopicNames: ['t'] });
    a.beat(g, T0, topics);
    const epoch = g.groupEpoch;
    a.beat(g, T0 + 1, topics, { subscribedTopicNames: ['u', 't'] });
    expect(g.groupEpoch).toBeGreaterThan(epoch);
    expect(a.owned).toEqual({ 'id-t': [0, 1], 'id-u': [0, 1, 2] });
    const after = g.groupEpoch;
    a.beat(g, T0 + 2, topics, { subscribedTopicNames: ['t', 'u'] });
    expect(g.groupEpoch).toBe(after);
  });

  test('a subscription to a topic that does not exist yet assigns it once it is created', () => {
    const g = newConsumerGroup('g', T0);
    const a = new Client('a', { subscribedTopicNames: ['later'] });
    expect(a.beat(g, T0, new Map()).assignment).toEqual({});
    const epoch = g.groupEpoch;
    a.beat(g, T0 + 1, topicsOf(['later', 2]));
    expect(g.groupEpoch).toBeGreaterThan(epoch);
    expect(a.owned).toEqual(parts('later', 0, 2));
  });

  test('a topic gaining partitions bumps the group epoch and the new partitions are assigned', () => {
    const g = newConsumerGroup('g', T0);
    const [a, b] = [new Client('a'), new Client('b')];
    const three = topicsOf(['t', 3]);
    settle(g, [a, b], T0, three);
    const epoch = g.groupEpoch;
    const before = [keys(a.owned), keys(b.owned)];
    const six = topicsOf(['t', 6]);
    a.beat(g, T0 + 10, six);
    expect(g.groupEpoch).toBeGreaterThan(epoch);
    settle(g, [a, b], T0 + 20, six);
    expectPartitioned([a, b], six);
    expect([keys(a.owned).length, keys(b.owned).length]).toEqual([3, 3]);
    // Sticky: nobody lost a partition it had.
    expect(keys(a.owned)).toEqual(expect.arrayContaining(before[0]!));
    expect(keys(b.owned)).toEqual(expect.arrayContaining(before[1]!));
  });

  test('a heartbeat with an unrelated topic list change (a topic nobody subscribes to) is no rebalance', () => {
    const g = newConsumerGroup('g', T0);
    const a = new Client('a');
    a.beat(g, T0);
    const epoch = g.groupEpoch;
    a.beat(g, T0 + 1, new Map([...T6, ['other', { id: 'id-other', name: 'other', partitions: 4 }]]));
    expect(g.groupEpoch).toBe(epoch);
  });
});

describe('consumerGroupState', () => {
  test('Empty, then Stable, Reconciling while a member joins, Stable again, Empty after all leave', () => {
    const g = newConsumerGroup('g', T0);
    expect(consumerGroupState(g)).toBe('Empty');
    const [a, b] = [new Client('a'), new Client('b')];
    a.beat(g, T0);
    expect(consumerGroupState(g)).toBe('Stable');
    b.beat(g, T0 + 1);
    expect(consumerGroupState(g)).toBe('Reconciling');
    a.beat(g, T0 + 2); // revoking
    expect(consumerGroupState(g)).toBe('Reconciling');
    a.beat(g, T0 + 3); // confirmed, new epoch
    expect(consumerGroupState(g)).toBe('Reconciling'); // b does not have its partitions yet
    b.beat(g, T0 + 4);
    expect(consumerGroupState(g)).toBe('Stable');
    ok(step(g, hbReq('a', a.epoch, null, { memberEpoch: -1 }), T0 + 5));
    expect(consumerGroupState(g)).toBe('Reconciling');
    ok(step(g, hbReq('b', b.epoch, null, { memberEpoch: -1 }), T0 + 6));
    expect(consumerGroupState(g)).toBe('Empty');
  });
});

describe('checkConsumerCommit', () => {
  test('a member commits with its current or previous epoch; other epochs are stale; unknown members are refused', () => {
    const g = newConsumerGroup('g', T0);
    const [a, b] = [new Client('a'), new Client('b')];
    settle(g, [a, b], T0);
    const m = member(g, 'a');
    expect(checkConsumerCommit(g, 'a', m.epoch)).toBeNull();
    expect(checkConsumerCommit(g, 'a', m.previousEpoch)).toBeNull();
    expect(checkConsumerCommit(g, 'a', m.epoch + 1)).toBe('stale-member-epoch');
    expect(checkConsumerCommit(g, 'a', m.previousEpoch - 1)).toBe('stale-member-epoch');
    expect(checkConsumerCommit(g, 'ghost', m.epoch)).toBe('unknown-member-id');
  });

  test('an admin commit (no member, negative epoch) only when the group is empty', () => {
    const g = newConsumerGroup('g', T0);
    expect(checkConsumerCommit(g, '', -1)).toBeNull();
    const a = new Client('a');
    a.beat(g, T0);
    expect(checkConsumerCommit(g, '', -1)).toBe('unknown-member-id');
    ok(step(g, hbReq('a', a.epoch, null, { memberEpoch: -1 }), T0 + 1));
    expect(checkConsumerCommit(g, '', -1)).toBeNull();
  });
});

describe('properties of a run', () => {
  test('clients joining, leaving and heartbeating in any order never hold a partition twice, and settle on a full assignment', () => {
    // A deterministic pseudo-random schedule over several seeds.
    for (let seed = 1; seed <= 40; seed++) {
      let s = seed;
      const rnd = (n: number) => {
        s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
        return s % n;
      };
      const topics = topicsOf(['t', 1 + rnd(12)], ['u', rnd(5)]);
      const g = newConsumerGroup('g', T0);
      const clients: Client[] = [];
      let now = T0;
      let nextId = 0;
      for (let i = 0; i < 60; i++) {
        now += 10;
        const action = rnd(10);
        if ((action === 0 || clients.length === 0) && clients.length < 5) {
          const c = new Client(`m${nextId++}`, { subscribedTopicNames: rnd(2) === 0 ? ['t'] : ['t', 'u'] });
          c.beat(g, now, topics);
          clients.push(c);
        } else if (action === 1 && clients.length > 1) {
          const [c] = clients.splice(rnd(clients.length), 1);
          ok(step(g, hbReq(c!.memberId, c!.epoch, null, { memberEpoch: -1 }), now, topics));
        } else {
          clients[rnd(clients.length)]!.beat(g, now, topics);
        }
        // Safety: what the clients hold (as the coordinator knows it) never overlaps.
        const held = g.members.flatMap((m) => [...keys(m.assigned), ...keys(m.revoking)]);
        expect(new Set(held).size).toBe(held.length);
        const owned = clients.flatMap((c) => keys(c.owned));
        expect(new Set(owned).size).toBe(owned.length);
      }
      settle(g, clients, now + 10, topics);
      const subscribed = new Map([...topics].filter(([name]) => clients.some((c) => member(g, c.memberId).subscribedNames.includes(name))));
      expectPartitioned(clients, subscribed);
    }
  });
});

// ---- The coordinator over a real table ---------------------------------------------------------

function offset(topic: string, partition: number, value: bigint): CommittedOffset {
  return { topic, partition, offset: value, leaderEpoch: 1, metadata: null, commitTimestamp: 1_700_000_000_000, topicId: `id-${topic}` };
}

function classicJoinReq(groupId: string, clientId: string, over: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId,
    memberId: '',
    instanceId: null,
    clientId,
    clientHost: '/127.0.0.1',
    sessionMs: 10_000,
    rebalanceMs: 5_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from(clientId) }],
    requireKnownMemberId: false,
    canSkipAssignment: false,
    ...over,
  };
}

/** A client of the consumer protocol talking to one coordinator (node). */
class RemoteClient extends Client {
  readonly node: GroupCoordinator;
  constructor(node: GroupCoordinator, groupId: string, memberId: string, join: Partial<ConsumerHeartbeatRequest> = {}) {
    super(memberId, { groupId, ...join });
    this.node = node;
  }

  async call(topics: ReadonlyMap<string, AssignorTopic>, over: Partial<ConsumerHeartbeatRequest> = {}): Promise<ConsumerHeartbeatResponse> {
    return this.apply(await this.node.consumerHeartbeat(this.request(over), topics));
  }
}

describe('GroupCoordinator: consumer groups', () => {
  let dir: string;
  let store: EmbeddedCoordinationStore;
  let nodes: GroupCoordinator[] = [];
  let errors: unknown[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'floe-consumer-groups-'));
    store = await EmbeddedCoordinationStore.open(dir);
    errors = [];
  });
  afterEach(async () => {
    for (const n of nodes) n.close();
    nodes = [];
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    expect(errors).toEqual([]);
  });

  const node = (opts: Partial<GroupCoordinatorOptions> = {}): GroupCoordinator => {
    const c = new GroupCoordinator({ store, pollMs: 20, settings: { initialRebalanceDelayMs: 0 }, onError: (err) => errors.push(err), ...opts });
    nodes.push(c);
    return c;
  };

  /** Heartbeats every client (concurrently) until the group is Stable and they all hold the group epoch. */
  async function converge(clients: RemoteClient[], topics: ReadonlyMap<string, AssignorTopic>, groupId: string): Promise<void> {
    for (let round = 0; round < 10; round++) {
      await Promise.all(clients.map((c) => c.call(topics)));
      const g = await clients[0]!.node.describe(groupId);
      if (isConsumerGroup(g) && consumerGroupState(g) === 'Stable' && clients.every((c) => c.epoch === g.groupEpoch)) return;
    }
    throw new Error(`group ${groupId} did not converge: ${JSON.stringify(await clients[0]!.node.describe(groupId))}`);
  }

  test('three members on two nodes join at once and converge: every partition once, one epoch, Stable', async () => {
    const [n1, n2] = [node(), node()];
    const topics = topicsOf(['t', 6], ['u', 3]);
    const join = { subscribedTopicNames: ['t', 'u'] };
    const clients = [new RemoteClient(n1, 'cg', 'm1', join), new RemoteClient(n2, 'cg', 'm2', join), new RemoteClient(n1, 'cg', 'm3', join)];
    const joined = await Promise.all(clients.map((c) => c.call(topics)));
    expect(joined.map((r) => r.memberId)).toEqual(['m1', 'm2', 'm3']);
    // One of them joined first and got everything; the others wait for it to revoke.
    await converge(clients, topics, 'cg');
    expectPartitioned(clients, topics);
    expect(clients.map((c) => keys(c.owned).length)).toEqual([3, 3, 3]);

    // Both nodes see the same group.
    const [g1, g2] = [await n1.describe('cg'), await n2.describe('cg')];
    expect(g1).toEqual(g2);
    expect(isConsumerGroup(g2)).toBe(true);
    if (!isConsumerGroup(g2)) return;
    expect(g2.members.map((m) => m.memberId).sort()).toEqual(['m1', 'm2', 'm3']);
    expect(new Set(clients.map((c) => c.epoch))).toEqual(new Set([g2.groupEpoch]));
    expect(await n2.list()).toEqual([{ groupId: 'cg', type: 'consumer', protocolType: 'consumer', state: 'Stable' }]);

    // A steady heartbeat answers no assignment.
    expect((await clients[1]!.call(topics)).assignment).toBeUndefined();
  });

  test('offset commits of a consumer group: a member with its epoch; stale epochs, strangers and admins refused', async () => {
    const [n1, n2] = [node(), node()];
    const a = new RemoteClient(n1, 'oc', 'a');
    const b = new RemoteClient(n2, 'oc', 'b');
    await a.call(T6);
    await b.call(T6);
    await converge([a, b], T6, 'oc');
    const asA = { generation: a.epoch, memberId: 'a', instanceId: null };
    expect(await n2.commitOffsets('oc', asA, [offset('t', 0, 10n)])).toBeNull();
    expect(await n1.commitOffsets('oc', { ...asA, generation: a.epoch + 1 }, [offset('t', 0, 11n)])).toBe('stale-member-epoch');
    expect(await n1.commitOffsets('oc', { ...asA, memberId: 'stranger' }, [offset('t', 0, 12n)])).toBe('unknown-member-id');
    expect(await n1.commitOffsets('oc', { generation: -1, memberId: '', instanceId: null }, [offset('t', 0, 13n)])).toBe('unknown-member-id');
    expect(await n1.fetchOffsets('oc')).toEqual([offset('t', 0, 10n)]);
    // OffsetFetch v9 names the member: the same check.
    expect(await n1.checkOffsetFetch('oc', 'a', a.epoch)).toBeNull();
    expect(await n1.checkOffsetFetch('oc', 'a', a.epoch + 1)).toBe('stale-member-epoch');
    expect(await n2.checkOffsetFetch('oc', 'stranger', a.epoch)).toBe('unknown-member-id');
    expect(await n2.checkOffsetFetch('no-such-group', 'a', 3)).toBeNull();
  });

  test('list() reports the consumer group’s state; deleteGroup refuses while members remain', async () => {
    const c = node();
    const a = new RemoteClient(c, 'dg', 'a');
    const b = new RemoteClient(c, 'dg', 'b');
    await a.call(T6);
    expect(await c.list()).toEqual([{ groupId: 'dg', type: 'consumer', protocolType: 'consumer', state: 'Stable' }]);
    await b.call(T6);
    expect(await c.list()).toEqual([{ groupId: 'dg', type: 'consumer', protocolType: 'consumer', state: 'Reconciling' }]);
    await converge([a, b], T6, 'dg');
    expect(await c.commitOffsets('dg', { generation: b.epoch, memberId: 'b', instanceId: null }, [offset('t', 1, 4n)])).toBeNull();

    expect(await c.deleteGroup('dg')).toBe('non-empty-group');
    expect(await c.fetchOffsets('dg')).toHaveLength(1);
    await a.call(T6, { memberEpoch: -1 });
    expect(await c.deleteGroup('dg')).toBe('non-empty-group');
    await b.call(T6, { memberEpoch: -1 });
    expect(await c.list()).toEqual([{ groupId: 'dg', type: 'consumer', protocolType: 'consumer', state: 'Empty' }]);
    // An empty consumer group takes an admin commit.
    expect(await c.commitOffsets('dg', { generation: -1, memberId: '', instanceId: null }, [offset('t', 2, 5n)])).toBeNull();
    expect(await c.deleteGroup('dg')).toBeNull();
    expect(await c.fetchOffsets('dg')).toEqual([]);
    expect(await c.describe('dg')).toBeUndefined();
    expect(await c.list()).toEqual([]);
  });

  test('an empty classic group (offsets of a standalone commit only) becomes a consumer group and keeps its offsets', async () => {
    const c = node();
    const none = { generation: -1, memberId: '', instanceId: null };
    expect(await c.commitOffsets('conv', none, [offset('t', 0, 7n), offset('t', 3, 9n)])).toBeNull();
    expect(await c.list()).toEqual([{ groupId: 'conv', type: 'classic', protocolType: '', state: 'Empty' }]);

    const a = new RemoteClient(c, 'conv', 'a');
    const r = await a.call(T6);
    expect(r.assignment).toEqual(parts('t', 0, 6));
    const g = await c.describe('conv');
    expect(isConsumerGroup(g)).toBe(true);
    expect(await c.fetchOffsets('conv')).toEqual([offset('t', 0, 7n), offset('t', 3, 9n)]);
    expect(await c.list()).toEqual([{ groupId: 'conv', type: 'consumer', protocolType: 'consumer', state: 'Stable' }]);
    expect(await c.commitOffsets('conv', { generation: a.epoch, memberId: 'a', instanceId: null }, [offset('t', 0, 8n)])).toBeNull();
    expect((await c.fetchOffsets('conv')).map((o) => o.offset)).toEqual([8n, 9n]);
  });

  test('a classic group with members refuses ConsumerGroupHeartbeat (group-id-not-found) and stays as it was', async () => {
    const c = node();
    const joined = await c.join(classicJoinReq('classic', 'x'));
    expect(joined.kind).toBe('done');
    if (joined.kind !== 'done') return;
    const synced = await c.sync({
      groupId: 'classic',
      memberId: joined.response.memberId,
      instanceId: null,
      generation: joined.response.generation,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [{ memberId: joined.response.memberId, assignment: Buffer.from('mine') }],
    });
    expect(synced.kind).toBe('done');
    const before = await c.describe('classic');

    const r = await c.consumerHeartbeat(joinReq('a', { groupId: 'classic' }), T6);
    expect(r).toMatchObject({ error: 'group-id-not-found', memberId: 'a', memberEpoch: -1, assignment: undefined });
    const after = (await c.describe('classic')) as Group;
    expect(after).toEqual(before);
    expect(after).toMatchObject({ state: 'Stable', generation: 1 });
  });

  test('a consumer group with members refuses JoinGroup; an empty one becomes a classic group again, keeping its offsets', async () => {
    const c = node();
    const a = new RemoteClient(c, 'back', 'a');
    await a.call(T6);
    expect(await c.commitOffsets('back', { generation: a.epoch, memberId: 'a', instanceId: null }, [offset('t', 0, 3n)])).toBeNull();
    expect(await c.join(classicJoinReq('back', 'x'))).toMatchObject({ kind: 'error', error: 'inconsistent-group-protocol' });
    expect(isConsumerGroup(await c.describe('back'))).toBe(true);

    await a.call(T6, { memberEpoch: -1 });
    // Classic requests that create nothing answer as for a group without the member, and convert nothing.
    expect(await c.heartbeat({ groupId: 'back', memberId: 'x', instanceId: null, generation: 1 })).toBe('unknown-member-id');
    expect(await c.leave('back', [{ memberId: 'x', instanceId: null }])).toEqual({ error: 'unknown-member-id', members: [] });
    expect(
      await c.sync({ groupId: 'back', memberId: 'x', instanceId: null, generation: 1, protocolType: 'consumer', protocolName: 'range', assignments: [] }),
    ).toEqual({ kind: 'error', error: 'unknown-member-id' });
    expect(isConsumerGroup(await c.describe('back'))).toBe(true);
    const joined = await c.join(classicJoinReq('back', 'x'));
    expect(joined.kind).toBe('done');
    expect(await c.describe('back')).toMatchObject({ state: 'CompletingRebalance', protocolType: 'consumer', generation: 1 });
    expect(await c.fetchOffsets('back')).toEqual([offset('t', 0, 3n)]);
  });

  test('a heartbeat to a group that does not exist, or a refused join, creates nothing; an empty group id is invalid', async () => {
    const c = node();
    expect(await c.consumerHeartbeat(hbReq('a', 3, {}, { groupId: 'nothing' }), T6)).toMatchObject({ error: 'unknown-member-id', memberEpoch: -1 });
    expect(await c.consumerHeartbeat(joinReq('a', { groupId: 'nothing', rebalanceTimeoutMs: -1 }), T6)).toMatchObject({ error: 'invalid-request' });
    expect(await c.consumerHeartbeat(joinReq('a', { groupId: 'nothing', serverAssignor: 'nope' }), T6)).toMatchObject({ error: 'unsupported-assignor' });
    expect(await c.describe('nothing')).toBeUndefined();
    expect(await c.list()).toEqual([]);
    expect(await c.consumerHeartbeat(joinReq('a', { groupId: '' }), T6)).toMatchObject({ error: 'invalid-request', memberId: null, memberEpoch: -1 });
  });

  test('describe and list apply due expiries: a silent member is gone after 1.25 sessions and the group can be deleted', async () => {
    let clock = T0;
    const c = node({ now: () => clock, consumerSettings: { sessionMs: 10_000 } });
    const a = new RemoteClient(c, 'exp', 'a');
    await a.call(T6);
    clock += 12_499;
    expect(await c.list()).toEqual([{ groupId: 'exp', type: 'consumer', protocolType: 'consumer', state: 'Stable' }]);
    clock += 1;
    expect(await c.list()).toEqual([{ groupId: 'exp', type: 'consumer', protocolType: 'consumer', state: 'Empty' }]);
    expect((await c.consumerHeartbeat(a.request(), T6)).error).toBe('unknown-member-id');
    expect(await c.deleteGroup('exp')).toBeNull();
  });
});
