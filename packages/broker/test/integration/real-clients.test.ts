// Each real Kafka client of the test environment completes the ApiVersions exchange with the
// listener. Only ApiVersions is really served; Metadata is declared by a stub handler that closes
// the connection (CLOSE_CONNECTION), so a client that understood our ApiVersions answer sends a
// Metadata request at a version inside the advertised range, and the test stops there.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Kafka, logLevel } from 'kafkajs';
import { ApiKey } from '@floe/protocol';
import { CLOSE_CONNECTION, defineHandler, type RequestEvent } from '../../src/index.ts';
import { javaTool, runTool, type ToolResult } from '../../../testkit/src/run-tool.ts';
import { loadTestEnv } from '../../../testkit/src/test-env.ts';
import { startTestListener, type TestListener } from '../support/listener.ts';
import { eventually } from '../support/raw-client.ts';

const env = loadTestEnv();
const METADATA_MAX = 12;

const metadataStub = defineHandler({
  apiKey: ApiKey.Metadata,
  minVersion: 0,
  maxVersion: METADATA_MAX,
  handle: async () => CLOSE_CONNECTION,
});

describe('real clients complete the ApiVersions exchange', () => {
  let t: TestListener;
  let metadataSeen: Promise<RequestEvent[]>;
  beforeEach(async () => {
    t = await startTestListener([metadataStub]);
    // Resolves with the events of the first connection that sent Metadata after ApiVersions.
    metadataSeen = (async () => {
      let found: RequestEvent[] | undefined;
      await eventually(
        () => {
          const m = t.events.find((e) => e.apiKey === ApiKey.Metadata && e.outcome === 'dispatched');
          if (m === undefined) return false;
          found = t.events.filter((e) => e.connectionId === m.connectionId);
          return true;
        },
        30_000,
        'a Metadata request',
      );
      return found!;
    })();
  });
  afterEach(async () => {
    await t.listener.close({ drainMs: 1_000 });
  });

  const bootstrap = () => `127.0.0.1:${t.port}`;

  /** The connection's requests: ApiVersions answered (after a KIP-511 retry if any), then Metadata. */
  async function expectPastApiVersions(run: Promise<unknown>, clientId: RegExp, apiVersionsVersion: number): Promise<RequestEvent[]> {
    const events = await metadataSeen;
    await run;
    const upToMetadata = events.slice(0, events.findIndex((e) => e.apiKey === ApiKey.Metadata) + 1);
    const apiVersions = upToMetadata.filter((e) => e.apiKey === ApiKey.ApiVersions);
    expect(apiVersions.at(-1)).toMatchObject({ outcome: 'dispatched', apiVersion: apiVersionsVersion });
    expect(upToMetadata.at(-1)!.apiVersion).toBeLessThanOrEqual(METADATA_MAX);
    for (const e of upToMetadata) expect(e.clientId ?? '').toMatch(clientId);
    // No request other than ApiVersions before the Metadata.
    expect(upToMetadata.slice(0, -1).every((e) => e.apiKey === ApiKey.ApiVersions)).toBe(true);
    expect(t.logs.filter((l) => l.level === 'error')).toEqual([]);
    return upToMetadata;
  }

  it('the Java client (Kafka 4.3 BrokerApiVersionsCommand)', async () => {
    const { command, args } = javaTool(env.java, env.kafkaClasspath, 'org.apache.kafka.tools.BrokerApiVersionsCommand', [
      '--bootstrap-server',
      bootstrap(),
    ]);
    const run = runTool(command, args, { timeoutMs: 30_000, stopWhen: metadataSeen });
    const events = await expectPastApiVersions(run, /admin/, 4);
    expect(events.map((e) => [e.apiKey, e.apiVersion])).toEqual([
      [18, 4],
      [3, 12],
    ]);
  });

  it('librdkafka through kcat -L', async () => {
    const run = runTool(env.kcat, ['-b', bootstrap(), '-L', '-m', '2'], { timeoutMs: 15_000, stopWhen: metadataSeen });
    const events = await expectPastApiVersions(run, /rdkafka/, 3);
    expect(events.map((e) => [e.apiKey, e.apiVersion])).toEqual([
      [18, 3],
      [3, 4],
    ]);
  });

  it('librdkafka through confluent-kafka AdminClient (Python)', async () => {
    const script = `from confluent_kafka.admin import AdminClient
try:
    AdminClient({'bootstrap.servers': '${bootstrap()}'}).list_topics(timeout=5)
except Exception:
    pass`;
    const run = runTool(env.python, ['-c', script], { timeoutMs: 15_000, stopWhen: metadataSeen });
    const events = await expectPastApiVersions(run, /rdkafka/, 3);
    expect(events.map((e) => [e.apiKey, e.apiVersion])).toEqual([
      [18, 3],
      [3, 12],
    ]);
  });

  it('franz-go through floe-franz metadata (ApiVersions v5 refused per KIP-511, then v4)', async () => {
    const run = runTool(env.franz, ['metadata', '-timeout', '5s'], {
      timeoutMs: 15_000,
      stopWhen: metadataSeen,
      env: { FLOE_BROKERS: bootstrap() },
    });
    const events = await expectPastApiVersions(run, /kgo/, 4);
    expect(events.map((e) => [e.apiKey, e.apiVersion, e.outcome])).toEqual([
      [18, 5, 'unsupported-version'],
      [18, 4, 'dispatched'],
      [3, 12, 'dispatched'],
    ]);
  });

  it('kafkajs admin connect, then listTopics', async () => {
    const kafka = new Kafka({
      clientId: 'floe-broker-kafkajs',
      brokers: [bootstrap()],
      connectionTimeout: 2_000,
      requestTimeout: 3_000,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    // connect() resolves once the seed broker's ApiVersions answer is in; listTopics() then
    // sends Metadata.
    let connected = false;
    let timer: NodeJS.Timeout | undefined;
    const run = Promise.race([
      admin
        .connect()
        .then(() => (connected = true))
        .then(() => admin.listTopics())
        .catch(() => undefined),
      new Promise((r) => (timer = setTimeout(r, 15_000))),
    ]);
    try {
      await metadataSeen;
      expect(connected).toBe(true);
      const events = await expectPastApiVersions(run, /floe-broker-kafkajs/, 2);
      expect(events.map((e) => [e.apiKey, e.apiVersion])).toEqual([
        [18, 2],
        [3, 6],
      ]);
    } finally {
      clearTimeout(timer);
      await admin.disconnect();
    }
  });
});

describe('with ApiVersions alone', () => {
  let t: TestListener;
  afterEach(async () => {
    await t.listener.close({ drainMs: 1_000 });
  });

  it('librdkafka reads the answer and knows Metadata is not offered (it sends nothing more)', async () => {
    t = await startTestListener();
    const r: ToolResult = await runTool(env.kcat, ['-b', `127.0.0.1:${t.port}`, '-L', '-m', '5'], { timeoutMs: 15_000 });
    expect(r.timedOut).toBe(false);
    expect(r.stderr).toMatch(/not supported by broker/);
    expect(t.events.length).toBeGreaterThan(0);
    expect(t.events.every((e) => e.apiKey === ApiKey.ApiVersions && e.outcome === 'dispatched')).toBe(true);
  });
});
