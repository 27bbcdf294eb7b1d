// Consumer groups (classic protocol) with real clients other than the Java client, on a cluster
// of three in-process nodes on MinIO + DynamoDB Local: confluent-kafka (librdkafka), floe-franz
// (franz-go), kafkajs, a group mixing all three, and confluent-kafka again through a load
// balancer so that the members of one group talk to different nodes.
//
// Each group is formed before its records are produced (the test waits until DescribeGroups
// shows it Stable with every partition assigned), so no rebalance falls between a record being
// consumed and its offset being committed: every record must be consumed exactly once.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AssignerProtocol, Kafka, logLevel, PartitionAssigners, type Admin, type Consumer, type GroupDescription, type PartitionAssigner } from 'kafkajs';
import { LOAD_BALANCER_NODE_ID, type Logger } from '@floe/broker';
import { loadTestEnv, RoundRobinProxy, runTool, type ToolResult } from '@floe/testkit';
import { startBroker, type RunningBroker } from '../../src/broker.ts';
import { loadConfig } from '../../src/config.ts';
import { clusterEnv as makeClusterEnv, useClusterEnvironment } from '../support/in-process-cluster.ts';

const env = loadTestEnv();

/** A consumed record, whoever consumed it. */
interface Got {
  member: string;
  partition: number;
  offset: number;
  key: string;
}

async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const start = Date.now();
  for (let i = 0; ; i++) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() - start > timeoutMs || i > 10_000) throw new Error(`not within ${timeoutMs} ms: ${what} (last: ${JSON.stringify(v)})`);
    await sleep(200);
  }
}

/** Resolves with `p`, or rejects after `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`not within ${ms} ms: ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** A promise with its resolve function, to stop tools (runTool's stopWhen). */
function trigger(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => (fire = resolve));
  return { promise, fire };
}

const keys = (n: number) => Array.from({ length: n }, (_, i) => `r${i}`);

/** Every record produced consumed exactly once: no key missing, none twice, offsets unique per partition. */
function expectExactlyOnce(got: readonly Got[], n: number, partitions: number): void {
  const counts = new Map<string, number>();
  for (const g of got) counts.set(g.key, (counts.get(g.key) ?? 0) + 1);
  const missing = keys(n).filter((k) => !counts.has(k));
  const twice = [...counts].filter(([, c]) => c > 1).map(([k]) => k);
  expect({ missing: missing.slice(0, 10), twice: twice.slice(0, 10) }).toEqual({ missing: [], twice: [] });
  expect(got).toHaveLength(n);
  // Produced to partition i % partitions, in order: the key says where each record must be.
  for (const g of got) expect(g.partition).toBe(Number(g.key.slice(1)) % partitions);
  for (let p = 0; p < partitions; p++) {
    const offsets = got.filter((g) => g.partition === p).map((g) => g.offset).sort((a, b) => a - b);
    expect(offsets).toEqual(offsets.map((_, i) => i));
  }
}

/** Which partitions of `topic` each member consumed from; each partition from exactly one member. */
function partitionsByMember(got: readonly Got[]): Map<string, number[]> {
  const out = new Map<string, Set<number>>();
  for (const g of got) {
    let s = out.get(g.member);
    if (!s) out.set(g.member, (s = new Set()));
    s.add(g.partition);
  }
  return new Map([...out].map(([m, s]) => [m, [...s].sort((a, b) => a - b)]));
}

function expectEachPartitionOneMember(got: readonly Got[], partitions: number): void {
  const all = [...partitionsByMember(got).values()].flat().sort((a, b) => a - b);
  expect(all).toEqual(Array.from({ length: partitions }, (_, i) => i));
}

/** The partitions DescribeGroups shows assigned to a member (from its consumer-protocol assignment). */
function assignedPartitions(assignment: Buffer, topic: string): number[] {
  const decoded = assignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(assignment) : null;
  return [...(decoded?.assignment[topic] ?? [])].sort((a, b) => a - b);
}

/** Waits until the group is Stable with `members` members, each assigned partitions, together all of them. */
async function groupFormed(admin: Admin, groupId: string, topic: string, members: number, partitions: number, timeoutMs = 30_000): Promise<GroupDescription> {
  const { groups } = await eventually(
    () => admin.describeGroups([groupId]),
    ({ groups: [g] }) => {
      if (!g || g.state !== 'Stable' || g.members.length !== members) return false;
      const each = g.members.map((m) => assignedPartitions(m.memberAssignment, topic));
      const all = each.flat().sort((a, b) => a - b);
      return each.every((p) => p.length > 0) && all.length === partitions && all.every((p, i) => p === i);
    },
    timeoutMs,
    `group ${groupId} Stable with ${members} members sharing ${partitions} partitions`,
  );
  return groups[0]!;
}

/** Committed offsets of the group (OffsetFetch) and log ends (ListOffsets), per partition. */
async function offsetsOf(admin: Admin, groupId: string, topic: string): Promise<{ committed: number[]; ends: number[] }> {
  const [fetched] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const ends = await admin.fetchTopicOffsets(topic);
  const byPartition = <T extends { partition: number }>(xs: T[]) => [...xs].sort((a, b) => a.partition - b.partition);
  return {
    committed: byPartition(fetched!.partitions).map((p) => Number(p.offset)),
    ends: byPartition(ends).map((p) => Number(p.high)),
  };
}

const atEnd = ({ committed, ends }: { committed: number[]; ends: number[] }) => committed.length === ends.length && committed.every((c, i) => c === ends[i]);

async function committedAtEnd(admin: Admin, groupId: string, topic: string, timeoutMs = 30_000) {
  return eventually(() => offsetsOf(admin, groupId, topic), atEnd, timeoutMs, `group ${groupId} committed the log end of every partition of ${topic}`);
}

async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const r = await runTool(env.franz, ['create-topic', '-topic', topic, '-partitions', String(partitions)], { timeoutMs: 30_000, env: { FLOE_BROKERS: bootstrap } });
  expect(r.stdout.trim()).toBe(JSON.stringify({ error: '', topic }));
}

/** Records r0..r(n-1) to partition i % partitions, produced with franz-go. */
async function franzProduce(bootstrap: string, topic: string, n: number, partitions: number): Promise<void> {
  const input = keys(n)
    .map((k, i) => JSON.stringify({ key: Buffer.from(k).toString('base64'), value: Buffer.from(`value of ${k}`).toString('base64'), partition: i % partitions }))
    .join('\n');
  const r = await runTool(env.franz, ['produce', '-topic', topic], { timeoutMs: 30_000, env: { FLOE_BROKERS: bootstrap }, input: input + '\n' });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

/** A floe-franz group member that consumes until stopped (SIGTERM), then commits and leaves. */
function franzMember(bootstrap: string, topic: string, groupId: string, stop: Promise<unknown>, balancer?: string): Promise<ToolResult> {
  const args = ['consume', '-topic', topic, '-group', groupId, '-count', '0', '-timeout', '50s', ...(balancer ? ['-balancer', balancer] : [])];
  return runTool(env.franz, args, { timeoutMs: 55_000, env: { FLOE_BROKERS: bootstrap }, stopWhen: stop });
}

function franzRecords(member: string, r: ToolResult): Got[] {
  expect({ code: r.code, stderr: r.stderr, timedOut: r.timedOut }).toEqual({ code: 0, stderr: '', timedOut: false });
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { key: string; partition: number; offset: number })
    .map((w) => ({ member, partition: w.partition, offset: w.offset, key: Buffer.from(w.key, 'base64').toString() }));
}

// confluent-kafka: `members` real librdkafka consumers (one Consumer object each) polled in turn
// by one Python process. With `produce` > 0 it waits until the members share every partition,
// produces r0..r(produce-1) itself (partition i % partitions), consumes until it has all of
// them, lingers a second for any duplicate, commits, closes and prints what each member got.
// With `produce` 0 it consumes until SIGTERM, then commits, closes and prints. Errors that
// librdkafka recovers from by itself are kept and printed (the tests list them in their
// figures); a fatal one ends the script.
const CONFLUENT_GROUP = `
import json, signal, sys, time
from confluent_kafka import Consumer, Producer, KafkaError, KafkaException
cfg = json.loads(sys.argv[1])
bootstrap, topic, group, partitions = cfg['bootstrap'], cfg['topic'], cfg['group'], cfg['partitions']
deadline = time.monotonic() + cfg['seconds']
stopping = []
signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
out = [{'member': f"{cfg['clientId']}-{i}", 'assigned': [], 'revoked': [], 'records': [], 'errors': [], 'final': None, 'commit': None} for i in range(cfg['members'])]
def callbacks(o):
    def on_assign(c, ps): o['assigned'].append(sorted(p.partition for p in ps))
    def on_revoke(c, ps): o['revoked'].append(sorted(p.partition for p in ps))
    return on_assign, on_revoke
consumers = []
for o in out:
    # group.protocol=consumer (KIP-848): the broker assigns, and the session and heartbeat
    # settings are the broker's, so librdkafka refuses them.
    classic = {'partition.assignment.strategy': cfg['strategy'], 'session.timeout.ms': 10000, 'heartbeat.interval.ms': 1000}
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'client.id': o['member'],
                  'auto.offset.reset': 'earliest', 'enable.auto.commit': True, 'auto.commit.interval.ms': 500,
                  **(classic if cfg.get('protocol', 'classic') == 'classic' else {'group.protocol': 'consumer'}),
                  **({'debug': cfg['debug']} if cfg['debug'] else {})})
    on_assign, on_revoke = callbacks(o)
    c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    consumers.append(c)
def check_time(what):
    if time.monotonic() > deadline:
        sys.exit(f'deadline passed waiting for {what}: ' + json.dumps([{**o, 'records': len(o['records'])} for o in out]))
def poll_all():
    for c, o in zip(consumers, out):
        for m in c.consume(num_messages=1000, timeout=0.05):
            if m.error():
                # librdkafka recovers from all but fatal errors by itself; the others are kept.
                if m.error().fatal(): raise KafkaException(m.error())
                o['errors'].append(str(m.error()))
                continue
            o['records'].append([m.partition(), m.offset(), m.key().decode()])
def formed():
    each = [sorted(tp.partition for tp in c.assignment()) for c in consumers]
    return all(each) and sorted(sum(each, [])) == list(range(partitions))
n = cfg['produce']
if n > 0:
    while not formed():
        check_time('the group to form'); poll_all()
    p = Producer({'bootstrap.servers': bootstrap, 'linger.ms': 5, 'acks': 'all'})
    for i in range(n):
        p.produce(topic, key=f'r{i}'.encode(), value=f'value of r{i}'.encode(), partition=i % partitions)
    assert p.flush(30) == 0, 'produce did not finish'
    distinct = lambda: len({(r[0], r[1]) for o in out for r in o['records']})
    while distinct() < n:
        check_time(f'{n} records'); poll_all()
    linger = time.monotonic() + 1
    while time.monotonic() < linger: poll_all()
else:
    while not stopping:
        check_time('SIGTERM'); poll_all()
for c, o in zip(consumers, out):
    o['final'] = sorted(tp.partition for tp in c.assignment())
for c, o in zip(consumers, out):
    try:
        o['commit'] = [[tp.partition, tp.offset, str(tp.error) if tp.error else None] for tp in c.commit(asynchronous=False)]
    except KafkaException as e:
        if e.args[0].code() != KafkaError._NO_OFFSET: raise
        o['commit'] = []
for c in consumers: c.close()
print(json.dumps(out))
`;

interface ConfluentMember {
  member: string;
  assigned: number[][];
  revoked: number[][];
  records: [number, number, string][];
  errors: string[];
  /** Its partitions once done consuming (before any member left). */
  final: number[];
  commit: [number, number, string | null][] | null;
}

function confluentGroup(
  cfg: {
    bootstrap: string;
    topic: string;
    group: string;
    partitions: number;
    members: number;
    produce: number;
    strategy: string;
    clientId: string;
    seconds: number;
    protocol?: 'classic' | 'consumer';
  },
  stop?: Promise<unknown>,
): Promise<ToolResult> {
  // FLOE_TEST_RDKAFKA_DEBUG=cgrp,protocol (say) makes librdkafka log its group dealings to stderr.
  const args = JSON.stringify({ ...cfg, debug: process.env.FLOE_TEST_RDKAFKA_DEBUG ?? '' });
  return runTool(env.python, ['-c', CONFLUENT_GROUP, args], { timeoutMs: (cfg.seconds + 10) * 1000, ...(stop ? { stopWhen: stop } : {}) });
}

function confluentMembers(r: ToolResult): ConfluentMember[] {
  if (r.code !== 0 || r.timedOut) {
    // All of stderr (librdkafka's debug log with FLOE_TEST_RDKAFKA_DEBUG) is kept for a look.
    const log = join(tmpdir(), `floe-groups-confluent-${Date.now()}.log`);
    writeFileSync(log, r.stderr);
    throw new Error(`confluent-kafka group failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}; stderr in ${log}), stderr ends:\n${r.stderr.slice(-6_000)}`);
  }
  return JSON.parse(r.stdout) as ConfluentMember[];
}

/** The errors librdkafka reported and recovered from, for the figures (none, when all is well). */
const recovered = (members: ConfluentMember[]) => {
  const all = members.flatMap((m) => m.errors.map((e) => `${m.member}: ${e}`));
  return all.length === 0 ? 'no librdkafka error' : `librdkafka errors recovered from: ${all.join('; ')}`;
};

const confluentRecords = (members: ConfluentMember[]): Got[] => members.flatMap((m) => m.records.map(([partition, offset, key]) => ({ member: m.member, partition, offset, key })));

/** Keeps every warning and error the broker logs (none, when all is well). */
function problemLog(): Logger & { problems: string[] } {
  const problems: string[] = [];
  const keep = (fields: unknown, message: string) => problems.push(`${message} ${JSON.stringify(fields)}`);
  const nothing = () => {};
  const log: Logger & { problems: string[] } = { problems, debug: nothing, info: nothing, warn: keep, error: keep, child: () => log };
  return log;
}

const clusterEnv = (extra: Record<string, string> = {}) => makeClusterEnv('floe-groups', { FLOE_GROUP_INITIAL_REBALANCE_DELAY_MS: '500', ...extra });

/** Three nodes on one bucket and one table. */
async function startCluster(vars: NodeJS.ProcessEnv, dir: string, nodes: RunningBroker[], logs: ReturnType<typeof problemLog>[]): Promise<void> {
  const start = async () => {
    const log = problemLog();
    logs.push(log);
    nodes.push(await startBroker(loadConfig([], vars, dir), log));
  };
  await start(); // creates the bucket and the table
  await Promise.all([start(), start()]);
}

const figures: string[] = [];
const cluster = useClusterEnvironment('floe-groups', () => {
  if (figures.length > 0) process.stderr.write(`consumer group figures:\n${figures.map((f) => `  ${f}\n`).join('')}`);
});

describe('consumer groups of real clients on three nodes (per-node mode)', () => {
  const nodes: RunningBroker[] = [];
  const logs: ReturnType<typeof problemLog>[] = [];
  let bootstrap: string;
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    await startCluster(clusterEnv(), cluster.dir(), nodes, logs);
    bootstrap = nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
    kafka = new Kafka({ clientId: 'floe-groups-admin', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 5 } });
    admin = kafka.admin();
    await admin.connect();
  }, 60_000);
  afterAll(async () => {
    await admin?.disconnect();
    await Promise.all(nodes.map((n) => n.close(2_000)));
  });

  it('confluent-kafka: three consumers share 12 partitions, consume 3000 records exactly once and commit the log end', async () => {
    const t0 = Date.now();
    const [topic, group, partitions, n] = ['ck-topic', 'ck-group', 12, 3000];
    await createTopic(bootstrap, topic, partitions);
    const r = await confluentGroup({ bootstrap, topic, group, partitions, members: 3, produce: n, strategy: 'range', clientId: 'ck', seconds: 40 });
    const members = confluentMembers(r);
    const got = confluentRecords(members);
    expectExactlyOnce(got, n, partitions);
    // The range assignor over three members: four partitions each, every partition to one member.
    const final = members.map((m) => m.final);
    expect(final.map((a) => a.length)).toEqual([4, 4, 4]);
    expect(final.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: partitions }, (_, i) => i));
    for (const [i, m] of members.entries()) expect(partitionsByMember(got).get(m.member) ?? []).toEqual(final[i]);
    expectEachPartitionOneMember(got, partitions);
    // Each member's own last commit covered its partitions up to the log end (or auto-commit had already).
    for (const m of members) for (const [, , err] of m.commit ?? []) expect(err).toBeNull();
    const offsets = await offsetsOf(admin, group, topic);
    expect(offsets.ends).toEqual(Array.from({ length: partitions }, () => n / partitions));
    expect(offsets.committed).toEqual(offsets.ends);
    // All three closed: the group is left Empty.
    const { groups } = await admin.describeGroups([group]);
    expect(groups[0]).toMatchObject({ groupId: group, state: 'Empty', members: [] });
    figures.push(`confluent-kafka group of 3: ${n} records over ${partitions} partitions in ${Date.now() - t0} ms; assignments per member ${members.map((m) => m.assigned.length).join(', ')}; ${recovered(members)}`);
  }, 90_000);

  it('confluent-kafka with group.protocol=consumer (KIP-848): three consumers, server-side uniform assignment, 3000 records exactly once, the log end committed', async () => {
    const t0 = Date.now();
    const [topic, group, partitions, n] = ['ck848-topic', 'ck848-group', 12, 3000];
    await createTopic(bootstrap, topic, partitions);
    const r = await confluentGroup({ bootstrap, topic, group, partitions, members: 3, produce: n, strategy: 'uniform', clientId: 'ck848', seconds: 60, protocol: 'consumer' });
    const members = confluentMembers(r);
    const got = confluentRecords(members);
    expectExactlyOnce(got, n, partitions);
    const final = members.map((m) => m.final);
    expect(final.map((a) => a.length)).toEqual([4, 4, 4]);
    expect(final.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: partitions }, (_, i) => i));
    expectEachPartitionOneMember(got, partitions);
    for (const m of members) for (const [, , err] of m.commit ?? []) expect(err).toBeNull();
    const offsets = await offsetsOf(admin, group, topic);
    expect(offsets.committed).toEqual(offsets.ends);
    // A consumer-protocol group: ListGroups says so.
    const listed = await admin.listGroups();
    expect(listed.groups.find((g) => g.groupId === group)).toMatchObject({ protocolType: 'consumer' });
    figures.push(`confluent-kafka KIP-848 group of 3: ${n} records over ${partitions} partitions in ${Date.now() - t0} ms; ${recovered(members)}`);
  }, 90_000);

  it('floe-franz: two group members consume every record once and commit; the offsets are visible afterwards', async () => {
    const t0 = Date.now();
    const [topic, group, partitions, n] = ['franz-topic', 'franz-group', 6, 1200];
    await createTopic(bootstrap, topic, partitions);
    const stop = trigger();
    // Each member bootstraps from a different node.
    const [b1, b2] = bootstrap.split(',');
    const running = [franzMember(b1!, topic, group, stop.promise), franzMember(b2!, topic, group, stop.promise)];
    try {
      const formed = await groupFormed(admin, group, topic, 2, partitions);
      expect(formed.protocol).toBe('cooperative-sticky'); // franz-go's default balancer
      await franzProduce(bootstrap, topic, n, partitions);
      await committedAtEnd(admin, group, topic);
    } finally {
      stop.fire();
    }
    const [r1, r2] = await Promise.all(running);
    const got = [...franzRecords('franz-1', r1!), ...franzRecords('franz-2', r2!)];
    expectExactlyOnce(got, n, partitions);
    expectEachPartitionOneMember(got, partitions);
    expect(partitionsByMember(got).size).toBe(2);
    const offsets = await offsetsOf(admin, group, topic);
    expect(offsets.committed).toEqual(Array.from({ length: partitions }, () => n / partitions));
    // Both left on SIGTERM: the group is Empty and keeps its offsets.
    const { groups } = await admin.describeGroups([group]);
    expect(groups[0]).toMatchObject({ state: 'Empty', members: [] });
    figures.push(`floe-franz group of 2: ${n} records in ${Date.now() - t0} ms`);
  }, 90_000);

  it('kafkajs: two consumers (eachMessage) consume every record once; the admin lists, describes, fetches offsets and deletes the group only once it is empty', async () => {
    const t0 = Date.now();
    const [topic, group, partitions, n] = ['kafkajs-topic', 'kafkajs-group', 8, 1600];
    await createTopic(bootstrap, topic, partitions);
    const got: Got[] = [];
    const consumers: Consumer[] = [];
    try {
      for (const name of ['kafkajs-1', 'kafkajs-2']) {
        const c = new Kafka({ clientId: name, brokers: bootstrap.split(','), logLevel: logLevel.NOTHING }).consumer({ groupId: group, heartbeatInterval: 1_000, maxWaitTimeInMs: 1_000 });
        consumers.push(c);
        await c.connect();
        await c.subscribe({ topics: [topic], fromBeginning: true });
      }
      await Promise.all(
        consumers.map((c, i) =>
          c.run({
            eachMessage: async ({ partition, message }) => {
              got.push({ member: `kafkajs-${i + 1}`, partition, offset: Number(message.offset), key: message.key!.toString() });
            },
          }),
        ),
      );
      const formed = await groupFormed(admin, group, topic, 2, partitions);
      expect(formed.protocol).toBe('RoundRobinAssigner');
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: keys(n).map((k, i) => ({ key: k, value: `value of ${k}`, partition: i % partitions })) });
      await producer.disconnect();
      await eventually(async () => got.length, (c) => c >= n, 40_000, `${n} records consumed`);
      const offsets = await committedAtEnd(admin, group, topic);
      expect(offsets.committed).toEqual(Array.from({ length: partitions }, () => n / partitions));
      await sleep(500); // any duplicate delivery would show by now
      expectExactlyOnce(got, n, partitions);
      expectEachPartitionOneMember(got, partitions);

      // The admin's view of the running group.
      const { groups: listed } = await admin.listGroups();
      expect(listed).toContainEqual({ groupId: group, protocolType: 'consumer' });
      const { groups: [described] } = await admin.describeGroups([group]);
      expect(described).toMatchObject({ groupId: group, state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' });
      expect(described!.members.map((m) => m.clientId).sort()).toEqual(['kafkajs-1', 'kafkajs-2']);
      for (const m of described!.members) {
        expect(m.clientHost).toBe('/127.0.0.1');
        expect(AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.topics).toEqual([topic]);
      }
      const assigned = described!.members.flatMap((m) => assignedPartitions(m.memberAssignment, topic)).sort((a, b) => a - b);
      expect(assigned).toEqual(Array.from({ length: partitions }, (_, i) => i));

      // Not while it has members.
      const refused = await admin.deleteGroups([group]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).toMatchObject({ name: 'KafkaJSDeleteGroupsError', groups: [{ groupId: group, errorCode: 68 }] });
      const refusal = (refused as { groups: { error: { name: string; type: string } }[] }).groups[0]!.error;
      expect({ name: refusal.name, type: refusal.type }).toEqual({ name: 'KafkaJSProtocolError', type: 'NON_EMPTY_GROUP' });
    } finally {
      await Promise.all(consumers.map((c) => c.disconnect()));
    }
    // Both left: Empty, offsets kept; then the group can be deleted, offsets and all.
    const { groups: [empty] } = await admin.describeGroups([group]);
    expect(empty).toMatchObject({ state: 'Empty', members: [] });
    expect((await offsetsOf(admin, group, topic)).committed).toEqual(Array.from({ length: partitions }, () => n / partitions));
    expect(await admin.deleteGroups([group])).toEqual([expect.objectContaining({ groupId: group, errorCode: 0 })]);
    const { groups: [dead] } = await admin.describeGroups([group]);
    expect(dead).toMatchObject({ state: 'Dead', members: [] });
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(group);
    expect((await offsetsOf(admin, group, topic)).committed).toEqual(Array.from({ length: partitions }, () => -1));
    figures.push(`kafkajs group of 2: ${n} records in ${Date.now() - t0} ms`);
  }, 90_000);

  it('a mixed group: confluent-kafka, kafkajs and floe-franz members share one topic; a member offering no common protocol gets INCONSISTENT_GROUP_PROTOCOL', async () => {
    // A group needs one protocol (assignor) name every member offers. librdkafka and franz-go
    // both call theirs "roundrobin"; kafkajs's own round robin assignor is "RoundRobinAssigner",
    // so kafkajs joins with that same assignor offered under the name "roundrobin" (kafkajs's
    // partitionAssigners take any assignor; the metadata and assignment encodings are the
    // standard consumer protocol's, which all three read). Whichever member leads assigns with
    // its own round robin.
    const t0 = Date.now();
    const [topic, group, partitions, n] = ['mixed-topic', 'mixed-group', 9, 1800];
    await createTopic(bootstrap, topic, partitions);
    const roundrobin: PartitionAssigner = (config) => ({ ...PartitionAssigners.roundRobin(config), name: 'roundrobin' });
    const [b1, b2, b3] = bootstrap.split(',') as [string, string, string];
    const stop = trigger();
    const got: Got[] = [];
    const js = new Kafka({ clientId: 'mixed-kafkajs', brokers: [b3], logLevel: logLevel.NOTHING }).consumer({ groupId: group, partitionAssigners: [roundrobin], heartbeatInterval: 1_000, maxWaitTimeInMs: 1_000 });
    const intruder = new Kafka({ clientId: 'mixed-intruder', brokers: [b2], logLevel: logLevel.NOTHING }).consumer({ groupId: group }); // RoundRobinAssigner only
    let python: Promise<ToolResult> | undefined;
    let franz: Promise<ToolResult> | undefined;
    try {
      await js.connect();
      await js.subscribe({ topics: [topic], fromBeginning: true });
      python = confluentGroup({ bootstrap: b1, topic, group, partitions, members: 1, produce: 0, strategy: 'roundrobin', clientId: 'mixed-confluent', seconds: 50 }, stop.promise);
      franz = franzMember(b2, topic, group, stop.promise, 'roundrobin');
      await js.run({
        eachMessage: async ({ partition, message }) => {
          got.push({ member: 'mixed-kafkajs', partition, offset: Number(message.offset), key: message.key!.toString() });
        },
      });
      const formed = await groupFormed(admin, group, topic, 3, partitions);
      expect(formed.protocol).toBe('roundrobin');
      expect(formed.members.map((m) => m.clientId).sort()).toEqual(['kgo', 'mixed-confluent-0', 'mixed-kafkajs']);
      // Round robin over three members: three partitions each.
      expect(formed.members.map((m) => assignedPartitions(m.memberAssignment, topic).length)).toEqual([3, 3, 3]);

      // A fourth consumer offering only "RoundRobinAssigner" shares no protocol with the group.
      const crashed = new Promise<{ error: Error & { type?: string; code?: number }; restart: boolean }>((resolve) => intruder.on(intruder.events.CRASH, (e) => resolve(e.payload)));
      await intruder.connect();
      await intruder.subscribe({ topics: [topic], fromBeginning: true });
      await intruder.run({ eachMessage: async () => {} });
      const crash = await within(crashed, 20_000, 'the intruder to fail to join');
      expect({ name: crash.error.name, type: crash.error.type, code: crash.error.code, restart: crash.restart }).toEqual({
        name: 'KafkaJSProtocolError',
        type: 'INCONSISTENT_GROUP_PROTOCOL',
        code: 23,
        restart: false,
      });
      // The group it tried to join is untouched.
      const after = await groupFormed(admin, group, topic, 3, partitions, 5_000);
      expect(after.members.map((m) => m.memberId).sort()).toEqual(formed.members.map((m) => m.memberId).sort());

      await franzProduce(b3, topic, n, partitions);
      await committedAtEnd(admin, group, topic);
    } finally {
      stop.fire();
      await Promise.all([js.disconnect(), intruder.disconnect()]);
    }
    const confluent = confluentMembers(await python!);
    got.push(...confluentRecords(confluent), ...franzRecords('mixed-franz', await franz!));
    expectExactlyOnce(got, n, partitions);
    expectEachPartitionOneMember(got, partitions);
    expect([...partitionsByMember(got).keys()].sort()).toEqual(['mixed-confluent-0', 'mixed-franz', 'mixed-kafkajs']);
    expect((await offsetsOf(admin, group, topic)).committed).toEqual(Array.from({ length: partitions }, () => n / partitions));
    figures.push(`mixed group (confluent-kafka, kafkajs, floe-franz): ${n} records in ${Date.now() - t0} ms; ${recovered(confluent)}`);
  }, 90_000);

  it('the nodes logged no warning or error', () => {
    for (const l of logs) expect(l.problems).toEqual([]);
  });
});

describe('load-balancer mode: a confluent-kafka group of three behind one address', () => {
  const proxy = new RoundRobinProxy();
  const nodes: RunningBroker[] = [];
  const logs: ReturnType<typeof problemLog>[] = [];
  /** Per node (port): the client ids whose JoinGroup requests it served. */
  const joinsByNode = new Map<number, Set<string>>();
  const joinedAt = (clientId: string) => nodes.filter((n) => joinsByNode.get(n.port)?.has(clientId)).map((n) => n.port);
  let lb: string;

  beforeAll(async () => {
    const port = await proxy.listen();
    lb = `127.0.0.1:${port}`;
    await startCluster(clusterEnv({ FLOE_LOAD_BALANCER: lb }), cluster.dir(), nodes, logs);
    proxy.backends = nodes.map((n) => n.port);
    // Which node each connection landed on (the proxy's own connection handler counts it just
    // before this one runs), and the JoinGroup requests (api key 11) sent over it.
    let counted = new Map(proxy.landed);
    proxy.server.on('connection', (socket) => {
      const node = [...proxy.landed].find(([p, c]) => c !== (counted.get(p) ?? 0))?.[0];
      counted = new Map(proxy.landed);
      if (node === undefined) return;
      let pending = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        for (let frames = 0; pending.length >= 4 && frames < 10_000; frames++) {
          const size = pending.readInt32BE(0);
          if (pending.length < 4 + size) break;
          const frame = pending.subarray(4, 4 + size);
          pending = pending.subarray(4 + size);
          const clientIdLength = frame.readInt16BE(8);
          if (frame.readInt16BE(0) === 11 && clientIdLength >= 0) {
            let ids = joinsByNode.get(node);
            if (!ids) joinsByNode.set(node, (ids = new Set()));
            ids.add(frame.subarray(10, 10 + clientIdLength).toString());
          }
        }
      });
    });
  }, 60_000);
  afterAll(async () => {
    await proxy.close();
    await Promise.all(nodes.map((n) => n.close(2_000)));
  });

  it('three confluent-kafka consumers, each talking to the group through another node, consume 3000 records exactly once and commit the log end', async () => {
    // Round robin alone usually spreads the members' coordinator connections, but not always
    // (each librdkafka consumer opens three connections, so the three coordinator connections
    // can fall on one node). So the members start one at a time, each while the load balancer
    // sends every new connection to one node of its own; once all three have joined, the
    // balancer goes back to round robin over all three nodes. The members' JoinGroups wait on
    // three different nodes for one barrier, which whichever node sees it due closes for all.
    const t0 = Date.now();
    const [topic, group, partitions, n] = ['lb-topic', 'lb-group', 12, 3000];
    await createTopic(lb, topic, partitions);
    const kafka = new Kafka({ clientId: 'floe-groups-admin', brokers: [lb], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
    const admin = kafka.admin();
    await admin.connect();
    const stop = trigger();
    const running: Promise<ToolResult>[] = [];
    try {
      for (const [i, node] of nodes.entries()) {
        proxy.backends = [node.port];
        running.push(confluentGroup({ bootstrap: lb, topic, group, partitions, members: 1, produce: 0, strategy: 'range', clientId: `lb${i}`, seconds: 50 }, stop.promise));
        await eventually(async () => joinedAt(`lb${i}-0`), (at) => at.length > 0, 20_000, `lb${i}-0 sent JoinGroup`);
      }
      proxy.backends = nodes.map((n) => n.port);
      await groupFormed(admin, group, topic, 3, partitions);
      await franzProduce(lb, topic, n, partitions);
      await committedAtEnd(admin, group, topic);
    } finally {
      stop.fire();
      proxy.backends = nodes.map((n) => n.port);
    }
    const members = (await Promise.all(running)).flatMap(confluentMembers);
    const got = confluentRecords(members);
    expectExactlyOnce(got, n, partitions);
    expectEachPartitionOneMember(got, partitions);
    expect(members.map((m) => m.final.length)).toEqual([4, 4, 4]);
    for (const m of members) expect(partitionsByMember(got).get(m.member) ?? []).toEqual(m.final);
    try {
      expect((await offsetsOf(admin, group, topic)).committed).toEqual(Array.from({ length: partitions }, () => n / partitions));
      const { groups } = await admin.describeGroups([group]);
      expect(groups[0]).toMatchObject({ state: 'Empty', members: [] });
    } finally {
      await admin.disconnect();
    }
    // Every JoinGroup of member i reached the group through node i, and through no other.
    expect(nodes.map((_, i) => joinedAt(`lb${i}-0`))).toEqual(nodes.map((x) => [x.port]));
    expect(nodes.every((x) => x.nodeId !== LOAD_BALANCER_NODE_ID)).toBe(true);
    figures.push(
      `load-balancer mode, confluent-kafka group of 3 joining one by one through nodes ${nodes.map((x) => x.nodeId).join(', ')}: ${n} records in ${Date.now() - t0} ms; assignments per member ${members.map((m) => m.assigned.length).join(', ')}; ${recovered(members)}`,
    );
  }, 90_000);

  it('the nodes logged no warning or error', () => {
    for (const l of logs) expect(l.problems).toEqual([]);
  });
});
