// The admin API behind the ACLs: what each operation needs, and that a refusal reaches nothing.
import { describe, expect, test } from '@jest/globals';
import { AdminError, type DoorAuthorizer } from '@floe/admin-api';
import { scriptedAdminApi } from '@floe/testkit';
import { aclAdminApi } from '../../src/admin-acl.ts';

const caller = { principal: 'User:alice', host: '10.0.0.7' };

/** Allows exactly the listed `Operation Type:name` strings. */
function allowing(...grants: string[]): DoorAuthorizer {
  return (c, operation, type, name) => c.principal === 'User:alice' && grants.includes(`${operation} ${type}:${name}`);
}

const topic = (name: string) => ({ name, id: `id-${name}`, partitions: 1 });
const offsets = (...topics: string[]) => topics.map((t) => ({ topic: t, partition: 0, committedOffset: 1, highWatermark: 2, lag: 1 }));

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(AdminError);
  expect((err as AdminError).kind).toBe('forbidden');
  return (err as AdminError).message;
}

describe('admin API behind the ACLs', () => {
  test('a refused operation never reaches the API, whether or not the resource exists', async () => {
    const s = scriptedAdminApi({});
    const api = aclAdminApi(s.admin, allowing(), caller);
    expect(await refusal(api.describeTopic('orders'))).toBe('User:alice is not authorized to Describe topic "orders"');
    await refusal(api.deleteTopic('orders'));
    await refusal(api.alterTopicConfigs('orders', { set: {}, delete: [] }));
    await refusal(api.addPartitions('orders', 3));
    await refusal(api.readRecords('orders', 0, 0, 10));
    await refusal(api.createTopic('orders', 1, {}));
    await refusal(api.describeGroup('g'));
    await refusal(api.groupOffsets('g'));
    await refusal(api.deleteGroup('g'));
    await refusal(api.resetGroupOffsets('g', { topic: 'orders', to: { kind: 'earliest' }, execute: true }));
    await refusal(api.cluster());
    expect(s.calls).toEqual([]);
  });

  test('each operation needs what its Kafka request needs', async () => {
    const s = scriptedAdminApi({
      createTopic: async (name) => topic(name),
      deleteTopic: async () => undefined,
      readRecords: async () => undefined,
      resetGroupOffsets: async (groupId, reset) => ({ groupId, topic: reset.topic, executed: true, partitions: [] }),
    });
    // Create on the topic or on the cluster.
    await aclAdminApi(s.admin, allowing('Create Topic:a'), caller).createTopic('a', 1, {});
    await aclAdminApi(s.admin, allowing('Create Cluster:kafka-cluster'), caller).createTopic('b', 1, {});
    await aclAdminApi(s.admin, allowing('Delete Topic:a'), caller).deleteTopic('a');
    await aclAdminApi(s.admin, allowing('Read Topic:a'), caller).readRecords('a', 0, 0, 1);
    // Resetting offsets is a commit: Read on the group and on the topic.
    await refusal(aclAdminApi(s.admin, allowing('Read Group:g'), caller).resetGroupOffsets('g', { topic: 'a', to: { kind: 'latest' }, execute: true }));
    await aclAdminApi(s.admin, allowing('Read Group:g', 'Read Topic:a'), caller).resetGroupOffsets('g', { topic: 'a', to: { kind: 'latest' }, execute: true });
    expect(s.calls.map((c) => c[0])).toEqual(['createTopic', 'createTopic', 'deleteTopic', 'readRecords', 'resetGroupOffsets']);
  });

  test('lists show only what the caller may describe', async () => {
    const group = (groupId: string) => ({ groupId, type: 'classic', protocolType: 'consumer', state: 'Empty' });
    const s = scriptedAdminApi({
      listTopics: async () => [topic('a'), topic('b')],
      listGroups: async () => [group('g'), group('h')],
      groupOffsets: async (groupId) => ({ groupId, state: 'Empty', offsets: offsets('a', 'b') }),
    });
    const api = aclAdminApi(s.admin, allowing('Describe Topic:b', 'Describe Group:h'), caller);
    expect((await api.listTopics()).map((t) => t.name)).toEqual(['b']);
    expect((await api.listGroups()).map((g) => g.groupId)).toEqual(['h']);
    expect((await api.groupOffsets('h'))!.offsets.map((o) => o.topic)).toEqual(['b']);
    // Describe on the cluster lists every group.
    const ops = aclAdminApi(s.admin, allowing('Describe Cluster:kafka-cluster'), caller);
    expect((await ops.listGroups()).map((g) => g.groupId)).toEqual(['g', 'h']);
  });
});
