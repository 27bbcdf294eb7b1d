// Interop: one FloeLog (embedded default in a temp dir) served by an in-process Kafka listener
// (@floe/broker's handlers) and by the gRPC server. Records produced with gRPC are read by kcat
// and by Kafka's Java consumer (ConsoleConsumer) with the same offsets, keys, headers and timestamps; records produced by kcat are returned by
// gRPC Fetch and Tail with kcat's offsets, keys, headers and timestamps.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokerHandlers, createRegistry, KafkaListener, silentLogger, TopicCache, type BrokerContext } from '@floe/broker';
import { EmbeddedCoordinationStore } from '@floe/coordination';
import { GroupCoordinator } from '@floe/groups';
import { FloeLog, ProducerIdAllocator } from '@floe/log';
import { FsObjectStore } from '@floe/object-store';
import { javaTool, loadTestEnv, runTool } from '@floe/testkit';
import { startGrpcServer, type RunningGrpcServer } from '../../src/index.ts';
import { call, collectTail, recordsClient, type RecordsClient } from '../support/grpc-fixture.ts';

const env = loadTestEnv();
const KCAT_FORMAT = '%o|%T|%K|%k|%S|%s|%h\\n';

interface Row {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: string;
}

/** kcat -f KCAT_FORMAT lines (ASCII keys and values without "|" or newlines). */
function parseKcat(out: string): Row[] {
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [o, t, kl, k, vl, v, h] = l.split('|');
      return { offset: Number(o), timestamp: Number(t), key: kl === '-1' ? null : k!, value: vl === '-1' ? null : v!, headers: h ?? '' };
    });
}

describe('gRPC and Kafka clients on the same log (kcat)', () => {
  let dir: string;
  let log: FloeLog;
  let listener: KafkaListener;
  let grpcServer: RunningGrpcServer;
  let client: RecordsClient;
  let bootstrap: string;
  let closeAll: () => Promise<void>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'floe-grpc-it-'));
    const objects = await FsObjectStore.open(join(dir, 'objects'));
    const coordination = await EmbeddedCoordinationStore.open(join(dir, 'metadata'));
    log = await FloeLog.open({ objects, coordination, node: 'it', lingerMs: 5, pollIntervalMs: 50 });
    const self = { nodeId: 1, host: '127.0.0.1', port: 0, rack: null };
    const ctx: BrokerContext = {
      log,
      topics: new TopicCache(log.topics, 200),
      producerIds: new ProducerIdAllocator(coordination),
      groups: new GroupCoordinator({ store: coordination, settings: { initialRebalanceDelayMs: 0 }, pollMs: 50 }),
      clusterId: log.cluster.clusterId,
      self,
      nodes: () => [self],
      settings: { autoCreateTopics: false, defaultPartitions: 1, maxMessageBytes: 1048588 },
    };
    listener = new KafkaListener({ registry: createRegistry(brokerHandlers(ctx)), host: '127.0.0.1', port: 0, logger: silentLogger });
    self.port = (await listener.listen()).port;
    bootstrap = `127.0.0.1:${self.port}`;
    grpcServer = await startGrpcServer({ log, topics: log.topics, host: '127.0.0.1', port: 0, producerIds: ctx.producerIds });
    client = recordsClient(`127.0.0.1:${grpcServer.port}`);
    closeAll = async () => {
      client.close();
      await grpcServer.close();
      await listener.close({ drainMs: 1000 });
      ctx.groups.close();
      await log.close();
      await objects.close();
      await coordination.close();
    };
  });
  afterAll(async () => {
    await closeAll?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('kcat reads records produced with gRPC with the same offsets, keys, headers and timestamps', async () => {
    await log.topics.create('from-grpc', 1, {});
    // Some Kafka-produced data first, so gRPC offsets do not start at 0.
    const pre = await runTool(env.kcat, ['-b', bootstrap, '-P', '-t', 'from-grpc', '-p', '0'], { timeoutMs: 30_000, input: 'pre0\npre1\n' });
    expect(pre.code).toBe(0);
    const res = await call(client.produce, client, {
      topic: 'from-grpc',
      partition: 0,
      records: [
        { key: Buffer.from('k1'), value: Buffer.from('v1'), headers: [{ key: 'h1', value: Buffer.from('x1') }, { key: 'h2', value: Buffer.from('x2') }], timestampMs: 1_700_000_000_123 },
        { value: Buffer.from('no-key'), timestampMs: 1_700_000_000_124 },
        { key: Buffer.from('k3'), value: Buffer.alloc(0), timestampMs: 1_700_000_000_125 },
      ],
    });
    expect(res.partitions[0]).toMatchObject({ partition: 0, baseOffset: 2, recordCount: 3 });
    const r = await runTool(env.kcat, ['-b', bootstrap, '-C', '-t', 'from-grpc', '-p', '0', '-o', 'beginning', '-e', '-q', '-f', KCAT_FORMAT], { timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    const rows = parseKcat(r.stdout);
    expect(rows.slice(2)).toEqual([
      { offset: 2, timestamp: 1_700_000_000_123, key: 'k1', value: 'v1', headers: 'h1=x1,h2=x2' },
      { offset: 3, timestamp: 1_700_000_000_124, key: null, value: 'no-key', headers: '' },
      { offset: 4, timestamp: 1_700_000_000_125, key: 'k3', value: '', headers: '' },
    ]);
  });

  it("Kafka's Java consumer (ConsoleConsumer) reads records produced with gRPC, idempotent ones too, with the same offsets, keys, headers and timestamps", async () => {
    await log.topics.create('to-java', 1, {});
    await call(client.produce, client, {
      topic: 'to-java',
      partition: 0,
      records: [
        { key: Buffer.from('k1'), value: Buffer.from('v1'), headers: [{ key: 'h1', value: Buffer.from('x1') }], timestampMs: 1_700_000_000_201 },
        { value: Buffer.from('v2'), timestampMs: 1_700_000_000_202 },
      ],
    });
    const { producerId, producerEpoch } = await call(client.initProducer, client, {});
    const idempotent = { topic: 'to-java', partition: 0, records: [{ key: Buffer.from('k3'), value: Buffer.from('v3'), timestampMs: 1_700_000_000_203 }], idempotence: { producerId, producerEpoch, baseSequence: 0 } };
    expect((await call(client.produce, client, idempotent)).partitions[0]).toMatchObject({ baseOffset: 2 });
    expect((await call(client.produce, client, idempotent)).partitions[0]).toMatchObject({ baseOffset: 2 }); // a retry: not written again
    const t = javaTool(env.java, env.kafkaClasspath, 'org.apache.kafka.tools.consumer.ConsoleConsumer', [
      '--bootstrap-server', bootstrap, '--topic', 'to-java', '--partition', '0', '--offset', 'earliest', '--max-messages', '3', '--timeout-ms', '20000',
      '--formatter-property', 'print.timestamp=true', '--formatter-property', 'print.offset=true', '--formatter-property', 'print.key=true',
      '--formatter-property', 'print.headers=true', '--formatter-property', 'key.separator=|', '--formatter-property', 'headers.separator=;',
    ]);
    const r = await runTool(t.command, t.args, { timeoutMs: 60_000 });
    expect(r.stderr).toMatch(/Processed a total of 3 messages/);
    expect(r.stdout.trim().split('\n')).toEqual([
      'CreateTime:1700000000201|Offset:0|h1:x1|k1|v1',
      'CreateTime:1700000000202|Offset:1|NO_HEADERS|null|v2',
      'CreateTime:1700000000203|Offset:2|NO_HEADERS|k3|v3',
    ]);
  }, 90_000);

  it('gRPC Fetch and Tail return records produced by kcat as kcat reads them', async () => {
    await log.topics.create('from-kcat', 1, {});
    const tail = collectTail(client.tail({ topic: 'from-kcat', partition: 0, position: 1 /* EARLIEST */ }), 6, 30_000);
    const lines = Array.from({ length: 6 }, (_, i) => `key-${i}:value-${i}`).join('\n') + '\n';
    const p = await runTool(env.kcat, ['-b', bootstrap, '-P', '-t', 'from-kcat', '-p', '0', '-K:', '-H', 'src=kcat', '-H', 'n=1'], { timeoutMs: 30_000, input: lines });
    expect(p.code).toBe(0);
    const r = await runTool(env.kcat, ['-b', bootstrap, '-C', '-t', 'from-kcat', '-p', '0', '-o', 'beginning', '-e', '-q', '-f', KCAT_FORMAT], { timeoutMs: 30_000 });
    const kcatRows = parseKcat(r.stdout);
    expect(kcatRows).toHaveLength(6);
    const asRows = (records: { offset?: number | null; timestampMs?: number | null; key?: Uint8Array | null; value?: Uint8Array | null; headers?: { key?: string | null; value?: Uint8Array | null }[] | null }[]): Row[] =>
      records.map((x) => ({
        offset: x.offset as number,
        timestamp: x.timestampMs as number,
        key: x.key ? Buffer.from(x.key).toString() : null,
        value: x.value ? Buffer.from(x.value).toString() : null,
        headers: (x.headers ?? []).map((h) => `${h.key}=${Buffer.from(h.value!).toString()}`).join(','),
      }));
    const fetched = await call(client.fetch, client, { topic: 'from-kcat', partition: 0, offset: 0 });
    expect(asRows(fetched.records)).toEqual(kcatRows);
    expect(kcatRows[0]).toMatchObject({ offset: 0, key: 'key-0', value: 'value-0', headers: 'src=kcat,n=1' });
    expect(asRows(await tail)).toEqual(kcatRows);
  });
});
