// The admin surface of a node on MinIO + DynamoDB Local, through its three doors (gRPC floe.v1.Admin,
// the HTTP admin API, the floe command), checked with Kafka's own tools and clients:
// - a topic created through gRPC is listed by kcat; its configs altered through HTTP are what
//   Kafka's TopicCommand --describe reads back (DescribeConfigs); partitions added through the CLI
//   are what Metadata (kcat) and TopicCommand count;
// - a kcat group consumes and stops; its offsets reset to earliest through gRPC: the dry run
//   writes nothing (read back), the executed reset is what ConsumerGroupCommand --describe shows
//   and where the group resumes; resets by timestamp and past the end; a reset or delete while a
//   member is active is refused; the group is deleted;
// - bad input on each door is refused with a message and nothing changes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { silentLogger } from '@floe/broker';
import { adminClient, callUnary as call, floe, recordsClient, type AdminClient, type RecordsClient } from '@floe/grpc';
import { javaTool, loadTestEnv, runTool, type ToolResult } from '@floe/testkit';
import { runAdminCommand } from '../../src/admin-cli.ts';
import { startBroker, type RunningBroker } from '../../src/broker.ts';
import { loadConfig } from '../../src/config.ts';
import { clusterEnv, useClusterEnvironment } from '../support/in-process-cluster.ts';

const env = loadTestEnv();
const cluster = useClusterEnvironment('floe-admin');
const RP = floe.v1.ResetPosition;

function java(main: string, args: string[]): Promise<ToolResult> {
  const { command, args: a } = javaTool(env.java, env.kafkaClasspath, main, args);
  return runTool(command, a, { timeoutMs: 60_000 });
}

/** Polls `check` every 250 ms, at most `ms`. */
async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the admin surface through gRPC, HTTP and the CLI', () => {
  let node: RunningBroker;
  let http: string;
  let bootstrap: string;
  let admin: AdminClient;
  let records: RecordsClient;

  const floeCli = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runAdminCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: { FLOE_ADMIN_URL: http } });
    return { code, out, err };
  };
  const send = (method: string, path: string, body?: unknown) =>
    fetch(`${http}${path}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  const kcatPartitions = async (topic: string) => {
    const md = await runTool(env.kcat, ['-b', bootstrap, '-L', '-t', topic, '-J'], { timeoutMs: 30_000 });
    return (JSON.parse(md.stdout) as { topics: { partitions: unknown[] }[] }).topics[0]!.partitions.length;
  };
  const topicCommand = async (topic: string) => {
    const r = await java('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', bootstrap, '--describe', '--topic', topic]);
    expect(r.code).toBe(0);
    return r.stdout.split('\n')[0]!;
  };
  /** CURRENT-OFFSET, LOG-END-OFFSET and LAG per partition, as ConsumerGroupCommand --describe prints them. */
  const groupCommand = async (group: string, topic: string) => {
    const r = await java('org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', ['--bootstrap-server', bootstrap, '--describe', '--group', group, '--timeout', '30000']);
    expect(r.code).toBe(0);
    const rows = r.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((c) => c[0] === group && c[1] === topic);
    return new Map(rows.map((c) => [Number(c[2]), { current: c[3], end: c[4], lag: c[5] }]));
  };
  const offsets = async (group: string) => {
    const o = await call(admin.getGroupOffsets, admin, { groupId: group });
    return o.offsets.map((x) => [x.partition, x.committedOffset]).sort((a, b) => a[0]! - b[0]!);
  };

  beforeAll(async () => {
    node = await startBroker(
      loadConfig([], clusterEnv('floe-admin', { FLOE_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' }), cluster.dir()),
      silentLogger,
    );
    http = `http://127.0.0.1:${node.httpPort}`;
    bootstrap = `127.0.0.1:${node.port}`;
    admin = adminClient(`127.0.0.1:${node.grpcPort}`);
    records = recordsClient(`127.0.0.1:${node.grpcPort}`);
  }, 60_000);
  afterAll(async () => {
    admin?.close();
    records?.close();
    await node?.close(2_000);
  });

  it('a topic created through gRPC, its configs altered through HTTP, partitions added through the CLI, as Kafka sees them', async () => {
    const created = await call(admin.createTopic, admin, { name: 'admin-t', partitions: 2, configs: { 'retention.ms': '3600000' } });
    expect(created).toMatchObject({ name: 'admin-t', partitions: 2 });
    expect(await kcatPartitions('admin-t')).toBe(2);

    const altered = await send('PATCH', '/api/v1/topics/admin-t/configs', { set: { 'cleanup.policy': 'compact', 'max.message.bytes': '2000000' }, delete: ['retention.ms'] });
    expect(altered.status).toBe(200);
    expect(((await altered.json()) as { configs: unknown }).configs).toEqual({ 'cleanup.policy': 'compact', 'max.message.bytes': '2000000' });
    // TopicCommand lists the topic's own (non-default) configs from DescribeConfigs.
    const described = await topicCommand('admin-t');
    expect(described).toMatch(/PartitionCount: 2\b/);
    expect(described).toMatch(/Configs: .*cleanup\.policy=compact/);
    expect(described).toMatch(/max\.message\.bytes=2000000/);
    expect(described).not.toMatch(/retention\.ms/);

    const added = await floeCli('topic', 'alter', 'admin-t', '--partitions', '5');
    expect(added).toEqual({ code: 0, out: ['topic admin-t now has 5 partitions'], err: [] });
    expect(await kcatPartitions('admin-t')).toBe(5);
    expect(await topicCommand('admin-t')).toMatch(/PartitionCount: 5\b/);
  }, 120_000);

  it('bad topic input on each door is refused with a message and changes nothing', async () => {
    const grpcRefusal = (p: Promise<unknown>) => expect(p).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.any(String) });
    await expect(call(admin.createTopic, admin, { name: 'bad name' })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/invalid topic name/) });
    await expect(call(admin.createTopic, admin, { name: 'admin-t' })).rejects.toMatchObject({ code: status.ALREADY_EXISTS });
    await expect(call(admin.addPartitions, admin, { name: 'admin-t', count: 3 })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'topic "admin-t" has 5 partitions, more than the requested 3',
    });
    await grpcRefusal(call(admin.addPartitions, admin, { name: 'admin-t', count: 5 }));
    await grpcRefusal(call(admin.alterTopicConfigs, admin, { name: 'admin-t', set: { 'no.such.config': '1' } }));
    await grpcRefusal(call(admin.alterTopicConfigs, admin, { name: 'admin-t', set: { 'retention.ms': 'soon' } }));
    await grpcRefusal(call(admin.alterTopicConfigs, admin, { name: 'admin-t', set: { 'retention.ms': '1' }, delete: ['retention.ms'] }));
    await expect(call(admin.addPartitions, admin, { name: 'no-such-topic', count: 3 })).rejects.toMatchObject({ code: status.NOT_FOUND });
    // Unknown fields: an AddPartitionsRequest growing the topic, plus field 15.
    const raw = new Client(`127.0.0.1:${node.grpcPort}`, credentials.createInsecure());
    try {
      const bytes = Buffer.concat([Buffer.from(floe.v1.AddPartitionsRequest.encode({ name: 'admin-t', count: 9 }).finish()), Buffer.from([0x78, 0x01])]);
      const refused = await new Promise<ServiceError | null>((resolve) =>
        raw.makeUnaryRequest('/floe.v1.Admin/AddPartitions', (b: Buffer) => b, (b: Buffer) => b, bytes, (err: ServiceError | null) => resolve(err)),
      );
      expect(refused).toMatchObject({ code: status.INVALID_ARGUMENT, details: 'AddPartitionsRequest has unknown fields' });
    } finally {
      raw.close();
    }

    for (const [method, path, body, message] of [
      ['POST', '/api/v1/topics/admin-t/partitions', { count: 3 }, /more than the requested 3/],
      ['POST', '/api/v1/topics/admin-t/partitions', { count: '9' }, /count/],
      ['POST', '/api/v1/topics/admin-t/partitions', { count: 9, force: true }, /additional/],
      ['PATCH', '/api/v1/topics/admin-t/configs', { set: { 'retention.ms': 5 } }, /set/],
      ['PATCH', '/api/v1/topics/admin-t/configs', { set: { 'retention.ms': '-5' } }, /retention\.ms/],
      ['PATCH', '/api/v1/topics/admin-t/configs', { set: { 'no.such.config': '1' } }, /unknown topic config/],
      ['PATCH', '/api/v1/topics/bad%20name/configs', { set: { 'retention.ms': '5' } }, /name/],
      ['POST', '/api/v1/topics', { name: 'bad name!' }, /name/],
    ] as const) {
      const r = await send(method, path, body);
      expect({ path, body, status: r.status }).toEqual({ path, body, status: 400 });
      expect(((await r.json()) as { error: string }).error).toMatch(message);
    }
    expect(await floeCli('topic', 'alter', 'admin-t', '--partitions', '2')).toEqual({ code: 1, out: [], err: ['floe: topic "admin-t" has 5 partitions, more than the requested 2'] });
    expect((await floeCli('topic', 'alter', 'admin-t', '--partitions', 'x')).code).toBe(2);
    expect((await floeCli('topic', 'alter', 'admin-t', '--config', 'retention.ms=later')).code).toBe(1);

    const after = await call(admin.describeTopic, admin, { name: 'admin-t' });
    expect(after.partitions).toBe(5);
    expect(after.configs).toEqual({ 'cleanup.policy': 'compact', 'max.message.bytes': '2000000' });
    expect(await kcatPartitions('admin-t')).toBe(5);
    expect((await send('GET', '/api/v1/topics')).ok).toBe(true);
    expect(((await (await send('GET', '/api/v1/topics')).json()) as { name: string }[]).map((t) => t.name)).toEqual(['admin-t']);
  }, 120_000);

  it('a stopped kcat group: dry run, executed reset, by timestamp and past the end; refused while a member is active; deleted', async () => {
    const group = 'admin-readers';
    await call(admin.createTopic, admin, { name: 'admin-g', partitions: 2 });
    const t0 = 1_700_000_000_000;
    for (const partition of [0, 1]) {
      const value = (i: number) => Buffer.from(`p${partition}-${i}`);
      await call(records.produce, records, { topic: 'admin-g', partition, records: Array.from({ length: 10 }, (_, i) => ({ value: value(i), timestampMs: t0 + i * 1000 })) });
    }
    const consumed = await runTool(env.kcat, ['-b', bootstrap, '-G', group, '-c', '20', '-q', '-X', 'auto.offset.reset=earliest', 'admin-g'], { timeoutMs: 60_000 });
    expect(consumed.stdout.trim().split('\n')).toHaveLength(20);
    expect(await offsets(group)).toEqual([[0, 10], [1, 10]]);

    // Dry run (the default): the answer lists the new offsets, nothing is committed.
    const dry = await call(admin.resetGroupOffsets, admin, { groupId: group, topic: 'admin-g', position: RP.RESET_POSITION_EARLIEST });
    expect(dry.executed).toBe(false);
    expect(dry.partitions.map((p) => [p.partition, p.previousOffset, p.newOffset])).toEqual([[0, 10, 0], [1, 10, 0]]);
    expect(await offsets(group)).toEqual([[0, 10], [1, 10]]);
    const beforeReset = await groupCommand(group, 'admin-g');
    expect([...beforeReset.values()].map((r) => r.current)).toEqual(['10', '10']);

    const done = await call(admin.resetGroupOffsets, admin, { groupId: group, topic: 'admin-g', position: RP.RESET_POSITION_EARLIEST, execute: true });
    expect(done.executed).toBe(true);
    expect(await offsets(group)).toEqual([[0, 0], [1, 0]]);
    expect(Object.fromEntries(await groupCommand(group, 'admin-g'))).toEqual({ 0: { current: '0', end: '10', lag: '10' }, 1: { current: '0', end: '10', lag: '10' } });

    // By timestamp: the first record at or after t0 + 4.5 s is the sixth (offset 5), for partition 1 only.
    const byTime = await call(admin.resetGroupOffsets, admin, { groupId: group, topic: 'admin-g', partitions: [1], timestampMs: t0 + 4_500, execute: true });
    expect(byTime.partitions.map((p) => [p.partition, p.previousOffset, p.newOffset])).toEqual([[1, 0, 5]]);
    // Past the end (an offset, a timestamp): clamped to the high watermark, as Kafka does.
    const late = await call(admin.resetGroupOffsets, admin, { groupId: group, topic: 'admin-g', offset: 999 });
    expect(late.partitions.map((p) => p.newOffset)).toEqual([10, 10]);
    const future = await call(admin.resetGroupOffsets, admin, { groupId: group, topic: 'admin-g', timestampMs: t0 + 3_600_000 });
    expect(future.partitions.map((p) => p.newOffset)).toEqual([10, 10]);
    expect(await offsets(group)).toEqual([[0, 0], [1, 5]]);

    // The group resumes where the reset put it: 10 records of partition 0, 5 of partition 1.
    const resumed = await runTool(env.kcat, ['-b', bootstrap, '-G', group, '-c', '15', '-q', '-f', '%p:%o\n', 'admin-g'], { timeoutMs: 60_000 });
    const seen = resumed.stdout.trim().split('\n').sort();
    expect(seen).toEqual([...Array.from({ length: 10 }, (_, i) => `0:${i}`), ...Array.from({ length: 5 }, (_, i) => `1:${i + 5}`)].sort());
    expect(await offsets(group)).toEqual([[0, 10], [1, 10]]);

    // A member is active: resets and the delete are refused (FAILED_PRECONDITION, 409, exit 1).
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const member = runTool(env.kcat, ['-b', bootstrap, '-G', group, '-q', '-X', 'session.timeout.ms=6000', 'admin-g'], { timeoutMs: 120_000, stopWhen: stopped });
    try {
      await until('the kcat member to join', 60_000, async () => {
        const g = await call(admin.describeGroup, admin, { groupId: group });
        return g.state === 'Stable' && g.members.length === 1;
      });
      await expect(call(admin.resetGroupOffsets, admin, { groupId: group, topic: 'admin-g', position: RP.RESET_POSITION_EARLIEST, execute: true })).rejects.toMatchObject({
        code: status.FAILED_PRECONDITION,
        details: expect.stringMatching(/must be inactive/),
      });
      await expect(call(admin.deleteGroup, admin, { groupId: group })).rejects.toMatchObject({ code: status.FAILED_PRECONDITION, details: expect.stringMatching(/must be inactive/) });
      const r = await send('POST', `/api/v1/groups/${group}/offsets/reset`, { topic: 'admin-g', to: 'earliest', execute: true });
      expect(r.status).toBe(409);
      expect(((await r.json()) as { error: string }).error).toMatch(/must be inactive/);
      const cli = await floeCli('group', 'reset-offsets', group, '--topic', 'admin-g', '--to-earliest', '--execute');
      expect(cli.code).toBe(1);
      expect(cli.err[0]).toMatch(/must be inactive/);
      expect(await offsets(group)).toEqual([[0, 10], [1, 10]]);
    } finally {
      stop();
      await member;
    }
    await until('the group to be empty', 30_000, async () => (await call(admin.describeGroup, admin, { groupId: group })).state === 'Empty');

    // Bad offsets and partitions: refused, nothing written.
    await expect(call(admin.resetGroupOffsets, admin, { groupId: group, topic: 'admin-g', offset: -5, execute: true })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/offset must be/),
    });
    await expect(call(admin.resetGroupOffsets, admin, { groupId: group, topic: 'admin-g', partitions: [7], offset: 1, execute: true })).rejects.toMatchObject({ code: status.NOT_FOUND });
    await expect(call(admin.resetGroupOffsets, admin, { groupId: group, topic: 'bad name', offset: 1, execute: true })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    for (const body of [
      { topic: 'admin-g', to: 'offset', offset: -1, execute: true },
      { topic: 'admin-g', to: 'offset', offset: '3', execute: true },
      { topic: 'admin-g', to: 'offset', execute: true },
      { topic: 'admin-g', to: 'earliest', partitions: [-1], execute: true },
      { topic: 'admin-g', to: 'earliest', execute: true, force: true },
    ]) {
      const r = await send('POST', `/api/v1/groups/${group}/offsets/reset`, body);
      expect({ body, status: r.status }).toEqual({ body, status: 400 });
    }
    expect((await floeCli('group', 'reset-offsets', group, '--topic', 'admin-g', '--to-offset', '-1', '--execute')).code).toBe(2);
    expect(await offsets(group)).toEqual([[0, 10], [1, 10]]);

    // Deleted: gone from the API and from Kafka's group listing.
    await call(admin.deleteGroup, admin, { groupId: group });
    await expect(call(admin.getGroupOffsets, admin, { groupId: group })).rejects.toMatchObject({ code: status.NOT_FOUND });
    await expect(call(admin.deleteGroup, admin, { groupId: group })).rejects.toMatchObject({ code: status.NOT_FOUND });
    const list = await java('org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', ['--bootstrap-server', bootstrap, '--list']);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')).not.toContain(group);
  }, 300_000);
});
