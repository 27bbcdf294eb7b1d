// The group coordinator over a real embedded coordination table: concurrent joins answered
// together, SyncGroup handing out the leader's assignment, two coordinators ("nodes") on one table
// closing one barrier, committed offsets, group deletion, and members expelled when their
// session runs out.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EmbeddedCoordinationStore } from '@floe/coordination';
import type { JoinRequest, JoinResponse, SyncRequest } from '../../src/classic-protocol.ts';
import { GroupCoordinator, type GroupCoordinatorOptions } from '../../src/group-coordinator.ts';
import type { Group, ProtocolOffer } from '../../src/group-model.ts';
import type { CommittedOffset } from '../../src/group-table.ts';

const SESSION = 10_000;
const REBALANCE = 5_000;

function text(b: Uint8Array): string {
  return Buffer.from(b).toString('utf8');
}

function offer(owner: string, ...names: string[]): ProtocolOffer[] {
  return names.map((name) => ({ name, metadata: Buffer.from(`${owner}:${name}`) }));
}

function joinReq(groupId: string, clientId: string, over: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId,
    memberId: '',
    instanceId: null,
    clientId,
    clientHost: '/127.0.0.1',
    sessionMs: SESSION,
    rebalanceMs: REBALANCE,
    protocolType: 'consumer',
    protocols: offer(clientId, 'range'),
    requireKnownMemberId: true,
    canSkipAssignment: false,
    ...over,
  };
}

function syncReq(groupId: string, r: JoinResponse, assignments: SyncRequest['assignments'] = [], instanceId: string | null = null): SyncRequest {
  return { groupId, memberId: r.memberId, instanceId, generation: r.generation, protocolType: 'consumer', protocolName: r.protocolName, assignments };
}

/** What a Kafka client does: JoinGroup, and again with the id MEMBER_ID_REQUIRED handed out. */
async function joinAs(c: GroupCoordinator, groupId: string, clientId: string, over: Partial<JoinRequest> = {}): Promise<JoinResponse> {
  let r = await c.join(joinReq(groupId, clientId, over));
  if (r.kind === 'error' && r.error === 'member-id-required') r = await c.join(joinReq(groupId, clientId, { ...over, memberId: r.memberId! }));
  if (r.kind !== 'done') throw new Error(`${clientId} could not join: ${JSON.stringify(r)}`);
  return r.response;
}

async function syncedAssignment(c: GroupCoordinator, req: SyncRequest): Promise<string> {
  const r = await c.sync(req);
  if (r.kind !== 'done') throw new Error(`sync of ${req.memberId} failed: ${JSON.stringify(r)}`);
  return text(r.assignment);
}

function offset(topic: string, partition: number, value: bigint, over: Partial<CommittedOffset> = {}): CommittedOffset {
  return { topic, partition, offset: value, leaderEpoch: 3, metadata: null, commitTimestamp: 1_700_000_000_000, topicId: `id-${topic}`, ...over };
}

/** Runs `f` with a bound on its time, so a hung barrier fails the test quickly. */
async function within<T>(ms: number, what: string, f: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not within ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([f, limit]);
  } finally {
    clearTimeout(timer);
  }
}

describe('GroupCoordinator', () => {
  let dir: string;
  let store: EmbeddedCoordinationStore;
  let nodes: GroupCoordinator[] = [];
  let errors: unknown[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'floe-groups-'));
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
    const c = new GroupCoordinator({
      store,
      pollMs: 20,
      settings: { initialRebalanceDelayMs: 100, ...opts.settings },
      onError: (err) => errors.push(err),
      ...opts,
    });
    nodes.push(c);
    return c;
  };

  /** A Stable group formed by `clients` on node `c` (the first is the leader), assigned "assign-<client>". */
  async function formGroup(c: GroupCoordinator, groupId: string, clients: string[], over: Partial<JoinRequest> = {}): Promise<Record<string, JoinResponse>> {
    const answers = await within(3_000, 'the group forms', Promise.all(clients.map((client) => joinAs(c, groupId, client, over))));
    const leader = answers.find((r) => r.leader === r.memberId)!;
    const byClient = Object.fromEntries(clients.map((client, i) => [client, answers[i]!]));
    const assignments = clients.map((client) => ({ memberId: byClient[client]!.memberId, assignment: Buffer.from(`assign-${client}`) }));
    await Promise.all(answers.map((r) => syncedAssignment(c, syncReq(groupId, r, r === leader ? assignments : []))));
    return byClient;
  }

  test('three members joining at once are answered together: one generation, one leader with everyone’s metadata', async () => {
    const c = node();
    const started = Date.now();
    const answers = await within(
      3_000,
      'the join barrier closes',
      Promise.all(['a', 'b', 'c'].map((client) => joinAs(c, 'g1', client, { protocols: offer(client, 'range', 'roundrobin') }))),
    );
    // The initial delay held the barrier open for the others.
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(new Set(answers.map((r) => r.generation))).toEqual(new Set([1]));
    expect(new Set(answers.map((r) => r.leader)).size).toBe(1);
    expect(new Set(answers.map((r) => r.memberId)).size).toBe(3);
    const leaders = answers.filter((r) => r.leader === r.memberId);
    expect(leaders).toHaveLength(1);
    const leader = leaders[0]!;
    const followers = answers.filter((r) => r !== leader);
    expect(answers.every((r) => r.protocolType === 'consumer' && r.protocolName === 'range')).toBe(true);
    expect(leader.members.map((m) => m.memberId).sort()).toEqual(answers.map((r) => r.memberId).sort());
    for (const m of leader.members) {
      const client = answers.indexOf(answers.find((r) => r.memberId === m.memberId)!);
      expect(text(m.metadata)).toBe(`${['a', 'b', 'c'][client]}:range`);
    }
    for (const f of followers) expect(f.members).toEqual([]);

    // Followers sync first and wait for the leader's assignment.
    let followersDone = false;
    const followerSyncs = Promise.all(followers.map((f) => syncedAssignment(c, syncReq('g1', f)))).then((r) => {
      followersDone = true;
      return r;
    });
    await sleep(50);
    expect(followersDone).toBe(false);
    expect(((await c.describe('g1')) as Group | undefined)?.state).toBe('CompletingRebalance');
    const assignments = answers.map((r) => ({ memberId: r.memberId, assignment: Buffer.from(`for-${r.memberId}`) }));
    expect(await syncedAssignment(c, syncReq('g1', leader, assignments))).toBe(`for-${leader.memberId}`);
    expect(await within(1_000, 'followers get their assignment', followerSyncs)).toEqual(followers.map((f) => `for-${f.memberId}`));
    expect(((await c.describe('g1')) as Group | undefined)?.state).toBe('Stable');
    for (const r of answers) {
      expect(await c.heartbeat({ groupId: 'g1', memberId: r.memberId, instanceId: null, generation: 1 })).toBeNull();
    }
  });

  test('two nodes on one table close one barrier: same generation, one leader, assignments across nodes', async () => {
    const n1 = node();
    const n2 = node();
    const clients = ['a', 'b', 'c', 'd', 'e', 'f'];
    const on = (client: string) => (clients.indexOf(client) % 2 === 0 ? n1 : n2);
    const answers = await within(3_000, 'the join barrier closes on both nodes', Promise.all(clients.map((client) => joinAs(on(client), 'g2', client))));
    expect(new Set(answers.map((r) => r.generation))).toEqual(new Set([1]));
    expect(new Set(answers.map((r) => r.leader)).size).toBe(1);
    const leaderAt = answers.findIndex((r) => r.leader === r.memberId);
    expect(leaderAt).toBeGreaterThanOrEqual(0);
    expect(answers.filter((r) => r.leader === r.memberId)).toHaveLength(1);
    const leader = answers[leaderAt]!;
    expect(leader.members.map((m) => m.memberId).sort()).toEqual(answers.map((r) => r.memberId).sort());
    for (const r of answers) if (r !== leader) expect(r.members).toEqual([]);

    // Followers on both nodes wait; the leader syncs on its own node.
    const followerSyncs = Promise.all(
      clients.map((client, i) => (i === leaderAt ? Promise.resolve(`assign-${client}`) : syncedAssignment(on(client), syncReq('g2', answers[i]!)))),
    );
    await sleep(30);
    const assignments = clients.map((client, i) => ({ memberId: answers[i]!.memberId, assignment: Buffer.from(`assign-${client}`) }));
    await syncedAssignment(on(clients[leaderAt]!), syncReq('g2', leader, assignments));
    expect(await within(1_000, 'followers on both nodes get their assignment', followerSyncs)).toEqual(clients.map((c) => `assign-${c}`));
    const [s1, s2] = [await n1.describe('g2'), await n2.describe('g2')];
    expect(s1).toEqual(s2);
    expect(s1).toMatchObject({ state: 'Stable', generation: 1, leader: leader.memberId });

    // A second rebalance: the leader rejoins; members on both nodes learn it from heartbeats and rejoin.
    const leaderRejoin = on(clients[leaderAt]!).join(joinReq('g2', clients[leaderAt]!, { memberId: leader.memberId }));
    const rejoins = clients.map(async (client, i) => {
      if (i === leaderAt) return leaderRejoin;
      const n = on(client);
      for (;;) {
        const hb = await n.heartbeat({ groupId: 'g2', memberId: answers[i]!.memberId, instanceId: null, generation: 1 });
        if (hb === 'rebalance-in-progress') break;
        expect(hb).toBeNull();
        await sleep(10);
      }
      return n.join(joinReq('g2', client, { memberId: answers[i]!.memberId }));
    });
    const second = await within(3_000, 'the second barrier closes', Promise.all(rejoins));
    expect(second.map((r) => r.kind)).toEqual(clients.map(() => 'done'));
    const responses = second.map((r) => (r as { response: JoinResponse }).response);
    expect(new Set(responses.map((r) => r.generation))).toEqual(new Set([2]));
    expect(new Set(responses.map((r) => r.leader))).toEqual(new Set([leader.memberId]));
    expect(responses.map((r) => r.memberId)).toEqual(answers.map((r) => r.memberId));
  });

  test('nodes joining members of many groups at once never hand out conflicting generations', async () => {
    const n1 = node({ settings: { initialRebalanceDelayMs: 50 } });
    const n2 = node({ settings: { initialRebalanceDelayMs: 50 } });
    const groups = ['x1', 'x2', 'x3'];
    const all = await within(
      4_000,
      'every barrier closes',
      Promise.all(groups.map((g) => Promise.all(Array.from({ length: 6 }, (_, i) => joinAs(i % 2 === 0 ? n1 : n2, g, `m${i}`))))),
    );
    for (const answers of all) {
      expect(new Set(answers.map((r) => r.generation))).toEqual(new Set([1]));
      expect(answers.filter((r) => r.leader === r.memberId)).toHaveLength(1);
      expect(answers.find((r) => r.leader === r.memberId)!.members).toHaveLength(6);
    }
  });

  test('offsets: a commit reads back as written; a stale generation is refused and writes nothing', async () => {
    const c = node();
    const none = { generation: -1, memberId: '', instanceId: null };
    expect(
      await c.commitOffsets('g3', none, [
        offset('t', 1, 42n, { metadata: 'meta', leaderEpoch: 7 }),
        offset('t', 0, 9_007_199_254_740_993n),
        offset('u', 10, 0n),
      ]),
    ).toBeNull();
    expect(await c.fetchOffsets('g3')).toEqual([
      offset('t', 0, 9_007_199_254_740_993n),
      offset('t', 1, 42n, { metadata: 'meta', leaderEpoch: 7 }),
      offset('u', 10, 0n),
    ]);
    expect(await c.fetchOffsets('no-such-group')).toEqual([]);

    const members = await formGroup(c, 'g4', ['a', 'b']);
    const b = members.b!;
    const asB = { generation: b.generation, memberId: b.memberId, instanceId: null };
    expect(await c.commitOffsets('g4', asB, [offset('t', 0, 5n)])).toBeNull();
    expect(await c.commitOffsets('g4', { ...asB, generation: b.generation - 1 }, [offset('t', 0, 6n), offset('t', 1, 6n)])).toBe('illegal-generation');
    expect(await c.commitOffsets('g4', { ...asB, memberId: 'stranger' }, [offset('t', 0, 7n)])).toBe('unknown-member-id');
    expect(await c.commitOffsets('g4', none, [offset('t', 0, 8n)])).toBe('unknown-member-id');
    expect(await c.fetchOffsets('g4')).toEqual([offset('t', 0, 5n)]);
    // An overwrite by the member.
    expect(await c.commitOffsets('g4', asB, [offset('t', 0, 11n)])).toBeNull();
    expect((await c.fetchOffsets('g4')).map((o) => o.offset)).toEqual([11n]);
  });

  test('a commit with a generation for a group that does not exist is refused and creates nothing', async () => {
    const c = node();
    expect(await c.commitOffsets('ghost', { generation: 1, memberId: 'm', instanceId: null }, [offset('t', 0, 1n)])).toBe('illegal-generation');
    expect(await c.describe('ghost')).toBeUndefined();
    expect(await c.list()).toEqual([]);
    expect(await c.fetchOffsets('ghost')).toEqual([]);
  });

  test('a standalone commit creates an Empty group that list() shows', async () => {
    const c = node();
    expect(await c.commitOffsets('standalone', { generation: -1, memberId: '', instanceId: null }, [offset('t', 0, 1n)])).toBeNull();
    await formGroup(c, 'active', ['a']);
    expect(await c.list()).toEqual([
      { groupId: 'active', type: 'classic', protocolType: 'consumer', state: 'Stable' },
      { groupId: 'standalone', type: 'classic', protocolType: '', state: 'Empty' },
    ]);
    expect(await c.describe('standalone')).toMatchObject({ state: 'Empty', generation: 0, members: [] });
    // A commit of no offsets still answers.
    expect(await c.commitOffsets('standalone', { generation: -1, memberId: '', instanceId: null }, [])).toBeNull();
  });

  test('deleteGroup refuses a group with members and deletes an empty one with its offsets', async () => {
    const c = node();
    const members = await formGroup(c, 'g5', ['a']);
    const a = members.a!;
    expect(await c.commitOffsets('g5', { generation: 1, memberId: a.memberId, instanceId: null }, [offset('t', 0, 3n), offset('t', 1, 4n)])).toBeNull();
    expect(await c.deleteGroup('g5')).toBe('non-empty-group');
    expect(await c.fetchOffsets('g5')).toHaveLength(2);

    expect(await c.leave('g5', [{ memberId: a.memberId, instanceId: null }])).toEqual({ error: null, members: [null] });
    expect(await c.describe('g5')).toMatchObject({ state: 'Empty', generation: 2 });
    expect(await c.deleteGroup('g5')).toBeNull();
    expect(await c.fetchOffsets('g5')).toEqual([]);
    expect(await c.describe('g5')).toBeUndefined();
    expect(await c.list()).toEqual([]);
    expect(await c.deleteGroup('g5')).toBe('group-id-not-found');
    expect(await c.deleteGroup('never-was')).toBe('group-id-not-found');
    expect(await c.deleteGroup('')).toBe('invalid-group-id');

    // The id can be used again from scratch.
    const again = await formGroup(c, 'g5', ['b']);
    expect(again.b!.generation).toBe(1);
  });

  test('deleteOffsets: any partition of an empty group; only unsubscribed topics of an active one', async () => {
    const c = node();
    const none = { generation: -1, memberId: '', instanceId: null };
    await c.commitOffsets('g6', none, [offset('t', 0, 1n), offset('t', 1, 2n), offset('u', 0, 3n)]);
    expect(await c.deleteOffsets('g6', [{ topic: 't', partition: 1 }, { topic: 'v', partition: 0 }], () => new Set(['t']))).toEqual({
      error: null,
      subscribed: new Set(),
    });
    expect((await c.fetchOffsets('g6')).map((o) => `${o.topic}-${o.partition}`)).toEqual(['t-0', 'u-0']);
    expect(await c.deleteOffsets('missing', [{ topic: 't', partition: 0 }], () => undefined)).toEqual({ error: 'group-id-not-found', subscribed: new Set() });

    const members = await formGroup(c, 'g7', ['a']);
    const a = members.a!;
    await c.commitOffsets('g7', { generation: 1, memberId: a.memberId, instanceId: null }, [offset('t', 0, 1n), offset('u', 0, 2n)]);
    const seen: string[] = [];
    const result = await c.deleteOffsets(
      'g7',
      [
        { topic: 't', partition: 0 },
        { topic: 'u', partition: 0 },
      ],
      (g) => {
        seen.push(...(g as Group).members.map((m) => text(m.protocols[0]!.metadata)));
        return new Set(['t']);
      },
    );
    expect(seen).toEqual(['a:range']);
    expect(result).toEqual({ error: null, subscribed: new Set(['t']) });
    expect((await c.fetchOffsets('g7')).map((o) => o.topic)).toEqual(['t']);
    // A protocol type without a subscription to read: nothing may be deleted while it has members.
    expect(await c.deleteOffsets('g7', [{ topic: 't', partition: 0 }], () => undefined)).toEqual({ error: 'non-empty-group', subscribed: new Set() });
    expect(await c.fetchOffsets('g7')).toHaveLength(1);
  });

  test('a member that stops heartbeating is expelled; the survivor is told to rejoin and carries on alone', async () => {
    const c = node({ settings: { minSessionMs: 100, initialRebalanceDelayMs: 0 } });
    const session = 100;
    const over = { sessionMs: session, rebalanceMs: 1_000 };
    // Without an initial delay a joins alone, then b's join starts a rebalance that a rejoins.
    const a1 = await joinAs(c, 'g8', 'a', over);
    expect(a1).toMatchObject({ generation: 1, leader: a1.memberId });
    await syncedAssignment(c, syncReq('g8', a1, [{ memberId: a1.memberId, assignment: Buffer.from('all') }]));
    const bJoin = joinAs(c, 'g8', 'b', over);
    let hb: string | null = null;
    for (let i = 0; i < 100 && hb !== 'rebalance-in-progress'; i++) {
      hb = await c.heartbeat({ groupId: 'g8', memberId: a1.memberId, instanceId: null, generation: 1 });
      if (hb !== 'rebalance-in-progress') await sleep(5);
    }
    expect(hb).toBe('rebalance-in-progress');
    const [a2, b2] = await within(2_000, 'the rejoin completes', Promise.all([joinAs(c, 'g8', 'a', { ...over, memberId: a1.memberId }), bJoin]));
    expect(a2).toMatchObject({ generation: 2, leader: a1.memberId });
    expect(b2).toMatchObject({ generation: 2, leader: a1.memberId, members: [] });
    await Promise.all([
      syncedAssignment(c, syncReq('g8', a2, [{ memberId: a2.memberId, assignment: Buffer.from('half-a') }, { memberId: b2.memberId, assignment: Buffer.from('half-b') }])),
      syncedAssignment(c, syncReq('g8', b2)),
    ]);

    // b goes silent; a heartbeats every 20 ms.
    const bSeenAt = (await c.describe('g8'))!.members.find((m) => m.memberId === b2.memberId)!.seenAt;
    let answer: string | null = null;
    await within(
      2_000,
      'b is expelled',
      (async () => {
        while ((answer = await c.heartbeat({ groupId: 'g8', memberId: a2.memberId, instanceId: null, generation: 2 })) === null) await sleep(20);
      })(),
    );
    const silentFor = Date.now() - bSeenAt;
    expect(answer).toBe('rebalance-in-progress');
    // Never before one session after b was last seen.
    expect(silentFor).toBeGreaterThanOrEqual(session);
    expect(silentFor).toBeLessThan(1_000);
    expect(await c.heartbeat({ groupId: 'g8', memberId: b2.memberId, instanceId: null, generation: 2 })).toBe('unknown-member-id');
    const a3 = await within(1_000, 'a rejoins alone', joinAs(c, 'g8', 'a', { ...over, memberId: a2.memberId }));
    expect(a3).toMatchObject({ generation: 3, leader: a2.memberId });
    expect(a3.members.map((m) => m.memberId)).toEqual([a2.memberId]);
  });

  test('a silent member expires while the others wait in JoinGroup: the watch closes the barrier', async () => {
    const c = node({ settings: { minSessionMs: 100, initialRebalanceDelayMs: 100 } });
    const over = { sessionMs: 100, rebalanceMs: 2_000 };
    const members = await formGroup(c, 'g9', ['a', 'b'], over);
    const a = members.a!;
    const started = Date.now();
    // The leader rejoins; b neither heartbeats nor rejoins. No other request comes: the waiting
    // join itself must see b's session run out.
    const r = await within(1_500, 'the barrier closes without b', c.join(joinReq('g9', 'a', { ...over, memberId: a.memberId })));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(r.kind).toBe('done');
    const response = (r as { response: JoinResponse }).response;
    expect(response).toMatchObject({ generation: 2, leader: a.memberId });
    expect(response.members.map((m) => m.memberId)).toEqual([a.memberId]);
  });

  test('a member that heartbeats but does not rejoin is dropped at the rebalance deadline', async () => {
    const c = node({ settings: { minSessionMs: 100, initialRebalanceDelayMs: 100 } });
    const members = await formGroup(c, 'g10', ['a', 'b'], { sessionMs: 1_000, rebalanceMs: 300 });
    const [a, b] = [members.a!, members.b!];
    const started = Date.now();
    const rejoin = c.join(joinReq('g10', 'a', { sessionMs: 1_000, rebalanceMs: 300, memberId: a.memberId }));
    let done = false;
    void rejoin.then(() => (done = true));
    while (!done) {
      const answer = await c.heartbeat({ groupId: 'g10', memberId: b.memberId, instanceId: null, generation: 1 });
      // On a loaded machine a heartbeat can be answered after the deadline, before `done` is set:
      // b is gone by then. Before the deadline it must be told to rejoin.
      if (answer === 'unknown-member-id' && Date.now() - started >= 290) break;
      expect(answer).toBe('rebalance-in-progress');
      await sleep(20);
    }
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(1_500);
    expect(await rejoin).toMatchObject({ kind: 'done', response: { generation: 2, leader: a.memberId } });
    expect(await c.heartbeat({ groupId: 'g10', memberId: b.memberId, instanceId: null, generation: 1 })).toBe('unknown-member-id');
  });

  test('a heartbeat writes to the table only when the member’s liveness is a quarter session old', async () => {
    let clock = 1_700_000_000_000;
    const c = node({ now: () => clock, settings: { initialRebalanceDelayMs: 0 } });
    const a = await joinAs(c, 'g11', 'a');
    await syncedAssignment(c, syncReq('g11', a));
    const writes = () => store.stats().writeUnits;
    const hb = () => c.heartbeat({ groupId: 'g11', memberId: a.memberId, instanceId: null, generation: 1 });
    const before = writes();
    clock += SESSION / 4 - 1;
    expect(await hb()).toBeNull();
    expect(await hb()).toBeNull();
    expect(writes()).toBe(before);
    clock += 1;
    expect(await hb()).toBeNull();
    expect(writes()).toBeGreaterThan(before);
    const after = writes();
    clock += 1_000;
    expect(await hb()).toBeNull();
    expect(writes()).toBe(after);
    // Heartbeats keep it alive well past its first session.
    for (let i = 0; i < 8; i++) {
      clock += SESSION / 4;
      expect(await hb()).toBeNull();
    }
    expect((await c.describe('g11'))?.members).toHaveLength(1);
  });

  test('a static member restarts without a rebalance; its old incarnation is fenced', async () => {
    const c = node();
    const first = await within(
      3_000,
      'the static group forms',
      Promise.all(['a', 'b'].map((client) => joinAs(c, 'g12', client, { instanceId: `${client}-instance` }))),
    );
    const leaderAt = first.findIndex((r) => r.leader === r.memberId);
    const leader = first[leaderAt]!;
    const followerAt = 1 - leaderAt;
    const follower = first[followerAt]!;
    const clients = ['a', 'b'];
    const instance = (i: number) => `${clients[i]}-instance`;
    await Promise.all([
      syncedAssignment(
        c,
        syncReq(
          'g12',
          leader,
          first.map((r, i) => ({ memberId: r.memberId, assignment: Buffer.from(`assign-${clients[i]}`) })),
          instance(leaderAt),
        ),
      ),
      syncedAssignment(c, syncReq('g12', follower, [], instance(followerAt))),
    ]);

    // The follower restarts: it joins with no member id and its instance id.
    const restarted = await within(1_000, 'the restarted member is answered', joinAs(c, 'g12', clients[followerAt]!, { instanceId: instance(followerAt) }));
    expect(restarted.memberId).not.toBe(follower.memberId);
    expect(restarted).toMatchObject({ generation: 1, leader: leader.memberId, members: [] });
    expect(await syncedAssignment(c, syncReq('g12', restarted, [], instance(followerAt)))).toBe(`assign-${clients[followerAt]}`);
    expect(await c.describe('g12')).toMatchObject({ state: 'Stable', generation: 1 });
    const hb = (memberId: string, instanceId: string | null) => c.heartbeat({ groupId: 'g12', memberId, instanceId, generation: 1 });
    expect(await hb(restarted.memberId, instance(followerAt))).toBeNull();
    expect(await hb(leader.memberId, instance(leaderAt))).toBeNull();
    expect(await hb(follower.memberId, instance(followerAt))).toBe('fenced-instance-id');
    expect(await hb(follower.memberId, null)).toBe('unknown-member-id');
    expect(await c.commitOffsets('g12', { generation: 1, memberId: follower.memberId, instanceId: instance(followerAt) }, [offset('t', 0, 1n)])).toBe(
      'fenced-instance-id',
    );
    expect(await c.fetchOffsets('g12')).toEqual([]);
    // It leaves for good by its instance id: the group rebalances without it.
    expect(await c.leave('g12', [{ memberId: '', instanceId: instance(followerAt) }])).toEqual({ error: null, members: [null] });
    expect(await hb(leader.memberId, instance(leaderAt))).toBe('rebalance-in-progress');
  });

  test('requests are refused for an empty group id', async () => {
    const c = node();
    expect(await c.join(joinReq('', 'a'))).toEqual({ kind: 'error', error: 'invalid-group-id', memberId: '' });
    expect(await c.sync({ groupId: '', memberId: 'm', instanceId: null, generation: 1, protocolType: null, protocolName: null, assignments: [] })).toEqual({
      kind: 'error',
      error: 'invalid-group-id',
    });
    expect(await c.heartbeat({ groupId: '', memberId: 'm', instanceId: null, generation: 1 })).toBe('invalid-group-id');
    expect(await c.leave('', [])).toEqual({ error: 'invalid-group-id', members: [] });
    expect(await c.commitOffsets('', { generation: -1, memberId: '', instanceId: null }, [])).toBe('invalid-group-id');
  });

  test('requests on a group that does not exist', async () => {
    const c = node();
    expect(await c.heartbeat({ groupId: 'none', memberId: 'm', instanceId: null, generation: 1 })).toBe('unknown-member-id');
    expect(await c.sync({ groupId: 'none', memberId: 'm', instanceId: null, generation: 1, protocolType: null, protocolName: null, assignments: [] })).toEqual({
      kind: 'error',
      error: 'unknown-member-id',
    });
    expect(await c.leave('none', [{ memberId: 'm', instanceId: null }])).toEqual({ error: 'unknown-member-id', members: [] });
    expect(await c.join(joinReq('none', 'a', { memberId: 'made-up' }))).toMatchObject({ kind: 'error', error: 'unknown-member-id' });
    expect(await c.describe('none')).toBeUndefined();
    expect(await c.list()).toEqual([]);
  });

  test('close() answers waiting requests at once with NOT_COORDINATOR', async () => {
    const c = node({ settings: { initialRebalanceDelayMs: 5_000 } });
    const waiting = c.join(joinReq('g15', 'a', { requireKnownMemberId: false }));
    await sleep(30);
    c.close();
    expect(await within(500, 'close answers the waiter', waiting)).toMatchObject({ kind: 'error', error: 'not-coordinator' });
  });

  test('an aborted JoinGroup is answered at once', async () => {
    const c = node({ settings: { initialRebalanceDelayMs: 5_000 } });
    const abort = new AbortController();
    const waiting = c.join(joinReq('g16', 'a', { requireKnownMemberId: false }), abort.signal);
    await sleep(30);
    abort.abort();
    expect(await within(500, 'the abort answers the waiter', waiting)).toMatchObject({ kind: 'error', error: 'coordinator-not-available' });
  });
});
