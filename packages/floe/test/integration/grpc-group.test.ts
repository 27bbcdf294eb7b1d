// A gRPC consumer (Records.Consume) and a Kafka consumer (confluent-kafka, group.protocol=consumer)
// in one consumer group, on two nodes over MinIO + DynamoDB Local: they split the partitions, hand
// them over on leaving from each other's commits, and Kafka's ConsumerGroupCommand sees both
// members. A classic group with members refuses a gRPC member.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { callUnary, consumeGroup, floe, recordsClient, type RecordsClient } from '@floe/grpc';
import { javaTool, loadTestEnv, runTool, type ToolResult } from '@floe/testkit';
import { silentLogger } from '@floe/broker';
import { startBroker, type RunningBroker } from '../../src/broker.ts';
import { loadConfig } from '../../src/config.ts';
import { clusterEnv, useClusterEnvironment } from '../support/in-process-cluster.ts';

const env = loadTestEnv();
const cluster = useClusterEnvironment('floe-grpc-group');
const PARTITIONS = 6;

// A confluent-kafka member of the group until SIGTERM; then it commits what it read, closes and
// prints its records and assignment events as JSON.
const CONFLUENT_MEMBER = `
import json, signal, sys, time
from confluent_kafka import Consumer, KafkaException
cfg = json.loads(sys.argv[1])
stopping = []
signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
out = {'assigned': [], 'revoked': [], 'records': [], 'errors': []}
c = Consumer({'bootstrap.servers': cfg['bootstrap'], 'group.id': cfg['group'], 'client.id': 'mixed-confluent',
              'group.protocol': 'consumer', 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
def on_assign(c, ps): out['assigned'].append([time.time() * 1000, sorted(p.partition for p in ps)])
def on_revoke(c, ps):
    out['revoked'].append([time.time() * 1000, sorted(p.partition for p in ps)])
    try: c.commit(asynchronous=False)
    except KafkaException: pass
c.subscribe([cfg['topic']], on_assign=on_assign, on_revoke=on_revoke)
deadline = time.monotonic() + cfg['seconds']
while not stopping and time.monotonic() < deadline:
    for m in c.consume(num_messages=500, timeout=0.1):
        if m.error():
            if m.error().fatal(): raise KafkaException(m.error())
            out['errors'].append(str(m.error()))
            continue
        out['records'].append([m.partition(), m.offset(), m.value().decode(), time.time() * 1000])
try: c.commit(asynchronous=False)
except KafkaException: pass
c.close()
print(json.dumps(out))
`;

interface Got {
  partition: number;
  offset: number;
  value: string;
  at: number;
}

async function eventually(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a gRPC consumer and a Kafka consumer in one group', () => {
  const nodes: RunningBroker[] = [];
  let grpcA: RecordsClient;
  let grpcB: RecordsClient;
  const kafka = (i: number) => `127.0.0.1:${nodes[i]!.port}`;
  const groupCommand = async (args: string[]) => {
    const t = javaTool(env.java, env.kafkaClasspath, 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', ['--bootstrap-server', kafka(0), ...args, '--timeout', '30000']);
    const r = await runTool(t.command, t.args, { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`ConsumerGroupCommand ${args.join(' ')} failed (${r.code}): ${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const produce = async (from: number, to: number) => {
    for (let i = from; i < to; i += 200) {
      const records = Array.from({ length: Math.min(200, to - i) }, (_, j) => ({ value: Buffer.from(`r${i + j}`) }));
      // One request per partition keeps the values' partition known: r<i> is in partition i % 6.
      for (let p = 0; p < PARTITIONS; p++) {
        const mine = records.filter((_, j) => (i + j) % PARTITIONS === p);
        if (mine.length > 0) await callUnary(grpcB.produce, grpcB, { topic: 'mixed', partition: p, records: mine });
      }
    }
  };

  beforeAll(async () => {
    const vars = clusterEnv('floe-grpc-group', { FLOE_GROUP_INITIAL_REBALANCE_DELAY_MS: '0', FLOE_GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS: '500' });
    nodes.push(await startBroker(loadConfig([], vars, cluster.dir()), silentLogger));
    nodes.push(await startBroker(loadConfig([], vars, cluster.dir()), silentLogger));
    grpcA = recordsClient(`127.0.0.1:${nodes[0]!.grpcPort}`);
    grpcB = recordsClient(`127.0.0.1:${nodes[1]!.grpcPort}`);
    const created = await fetch(`http://127.0.0.1:${nodes[0]!.httpPort}/api/v1/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'mixed', partitions: PARTITIONS }),
    });
    expect(created.status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    grpcA?.close();
    grpcB?.close();
    for (const n of nodes) await n.close(2_000);
  });

  it('split the partitions, each record read once, hand-overs from commits, both members in ConsumerGroupCommand', async () => {
    const grpcGot: Got[] = [];
    const owned: number[][] = [];
    const stopGrpc = new AbortController();
    const grpcMember = consumeGroup(grpcA, {
      subscribe: { groupId: 'mixed-group', topics: ['mixed'], reset: floe.v1.StartPosition.START_POSITION_EARLIEST },
      signal: stopGrpc.signal,
      commitIntervalMs: 300,
      onAssignment: (a) => owned.push((a.owned ?? []).flatMap((t) => t.partitions ?? []).sort()),
      onRecords: (m) => {
        for (const r of m.records ?? []) grpcGot.push({ partition: m.partition ?? -1, offset: Number(r.offset), value: Buffer.from(r.value ?? []).toString(), at: Date.now() });
      },
    });
    const grpcFailed = grpcMember.then(() => false, () => true);
    await eventually(() => owned.at(-1)?.length === PARTITIONS, 15_000, 'the gRPC member to own all partitions');

    let stopKafka!: () => void;
    const kafkaStop = new Promise<void>((r) => (stopKafka = r));
    const kafkaMember: Promise<ToolResult> = runTool(env.python, ['-c', CONFLUENT_MEMBER, JSON.stringify({ bootstrap: kafka(1), group: 'mixed-group', topic: 'mixed', seconds: 120 })], { timeoutMs: 130_000, stopWhen: kafkaStop });
    await eventually(() => owned.at(-1)?.length === PARTITIONS / 2, 30_000, 'the gRPC member to give up half its partitions');
    const grpcHalf = owned.at(-1)!;

    await produce(0, 3000);
    const mineAfterSplit = () => grpcGot.filter((g) => Number(g.value.slice(1)) < 3000).length;
    await eventually(() => mineAfterSplit() === 1500, 30_000, 'the gRPC member to read its 1500 records');

    const members = await groupCommand(['--describe', '--group', 'mixed-group', '--members']);
    const rows = members.split('\n').filter((l) => l.startsWith('mixed-group'));
    expect(rows).toHaveLength(2);
    expect(rows.find((l) => l.includes('floe-grpc'))).toMatch(/\s3\s*$/);
    expect(rows.find((l) => l.includes('mixed-confluent'))).toMatch(/\s3\s*$/);

    // The Kafka consumer leaves (committing what it read): the gRPC member takes its partitions
    // over from those commits.
    stopKafka();
    const k = await kafkaMember;
    expect(k.code).toBe(0);
    const kafkaOut = JSON.parse(k.stdout) as { assigned: [number, number[]][]; records: [number, number, string, number][]; errors: string[] };
    await eventually(() => owned.at(-1)?.length === PARTITIONS, 30_000, 'the gRPC member to own all partitions again');
    await produce(3000, 3600);
    await eventually(() => grpcGot.filter((g) => Number(g.value.slice(1)) >= 3000).length === 600, 30_000, 'the last 600 records');
    await new Promise((r) => setTimeout(r, 500));

    // Each record exactly once across the two members, each from the partition it was written to.
    const kafkaGot: Got[] = kafkaOut.records.map(([partition, offset, value, at]) => ({ partition, offset, value, at }));
    const all = [...grpcGot, ...kafkaGot];
    expect(all).toHaveLength(3600);
    expect(new Set(all.map((g) => g.value)).size).toBe(3600);
    for (const g of all) expect(g.partition).toBe(Number(g.value.slice(1)) % PARTITIONS);
    // While both were members, each read only its own half.
    const kafkaHalf = [...new Set(kafkaGot.map((g) => g.partition))].sort();
    expect(kafkaHalf.filter((p) => grpcHalf.includes(p))).toEqual([]);
    expect(kafkaHalf).toHaveLength(PARTITIONS / 2);

    stopGrpc.abort();
    await grpcMember;
    expect(await grpcFailed).toBe(false);
    // Everything committed: lag 0 on every partition, and no member left.
    const offsets = await groupCommand(['--describe', '--group', 'mixed-group']);
    const lags = offsets.split('\n').filter((l) => l.startsWith('mixed-group')).map((l) => l.trim().split(/\s+/));
    expect(lags).toHaveLength(PARTITIONS);
    for (const cols of lags) expect(cols[5]).toBe('0');
    const state = await groupCommand(['--describe', '--group', 'mixed-group', '--state']);
    expect(state).toMatch(/Empty/);
  }, 240_000);

  it('a classic group with members refuses a gRPC member (FAILED_PRECONDITION)', async () => {
    await produce(0, 60);
    let stopKcat!: () => void;
    const kcatStop = new Promise<void>((r) => (stopKcat = r));
    const kcat = runTool(env.kcat, ['-b', kafka(0), '-G', 'classic-group', '-X', 'auto.offset.reset=earliest', '-q', 'mixed'], { timeoutMs: 90_000, stopWhen: kcatStop });
    await eventually(async () => {
      const r = await fetch(`http://127.0.0.1:${nodes[0]!.httpPort}/api/v1/groups/classic-group`);
      return r.status === 200 && ((await r.json()) as { state?: string }).state === 'Stable';
    }, 30_000, 'the kcat group to be Stable');
    const err = await consumeGroup(grpcA, { subscribe: { groupId: 'classic-group', topics: ['mixed'] }, signal: new AbortController().signal, onRecords: () => undefined }).then(
      () => undefined,
      (e: { code?: number; details?: string }) => e,
    );
    stopKcat();
    await kcat;
    expect(err).toMatchObject({ code: 9 /* FAILED_PRECONDITION */, details: expect.stringContaining('classic group') });
  }, 120_000);
});
