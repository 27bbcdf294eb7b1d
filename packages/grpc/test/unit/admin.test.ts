// floe.v1.Admin through a real grpc-js client over a scripted admin API: what each call hands the
// API, the answers as messages, each admin error kind as its status code with the message, and
// requests refused before the API is asked (unknown fields, no reset target, undecodable bytes).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { AdminError, type AdminErrorKind } from '@floe/admin-api';
import { scriptedAdminApi, type ScriptedAdminApi } from '@floe/testkit';
import { ADMIN_STATUS, adminClient, floe, statusOf, type AdminClient } from '../../src/index.ts';
import { call, healthClient, listServices, startFixture, type GrpcFixture } from '../support/grpc-fixture.ts';

const RP = floe.v1.ResetPosition;

describe('gRPC Admin service', () => {
  let f: GrpcFixture;
  let admin: AdminClient;
  let api: ScriptedAdminApi;
  const failWith: { kind?: AdminErrorKind } = {};
  const fail = () => {
    if (failWith.kind) throw new AdminError(failWith.kind, `refused as ${failWith.kind}`);
  };

  beforeAll(async () => {
    api = scriptedAdminApi({
      cluster: async () => ({ clusterId: 'c1', nodes: [{ nodeId: 1, host: 'h', port: 9092, rack: null }, { nodeId: 2, host: 'h2', port: 9093, rack: 'r2' }] }),
      listTopics: async () => [{ name: 't', id: 'id-t', partitions: 2 }],
      createTopic: async (name, partitions) => {
        fail();
        return { name, id: 'new', partitions: partitions ?? 1 };
      },
      describeTopic: async (name) => (name === 't' ? { name, id: 'id-t', partitions: 1, configs: { 'retention.ms': '5' }, partitionOffsets: [{ partition: 0, logStartOffset: 1, highWatermark: 9 }] } : undefined),
      alterTopicConfigs: async (name) => ({ name, id: 'id-t', partitions: 1, configs: {}, partitionOffsets: [] }),
      addPartitions: async (name, count) => {
        fail();
        return { name, id: 'id-t', partitions: count };
      },
      deleteTopic: async () => fail(),
      listGroups: async () => [{ groupId: 'g', type: 'classic', protocolType: 'consumer', state: 'Empty' }],
      describeGroup: async (id) =>
        id === 'g'
          ? { groupId: id, type: 'classic', protocolType: 'consumer', state: 'Empty', members: [], offsets: [{ topic: 'gone', partition: 0, committedOffset: 4, highWatermark: null, lag: null }] }
          : undefined,
      groupOffsets: async (id) => (id === 'g' ? { groupId: id, state: 'Empty', offsets: [{ topic: 't', partition: 1, committedOffset: 4, highWatermark: 10, lag: 6 }] } : undefined),
      deleteGroup: async () => fail(),
      resetGroupOffsets: async (groupId, reset) => {
        fail();
        return { groupId, topic: reset.topic, executed: reset.execute, partitions: [{ partition: 0, previousOffset: null, newOffset: 3 }] };
      },
    });
    f = await startFixture({ admin: api.admin });
    admin = adminClient(f.address);
  });
  afterAll(async () => {
    admin.close();
    await f.close();
  });

  it('answers the admin API’s views as messages, absent optional fields staying absent', async () => {
    const cluster = await call(admin.getCluster, admin, {});
    expect(cluster.clusterId).toBe('c1');
    expect(cluster.nodes.map((n) => [n.nodeId, n.rack ?? null])).toEqual([[1, null], [2, 'r2']]);
    expect((await call(admin.listTopics, admin, {})).topics).toEqual([expect.objectContaining({ name: 't', id: 'id-t', partitions: 2 })]);
    const t = await call(admin.describeTopic, admin, { name: 't' });
    expect(t.configs).toEqual({ 'retention.ms': '5' });
    expect(t.partitionOffsets).toEqual([expect.objectContaining({ partition: 0, logStartOffset: 1, highWatermark: 9 })]);
    const g = await call(admin.describeGroup, admin, { groupId: 'g' });
    expect(g.offsets[0]!.committedOffset).toBe(4);
    expect(g.offsets[0]!.highWatermark ?? null).toBeNull();
    const o = await call(admin.getGroupOffsets, admin, { groupId: 'g' });
    expect(o.offsets[0]).toMatchObject({ topic: 't', partition: 1, committedOffset: 4, highWatermark: 10, lag: 6 });
    expect((await call(admin.listGroups, admin, {})).groups).toEqual([expect.objectContaining({ groupId: 'g', state: 'Empty' })]);
    await expect(call(admin.describeTopic, admin, { name: 'nope' })).rejects.toMatchObject({ code: status.NOT_FOUND, details: 'no topic "nope"' });
    await expect(call(admin.getGroupOffsets, admin, { groupId: 'nope' })).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  it('hands requests to the admin API as they came: configs, partitions, reset targets (dry run unless execute)', async () => {
    api.calls.length = 0;
    await call(admin.createTopic, admin, { name: 'n', configs: { 'cleanup.policy': 'compact' } });
    await call(admin.createTopic, admin, { name: 'n3', partitions: 3 });
    await call(admin.alterTopicConfigs, admin, { name: 't', set: { 'retention.ms': '1' }, delete: ['cleanup.policy'] });
    await call(admin.addPartitions, admin, { name: 't', count: 4 });
    const dry = await call(admin.resetGroupOffsets, admin, { groupId: 'g', topic: 't', position: RP.RESET_POSITION_EARLIEST });
    expect(dry.executed).toBe(false);
    expect(dry.partitions[0]!.previousOffset ?? null).toBeNull();
    expect(dry.partitions[0]!.newOffset).toBe(3);
    await call(admin.resetGroupOffsets, admin, { groupId: 'g', topic: 't', partitions: [1], position: RP.RESET_POSITION_LATEST, execute: true });
    await call(admin.resetGroupOffsets, admin, { groupId: 'g', topic: 't', offset: 7 });
    await call(admin.resetGroupOffsets, admin, { groupId: 'g', topic: 't', timestampMs: 1_700_000_000_000 });
    await call(admin.deleteGroup, admin, { groupId: 'g' });
    await call(admin.deleteTopic, admin, { name: 't' });
    expect(api.calls).toEqual([
      ['createTopic', 'n', undefined, { 'cleanup.policy': 'compact' }],
      ['createTopic', 'n3', 3, {}],
      ['alterTopicConfigs', 't', { set: { 'retention.ms': '1' }, delete: ['cleanup.policy'] }],
      ['addPartitions', 't', 4],
      ['resetGroupOffsets', 'g', { topic: 't', to: { kind: 'earliest' }, execute: false }],
      ['resetGroupOffsets', 'g', { topic: 't', partitions: [1], to: { kind: 'latest' }, execute: true }],
      ['resetGroupOffsets', 'g', { topic: 't', to: { kind: 'offset', offset: 7 }, execute: false }],
      ['resetGroupOffsets', 'g', { topic: 't', to: { kind: 'timestamp', timestampMs: 1_700_000_000_000 }, execute: false }],
      ['deleteGroup', 'g'],
      ['deleteTopic', 't'],
    ]);
  });

  it('maps each admin error kind to its status code, with the message', async () => {
    const expected: Record<AdminErrorKind, status> = {
      invalid: status.INVALID_ARGUMENT,
      'not-found': status.NOT_FOUND,
      exists: status.ALREADY_EXISTS,
      conflict: status.FAILED_PRECONDITION,
      unavailable: status.UNAVAILABLE,
      forbidden: status.PERMISSION_DENIED,
      unauthenticated: status.UNAUTHENTICATED,
    };
    expect(ADMIN_STATUS).toEqual(expected);
    try {
      for (const kind of Object.keys(expected) as AdminErrorKind[]) {
        expect(statusOf(new AdminError(kind, 'x'))).toBe(expected[kind]);
        failWith.kind = kind;
        for (const attempt of [
          () => call(admin.createTopic, admin, { name: 'n' }),
          () => call(admin.addPartitions, admin, { name: 't', count: 1 }),
          () => call(admin.deleteGroup, admin, { groupId: 'g' }),
          () => call(admin.resetGroupOffsets, admin, { groupId: 'g', topic: 't', offset: 1 }),
        ]) {
          await expect(attempt()).rejects.toMatchObject({ code: expected[kind], details: `refused as ${kind}` });
        }
      }
    } finally {
      failWith.kind = undefined;
    }
    // Anything else came from storage: retriable.
    expect(statusOf(new Error('socket hang up'))).toBe(status.UNAVAILABLE);
  });

  it('refuses, before asking the admin API, unknown fields, a reset without a target and bytes that do not decode', async () => {
    api.calls.length = 0;
    const reset = (req: floe.v1.IResetGroupOffsetsRequest) => call(admin.resetGroupOffsets, admin, req);
    await expect(reset({ groupId: 'g', topic: 't' })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/needs a target/) });
    await expect(reset({ groupId: 'g', topic: 't', position: RP.RESET_POSITION_UNSPECIFIED })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });

    // Raw bytes through a generic client: a known message plus field 15 (varint), and garbage.
    const raw = new Client(f.address, credentials.createInsecure());
    const send = (path: string, bytes: Buffer) =>
      new Promise<void>((resolve, reject) =>
        raw.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, bytes, (err: ServiceError | null) => (err ? reject(err) : resolve())),
      );
    try {
      const known = Buffer.from(floe.v1.AddPartitionsRequest.encode({ name: 't', count: 9 }).finish());
      await expect(send('/floe.v1.Admin/AddPartitions', Buffer.concat([known, Buffer.from([0x78, 0x01])]))).rejects.toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: 'AddPartitionsRequest has unknown fields',
      });
      await expect(send('/floe.v1.Admin/CreateTopic', Buffer.from([0x0a, 0x50, 0x41]))).rejects.toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: expect.stringMatching(/^CreateTopicRequest does not decode/),
      });
    } finally {
      raw.close();
    }
    expect(api.calls).toEqual([]);
  });

  it('is listed by health and reflection', async () => {
    const h = healthClient(f.address);
    try {
      expect((await call(h.check, h, { service: 'floe.v1.Admin' })).status).toBe(1);
    } finally {
      h.close();
    }
    expect(await listServices(f.address)).toEqual(expect.arrayContaining(['floe.v1.Admin', 'floe.v1.Records', 'grpc.health.v1.Health']));
  });
});
