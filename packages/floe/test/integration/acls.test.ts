// ACLs on MinIO + DynamoDB Local with the authorizer on, through real clients (kafkajs, kcat,
// Kafka's AclCommand). Until SASL lands every connection is User:ANONYMOUS,
// so two nodes of one cluster play the two sides: `admin` lists ANONYMOUS as a super user (it sets
// ACLs up and checks storage), `client` has no super users, so what ANONYMOUS may do there is
// exactly what the ACLs grant. Once SASL exists, SUBJECT becomes a second principal and both
// sides can share one node.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type AddressInfo } from 'node:net';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { status } from '@grpc/grpc-js';
import { adminClient, callUnary, recordsClient } from '@floe/grpc';
import { silentLogger } from '@floe/broker';
import { javaTool, loadTestEnv, runTool, type ToolResult } from '@floe/testkit';
import { startBroker, type RunningBroker } from '../../src/broker.ts';
import { loadConfig } from '../../src/config.ts';
import { clusterEnv, useClusterEnvironment } from '../support/in-process-cluster.ts';

/** The principal the matrix is about (the one a client connection of the `client` node has). */
const SUBJECT = 'User:ANONYMOUS';

const env = loadTestEnv();
const cluster = useClusterEnvironment('floe-acl');

function java(main: string, args: string[]): Promise<ToolResult> {
  const { command, args: a } = javaTool(env.java, env.kafkaClasspath, main, args);
  return runTool(command, a, { timeoutMs: 60_000 });
}

/** The Kafka error type a kafkajs call failed with ('' when it did not fail). */
async function failure(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return '';
  } catch (err) {
    const e = err as { type?: string; originalError?: { type?: string }; errors?: { type?: string }[] };
    // kafkajs's producer rewraps code 29 in a message naming it by its description.
    const described = /Not authorized to access topics: \[Topic authorization failed\]/.test(String(err)) ? 'TOPIC_AUTHORIZATION_FAILED' : undefined;
    return e.type ?? e.originalError?.type ?? e.errors?.[0]?.type ?? described ?? String(err);
  }
}

/** A port free on loopback right now (the node binds it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` every 100 ms, at most `ms`. */
async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('ACLs with the authorizer on', () => {
  let admin: RunningBroker;
  let client: RunningBroker;
  let adminBootstrap: string;
  let clientBootstrap: string;
  let asAdmin: Admin;
  const kafka = (bootstrap: string) => new Kafka({ brokers: [bootstrap], clientId: 'acl-test', logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const aclCommand = (bootstrap: string, ...args: string[]) => java('org.apache.kafka.tools.AclCommand', ['--bootstrap-server', bootstrap, ...args]);
  /** High watermark of partition 0, read through the super-user node. */
  const endOffset = async (topic: string) => (await asAdmin.fetchTopicOffsets(topic)).find((p) => p.partition === 0)!.high;
  const produce = (topic: string) => async () => {
    const p = kafka(clientBootstrap).producer({ allowAutoTopicCreation: false });
    await p.connect();
    try {
      await p.send({ topic, messages: [{ value: 'v' }], acks: -1 });
    } finally {
      await p.disconnect();
    }
  };

  beforeAll(async () => {
    const shared = clusterEnv('floe-acl', { FLOE_AUTHORIZER: 'acl', FLOE_ACL_REFRESH_MS: '200', FLOE_GROUP_INITIAL_REBALANCE_DELAY_MS: '0', FLOE_AUTO_CREATE_TOPICS: 'true' });
    // Each node advertises only itself (load-balancer mode at its own address), so a client of
    // one node is never sent to the other.
    const alone = async () => {
      const port = await freePort();
      return { FLOE_KAFKA_LISTEN: `127.0.0.1:${port}`, FLOE_LOAD_BALANCER: `127.0.0.1:${port}` };
    };
    admin = await startBroker(loadConfig([], { ...shared, ...(await alone()), FLOE_SUPER_USERS: SUBJECT }, cluster.dir()), silentLogger);
    client = await startBroker(loadConfig([], { ...shared, ...(await alone()) }, cluster.dir()), silentLogger);
    adminBootstrap = `127.0.0.1:${admin.port}`;
    clientBootstrap = `127.0.0.1:${client.port}`;
    asAdmin = kafka(adminBootstrap).admin();
    await asAdmin.connect();
    await asAdmin.createTopics({ topics: [{ topic: 'acl-orders' }, { topic: 'acl-secret' }] });
    const p = kafka(adminBootstrap).producer();
    await p.connect();
    await p.send({ topic: 'acl-secret', messages: [{ value: 'hidden' }] });
    await p.disconnect();
  }, 60_000);
  afterAll(async () => {
    await asAdmin?.disconnect();
    await client?.close(2_000);
    await admin?.close(2_000);
  });

  it('denies a principal with no ACL everything, with the exact codes, writing and revealing nothing', async () => {
    const c = kafka(clientBootstrap).admin();
    await c.connect();
    try {
      // Metadata of all topics hides both; named, each is TOPIC_AUTHORIZATION_FAILED.
      expect((await c.fetchTopicMetadata()).topics.map((t) => t.name)).toEqual([]);
      expect(await failure(() => c.fetchTopicMetadata({ topics: ['acl-secret'] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect(await failure(() => c.createTopics({ topics: [{ topic: 'acl-new' }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect(await failure(() => c.deleteTopics({ topics: ['acl-secret'] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect(await failure(() => c.fetchTopicOffsets('acl-secret'))).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect(await failure(() => c.describeConfigs({ resources: [{ type: 2, name: 'acl-secret' }], includeSynonyms: false }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect((await c.listGroups()).groups).toEqual([]);
    } finally {
      await c.disconnect();
    }
    expect(await failure(produce('acl-orders'))).toBe('TOPIC_AUTHORIZATION_FAILED');
    // Auto-creation through Metadata needs Create: refused, nothing created.
    expect(await failure(produce('acl-auto'))).toBe('TOPIC_AUTHORIZATION_FAILED');

    // Nothing was written or created (seen through the super-user node).
    expect(await endOffset('acl-orders')).toBe('0');
    expect(await endOffset('acl-secret')).toBe('1');
    expect((await asAdmin.listTopics()).sort()).toEqual(['acl-orders', 'acl-secret']);

    // kcat and Kafka's own tools print the errors as they print Kafka's.
    const kcat = await runTool(env.kcat, ['-b', clientBootstrap, '-P', '-t', 'acl-orders', '-X', 'topic.message.timeout.ms=5000'], { input: 'x\n', timeoutMs: 30_000 });
    expect(kcat.stderr).toMatch(/Topic authorization failed/i);
    const list = await aclCommand(clientBootstrap, '--list');
    expect(list.stdout + list.stderr).toMatch(/ClusterAuthorizationException/);
  });

  it('AclCommand adds, lists and removes ACLs; ALLOW by PREFIXED pattern works, DENY beats it; other nodes follow within a second', async () => {
    const add = await aclCommand(adminBootstrap, '--add', '--allow-principal', SUBJECT, '--operation', 'Write', '--operation', 'Describe',
      '--topic', 'acl-', '--resource-pattern-type', 'prefixed');
    expect(add.code).toBe(0);
    const deny = await aclCommand(adminBootstrap, '--add', '--deny-principal', SUBJECT, '--operation', 'Write', '--topic', 'acl-secret');
    expect(deny.code).toBe(0);
    const list = await aclCommand(adminBootstrap, '--list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/ResourcePattern\(resourceType=TOPIC, name=acl-, patternType=PREFIXED\)/);
    expect(list.stdout).toMatch(/\(principal=User:ANONYMOUS, host=\*, operation=WRITE, permissionType=ALLOW\)/);
    expect(list.stdout).toMatch(/\(principal=User:ANONYMOUS, host=\*, operation=DESCRIBE, permissionType=ALLOW\)/);
    expect(list.stdout).toMatch(/ResourcePattern\(resourceType=TOPIC, name=acl-secret, patternType=LITERAL\)[\s\S]*operation=WRITE, permissionType=DENY/);

    // The client node sees the change within its refresh period.
    const changed = Date.now();
    await until('the client node to allow acl-orders', 3_000, async () => (await failure(produce('acl-orders'))) === '');
    expect(Date.now() - changed).toBeLessThan(3_000);
    expect(await endOffset('acl-orders')).toBe('1');
    // DENY beats the prefixed ALLOW: nothing written.
    expect(await failure(produce('acl-secret'))).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await endOffset('acl-secret')).toBe('1');
    // Describe via the prefix: both visible now; a topic outside the prefix would not be.
    const c = kafka(clientBootstrap).admin();
    await c.connect();
    expect((await c.fetchTopicMetadata()).topics.map((t) => t.name).sort()).toEqual(['acl-orders', 'acl-secret']);
    await c.disconnect();

    const remove = await aclCommand(adminBootstrap, '--remove', '--force', '--deny-principal', SUBJECT, '--operation', 'Write', '--topic', 'acl-secret');
    expect(remove.code).toBe(0);
    const after = await aclCommand(adminBootstrap, '--list', '--topic', 'acl-secret');
    expect(after.stdout).not.toMatch(/DENY/);
    await until('the DENY to be gone on the client node', 3_000, async () => (await failure(produce('acl-secret'))) === '');
    expect(await endOffset('acl-secret')).toBe('2');
  }, 120_000);

  it('a consumer group needs Read on the group: the Java consumer is refused with GroupAuthorizationException and commits nothing, then consumes once allowed', async () => {
    const consume = (group: string) =>
      java('org.apache.kafka.tools.consumer.ConsoleConsumer', ['--bootstrap-server', clientBootstrap, '--topic', 'acl-orders', '--group', group,
        '--from-beginning', '--max-messages', '1', '--timeout-ms', '20000']);
    const read = await aclCommand(adminBootstrap, '--add', '--allow-principal', SUBJECT, '--operation', 'Read', '--topic', 'acl-orders');
    expect(read.code).toBe(0);
    await until('Read on acl-orders on the client node', 3_000, async () => {
      const c = kafka(clientBootstrap).admin();
      await c.connect();
      try {
        return (await c.fetchTopicMetadata()).topics.some((t) => t.name === 'acl-orders');
      } finally {
        await c.disconnect();
      }
    });

    const refused = await consume('acl-group');
    // ConsoleConsumer logs the exception and exits 0 having processed nothing, as against Kafka.
    expect(refused.stdout + refused.stderr).toMatch(/Processed a total of 0 messages/);
    expect(refused.stdout + refused.stderr).toMatch(/GroupAuthorizationException: Not authorized to access group: acl-group/);
    // Nothing of the group was stored: no member joined, no offset committed.
    expect((await asAdmin.listGroups()).groups.map((g) => g.groupId)).not.toContain('acl-group');
    const kcat = await runTool(env.kcat, ['-b', clientBootstrap, '-G', 'acl-group', 'acl-orders', '-c', '1', '-e', '-X', 'session.timeout.ms=6000'], { timeoutMs: 20_000 });
    expect(kcat.stderr).toMatch(/Group authorization failed|GROUP_AUTHORIZATION_FAILED/i);

    const group = await aclCommand(adminBootstrap, '--add', '--allow-principal', SUBJECT, '--operation', 'Read', '--group', 'acl-group');
    expect(group.code).toBe(0);
    await new Promise((r) => setTimeout(r, 1_000)); // two refresh periods of the client node
    const allowed = await consume('acl-group');
    expect(allowed.code).toBe(0);
    expect(allowed.stdout.trim().split('\n')[0]).toBe('v');
    expect(allowed.stdout + allowed.stderr).toMatch(/Processed a total of 1 messages/);
    const offsets = await asAdmin.fetchOffsets({ groupId: 'acl-group', topics: ['acl-orders'] });
    expect(offsets[0]!.partitions.find((p) => p.partition === 0)!.offset).toBe('1');
  }, 120_000);

  it('the gRPC and HTTP doors enforce the same ACLs: 403 / PERMISSION_DENIED, nothing written or revealed; probes stay open', async () => {
    // What the earlier tests granted ANONYMOUS: Write and Describe on topics prefixed acl-, Read
    // on acl-orders and on the group acl-group. Nothing on the topic door-other.
    await asAdmin.createTopics({ topics: [{ topic: 'door-other' }] });
    const http = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${client.httpPort}${path}`, init);
    const json = { 'content-type': 'application/json' };

    for (const probe of ['/healthz', '/readyz', '/metrics']) expect((await http(probe)).status).toBe(200);
    const topics = (await (await http('/api/v1/topics')).json()) as { name: string }[];
    expect(topics.map((t) => t.name).sort()).toEqual(['acl-orders', 'acl-secret']);
    const hidden = await http('/api/v1/topics/door-other');
    expect(hidden.status).toBe(403);
    expect(((await hidden.json()) as { error: string }).error).toMatch(/User:ANONYMOUS is not authorized to Describe topic "door-other"/);
    // Refused whether or not the topic exists.
    expect((await http('/api/v1/topics/door-missing')).status).toBe(403);
    expect((await http('/api/v1/topics', { method: 'POST', headers: json, body: JSON.stringify({ name: 'acl-door' }) })).status).toBe(403);
    expect((await http('/api/v1/topics/acl-orders', { method: 'DELETE' })).status).toBe(403);
    expect((await http('/api/v1/topics/acl-secret/partitions/0/records')).status).toBe(403);
    expect((await http('/api/v1/topics/acl-orders/partitions/0/records')).status).toBe(200);
    expect((await http('/api/v1/groups/acl-group/offsets')).status).toBe(200); // Describe is implied by Read
    expect((await http('/api/v1/groups/door-group/offsets')).status).toBe(403);

    const admin = adminClient(`127.0.0.1:${client.grpcPort}`);
    const records = recordsClient(`127.0.0.1:${client.grpcPort}`);
    try {
      const denied = { code: status.PERMISSION_DENIED };
      await expect(callUnary(admin.deleteTopic, admin, { name: 'acl-orders' })).rejects.toMatchObject(denied);
      await expect(callUnary(admin.describeTopic, admin, { name: 'door-other' })).rejects.toMatchObject(denied);
      expect((await callUnary(admin.listTopics, admin, {})).topics.map((t) => t.name).sort()).toEqual(['acl-orders', 'acl-secret']);
      await expect(callUnary(records.produce, records, { topic: 'door-other', records: [{ value: Buffer.from('no') }] })).rejects.toMatchObject({
        code: status.PERMISSION_DENIED,
        details: 'not authorized: Write on topic "door-other"',
      });
      await expect(callUnary(records.fetch, records, { topic: 'acl-secret', partition: 0, offset: 0 })).rejects.toMatchObject(denied);
      await expect(callUnary(records.initProducer, records, {})).rejects.toMatchObject(denied);
      // Allowed by the prefixed Write: the record lands.
      const before = Number(await endOffset('acl-orders'));
      await callUnary(records.produce, records, { topic: 'acl-orders', partition: 0, records: [{ value: Buffer.from('door') }] });
      expect(Number(await endOffset('acl-orders'))).toBe(before + 1);
    } finally {
      admin.close();
      records.close();
    }
    // Nothing reached door-other, and the topics refused for deletion or creation are as they were.
    expect(await endOffset('door-other')).toBe('0');
    expect((await asAdmin.listTopics()).sort()).toEqual(['acl-orders', 'acl-secret', 'door-other']);
  }, 60_000);
});
