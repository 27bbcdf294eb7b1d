// Proves each real Kafka client of the test environment is installed and speaks the Kafka
// protocol: each one, pointed at a capturing listener, opens with an ApiVersions request (key 18).
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Kafka, logLevel } from 'kafkajs';
import { startCaptureListener, type CaptureListener } from '../../src/capture-listener.ts';
import { javaTool, runTool } from '../../src/run-tool.ts';
import { loadTestEnv } from '../../src/test-env.ts';

const env = loadTestEnv();
const API_VERSIONS = 18;

describe('real Kafka clients reach a listener and send ApiVersions', () => {
  let listener: CaptureListener;
  beforeEach(async () => {
    listener = await startCaptureListener();
  });
  afterEach(() => listener.close());

  const bootstrap = () => `127.0.0.1:${listener.port}`;

  const captured = () => listener.waitFor(API_VERSIONS, 30_000);

  async function expectApiVersionsFrom(run: Promise<unknown>, clientIdPattern: RegExp) {
    const frame = await captured();
    expect(frame.apiVersion).toBeGreaterThanOrEqual(0);
    expect(frame.clientId ?? '').toMatch(clientIdPattern);
    await run;
    return frame;
  }

  it('the Java client (Kafka 4.3 TopicCommand)', async () => {
    const { command, args } = javaTool(env.java, env.kafkaClasspath, 'org.apache.kafka.tools.TopicCommand', [
      '--bootstrap-server', bootstrap(), '--list', '--command-config', '/dev/null',
    ]);
    const frame = await expectApiVersionsFrom(runTool(command, args, { timeoutMs: 20_000, stopWhen: captured() }), /adminclient/);
    expect(frame.apiVersion).toBe(4); // Kafka 4.x clients open with ApiVersions v4
  });

  it('librdkafka through kcat', async () => {
    const run = runTool(env.kcat, ['-b', bootstrap(), '-L', '-m', '3'], { timeoutMs: 10_000, stopWhen: captured() });
    await expectApiVersionsFrom(run, /rdkafka/);
  });

  it('librdkafka through confluent-kafka (Python)', async () => {
    const script = `from confluent_kafka.admin import AdminClient
try:
    AdminClient({'bootstrap.servers': '${bootstrap()}'}).list_topics(timeout=3)
except Exception:
    pass`;
    await expectApiVersionsFrom(runTool(env.python, ['-c', script], { timeoutMs: 10_000, stopWhen: captured() }), /rdkafka/);
  });

  it('franz-go through floe-franz', async () => {
    const run = runTool(env.franz, ['metadata', '-timeout', '3s'], {
      timeoutMs: 10_000,
      stopWhen: captured(),
      env: { FLOE_BROKERS: bootstrap() },
    });
    await expectApiVersionsFrom(run, /kgo/);
  });

  it('kafkajs', async () => {
    const kafka = new Kafka({
      clientId: 'floe-smoke-kafkajs',
      brokers: [bootstrap()],
      connectionTimeout: 1_000,
      requestTimeout: 2_000,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    const run = admin.connect().catch(() => undefined);
    await expectApiVersionsFrom(run, /floe-smoke-kafkajs/);
    await admin.disconnect();
  });
});
