// The classic group protocol as pure steps on a draft group, with an explicit clock: JoinGroup
// (member ids, the initial rebalance delay, the join barrier, protocol selection), SyncGroup,
// Heartbeat, session expiry, LeaveGroup, static membership and the offset-commit check, as
// Kafka's classic group coordinator answers them.
import { describe, expect, test } from '@jest/globals';
import {
  checkCommit,
  heartbeat,
  join,
  joinWaitResult,
  leave,
  sync,
  syncWaitResult,
  tick,
  type JoinRequest,
  type JoinResponse,
  type SyncRequest,
} from '../../src/classic-protocol.ts';
import {
  cloneGroup,
  DEFAULT_GROUP_SETTINGS,
  expireMembers,
  findMember,
  memberExpiry,
  newGroup,
  nextTransitionAt,
  type Group,
  type GroupSettings,
  type ProtocolOffer,
} from '../../src/group-model.ts';

const T0 = 1_700_000_000_000;
const SESSION = 10_000;
const REBALANCE = 30_000;
const DELAY = 3_000;
const DELAYED: GroupSettings = { ...DEFAULT_GROUP_SETTINGS, initialRebalanceDelayMs: DELAY };
const NO_DELAY: GroupSettings = { ...DEFAULT_GROUP_SETTINGS, initialRebalanceDelayMs: 0 };

function text(b: Uint8Array): string {
  return Buffer.from(b).toString('utf8');
}

/** Protocols in order of preference; each one's metadata names its member and protocol. */
function offer(owner: string, ...names: string[]): ProtocolOffer[] {
  return names.map((name) => ({ name, metadata: Buffer.from(`${owner}:${name}`) }));
}

function joinReq(over: Partial<JoinRequest> = {}): JoinRequest {
  const clientId = over.clientId ?? 'client';
  return {
    groupId: 'g',
    memberId: '',
    instanceId: null,
    clientId,
    clientHost: '/127.0.0.1',
    sessionMs: SESSION,
    rebalanceMs: REBALANCE,
    protocolType: 'consumer',
    protocols: offer(clientId, 'range'),
    requireKnownMemberId: false,
    canSkipAssignment: false,
    ...over,
  };
}

function syncReq(memberId: string, generation: number, over: Partial<SyncRequest> = {}): SyncRequest {
  return { groupId: 'g', memberId, instanceId: null, generation, protocolType: 'consumer', protocolName: null, assignments: [], ...over };
}

/** A member joining without an id (JoinGroup v3 and older: no MEMBER_ID_REQUIRED round trip). */
function joinNew(g: Group, clientId: string, now: number, settings: GroupSettings, over: Partial<JoinRequest> = {}): string {
  const step = join(g, joinReq({ clientId, ...over }), settings, now);
  if (step.kind !== 'wait') throw new Error(`expected to wait on the barrier, got ${JSON.stringify(step)}`);
  return step.memberId;
}

/** The answer a member waiting in JoinGroup since `generation` gets now. */
function joined(g: Group, memberId: string, generation: number): JoinResponse {
  const r = joinWaitResult(g, memberId, generation);
  if (r?.kind !== 'done') throw new Error(`expected a JoinGroup answer, got ${JSON.stringify(r)}`);
  return r.response;
}

interface Formed {
  g: Group;
  /** member id by client id */
  ids: Record<string, string>;
  /** the time at which the group became Stable */
  now: number;
}

/**
 * A Stable group of generation 1: `clients` join a new group at T0 (the first is the leader),
 * the initial delay runs out, the leader assigns "assign-<client>" to each.
 */
function formGroup(clients: string[], opts: { static?: boolean; protocols?: (c: string) => ProtocolOffer[] } = {}): Formed {
  const g = newGroup('g', T0);
  const ids: Record<string, string> = {};
  for (const c of clients) {
    ids[c] = joinNew(g, c, T0, DELAYED, {
      instanceId: opts.static ? `${c}-instance` : null,
      protocols: opts.protocols?.(c) ?? offer(c, 'range'),
    });
  }
  const now = T0 + DELAY;
  expect(tick(g, now)).toBe(true);
  expect(g.state).toBe('CompletingRebalance');
  const leader = ids[clients[0]!]!;
  const step = sync(
    g,
    syncReq(leader, 1, {
      instanceId: opts.static ? `${clients[0]}-instance` : null,
      assignments: clients.map((c) => ({ memberId: ids[c]!, assignment: Buffer.from(`assign-${c}`) })),
    }),
    now,
  );
  expect(step.kind).toBe('done');
  expect(g.state).toBe('Stable');
  return { g, ids, now };
}

describe('JoinGroup: member ids', () => {
  test('v4+: an unknown member gets MEMBER_ID_REQUIRED with a fresh id, then joins with it', () => {
    const g = newGroup('g', T0);
    const first = join(g, joinReq({ clientId: 'a', requireKnownMemberId: true }), NO_DELAY, T0);
    expect(first).toEqual({ kind: 'error', error: 'member-id-required', memberId: expect.stringMatching(/^a-/) });
    const id = (first as { memberId: string }).memberId;
    // The id is held as pending; nobody is a member yet.
    expect(g.state).toBe('Empty');
    expect(g.members).toEqual([]);
    expect(g.pending).toEqual([{ memberId: id, expiresAt: T0 + SESSION }]);

    const second = join(g, joinReq({ clientId: 'a', memberId: id, requireKnownMemberId: true }), NO_DELAY, T0 + 5);
    expect(second).toEqual({ kind: 'wait', memberId: id, generation: 0 });
    expect(g.pending).toEqual([]);
    expect(g.members.map((m) => m.memberId)).toEqual([id]);
    // Without an initial delay the lone member closes the barrier at once.
    expect(g.state).toBe('CompletingRebalance');
    expect(g.generation).toBe(1);
    expect(joined(g, id, 0)).toMatchObject({ generation: 1, leader: id, memberId: id, protocolName: 'range', protocolType: 'consumer' });
  });

  test('two MEMBER_ID_REQUIRED answers give distinct ids', () => {
    const g = newGroup('g', T0);
    const a = join(g, joinReq({ requireKnownMemberId: true }), NO_DELAY, T0);
    const b = join(g, joinReq({ requireKnownMemberId: true }), NO_DELAY, T0);
    expect(a.kind === 'error' && b.kind === 'error' && a.memberId !== b.memberId).toBe(true);
    expect(g.pending).toHaveLength(2);
  });

  test('an id that was never handed out is unknown; a pending id expires after a session', () => {
    const g = newGroup('g', T0);
    expect(join(g, joinReq({ memberId: 'made-up' }), NO_DELAY, T0)).toMatchObject({ kind: 'error', error: 'unknown-member-id' });
    const r = join(g, joinReq({ requireKnownMemberId: true }), NO_DELAY, T0);
    const id = (r as { memberId: string }).memberId;
    expect(nextTransitionAt(g)).toBe(T0 + SESSION);
    const late = join(g, joinReq({ memberId: id, requireKnownMemberId: true }), NO_DELAY, T0 + SESSION);
    expect(late).toMatchObject({ kind: 'error', error: 'unknown-member-id' });
    expect(g.pending).toEqual([]);
  });

  test('before v4 an unknown member joins at once under a generated id', () => {
    const g = newGroup('g', T0);
    const step = join(g, joinReq({ clientId: 'old-client' }), NO_DELAY, T0);
    expect(step).toEqual({ kind: 'wait', memberId: expect.stringMatching(/^old-client-/), generation: 0 });
    expect(g.pending).toEqual([]);
    expect(g.members).toHaveLength(1);
  });

  test('a static member (group.instance.id) never gets MEMBER_ID_REQUIRED', () => {
    const g = newGroup('g', T0);
    const step = join(g, joinReq({ instanceId: 'i-1', requireKnownMemberId: true }), NO_DELAY, T0);
    expect(step).toEqual({ kind: 'wait', memberId: expect.stringMatching(/^i-1-/), generation: 0 });
  });

  test('INVALID_SESSION_TIMEOUT outside [group.min.session.timeout.ms, group.max.session.timeout.ms]', () => {
    const g = newGroup('g', T0);
    const settings = { ...NO_DELAY, minSessionMs: 6_000, maxSessionMs: 300_000 };
    expect(join(g, joinReq({ sessionMs: 5_999 }), settings, T0)).toMatchObject({ kind: 'error', error: 'invalid-session-timeout' });
    expect(join(g, joinReq({ sessionMs: 300_001 }), settings, T0)).toMatchObject({ kind: 'error', error: 'invalid-session-timeout' });
    expect(join(g, joinReq({ sessionMs: 5_999, requireKnownMemberId: true }), settings, T0)).toMatchObject({ error: 'invalid-session-timeout' });
    expect(g).toEqual(newGroup('g', T0));
    expect(join(g, joinReq({ sessionMs: 6_000 }), settings, T0).kind).toBe('wait');
    expect(join(g, joinReq({ sessionMs: 300_000 }), settings, T0).kind).toBe('wait');
  });

  test('group.max.size: a member past it is refused, pending ids count', () => {
    const settings = { ...DELAYED, maxSize: 2 };
    const g = newGroup('g', T0);
    joinNew(g, 'a', T0, settings);
    const pending = join(g, joinReq({ clientId: 'b', requireKnownMemberId: true }), settings, T0);
    expect(pending).toMatchObject({ error: 'member-id-required' });
    expect(join(g, joinReq({ clientId: 'c' }), settings, T0)).toMatchObject({ kind: 'error', error: 'group-max-size-reached' });
    expect(join(g, joinReq({ clientId: 'c', requireKnownMemberId: true }), settings, T0)).toMatchObject({ error: 'group-max-size-reached' });
    expect(g.members).toHaveLength(1);
    expect(g.pending).toHaveLength(1);
  });
});

describe('JoinGroup: the initial rebalance delay (group.initial.rebalance.delay.ms)', () => {
  test('holds the barrier of a new group open although every member joined', () => {
    const g = newGroup('g', T0);
    const a = joinNew(g, 'a', T0, DELAYED);
    expect(g.state).toBe('PreparingRebalance');
    expect(g.rebalanceDeadline).toBe(T0 + DELAY);
    expect(nextTransitionAt(g)).toBe(T0 + DELAY);
    expect(joinWaitResult(g, a, 0)).toBeUndefined();
    expect(tick(g, T0 + DELAY - 1)).toBe(false);
    expect(g.state).toBe('PreparingRebalance');
    expect(tick(g, T0 + DELAY)).toBe(true);
    expect(g.state).toBe('CompletingRebalance');
    expect(g.generation).toBe(1);
    expect(joined(g, a, 0)).toMatchObject({ generation: 1, leader: a });
  });

  test('each new member extends it by the delay from its join', () => {
    const g = newGroup('g', T0);
    joinNew(g, 'a', T0, DELAYED);
    joinNew(g, 'b', T0 + 1_000, DELAYED);
    expect(g.rebalanceDeadline).toBe(T0 + 1_000 + DELAY);
    joinNew(g, 'c', T0 + 3_500, DELAYED);
    expect(g.rebalanceDeadline).toBe(T0 + 3_500 + DELAY);
    expect(tick(g, T0 + 3_500 + DELAY - 1)).toBe(false);
    expect(g.state).toBe('PreparingRebalance');
    expect(tick(g, T0 + 3_500 + DELAY)).toBe(true);
    expect(g.state).toBe('CompletingRebalance');
    expect(g.members).toHaveLength(3);
    expect(g.generation).toBe(1);
  });

  test('a MEMBER_ID_REQUIRED round trip joins the delayed barrier too', () => {
    const g = newGroup('g', T0);
    joinNew(g, 'a', T0, DELAYED);
    const r = join(g, joinReq({ clientId: 'b', requireKnownMemberId: true }), DELAYED, T0 + 100);
    const b = (r as { memberId: string }).memberId;
    expect(g.state).toBe('PreparingRebalance');
    expect(join(g, joinReq({ clientId: 'b', memberId: b }), DELAYED, T0 + 200)).toEqual({ kind: 'wait', memberId: b, generation: 0 });
    expect(g.rebalanceDeadline).toBe(T0 + 200 + DELAY);
    tick(g, T0 + 200 + DELAY);
    expect(g.members.map((m) => m.memberId)).toContain(b);
  });

  test('is capped by the rebalance timeout', () => {
    const g = newGroup('g', T0);
    joinNew(g, 'a', T0, DELAYED, { rebalanceMs: 5_000 });
    expect(g.rebalanceDeadline).toBe(T0 + DELAY);
    joinNew(g, 'b', T0 + 2_500, DELAYED, { rebalanceMs: 5_000 });
    expect(g.rebalanceDeadline).toBe(T0 + 5_000);
    joinNew(g, 'c', T0 + 4_900, DELAYED, { rebalanceMs: 5_000 });
    expect(g.rebalanceDeadline).toBe(T0 + 5_000);
    expect(tick(g, T0 + 4_999)).toBe(false);
    expect(tick(g, T0 + 5_000)).toBe(true);
    expect(g.state).toBe('CompletingRebalance');
    expect(g.members).toHaveLength(3);
  });

  test('a first member with a rebalance timeout shorter than the delay waits only its timeout', () => {
    const g = newGroup('g', T0);
    joinNew(g, 'a', T0, DELAYED, { rebalanceMs: 1_000 });
    expect(g.rebalanceDeadline).toBe(T0 + 1_000);
  });

  test('without a delay the first member closes the barrier alone', () => {
    const g = newGroup('g', T0);
    const a = joinNew(g, 'a', T0, NO_DELAY);
    expect(g.state).toBe('CompletingRebalance');
    expect(joined(g, a, 0)).toMatchObject({ generation: 1, leader: a });
  });

  test('does not apply once the group is not new: the barrier closes as soon as all known members rejoin', () => {
    const { g, ids, now } = formGroup(['a', 'b', 'c']);
    const t = now + 1_000;
    // The leader rejoins: a rebalance starts; the others learn it from their heartbeats.
    expect(join(g, joinReq({ clientId: 'a', memberId: ids.a! }), DELAYED, t)).toEqual({ kind: 'wait', memberId: ids.a, generation: 1 });
    expect(g.state).toBe('PreparingRebalance');
    expect(g.initialDelay).toBe(false);
    expect(g.rebalanceDeadline).toBe(t + REBALANCE);
    expect(heartbeat(g, { groupId: 'g', memberId: ids.b!, instanceId: null, generation: 1 }, t).error).toBe('rebalance-in-progress');
    join(g, joinReq({ clientId: 'b', memberId: ids.b! }), DELAYED, t + 10);
    expect(g.state).toBe('PreparingRebalance');
    expect(joinWaitResult(g, ids.a!, 1)).toBeUndefined();
    join(g, joinReq({ clientId: 'c', memberId: ids.c! }), DELAYED, t + 20);
    expect(g.state).toBe('CompletingRebalance');
    expect(g.generation).toBe(2);
    for (const c of ['a', 'b', 'c']) expect(joined(g, ids[c]!, 1).generation).toBe(2);
  });
});

describe('JoinGroup: the join barrier', () => {
  test('members that do not rejoin by the deadline are dropped; the generation moves on', () => {
    const { g, ids, now } = formGroup(['a', 'b', 'c']);
    join(g, joinReq({ clientId: 'a', memberId: ids.a!, rebalanceMs: 20_000 }), NO_DELAY, now);
    join(g, joinReq({ clientId: 'b', memberId: ids.b!, rebalanceMs: 20_000 }), NO_DELAY, now + 1);
    // The deadline is the longest rebalance timeout of the members, from the start of the rebalance.
    expect(g.rebalanceDeadline).toBe(now + REBALANCE);
    // c keeps heartbeating (and is told a rebalance is in progress) but never rejoins: it is
    // waited for until the deadline, then dropped.
    for (let t = now + 1_000; t < now + REBALANCE; t += 1_000) {
      expect(heartbeat(g, { groupId: 'g', memberId: ids.c!, instanceId: null, generation: 1 }, t).error).toBe('rebalance-in-progress');
      expect(tick(g, t)).toBe(false);
    }
    expect(nextTransitionAt(g)).toBe(now + REBALANCE);
    expect(tick(g, now + REBALANCE - 1)).toBe(false);
    expect(findMember(g, ids.c!)).toBeDefined();
    expect(tick(g, now + REBALANCE)).toBe(true);
    expect(g.state).toBe('CompletingRebalance');
    expect(g.generation).toBe(2);
    expect(g.members.map((m) => m.memberId)).toEqual([ids.a, ids.b]);
    expect(g.leader).toBe(ids.a);
    expect(joinWaitResult(g, ids.c!, 1)).toEqual({ kind: 'error', error: 'unknown-member-id' });
    // The dropped member's next heartbeat tells it so.
    expect(heartbeat(g, { groupId: 'g', memberId: ids.c!, instanceId: null, generation: 1 }, now + REBALANCE).error).toBe('unknown-member-id');
  });

  test('a member that neither rejoins nor heartbeats is expelled at its session, which may close the barrier early', () => {
    const { g, ids, now } = formGroup(['a', 'b']);
    join(g, joinReq({ clientId: 'a', memberId: ids.a! }), NO_DELAY, now);
    expect(nextTransitionAt(g)).toBe(now + SESSION * 1.25);
    expect(tick(g, now + SESSION * 1.25 - 1)).toBe(false);
    expect(tick(g, now + SESSION * 1.25)).toBe(true);
    expect(g.state).toBe('CompletingRebalance');
    expect(g.members.map((m) => m.memberId)).toEqual([ids.a]);
  });

  test('joined members wait on the barrier, not on their session', () => {
    const { g, ids, now } = formGroup(['a', 'b']);
    join(g, joinReq({ clientId: 'a', memberId: ids.a! }), NO_DELAY, now);
    // Far past a's session (but before the rebalance deadline): a is still in, b too (not yet expired either way).
    const later = now + SESSION * 2;
    expect(expireMembers(g, later)).toBe(true); // b, silent for two sessions, is gone
    expect(findMember(g, ids.a!)).toBeDefined();
    expect(findMember(g, ids.b!)).toBeUndefined();
    // b's departure left only a, which had joined: the barrier closed.
    expect(g.state).toBe('CompletingRebalance');
    expect(g.generation).toBe(2);
  });

  test('the leader is kept if it rejoined', () => {
    const { g, ids, now } = formGroup(['a', 'b', 'c']);
    join(g, joinReq({ clientId: 'c', memberId: ids.c!, protocols: offer('c', 'range', 'roundrobin') }), NO_DELAY, now);
    join(g, joinReq({ clientId: 'b', memberId: ids.b! }), NO_DELAY, now);
    join(g, joinReq({ clientId: 'a', memberId: ids.a! }), NO_DELAY, now);
    expect(g.state).toBe('CompletingRebalance');
    expect(g.leader).toBe(ids.a);
  });

  test('a leader that did not rejoin is replaced by the first member', () => {
    const { g, ids, now } = formGroup(['a', 'b', 'c']);
    // b changes its subscription: that starts a rebalance; the leader a never rejoins.
    join(g, joinReq({ clientId: 'b', memberId: ids.b!, protocols: offer('b2', 'range') }), NO_DELAY, now);
    join(g, joinReq({ clientId: 'c', memberId: ids.c! }), NO_DELAY, now);
    expect(g.state).toBe('PreparingRebalance');
    tick(g, now + REBALANCE);
    expect(g.generation).toBe(2);
    expect(g.members.map((m) => m.memberId)).toEqual([ids.b, ids.c]);
    expect(g.leader).toBe(ids.b);
    const leaderAnswer = joined(g, ids.b!, 1);
    expect(leaderAnswer.leader).toBe(ids.b);
    expect(leaderAnswer.members.map((m) => [m.memberId, text(m.metadata)])).toEqual([
      [ids.b, 'b2:range'],
      [ids.c, 'c:range'],
    ]);
    expect(joined(g, ids.c!, 1)).toMatchObject({ leader: ids.b, members: [] });
  });

  test('every member that rejoined gets the same generation; only the leader gets the members and their metadata', () => {
    const g = newGroup('g', T0);
    const a = joinNew(g, 'a', T0, DELAYED, { protocols: offer('a', 'range', 'roundrobin') });
    const b = joinNew(g, 'b', T0, DELAYED, { protocols: offer('b', 'roundrobin', 'range') });
    const c = joinNew(g, 'c', T0, DELAYED, { protocols: offer('c', 'roundrobin', 'range') });
    tick(g, T0 + DELAY);
    const answers = [a, b, c].map((id) => joined(g, id, 0));
    expect(answers.map((r) => r.generation)).toEqual([1, 1, 1]);
    expect(answers.map((r) => r.leader)).toEqual([a, a, a]);
    expect(answers.map((r) => r.memberId)).toEqual([a, b, c]);
    expect(answers.every((r) => r.protocolName === 'roundrobin')).toBe(true);
    expect(answers[0]!.members.map((m) => [m.memberId, m.instanceId, text(m.metadata)])).toEqual([
      [a, null, 'a:roundrobin'],
      [b, null, 'b:roundrobin'],
      [c, null, 'c:roundrobin'],
    ]);
    expect(answers[1]!.members).toEqual([]);
    expect(answers[2]!.members).toEqual([]);
  });

  test('a pending member id holds the barrier until it joins or its session runs out', () => {
    const { g, ids, now } = formGroup(['a', 'b']);
    const r = join(g, joinReq({ clientId: 'c', requireKnownMemberId: true }), NO_DELAY, now);
    const c = (r as { memberId: string }).memberId;
    expect(g.state).toBe('Stable'); // an id handed out starts no rebalance
    join(g, joinReq({ clientId: 'c', memberId: c }), NO_DELAY, now + 1);
    expect(g.state).toBe('PreparingRebalance');
    join(g, joinReq({ clientId: 'a', memberId: ids.a! }), NO_DELAY, now + 2);
    join(g, joinReq({ clientId: 'b', memberId: ids.b! }), NO_DELAY, now + 3);
    expect(g.state).toBe('CompletingRebalance');
    expect(g.members).toHaveLength(3);

    // Another id handed out during a rebalance, never used: the barrier closes when it expires.
    const { g: g2, ids: ids2, now: now2 } = formGroup(['a', 'b']);
    join(g2, joinReq({ clientId: 'a', memberId: ids2.a! }), NO_DELAY, now2);
    const r2 = join(g2, joinReq({ clientId: 'd', requireKnownMemberId: true }), NO_DELAY, now2);
    expect(r2).toMatchObject({ error: 'member-id-required' });
    join(g2, joinReq({ clientId: 'b', memberId: ids2.b! }), NO_DELAY, now2 + 1);
    expect(g2.state).toBe('PreparingRebalance');
    expect(nextTransitionAt(g2)).toBe(now2 + SESSION);
    expect(tick(g2, now2 + SESSION)).toBe(true);
    expect(g2.state).toBe('CompletingRebalance');
    expect(g2.members).toHaveLength(2);
  });

  test('rejoining during CompletingRebalance with the same metadata repeats the answer; changed metadata rebalances', () => {
    const g = newGroup('g', T0);
    const a = joinNew(g, 'a', T0, DELAYED);
    const b = joinNew(g, 'b', T0, DELAYED);
    tick(g, T0 + DELAY);
    const again = join(g, joinReq({ clientId: 'a', memberId: a }), DELAYED, T0 + DELAY + 1);
    expect(again).toEqual({ kind: 'done', response: joined(g, a, 0) });
    expect(g.state).toBe('CompletingRebalance');
    const changed = join(g, joinReq({ clientId: 'b', memberId: b, protocols: offer('b', 'range', 'sticky') }), DELAYED, T0 + DELAY + 2);
    expect(changed).toEqual({ kind: 'wait', memberId: b, generation: 1 });
    expect(g.state).toBe('PreparingRebalance');
  });

  test('a follower rejoining a Stable group with the same metadata gets the current generation, no rebalance', () => {
    const { g, ids, now } = formGroup(['a', 'b']);
    const before = cloneGroup(g);
    const step = join(g, joinReq({ clientId: 'b', memberId: ids.b! }), NO_DELAY, now + 10);
    expect(step).toEqual({
      kind: 'done',
      response: { generation: 1, protocolType: 'consumer', protocolName: 'range', leader: ids.a, memberId: ids.b, skipAssignment: false, members: [] },
    });
    expect(g.state).toBe('Stable');
    expect(g.generation).toBe(before.generation);
    expect(text(findMember(g, ids.b!)!.assignment)).toBe('assign-b');
  });

  test('the leader rejoining a Stable group triggers a rebalance', () => {
    const { g, ids, now } = formGroup(['a', 'b']);
    const step = join(g, joinReq({ clientId: 'a', memberId: ids.a! }), NO_DELAY, now + 10);
    expect(step).toEqual({ kind: 'wait', memberId: ids.a, generation: 1 });
    expect(g.state).toBe('PreparingRebalance');
    // Assignments of the old generation are void.
    expect(g.members.every((m) => m.assignment.length === 0)).toBe(true);
  });

  test('a follower rejoining with changed metadata triggers a rebalance', () => {
    const { g, ids, now } = formGroup(['a', 'b']);
    const step = join(g, joinReq({ clientId: 'b', memberId: ids.b!, protocols: offer('b-new', 'range') }), NO_DELAY, now + 10);
    expect(step.kind).toBe('wait');
    expect(g.state).toBe('PreparingRebalance');
  });

  test('a known member id on an Empty group is unknown', () => {
    const { g, ids, now } = formGroup(['a']);
    leave(g, [{ memberId: ids.a!, instanceId: null }], now);
    expect(g.state).toBe('Empty');
    expect(join(g, joinReq({ clientId: 'a', memberId: ids.a! }), NO_DELAY, now)).toMatchObject({ kind: 'error', error: 'unknown-member-id' });
  });

  test('a barrier closed and reopened before the waiter looked: the waiter is told to rejoin', () => {
    const { g, ids, now } = formGroup(['a', 'b']);
    join(g, joinReq({ clientId: 'a', memberId: ids.a! }), NO_DELAY, now);
    join(g, joinReq({ clientId: 'b', memberId: ids.b! }), NO_DELAY, now);
    expect(g.generation).toBe(2);
    sync(g, syncReq(ids.a!, 2), now);
    join(g, joinReq({ clientId: 'a', memberId: ids.a! }), NO_DELAY, now + 1); // the leader rejoins again
    expect(g.state).toBe('PreparingRebalance');
    expect(joinWaitResult(g, ids.b!, 1)).toEqual({ kind: 'error', error: 'coordinator-not-available' });
    expect(joinWaitResult(undefined, ids.b!, 1)).toEqual({ kind: 'error', error: 'unknown-member-id' });
  });
});

describe('JoinGroup: protocols', () => {
  test('the protocol is chosen by vote among the protocols every member offers', () => {
    const g = newGroup('g', T0);
    const a = joinNew(g, 'a', T0, DELAYED, { protocols: offer('a', 'range', 'roundrobin', 'sticky') });
    joinNew(g, 'b', T0, DELAYED, { protocols: offer('b', 'roundrobin', 'range') });
    joinNew(g, 'c', T0, DELAYED, { protocols: offer('c', 'sticky', 'roundrobin', 'range') });
    tick(g, T0 + DELAY);
    // sticky is not common; among range and roundrobin: a votes range, b and c roundrobin.
    expect(g.protocolName).toBe('roundrobin');
    expect(joined(g, a, 0).members.map((m) => text(m.metadata))).toEqual(['a:roundrobin', 'b:roundrobin', 'c:roundrobin']);
  });

  test('a tied vote goes to the first member’s preference', () => {
    const g = newGroup('g', T0);
    joinNew(g, 'a', T0, DELAYED, { protocols: offer('a', 'range', 'roundrobin') });
    joinNew(g, 'b', T0, DELAYED, { protocols: offer('b', 'roundrobin', 'range') });
    tick(g, T0 + DELAY);
    expect(g.protocolName).toBe('range');
  });

  test('INCONSISTENT_GROUP_PROTOCOL for another protocol type or no protocol in common', () => {
    const { g, ids, now } = formGroup(['a', 'b'], { protocols: (c) => offer(c, 'range', 'roundrobin') });
    const before = cloneGroup(g);
    const refused = (over: Partial<JoinRequest>) => expect(join(g, joinReq(over), NO_DELAY, now)).toMatchObject({ kind: 'error', error: 'inconsistent-group-protocol' });
    refused({ clientId: 'c', protocolType: 'connect', protocols: offer('c', 'range') });
    refused({ clientId: 'c', protocols: offer('c', 'sticky') });
    refused({ clientId: 'c', protocols: [] });
    refused({ clientId: 'c', protocols: offer('c', 'sticky'), requireKnownMemberId: true });
    // A member cannot switch to a protocol the others lack either.
    refused({ clientId: 'b', memberId: ids.b!, protocols: offer('b', 'sticky') });
    expect(g).toEqual(before);
    // Any one protocol in common is enough.
    expect(join(g, joinReq({ clientId: 'c', protocols: offer('c', 'sticky', 'roundrobin') }), NO_DELAY, now).kind).toBe('wait');
  });

  test('an empty protocol type or list is refused even by an empty group', () => {
    const g = newGroup('g', T0);
    expect(join(g, joinReq({ protocolType: '' }), NO_DELAY, T0)).toMatchObject({ error: 'inconsistent-group-protocol' });
    expect(join(g, joinReq({ protocols: [] }), NO_DELAY, T0)).toMatchObject({ error: 'inconsistent-group-protocol' });
  });

  test('a lone member may change its protocols', () => {
    const { g, ids, now } = formGroup(['a']);
    const step = join(g, joinReq({ clientId: 'a', memberId: ids.a!, protocols: offer('a', 'sticky') }), NO_DELAY, now + 1);
    expect(step.kind).toBe('wait');
    expect(g.state).toBe('CompletingRebalance');
    expect(g.protocolName).toBe('sticky');
  });

  test('an emptied group takes the protocol type of whoever joins next', () => {
    const { g, ids, now } = formGroup(['a']);
    leave(g, [{ memberId: ids.a!, instanceId: null }], now);
    expect(join(g, joinReq({ clientId: 'x', protocolType: 'connect', protocols: offer('x', 'default') }), NO_DELAY, now).kind).toBe('wait');
    expect(g.protocolType).toBe('connect');
    expect(g.protocolName).toBe('default');
  });
});

describe('SyncGroup', () => {
  function completing(): { g: Group; a: string; b: string; c: string; now: number } {
    const g = newGroup('g', T0);
    const a = joinNew(g, 'a', T0, DELAYED);
    const b = joinNew(g, 'b', T0, DELAYED);
    const c = joinNew(g, 'c', T0, DELAYED);
    tick(g, T0 + DELAY);
    expect(g.state).toBe('CompletingRebalance');
    expect(g.leader).toBe(a);
    return { g, a, b, c, now: T0 + DELAY };
  }

  test("the leader's assignment makes the group Stable; each member gets its own", () => {
    const { g, a, b, c, now } = completing();
    // A follower that syncs first waits for the leader.
    expect(sync(g, syncReq(b, 1), now + 1)).toEqual({ kind: 'wait', generation: 1 });
    expect(syncWaitResult(g, b, 1)).toBeUndefined();
    expect(g.state).toBe('CompletingRebalance');
    const leader = sync(
      g,
      syncReq(a, 1, {
        protocolName: 'range',
        assignments: [
          { memberId: a, assignment: Buffer.from('A') },
          { memberId: b, assignment: Buffer.from('B') },
          { memberId: c, assignment: Buffer.from('C') },
          { memberId: 'not-a-member', assignment: Buffer.from('X') },
        ],
      }),
      now + 2,
    );
    expect(leader).toMatchObject({ kind: 'done', protocolType: 'consumer', protocolName: 'range' });
    expect(text((leader as { assignment: Uint8Array }).assignment)).toBe('A');
    expect(g.state).toBe('Stable');
    const waited = syncWaitResult(g, b, 1);
    expect(waited?.kind === 'done' && text(waited.assignment)).toBe('B');
    // A follower syncing after the leader is answered at once.
    const late = sync(g, syncReq(c, 1), now + 3);
    expect(late.kind === 'done' && text(late.assignment)).toBe('C');
    expect(g.members.find((m) => m.memberId === 'not-a-member')).toBeUndefined();
  });

  test('a member the leader left out gets an empty assignment', () => {
    const { g, a, b, now } = completing();
    sync(g, syncReq(a, 1, { assignments: [{ memberId: a, assignment: Buffer.from('A') }] }), now);
    const r = sync(g, syncReq(b, 1), now);
    expect(r.kind === 'done' && r.assignment.length).toBe(0);
  });

  test('a follower’s sync never installs assignments', () => {
    const { g, a, b, now } = completing();
    sync(g, syncReq(b, 1, { assignments: [{ memberId: a, assignment: Buffer.from('forged') }] }), now);
    expect(g.state).toBe('CompletingRebalance');
    expect(findMember(g, a)!.assignment.length).toBe(0);
  });

  test('ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, INCONSISTENT_GROUP_PROTOCOL', () => {
    const { g, a, now } = completing();
    expect(sync(g, syncReq(a, 0), now)).toEqual({ kind: 'error', error: 'illegal-generation' });
    expect(sync(g, syncReq(a, 2), now)).toEqual({ kind: 'error', error: 'illegal-generation' });
    expect(sync(g, syncReq('stranger', 1), now)).toEqual({ kind: 'error', error: 'unknown-member-id' });
    expect(sync(undefined, syncReq(a, 1), now)).toEqual({ kind: 'error', error: 'unknown-member-id' });
    expect(sync(g, syncReq(a, 1, { protocolType: 'connect' }), now)).toEqual({ kind: 'error', error: 'inconsistent-group-protocol' });
    expect(sync(g, syncReq(a, 1, { protocolName: 'roundrobin' }), now)).toEqual({ kind: 'error', error: 'inconsistent-group-protocol' });
    expect(g.state).toBe('CompletingRebalance');
  });

  test('REBALANCE_IN_PROGRESS while the group prepares a rebalance; waiting followers are told so', () => {
    const { g, a, b, c, now } = completing();
    expect(sync(g, syncReq(b, 1), now).kind).toBe('wait');
    // c rejoins with other metadata before the leader synced: a new rebalance starts.
    join(g, joinReq({ clientId: 'c', memberId: c, protocols: offer('c', 'range', 'sticky') }), NO_DELAY, now + 1);
    expect(g.state).toBe('PreparingRebalance');
    expect(syncWaitResult(g, b, 1)).toEqual({ kind: 'error', error: 'rebalance-in-progress' });
    expect(sync(g, syncReq(a, 1, { assignments: [{ memberId: a, assignment: Buffer.from('A') }] }), now + 2)).toEqual({
      kind: 'error',
      error: 'rebalance-in-progress',
    });
    expect(g.state).toBe('PreparingRebalance');
  });

  test('a waiting follower that was removed is unknown', () => {
    const { g, b, now } = completing();
    leave(g, [{ memberId: b, instanceId: null }], now);
    expect(syncWaitResult(g, b, 1)).toEqual({ kind: 'error', error: 'unknown-member-id' });
    expect(syncWaitResult(undefined, b, 1)).toEqual({ kind: 'error', error: 'unknown-member-id' });
  });
});

describe('Heartbeat', () => {
  const hb = (memberId: string, generation: number, instanceId: string | null = null) => ({ groupId: 'g', memberId, instanceId, generation });

  test('answers by state: CompletingRebalance and Stable NONE, PreparingRebalance REBALANCE_IN_PROGRESS', () => {
    const g = newGroup('g', T0);
    const a = joinNew(g, 'a', T0, DELAYED);
    const b = joinNew(g, 'b', T0, DELAYED);
    tick(g, T0 + DELAY);
    expect(heartbeat(g, hb(b, 1), T0 + DELAY + 1).error).toBeNull(); // CompletingRebalance
    sync(g, syncReq(a, 1), T0 + DELAY + 2);
    expect(g.state).toBe('Stable');
    expect(heartbeat(g, hb(b, 1), T0 + DELAY + 3).error).toBeNull();
    join(g, joinReq({ clientId: 'a', memberId: a }), DELAYED, T0 + DELAY + 4);
    expect(g.state).toBe('PreparingRebalance');
    expect(heartbeat(g, hb(b, 1), T0 + DELAY + 5).error).toBe('rebalance-in-progress');
    // The member that already rejoined is told the same.
    expect(heartbeat(g, hb(a, 1), T0 + DELAY + 5).error).toBe('rebalance-in-progress');
  });

  test('ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID', () => {
    const { g, ids, now } = formGroup(['a', 'b']);
    expect(heartbeat(g, hb(ids.b!, 0), now).error).toBe('illegal-generation');
    expect(heartbeat(g, hb(ids.b!, 2), now).error).toBe('illegal-generation');
    expect(heartbeat(g, hb('stranger', 1), now).error).toBe('unknown-member-id');
    expect(heartbeat(undefined, hb(ids.b!, 1), now)).toEqual({ error: 'unknown-member-id', changed: false });
  });

  test('UNKNOWN_MEMBER_ID once the group is Empty', () => {
    const { g, ids, now } = formGroup(['a']);
    leave(g, [{ memberId: ids.a!, instanceId: null }], now);
    expect(heartbeat(g, hb(ids.a!, 2), now).error).toBe('unknown-member-id');
  });
});

describe('session expiry', () => {
  const hb = (memberId: string, generation: number) => ({ groupId: 'g', memberId, instanceId: null, generation });

  test('a heartbeat refreshes liveness (a write) only when it is a quarter session old', () => {
    const { g, ids, now } = formGroup(['a', 'b']);
    const b = () => findMember(g, ids.b!)!;
    expect(b().seenAt).toBe(now);
    expect(heartbeat(g, hb(ids.b!, 1), now + SESSION / 4 - 1)).toEqual({ error: null, changed: false });
    expect(b().seenAt).toBe(now);
    expect(heartbeat(g, hb(ids.b!, 1), now + SESSION / 4)).toEqual({ error: null, changed: true });
    expect(b().seenAt).toBe(now + SESSION / 4);
    expect(heartbeat(g, hb(ids.b!, 1), now + SESSION / 2 - 1)).toEqual({ error: null, changed: false });
  });

  test.each([1, 37, 700, SESSION / 4 - 1, SESSION / 4, SESSION / 4 + 1, 4_000, SESSION - 1])(
    'heartbeats every %i ms: expelled after 1 and by 1.25 sessions past the last, never before',
    (interval) => {
      const { g, ids, now } = formGroup(['a', 'b']);
      let last = now;
      const beats = Math.min(300, Math.floor((3 * SESSION) / interval));
      for (let i = 1, t = now + interval; i <= beats; i++, t += interval) {
        for (const id of [ids.a!, ids.b!]) {
          const seenBefore = findMember(g, id)!.seenAt;
          const r = heartbeat(g, hb(id, 1), t);
          expect(r.error).toBeNull();
          expect(r.changed).toBe(t - seenBefore >= SESSION / 4);
        }
        last = t;
      }
      // Both stop. When would b be expelled?
      const expelledAt = memberExpiry(findMember(g, ids.b!)!);
      expect(expelledAt).toBeGreaterThan(last + SESSION);
      expect(expelledAt).toBeLessThanOrEqual(last + SESSION * 1.25);
      expect(nextTransitionAt(g)).toBe(expelledAt);
      const probe = (at: number) => {
        const copy = cloneGroup(g);
        expireMembers(copy, at);
        return findMember(copy, ids.b!) !== undefined;
      };
      expect(probe(last + SESSION)).toBe(true);
      expect(probe(expelledAt - 1)).toBe(true);
      expect(probe(expelledAt)).toBe(false);
      expect(probe(last + SESSION * 1.25)).toBe(false);
    },
  );

  test('an expired member is expelled and the survivors are told to rejoin', () => {
    const { g, ids, now } = formGroup(['a', 'b', 'c']);
    // a and b keep heartbeating, c stops.
    let t = now;
    for (; t < now + 2 * SESSION; t += 500) {
      for (const id of [ids.a!, ids.b!]) {
        const r = heartbeat(g, hb(id, 1), t);
        if (r.error !== null) break;
      }
      if (g.state !== 'Stable') break;
    }
    expect(findMember(g, ids.c!)).toBeUndefined();
    expect(t).toBeGreaterThan(now + SESSION);
    expect(t).toBeLessThanOrEqual(now + SESSION * 1.25);
    expect(g.state).toBe('PreparingRebalance');
    expect(heartbeat(g, hb(ids.a!, 1), t).error).toBe('rebalance-in-progress');
    expect(heartbeat(g, hb(ids.b!, 1), t).error).toBe('rebalance-in-progress');
    join(g, joinReq({ clientId: 'a', memberId: ids.a! }), NO_DELAY, t);
    join(g, joinReq({ clientId: 'b', memberId: ids.b! }), NO_DELAY, t);
    expect(g.state).toBe('CompletingRebalance');
    expect(g.generation).toBe(2);
    expect(g.members.map((m) => m.memberId)).toEqual([ids.a, ids.b]);
  });

  test('the last member expiring empties the group and moves the generation on', () => {
    const { g, ids, now } = formGroup(['a']);
    expect(tick(g, now + SESSION * 1.25)).toBe(true);
    expect(g).toMatchObject({ state: 'Empty', generation: 2, leader: null, protocolName: null, members: [] });
    expect(heartbeat(g, hb(ids.a!, 1), now + SESSION * 1.25).error).toBe('unknown-member-id');
  });
});

describe('LeaveGroup', () => {
  test('a dynamic member leaves by member id: the others rebalance without it', () => {
    const { g, ids, now } = formGroup(['a', 'b', 'c']);
    expect(leave(g, [{ memberId: ids.b!, instanceId: null }], now)).toEqual([null]);
    expect(findMember(g, ids.b!)).toBeUndefined();
    expect(g.state).toBe('PreparingRebalance');
    join(g, joinReq({ clientId: 'a', memberId: ids.a! }), NO_DELAY, now);
    join(g, joinReq({ clientId: 'c', memberId: ids.c! }), NO_DELAY, now);
    expect(g.state).toBe('CompletingRebalance');
    expect(g.generation).toBe(2);
  });

  test('the leader leaving: the next leader is a member that rejoined', () => {
    const { g, ids, now } = formGroup(['a', 'b']);
    leave(g, [{ memberId: ids.a!, instanceId: null }], now);
    expect(g.leader).toBeNull();
    join(g, joinReq({ clientId: 'b', memberId: ids.b! }), NO_DELAY, now);
    expect(g.state).toBe('CompletingRebalance');
    expect(g.leader).toBe(ids.b);
  });

  test('the last member leaving makes the group Empty with generation + 1', () => {
    const { g, ids, now } = formGroup(['a']);
    expect(leave(g, [{ memberId: ids.a!, instanceId: null }], now)).toEqual([null]);
    expect(g).toMatchObject({ state: 'Empty', generation: 2, leader: null, protocolName: null, members: [] });
  });

  test('the member the barrier waited for leaving closes it', () => {
    const { g, ids, now } = formGroup(['a', 'b']);
    join(g, joinReq({ clientId: 'a', memberId: ids.a! }), NO_DELAY, now);
    expect(g.state).toBe('PreparingRebalance');
    leave(g, [{ memberId: ids.b!, instanceId: null }], now + 1);
    expect(g.state).toBe('CompletingRebalance');
    expect(g.generation).toBe(2);
    expect(joined(g, ids.a!, 1).members.map((m) => m.memberId)).toEqual([ids.a]);
  });

  test('static members leave by instance id; FENCED_INSTANCE_ID when it maps to another member id', () => {
    const { g, ids, now } = formGroup(['a', 'b', 'c', 'd'], { static: true });
    const results = leave(
      g,
      [
        { memberId: '', instanceId: 'b-instance' },
        { memberId: 'someone-else', instanceId: 'c-instance' },
        { memberId: ids.d!, instanceId: 'd-instance' },
        { memberId: '', instanceId: 'nobody-instance' },
        { memberId: 'stranger', instanceId: null },
      ],
      now,
    );
    expect(results).toEqual([null, 'fenced-instance-id', null, 'unknown-member-id', 'unknown-member-id']);
    expect(g.members.map((m) => m.memberId)).toEqual([ids.a, ids.c]);
    expect(g.state).toBe('PreparingRebalance');
  });

  test('nobody leaving changes nothing', () => {
    const { g, now } = formGroup(['a', 'b']);
    const before = cloneGroup(g);
    expect(leave(g, [{ memberId: 'stranger', instanceId: null }], now)).toEqual(['unknown-member-id']);
    expect(g).toEqual(before);
  });

  test('a member id handed out with MEMBER_ID_REQUIRED can leave before joining', () => {
    const { g, now } = formGroup(['a']);
    const r = join(g, joinReq({ clientId: 'x', requireKnownMemberId: true }), NO_DELAY, now);
    const id = (r as { memberId: string }).memberId;
    expect(leave(g, [{ memberId: id, instanceId: null }], now)).toEqual([null]);
    expect(g.pending).toEqual([]);
    expect(g.state).toBe('Stable');
  });
});

describe('static membership', () => {
  const statically = (c: string, over: Partial<JoinRequest> = {}) => joinReq({ clientId: c, instanceId: `${c}-instance`, ...over });

  test('a restarted static member in a Stable group with unchanged metadata: new member id, same assignment, no rebalance', () => {
    const { g, ids, now } = formGroup(['a', 'b', 'c'], { static: true });
    const step = join(g, statically('b'), NO_DELAY, now + 1_000);
    expect(step.kind).toBe('done');
    const r = (step as { response: JoinResponse }).response;
    expect(r.memberId).not.toBe(ids.b);
    expect(r.memberId).toMatch(/^b-instance-/);
    expect(r).toMatchObject({ generation: 1, leader: ids.a, protocolName: 'range', skipAssignment: false, members: [] });
    expect(g.state).toBe('Stable');
    expect(g.generation).toBe(1);
    expect(g.members.map((m) => m.memberId)).toEqual([ids.a, r.memberId, ids.c]);
    const synced = sync(g, syncReq(r.memberId, 1, { instanceId: 'b-instance' }), now + 1_001);
    expect(synced.kind === 'done' && text(synced.assignment)).toBe('assign-b');
    expect(heartbeat(g, { groupId: 'g', memberId: r.memberId, instanceId: 'b-instance', generation: 1 }, now + 1_002).error).toBeNull();

    // The old incarnation is fenced.
    const old = ids.b!;
    expect(heartbeat(g, { groupId: 'g', memberId: old, instanceId: 'b-instance', generation: 1 }, now + 1_003).error).toBe('fenced-instance-id');
    expect(heartbeat(g, { groupId: 'g', memberId: old, instanceId: null, generation: 1 }, now + 1_003).error).toBe('unknown-member-id');
    expect(sync(g, syncReq(old, 1, { instanceId: 'b-instance' }), now + 1_003)).toEqual({ kind: 'error', error: 'fenced-instance-id' });
    expect(join(g, statically('b', { memberId: old }), NO_DELAY, now + 1_003)).toMatchObject({ kind: 'error', error: 'fenced-instance-id' });
    expect(checkCommit(g, 1, old, 'b-instance', now + 1_003)).toBe('fenced-instance-id');
    expect(checkCommit(g, 1, old, null, now + 1_003)).toBe('unknown-member-id');
    expect(leave(g, [{ memberId: old, instanceId: 'b-instance' }], now + 1_003)).toEqual(['fenced-instance-id']);
    expect(g.state).toBe('Stable');
    expect(g.generation).toBe(1);
  });

  test('a restarted static member with changed metadata triggers a rebalance', () => {
    const { g, ids, now } = formGroup(['a', 'b'], { static: true });
    const step = join(g, statically('b', { protocols: offer('b', 'range', 'sticky') }), NO_DELAY, now + 1);
    expect(step.kind).toBe('wait');
    expect((step as { memberId: string }).memberId).not.toBe(ids.b);
    expect(g.state).toBe('PreparingRebalance');
  });

  test('a restarted static leader rebalances, unless it can skip the assignment (v9+)', () => {
    const formed = formGroup(['a', 'b'], { static: true });
    const step = join(formed.g, statically('a'), NO_DELAY, formed.now + 1);
    expect(step.kind).toBe('wait');
    expect(formed.g.state).toBe('PreparingRebalance');
    expect(formed.g.leader).toBe((step as { memberId: string }).memberId);

    const { g, ids, now } = formGroup(['a', 'b'], { static: true });
    const skip = join(g, statically('a', { canSkipAssignment: true }), NO_DELAY, now + 1);
    expect(skip.kind).toBe('done');
    const r = (skip as { response: JoinResponse }).response;
    expect(r).toMatchObject({ generation: 1, leader: r.memberId, skipAssignment: true });
    expect(r.members.map((m) => [m.memberId, m.instanceId])).toEqual([
      [r.memberId, 'a-instance'],
      [ids.b, 'b-instance'],
    ]);
    expect(g.state).toBe('Stable');
    expect(text(findMember(g, r.memberId)!.assignment)).toBe('assign-a');
  });

  test('a static member restarting during a rebalance joins the barrier under its new id', () => {
    const { g, ids, now } = formGroup(['a', 'b'], { static: true });
    join(g, statically('a', { memberId: ids.a! }), NO_DELAY, now);
    expect(g.state).toBe('PreparingRebalance');
    const step = join(g, statically('b'), NO_DELAY, now + 1);
    expect(step).toEqual({ kind: 'wait', memberId: expect.stringMatching(/^b-instance-/), generation: 1 });
    expect(g.state).toBe('CompletingRebalance');
    expect(g.members.map((m) => m.instanceId)).toEqual(['a-instance', 'b-instance']);
  });

  test('a static member joining with its member id but no instance id is unknown', () => {
    const { g, ids, now } = formGroup(['a', 'b'], { static: true });
    expect(join(g, joinReq({ clientId: 'b', memberId: ids.b! }), NO_DELAY, now)).toMatchObject({ kind: 'error', error: 'unknown-member-id' });
  });

  test('a static member survives its session only as long as it heartbeats, like any member', () => {
    const { g, ids, now } = formGroup(['a', 'b'], { static: true });
    expect(tick(g, now + SESSION * 1.25)).toBe(true);
    expect(findMember(g, ids.b!)).toBeUndefined();
  });
});

describe('OffsetCommit check', () => {
  test('an admin or standalone commit (generation -1, no member) only on an Empty or absent group', () => {
    expect(checkCommit(undefined, -1, '', null, T0)).toBeNull();
    expect(checkCommit(newGroup('g', T0), -1, '', null, T0)).toBeNull();
    const { g, ids, now } = formGroup(['a']);
    expect(checkCommit(g, -1, '', null, now)).toBe('unknown-member-id');
    leave(g, [{ memberId: ids.a!, instanceId: null }], now);
    expect(g.state).toBe('Empty');
    expect(checkCommit(g, -1, '', null, now)).toBeNull();
  });

  test('a generation on a group that does not exist is illegal', () => {
    expect(checkCommit(undefined, 0, '', null, T0)).toBe('illegal-generation');
    expect(checkCommit(undefined, 3, 'm', null, T0)).toBe('illegal-generation');
  });

  test('a member commit needs a known member and the current generation', () => {
    const { g, ids, now } = formGroup(['a', 'b']);
    expect(checkCommit(g, 1, ids.b!, null, now)).toBeNull();
    expect(checkCommit(g, 0, ids.b!, null, now)).toBe('illegal-generation');
    expect(checkCommit(g, 2, ids.b!, null, now)).toBe('illegal-generation');
    expect(checkCommit(g, 1, 'stranger', null, now)).toBe('unknown-member-id');
    expect(checkCommit(g, 1, '', null, now)).toBe('unknown-member-id');
  });

  test('commits are allowed while a rebalance is prepared, refused while it completes', () => {
    const { g, ids, now } = formGroup(['a', 'b']);
    join(g, joinReq({ clientId: 'a', memberId: ids.a! }), NO_DELAY, now);
    expect(g.state).toBe('PreparingRebalance');
    expect(checkCommit(g, 1, ids.b!, null, now)).toBeNull();
    join(g, joinReq({ clientId: 'b', memberId: ids.b! }), NO_DELAY, now);
    expect(g.state).toBe('CompletingRebalance');
    expect(checkCommit(g, 2, ids.b!, null, now)).toBe('rebalance-in-progress');
    // Member and generation are checked first, as Kafka does: a stale commit is told so.
    expect(checkCommit(g, 1, ids.b!, null, now)).toBe('illegal-generation');
    expect(checkCommit(g, 2, 'stranger', null, now)).toBe('unknown-member-id');
    sync(g, syncReq(ids.a!, 2), now);
    expect(checkCommit(g, 2, ids.b!, null, now)).toBeNull();
  });

  test('a static member with a fenced instance id cannot commit', () => {
    const { g, ids, now } = formGroup(['a', 'b'], { static: true });
    expect(checkCommit(g, 1, ids.b!, 'b-instance', now)).toBeNull();
    expect(checkCommit(g, 1, ids.a!, 'b-instance', now)).toBe('fenced-instance-id');
  });

  test('the check applies due expiries first', () => {
    const { g, ids, now } = formGroup(['a', 'b']);
    expect(checkCommit(g, 1, ids.b!, null, now + SESSION * 1.25)).toBe('unknown-member-id');
  });
});
