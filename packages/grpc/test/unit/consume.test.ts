// Records.Consume: gRPC members of consumer groups over the embedded default, with the real group
// coordinator (consumer group protocol) and a real grpc-js client.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { floe } from '../../src/index.ts';
import { ConsumeMember, waitFor } from '../support/consume-member.ts';
import { call, startFixture, type GrpcFixture } from '../support/grpc-fixture.ts';

const EARLIEST = floe.v1.StartPosition.START_POSITION_EARLIEST;

describe('gRPC Records.Consume', () => {
  let f: GrpcFixture;
  const members: ConsumeMember[] = [];
  const member = (sub: floe.v1.IConsumeSubscribe, opts?: { ackRevocations?: boolean }) => {
    const m = new ConsumeMember(f.records, sub, opts);
    members.push(m);
    return m;
  };
  /** Produces `n` records spread over the topic's partitions (keys), values `${prefix}-${i}`. */
  const produce = async (topic: string, n: number, prefix: string) => {
    for (let i = 0; i < n; i += 50) {
      const records = Array.from({ length: Math.min(50, n - i) }, (_, j) => ({ key: Buffer.from(`k${i + j}`), value: Buffer.from(`${prefix}-${i + j}`) }));
      await call(f.records.produce, f.records, { topic, records });
    }
  };
  const committed = async (group: string) => Object.fromEntries((await f.groups.fetchOffsets(group)).map((c) => [`${c.topic}:${c.partition}`, Number(c.offset)]));

  beforeAll(async () => {
    f = await startFixture();
    for (const t of ['solo', 'shared', 'leave', 'slow', 'errors']) await f.log.topics.create(t, 4, {});
  });
  afterAll(async () => {
    for (const m of members) m.stream.cancel();
    await f.close();
  });

  it('a member gets every partition and every record, commits, and a later member resumes from the commits', async () => {
    await produce('solo', 40, 'a');
    const m = member({ groupId: 'g-solo', topics: ['solo'], reset: EARLIEST });
    await waitFor(() => m.owned().size === 4, 5_000, 'assignment');
    await waitFor(() => m.records.length === 40, 5_000, '40 records');
    expect(new Set(m.records.map((r) => r.value)).size).toBe(40);
    m.commitAll();
    await waitFor(() => m.committed.length === 1, 5_000, 'commit answer');
    expect(m.committed[0]!.offsets).toHaveLength(4);
    expect(m.committed[0]!.refused ?? []).toHaveLength(0);
    const sum = Object.values(await committed('g-solo')).reduce((a, b) => a + b, 0);
    expect(sum).toBe(40);
    await m.close();
    expect(m.error).toBeUndefined();

    await produce('solo', 8, 'b');
    const again = member({ groupId: 'g-solo', topics: ['solo'], reset: EARLIEST });
    await waitFor(() => again.records.length >= 8, 5_000, 'the 8 new records');
    await new Promise((r) => setTimeout(r, 200));
    expect(again.records.map((r) => r.value).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `b-${i}`).sort());
    await again.close();
  });

  it('two members split the partitions; a revoked partition stops before its next owner starts', async () => {
    const m1 = member({ groupId: 'g-shared', topics: ['shared'], reset: EARLIEST });
    await waitFor(() => m1.owned().size === 4, 5_000, 'm1 owns 4');
    await produce('shared', 100, 'a');
    await waitFor(() => m1.records.length === 100, 5_000, 'm1 reads 100');
    const m2 = member({ groupId: 'g-shared', topics: ['shared'], reset: EARLIEST });
    await waitFor(() => m1.owned().size === 2 && m2.owned().size === 2, 10_000, 'a 2/2 split');
    expect([...m1.owned()].filter((p) => m2.owned().has(p))).toEqual([]);
    // m1 acknowledged its revocation with the offsets it had read: m2 starts there, not at 0.
    expect(m2.records).toHaveLength(0);
    await produce('shared', 200, 'b');
    await waitFor(() => m1.records.length + m2.records.length === 300, 5_000, '200 more records');
    const b1 = m1.records.filter((r) => r.value.startsWith('b-'));
    const b2 = m2.records.filter((r) => r.value.startsWith('b-'));
    expect(new Set([...b1, ...b2].map((r) => r.value)).size).toBe(200);
    for (const r of b1) expect(m1.owned().has(`${r.topic}:${r.partition}`)).toBe(true);
    for (const r of b2) expect(m2.owned().has(`${r.topic}:${r.partition}`)).toBe(true);
    // Nothing arrived for a partition the member did not own at the time.
    expect([...m1.records, ...m2.records].filter((r) => !r.owned)).toEqual([]);
  });

  it("a member that leaves hands its partitions over at once, from its commits", async () => {
    const m1 = member({ groupId: 'g-leave', topics: ['leave'], reset: EARLIEST });
    await waitFor(() => m1.owned().size === 4, 5_000, 'm1 owns 4');
    const m2 = member({ groupId: 'g-leave', topics: ['leave'], reset: EARLIEST });
    await waitFor(() => m1.owned().size === 2 && m2.owned().size === 2, 10_000, 'a 2/2 split');
    await produce('leave', 60, 'a');
    await waitFor(() => m1.records.length + m2.records.length === 60, 5_000, '60 records');
    m1.commitAll();
    await waitFor(() => m1.committed.length >= 1, 5_000, 'm1 commit answer');
    const left = Date.now();
    await m1.close();
    await waitFor(() => m2.owned().size === 4, 5_000, 'm2 owns 4');
    expect(Date.now() - left).toBeLessThan(2_000);
    await new Promise((r) => setTimeout(r, 200));
    // m1 committed everything it read: m2 reads none of its records again.
    expect(new Set([...m1.records, ...m2.records].map((r) => r.value)).size).toBe(m1.records.length + m2.records.length);
  });

  it('a revocation nobody acknowledges is released after the rebalance timeout', async () => {
    const m1 = member({ groupId: 'g-slow', topics: ['slow'], reset: EARLIEST, rebalanceTimeoutMs: 500 }, { ackRevocations: false });
    await waitFor(() => m1.owned().size === 4, 5_000, 'm1 owns 4');
    const m2 = member({ groupId: 'g-slow', topics: ['slow'], reset: EARLIEST });
    await waitFor(() => m2.owned().size === 2, 10_000, 'm2 gets 2');
    const revokedAt = m1.assignments.find((a) => (a.revoked ?? []).length > 0)!.at;
    // Held for the whole timeout after m1 heard of it, then released without an answer.
    expect(m2.assignments.at(-1)!.at - revokedAt).toBeGreaterThanOrEqual(450);
    await waitFor(() => m1.owned().size === 2 && m1.assignments.at(-1)!.revoked!.length === 0, 5_000, 'm1 released');
  });

  it('refuses bad subscriptions and commits with a status and a message', async () => {
    const failure = async (sub: floe.v1.IConsumeRequest) => {
      const s = f.records.consume();
      const err = await new Promise<{ code: number; details: string }>((resolve) => {
        s.on('error', resolve);
        s.on('data', () => undefined);
        s.write(sub);
      });
      return err;
    };
    expect(await failure({ commit: { offsets: [] } })).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringContaining('subscribe') });
    expect(await failure({ subscribe: { groupId: '', topics: ['errors'] } })).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringContaining('group_id') });
    expect(await failure({ subscribe: { groupId: 'g-e', topics: [] } })).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(await failure({ subscribe: { groupId: 'g-e', topics: ['no-such-topic'] } })).toMatchObject({ code: status.NOT_FOUND, details: expect.stringContaining('no-such-topic') });
    expect(await failure({ subscribe: { groupId: 'g-e', topics: ['bad/name'] } })).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(await failure({ subscribe: { groupId: 'g-e', topics: ['errors'], assignor: 'sticky-ish' } })).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringContaining('assignor') });
    expect(await failure({ subscribe: { groupId: 'g-e', topics: ['errors'], rebalanceTimeoutMs: -5 } })).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(await f.groups.describe('g-e')).toBeUndefined();

    // A commit for a partition the member does not own is refused, not written.
    const m = member({ groupId: 'g-errors', topics: ['errors'], reset: EARLIEST });
    await waitFor(() => m.owned().size === 4, 5_000, 'assignment');
    m.stream.write({ commit: { offsets: [{ topic: 'errors', partition: 9, offset: 5 }, { topic: 'solo', partition: 0, offset: 1 }, { topic: 'errors', partition: 1, offset: 0 }] } });
    await waitFor(() => m.committed.length === 1, 5_000, 'commit answer');
    expect(m.committed[0]!.refused).toHaveLength(2);
    expect(m.committed[0]!.offsets).toHaveLength(1);
    expect(Object.keys(await committed('g-errors'))).toEqual(['errors:1']);
    // A negative offset ends the stream with INVALID_ARGUMENT.
    m.stream.write({ commit: { offsets: [{ topic: 'errors', partition: 0, offset: -1 }] } });
    await waitFor(() => m.error !== undefined, 5_000, 'an error');
    expect(m.error!.code).toBe(status.INVALID_ARGUMENT);
  });
});
