// The HTTP door of a node on MinIO + DynamoDB Local: /healthz, /readyz and /metrics, with the
// metrics checked against what real clients did (kcat produces and consumes in a group), and the
// JSON admin API agreeing with Kafka's tools.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadTestEnv, runTool } from '@floe/testkit';
import { silentLogger } from '@floe/broker';
import { callUnary, recordsClient } from '@floe/grpc';
import { startBroker, type RunningBroker } from '../../src/broker.ts';
import { loadConfig } from '../../src/config.ts';
import { clusterEnv, useClusterEnvironment } from '../support/in-process-cluster.ts';

const env = loadTestEnv();
const cluster = useClusterEnvironment('floe-obs');

/** Every sample of the exposition whose line starts with `prefix`, summed. */
function total(text: string, prefix: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('the HTTP door of a node', () => {
  let node: RunningBroker;
  let http: string;
  let bootstrap: string;

  beforeAll(async () => {
    node = await startBroker(loadConfig([], clusterEnv('floe-obs', { FLOE_GROUP_INITIAL_REBALANCE_DELAY_MS: '0', FLOE_AUTO_CREATE_TOPICS: 'true' }), cluster.dir()), silentLogger);
    http = `http://127.0.0.1:${node.httpPort}`;
    bootstrap = `127.0.0.1:${node.port}`;
  }, 60_000);
  afterAll(async () => {
    await node?.close(2_000);
  });

  it('/healthz and /readyz answer 200 with the checks of S3 and the coordination table', async () => {
    const health = await fetch(`${http}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${http}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { objectStore: { ok: true }, coordinationTable: { ok: true } } });
  });

  it('/metrics counts what kcat did: requests and bytes per API, flushes, S3 PUTs, table calls and units, lag of a group', async () => {
    const records = Array.from({ length: 500 }, (_, i) => `record-${i}`).join('\n') + '\n';
    const produced = await runTool(env.kcat, ['-b', bootstrap, '-P', '-t', 'observed', '-p', '0'], { timeoutMs: 30_000, input: records });
    expect(produced.code).toBe(0);
    // A group reads the first 200 and commits: its lag is then 300.
    const consumed = await runTool(
      env.kcat,
      ['-b', bootstrap, '-G', 'observers', '-c', '200', '-X', 'auto.offset.reset=earliest', '-q', 'observed'],
      { timeoutMs: 60_000 },
    );
    expect(consumed.stdout.trim().split('\n')).toHaveLength(200);

    // And one produce through the gRPC door.
    const grpc = recordsClient(`127.0.0.1:${node.grpcPort}`);
    await callUnary(grpc.produce, grpc, { topic: 'observed', partition: 0, records: [{ value: Buffer.from('over gRPC') }] });
    grpc.close();

    const r = await fetch(`${http}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await r.text();
    expect(total(text, 'floe_kafka_requests_total{api="Produce",outcome="dispatched"}')).toBeGreaterThanOrEqual(1);
    expect(total(text, 'floe_kafka_request_bytes_total{api="Produce"}')).toBeGreaterThan(5 * 500);
    expect(total(text, 'floe_kafka_request_duration_seconds_count{api="Produce",outcome="answered"}')).toBeGreaterThanOrEqual(1);
    expect(total(text, 'floe_kafka_requests_total{api="JoinGroup"')).toBeGreaterThanOrEqual(1);
    expect(total(text, 'floe_flush_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(total(text, 'floe_object_store_requests_total{op="put",outcome="ok"}')).toBe(total(text, 'floe_flush_duration_seconds_count'));
    expect(total(text, 'floe_object_store_bytes_total{direction="out"}')).toBe(total(text, 'floe_flush_segment_bytes_sum'));
    expect(total(text, 'floe_coordination_calls_total{op="put"')).toBeGreaterThan(0);
    expect(total(text, 'floe_coordination_capacity_units_total{kind="write"}')).toBeGreaterThan(0);
    // librdkafka commits what it delivered when kcat closes: 200 of 500.
    expect(total(text, 'floe_consumer_group_lag{group="observers",topic="observed",partition="0"}')).toBe(301);
    expect(total(text, 'floe_grpc_calls_total{method="floe.v1.Records/Produce",code="OK"}')).toBe(1);
    expect(total(text, 'floe_grpc_message_bytes_total{method="floe.v1.Records/Produce",direction="in"}')).toBeGreaterThan(9);
    expect(total(text, 'floe_grpc_call_duration_seconds_count{method="floe.v1.Records/Produce"}')).toBe(1);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  }, 90_000);

  it('the admin API creates a topic Kafka clients then use, shows offsets and group lag, refuses bad input, deletes', async () => {
    const post = (body: unknown) =>
      fetch(`${http}/api/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const created = await post({ name: 'via-http', partitions: 3, configs: { 'retention.ms': '3600000' } });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ name: 'via-http', partitions: 3 });
    expect((await post({ name: 'via-http', partitions: 3 })).status).toBe(409);
    const bad = await post({ name: 'via-http-2', configs: { 'no.such.config': '1' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'unknown topic config "no.such.config"' });
    expect((await post({ name: 'bad name' })).status).toBe(400);

    // kcat sees the topic and writes to it; the API shows the high watermark.
    const md = await runTool(env.kcat, ['-b', bootstrap, '-L', '-t', 'via-http', '-J'], { timeoutMs: 30_000 });
    expect((JSON.parse(md.stdout) as { topics: { partitions: unknown[] }[] }).topics[0]!.partitions).toHaveLength(3);
    const produced = await runTool(env.kcat, ['-b', bootstrap, '-P', '-t', 'via-http', '-p', '1'], { timeoutMs: 30_000, input: 'a\nb\nc\n' });
    expect(produced.code).toBe(0);
    const topic = (await (await fetch(`${http}/api/v1/topics/via-http`)).json()) as { configs: Record<string, string>; partitionOffsets: { partition: number; highWatermark: number }[] };
    expect(topic.configs).toEqual({ 'retention.ms': '3600000' });
    expect(topic.partitionOffsets.map((p) => p.highWatermark)).toEqual([0, 3, 0]);
    expect(((await (await fetch(`${http}/api/v1/topics`)).json()) as { name: string }[]).map((t) => t.name)).toContain('via-http');

    // The group of the previous test: 200 of 501 committed (500 from kcat, 1 over gRPC).
    const group = (await (await fetch(`${http}/api/v1/groups/observers`)).json()) as { state: string; offsets: unknown[] };
    expect(group).toMatchObject({ state: 'Empty', offsets: [{ topic: 'observed', partition: 0, committedOffset: 200, highWatermark: 501, lag: 301 }] });
    expect((await fetch(`${http}/api/v1/groups/nobody`)).status).toBe(404);
    const cluster = (await (await fetch(`${http}/api/v1/cluster`)).json()) as { nodes: { port: number }[] };
    expect(cluster.nodes.map((n) => n.port)).toEqual([node.port]);

    expect((await fetch(`${http}/api/v1/topics/via-http`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${http}/api/v1/topics/via-http`)).status).toBe(404);
    expect((await fetch(`${http}/api/v1/topics/via-http`, { method: 'DELETE' })).status).toBe(404);
  }, 90_000);
});
