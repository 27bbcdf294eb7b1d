// The floe broker, started as `floe start` starts it (embedded default in a temp directory),
// driven by real Kafka clients: Kafka's own tools (Java), librdkafka (kcat), franz-go, kafkajs.
// Kafka's VerifiableProducer writes 100,000 records and Kafka's VerifiableConsumer reads every
// one back where the producer was told it landed.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '@floe/broker';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { javaTool, loadTestEnv, runTool } from '@floe/testkit';
import { startBroker, type RunningBroker } from '../../src/broker.ts';
import { loadConfig } from '../../src/config.ts';
import { checkGroupRun, committedUpTo, heldPartitions, lastSeq, rebalanceEventsAfter, until, VerifiableMember } from '../support/verifiable-consumer.ts';
import { ackedPerPartition, checkReadBack, getOffsetShell, NO_READ_BACK_PROBLEMS, runVerifiableProducer, type ProducerRun } from '../support/verifiable-producer.ts';

const env = loadTestEnv();
const figures: string[] = [];

describe('floe on the embedded default, with real clients', () => {
  let dir: string;
  let broker: RunningBroker;
  let bootstrap: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'floe-e2e-'));
    const config = loadConfig(
      ['--object-store', pathToFileURL(join(dir, 'objects')).href, '--metadata', join(dir, 'metadata'), '--kafka-listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0', '--grpc-listen', '127.0.0.1:0'],
      {},
      dir,
    );
    broker = await startBroker(config, silentLogger);
    bootstrap = `127.0.0.1:${broker.port}`;
  });
  afterAll(async () => {
    await broker.close(2_000);
    rmSync(dir, { recursive: true, force: true });
    if (figures.length > 0) process.stderr.write(`real-client figures:\n${figures.map((f) => `  ${f}\n`).join('')}`);
  });

  const java = (mainClass: string, args: string[], timeoutMs = 60_000) => {
    const { command, args: a } = javaTool(env.java, env.kafkaClasspath, mainClass, args);
    return runTool(command, a, { timeoutMs });
  };

  it('Kafka TopicCommand creates, lists, describes and deletes a topic', async () => {
    const create = await java('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', bootstrap, '--create', '--topic', 'tc', '--partitions', '3', '--config', 'retention.ms=3600000']);
    expect(create.code).toBe(0);
    expect(create.stdout).toContain('Created topic tc.');
    const list = await java('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', bootstrap, '--list']);
    expect(list.stdout.split('\n')).toContain('tc');
    const describe = await java('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', bootstrap, '--describe', '--topic', 'tc']);
    expect(describe.code).toBe(0);
    expect(describe.stdout).toMatch(/Topic: tc\s+TopicId: \S+\s+PartitionCount: 3\s+ReplicationFactor: 1/);
    expect(describe.stdout.match(/Partition: \d+\s+Leader: 1\s+Replicas: 1\s+Isr: 1/g)).toHaveLength(3);
    expect(describe.stdout).toMatch(/Configs: .*retention.ms=3600000/);
    const alter = await java('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', bootstrap, '--alter', '--topic', 'tc', '--partitions', '5']);
    expect(alter.code).toBe(0);
    const shrink = await java('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', bootstrap, '--alter', '--topic', 'tc', '--partitions', '2']);
    expect(shrink.stdout + shrink.stderr).toMatch(/InvalidPartitionsException|partition/i);
    const grown = await java('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', bootstrap, '--describe', '--topic', 'tc']);
    expect(grown.stdout).toMatch(/PartitionCount: 5/);
    // franz-go reads the topic's configs back (DescribeConfigs): the one set, and defaults.
    const configs = await runTool(env.franz, ['describe-configs', '-topic', 'tc'], { timeoutMs: 20_000, env: { FLOE_BROKERS: bootstrap } });
    const entries = configs.stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string; value: string; source: string });
    expect(entries.find((e) => e.name === 'retention.ms')).toEqual({ name: 'retention.ms', value: '3600000', source: 'DYNAMIC_TOPIC_CONFIG' });
    expect(entries.find((e) => e.name === 'cleanup.policy')).toMatchObject({ value: 'delete', source: 'DEFAULT_CONFIG' });
    const dup = await java('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', bootstrap, '--create', '--topic', 'tc', '--partitions', '1']);
    expect(dup.stdout + dup.stderr).toMatch(/already exists/);
    const bad = await java('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', bootstrap, '--create', '--topic', 'bad', '--config', 'no.such.config=1']);
    expect(bad.stdout + bad.stderr).toMatch(/[Uu]nknown topic config/); // checked by the tool itself
    // A known config with a value Floe refuses: the broker's INVALID_CONFIG reaches the tool.
    const badValue = await java('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', bootstrap, '--create', '--topic', 'bad', '--config', 'cleanup.policy=sometimes']);
    expect(badValue.code).not.toBe(0);
    expect(badValue.stdout + badValue.stderr).toMatch(/cleanup.policy/);
    const del = await java('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', bootstrap, '--delete', '--topic', 'tc']);
    expect(del.code).toBe(0);
    const after = await java('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', bootstrap, '--list']);
    expect(after.stdout.split('\n')).not.toContain('tc');
  });

  it('kcat lists the broker and an auto-created topic', async () => {
    const r = await runTool(env.kcat, ['-b', bootstrap, '-L', '-t', 'kcat-meta', '-J'], { timeoutMs: 20_000 });
    const md = JSON.parse(r.stdout) as { brokers: { id: number; name: string }[]; topics: { topic: string; partitions: unknown[] }[] };
    expect(md.brokers).toEqual([{ id: 1, name: bootstrap }]);
    expect(md.topics.find((t) => t.topic === 'kcat-meta')?.partitions).toHaveLength(1);
  });

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'])('kcat produces with %s and reads back keys, values and headers byte for byte', async (codec) => {
    const topic = `kcat-${codec}`;
    const lines = Array.from({ length: 50 }, (_, i) => `key-${i}:value ${i} ünïcødé ${'x'.repeat(i * 20)}`);
    const produce = await runTool(env.kcat, ['-b', bootstrap, '-P', '-t', topic, '-p', '0', '-z', codec, '-K:', '-H', `codec=${codec}`], {
      timeoutMs: 30_000,
      input: lines.join('\n') + '\n',
    });
    expect(produce.code).toBe(0);
    const consume = await runTool(env.kcat, ['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-J'], { timeoutMs: 30_000 });
    expect(consume.code).toBe(0);
    const got = consume.stdout.trim().split('\n').map((l) => JSON.parse(l) as { offset: number; key: string; payload: string; headers: string[] });
    expect(got.map((m) => m.offset)).toEqual(lines.map((_, i) => i));
    expect(got.map((m) => `${m.key}:${m.payload}`)).toEqual(lines);
    for (const m of got) expect(m.headers).toEqual(['codec', codec]);
  });

  it('franz-go produces with every codec and consumes keys, values, headers and timestamps', async () => {
    const records = Array.from({ length: 40 }, (_, i) => ({
      key: Buffer.from(`k${i}`).toString('base64'),
      value: Buffer.from(Array.from({ length: 100 + i }, (_, j) => (i * 7 + j) % 256)).toString('base64'),
      partition: i % 2,
      timestamp: 1_790_000_000_000 + i,
      headers: { n: String(i) },
    }));
    await runTool(env.franz, ['create-topic', '-topic', 'franz', '-partitions', '2'], { timeoutMs: 20_000, env: { FLOE_BROKERS: bootstrap } });
    for (const [i, codec] of ['none', 'gzip', 'snappy', 'lz4', 'zstd'].entries()) {
      const slice = records.slice(i * 8, i * 8 + 8);
      const r = await runTool(env.franz, ['produce', '-topic', 'franz', '-compression', codec], {
        timeoutMs: 30_000,
        env: { FLOE_BROKERS: bootstrap },
        input: slice.map((x) => JSON.stringify(x)).join('\n') + '\n',
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    const c = await runTool(env.franz, ['consume', '-topic', 'franz', '-count', '40', '-timeout', '30s'], { timeoutMs: 40_000, env: { FLOE_BROKERS: bootstrap } });
    expect(c.stderr).toBe('');
    const got = c.stdout.trim().split('\n').map((l) => JSON.parse(l) as { key: string; value: string; partition: number; offset: number; timestamp: number; headers: Record<string, string> });
    const byKey = new Map(got.map((g) => [g.key, g]));
    for (const r of records) {
      const g = byKey.get(r.key)!;
      expect([g.value, g.partition, g.timestamp, g.headers]).toEqual([r.value, r.partition, r.timestamp, r.headers]);
    }
    for (const p of [0, 1]) expect(got.filter((g) => g.partition === p).map((g) => g.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('the Java VerifiableProducer (acks=all, idempotent) writes 100,000 records to 12 partitions; a VerifiableConsumer reads each back at its acknowledged offset, in order; GetOffsetShell agrees', async () => {
    const [topic, group, partitions, n] = ['verifiable', 'verifiable-group', 12, 100_000];
    const created = await java('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', bootstrap, '--create', '--topic', topic, '--partitions', String(partitions)]);
    expect(created.code).toBe(0);
    // The consumer joins first and holds every partition, then consumes while the producer writes.
    const member = new VerifiableMember({ bootstrap, topic, group, name: 'vc1', verbose: true });
    let produced: ProducerRun;
    let rebalances: number;
    let consumedMs: number;
    try {
      await until(() => heldPartitions([member]).length === partitions, 60_000, `the consumer to hold ${partitions} partitions`);
      const formed = lastSeq([member]);
      const t0 = Date.now();
      produced = await runVerifiableProducer({ bootstrap, topic, records: n, timeoutMs: 240_000 });
      expect(produced.errors).toEqual([]);
      expect(produced.summary).toMatchObject({ sent: n, acked: n });
      expect(produced.acked).toHaveLength(n);
      const ends = await getOffsetShell(bootstrap, topic);
      expect(ends).toEqual(ackedPerPartition(produced.acked, partitions));
      expect([...ends.values()].reduce((a, b) => a + b, 0)).toBe(n);
      await until(() => committedUpTo([member], ends), 180_000, 'the consumer to consume and commit every record');
      consumedMs = Date.now() - t0;
      rebalances = rebalanceEventsAfter([member], formed);
      await member.stop();
    } finally {
      member.kill();
    }
    const readBack = checkReadBack(produced.acked, member.records);
    expect(readBack.problems).toEqual(NO_READ_BACK_PROBLEMS);
    expect(readBack.consumed).toBe(n);
    const run = checkGroupRun([member]);
    expect(run.backwardCommits).toEqual([]);
    expect(rebalances).toBe(0);
    figures.push(
      `VerifiableProducer: ${n} records (acks=all, idempotent) to ${partitions} partitions in ${produced.ms} ms ` +
        `(${Math.round(n / (produced.ms / 1000))}/s, the tool's own average ${Math.round(produced.summary!.avg_throughput)}/s); ` +
        `one VerifiableConsumer (--verbose) consumed and committed all of them ${consumedMs} ms after the producer started; ${rebalances} rebalances`,
    );
  }, 420_000);

  it('confluent-kafka produces with every compression type and reads everything back by assignment', async () => {
    const script = `
import json, sys
from confluent_kafka import Producer, Consumer, TopicPartition, OFFSET_BEGINNING
bootstrap = sys.argv[1]
sent = []
for codec in ['none', 'gzip', 'snappy', 'lz4', 'zstd']:
    p = Producer({'bootstrap.servers': bootstrap, 'compression.type': codec, 'enable.idempotence': True, 'linger.ms': 5})
    for i in range(20):
        key, value = f'{codec}-{i}'.encode(), bytes((i * 31 + j) % 256 for j in range(64 + i))
        p.produce('confluent', key=key, value=value, partition=0, headers=[('codec', codec.encode())])
        sent.append((key, value, codec))
    assert p.flush(20) == 0
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'unused', 'enable.auto.commit': False})
c.assign([TopicPartition('confluent', 0, OFFSET_BEGINNING)])
got = []
while len(got) < len(sent):
    m = c.poll(10)
    if m is None: break
    if m.error(): raise Exception(m.error())
    got.append((m.offset(), m.key(), m.value(), dict(m.headers())['codec'].decode()))
c.close()
assert [g[0] for g in got] == list(range(len(sent))), [g[0] for g in got]
assert [(g[1], g[2], g[3]) for g in got] == sent
print('ok', len(got))
`;
    const r = await runTool(env.python, ['-c', script, bootstrap], { timeoutMs: 90_000 });
    expect(r.stderr.split('\n').filter((l) => /Traceback|Error|assert/.test(l))).toEqual([]);
    expect(r.stdout.trim()).toBe('ok 100');
  });

  it('kafkajs (older protocol versions) creates a topic, produces with gzip and reads offsets; kcat reads the records', async () => {
    const kafka = new Kafka({ clientId: 'floe-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic: 'kafkajs', numPartitions: 2 }] })).toBe(true);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
      const sent = await producer.send({
        topic: 'kafkajs',
        compression,
        messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}-${compression}`, partition: 0, headers: { h: `${i}` } })),
      });
      expect(sent.every((r) => r.errorCode === 0)).toBe(true);
    }
    await producer.disconnect();
    const offsets = await admin.fetchTopicOffsets('kafkajs');
    expect(offsets.map((o) => [o.partition, o.high, o.low]).sort()).toEqual([[0, '20', '0'], [1, '0', '0']]);
    await admin.disconnect();
    const c = await runTool(env.kcat, ['-b', bootstrap, '-C', '-t', 'kafkajs', '-p', '0', '-o', 'beginning', '-e', '-f', '%k=%s;'], { timeoutMs: 20_000 });
    const expected = [...Array.from({ length: 10 }, (_, i) => `k${i}=v${i}-0`), ...Array.from({ length: 10 }, (_, i) => `k${i}=v${i}-1`)];
    expect(c.stdout.split(';').filter(Boolean)).toEqual(expected);
  });
});
