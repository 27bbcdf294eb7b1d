// Golden captures: runs each real Kafka client of the test environment against a scripted capture
// broker (capture-broker.ts) and picks the request frames that become the codec's golden fixtures
// (packages/protocol/test/fixtures/golden/). Used by bin/capture-golden.ts, which writes the
// fixtures, and by the integration test golden-capture.test.ts, which repeats the capture live.
//
// Every scenario is bounded in time: tools run through runTool (whole process group killed at the
// deadline) and the in-process kafkajs client is raced against a timer and always disconnected.

import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { apiByKey, ApiKey, decodeRequest, type DecodedRequest } from '@floe/protocol';
import { startCaptureBroker, type CaptureBroker, type CaptureFailure, type CapturedRequest } from './capture-broker.ts';
import { javaTool, runTool, type ToolResult } from './run-tool.ts';
import type { TestEnv } from './test-env.ts';

export const GOLDEN_CLIENTS = ['java', 'kcat', 'confluent-kafka', 'franz-go', 'kafkajs'] as const;
export type GoldenClient = (typeof GOLDEN_CLIENTS)[number];

export const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Codec = (typeof CODECS)[number];

/** The codecs each client produces with. kafkajs ships gzip only; the others need codec plugins it does not ship. */
export const CLIENT_CODECS: Record<GoldenClient, readonly Codec[]> = {
  java: CODECS,
  kcat: CODECS,
  'confluent-kafka': CODECS,
  'franz-go': CODECS,
  kafkajs: ['none', 'gzip'],
};

/** The APIs every client must reach against the capture broker. */
export const REQUIRED_APIS: readonly number[] = [
  ApiKey.ApiVersions,
  ApiKey.Metadata,
  ApiKey.Produce,
  ApiKey.Fetch,
  ApiKey.JoinGroup,
  ApiKey.OffsetCommit,
];

/** Records per produce scenario and per consumer run. */
export const RECORDS_PER_TOPIC = 4;

export interface SentRecord {
  key: string;
  value: string;
  headers: [string, string][];
}

export const goldenTopic = (client: GoldenClient, codec: Codec) => `golden-${client}-${codec}`;
export const goldenGroup = (client: GoldenClient) => `golden-${client}-group`;
/** The topic each client's consumer group reads (and commits offsets for). */
export const consumeTopic = (client: GoldenClient) => goldenTopic(client, 'gzip');

/** What a scenario sends: compressible values so every codec really compresses, one header per record. */
export function sentRecords(client: GoldenClient, codec: Codec): SentRecord[] {
  return Array.from({ length: RECORDS_PER_TOPIC }, (_, i) => ({
    key: `key-${i}`,
    value: `${client} ${codec} record ${i} ` + 'floe golden capture '.repeat(8),
    // kcat -H sets the same headers on every record.
    headers: client === 'kcat' ? [['source', 'kcat']] : [['trace', `${client}-${codec}-${i}`]],
  }));
}

/** Spot checks for a fixture, derived from the scenario (never from the captured bytes). */
export interface GoldenExpect {
  topic?: string;
  /** Topic id the broker gave `topic` (Fetch v13+ names topics by id). */
  topicId?: string;
  groupId?: string;
  partition?: number;
  acks?: number;
  compression?: Codec;
  records?: SentRecord[];
  committedOffset?: string;
  protocolType?: string;
  /** Producer id in the batches: 1000 (the broker's) for idempotent producers, -1 otherwise. */
  producerId?: string;
  /** ListOffsets: the timestamp asked for (-2 = earliest; every consumer here resets to earliest). */
  timestamp?: string;
  /** The frame is an ApiVersions request newer than the codec: decodeRequest must refuse it (KIP-511). */
  unsupported?: boolean;
}

/** Clients whose producers are idempotent here (they send InitProducerId and stamp batches with its id). */
export const IDEMPOTENT_PRODUCERS: ReadonlySet<GoldenClient> = new Set(['java', 'confluent-kafka', 'franz-go']);

export interface GoldenFixture {
  /** Path under the golden directory: `<client>/<api>-v<version>[-<variant>].bin`. */
  file: string;
  client: GoldenClient;
  clientVersion: string;
  api: string;
  apiKey: number;
  version: number;
  variant?: string;
  expect: GoldenExpect;
  frame: Buffer;
}

export interface ClientCapture {
  client: GoldenClient;
  clientVersion: string;
  requests: CapturedRequest[];
  failures: CaptureFailure[];
  /** Topic name → id as the broker assigned them. */
  topicIds: Record<string, string>;
  /** Tool outputs, for diagnostics. */
  log: string[];
}

// ---------------------------------------------------------------------------------------------
// Client versions
// ---------------------------------------------------------------------------------------------

const here = fileURLToPath(new URL('.', import.meta.url));

function javaVersion(env: TestEnv): string {
  const dir = env.kafkaClasspath.replace(/\/\*$/, '');
  const jar = readdirSync(dir).find((f) => /^kafka-clients-[\d.]+\.jar$/.test(f));
  return jar ? `kafka-clients ${/^kafka-clients-([\d.]+)\.jar$/.exec(jar)![1]}` : 'kafka-clients (unknown)';
}

function franzVersion(): string {
  const gomod = readFileSync(`${here}/../clients/franz-go/go.mod`, 'utf8');
  const m = /github\.com\/twmb\/franz-go (v[\w.-]+)/.exec(gomod);
  return `franz-go ${m?.[1] ?? '(unknown)'}`;
}

function kafkajsVersion(): string {
  const req = createRequire(import.meta.url);
  return `kafkajs ${(req('kafkajs/package.json') as { version: string }).version}`;
}

async function kcatVersion(env: TestEnv): Promise<string> {
  const r = await runTool(env.kcat, ['-V'], { timeoutMs: 10_000 });
  const m = /Version ([\d.]+) .*librdkafka ([\d.]+)/s.exec(r.stdout + r.stderr);
  return m ? `kcat ${m[1]} (librdkafka ${m[2]})` : 'kcat (unknown)';
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

function describeRun(what: string, r: ToolResult): string {
  const tail = (s: string) => s.trim().split('\n').slice(-15).join('\n');
  return `${what}: exit ${r.code}${r.signal ? ` (${r.signal})` : ''}${r.timedOut ? ' TIMED OUT' : ''}\n${tail(r.stderr)}\n${tail(r.stdout)}`;
}

function check(what: string, r: ToolResult, log: string[]): void {
  log.push(describeRun(what, r));
  if (r.code !== 0 || r.timedOut) throw new Error(`${describeRun(what, r)}`);
}

interface ScenarioContext {
  env: TestEnv;
  broker: CaptureBroker;
  deadline: number;
  log: string[];
}

const remaining = (ctx: ScenarioContext) => Math.max(1_000, ctx.deadline - Date.now());

async function javaScenario(ctx: ScenarioContext): Promise<void> {
  const { env, broker } = ctx;
  const client: GoldenClient = 'java';
  await Promise.all(
    CLIENT_CODECS.java.map(async (codec) => {
      const input = sentRecords(client, codec)
        .map((r) => `${r.headers.map(([k, v]) => `${k}:${v}`).join(',')}\t${r.key}\t${r.value}\n`)
        .join('');
      const { command, args } = javaTool(env.java, env.kafkaClasspath, 'org.apache.kafka.tools.ConsoleProducer', [
        '--bootstrap-server', broker.bootstrap,
        '--topic', goldenTopic(client, codec),
        '--compression-codec', codec,
        '--command-property', 'acks=all',
        '--reader-property', 'parse.key=true',
        '--reader-property', 'parse.headers=true',
      ]);
      check(`ConsoleProducer ${codec}`, await runTool(command, args, { timeoutMs: remaining(ctx), input }), ctx.log);
    }),
  );
  const { command, args } = javaTool(env.java, env.kafkaClasspath, 'org.apache.kafka.tools.consumer.ConsoleConsumer', [
    '--bootstrap-server', broker.bootstrap,
    '--topic', consumeTopic(client),
    '--group', goldenGroup(client),
    '--from-beginning',
    '--max-messages', String(RECORDS_PER_TOPIC),
    '--timeout-ms', '20000',
    '--command-property', 'enable.auto.commit=true',
  ]);
  check('ConsoleConsumer', await runTool(command, args, { timeoutMs: remaining(ctx) }), ctx.log);
}

async function kcatScenario(ctx: ScenarioContext): Promise<void> {
  const { env, broker } = ctx;
  const client: GoldenClient = 'kcat';
  await Promise.all(
    CLIENT_CODECS.kcat.map(async (codec) => {
      const records = sentRecords(client, codec);
      const input = records.map((r) => `${r.key}:${r.value}\n`).join('');
      const headerArgs = records[0]!.headers.flatMap(([k, v]) => ['-H', `${k}=${v}`]);
      const args = ['-b', broker.bootstrap, '-P', '-t', goldenTopic(client, codec), '-z', codec, '-K:', ...headerArgs,
        '-X', 'linger.ms=1000', '-X', 'acks=all'];
      check(`kcat -P ${codec}`, await runTool(env.kcat, args, { timeoutMs: remaining(ctx), input }), ctx.log);
    }),
  );
  const args = ['-b', broker.bootstrap, '-G', goldenGroup(client), '-c', String(RECORDS_PER_TOPIC), '-e',
    '-X', 'auto.offset.reset=earliest', '-f', '%k %s\n', consumeTopic(client)];
  check('kcat -G', await runTool(env.kcat, args, { timeoutMs: remaining(ctx) }), ctx.log);
}

function pythonScript(bootstrap: string): string {
  const client: GoldenClient = 'confluent-kafka';
  const produce = CLIENT_CODECS[client].map((codec) => ({ codec, topic: goldenTopic(client, codec), records: sentRecords(client, codec) }));
  return `
import json, sys, time
from confluent_kafka import Consumer, Producer
plan = json.loads(${JSON.stringify(JSON.stringify(produce))})
for p in plan:
    prod = Producer({'bootstrap.servers': '${bootstrap}', 'compression.type': p['codec'], 'acks': 'all',
                     'enable.idempotence': True, 'linger.ms': 1000})
    errors = []
    for r in p['records']:
        prod.produce(p['topic'], key=r['key'], value=r['value'], headers=[(k, v) for k, v in r['headers']],
                     on_delivery=lambda err, msg: err and errors.append(str(err)))
    left = prod.flush(20)
    if left or errors:
        sys.exit('produce %s: %d left, errors %s' % (p['codec'], left, errors))
c = Consumer({'bootstrap.servers': '${bootstrap}', 'group.id': '${goldenGroup(client)}',
              'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
c.subscribe(['${consumeTopic(client)}'])
seen, deadline = 0, time.time() + 20
while seen < ${RECORDS_PER_TOPIC} and time.time() < deadline:
    m = c.poll(0.5)
    if m is not None and m.error() is None:
        seen += 1
if seen < ${RECORDS_PER_TOPIC}:
    sys.exit('consumed only %d records' % seen)
c.commit(asynchronous=False)
c.close()
print('ok')
`;
}

async function confluentScenario(ctx: ScenarioContext): Promise<string> {
  const { env, broker } = ctx;
  const v = await runTool(env.python, ['-c', 'import confluent_kafka as c; print(c.__version__, c.libversion()[0])'], {
    timeoutMs: 20_000,
  });
  const [py, lib] = v.stdout.trim().split(' ');
  check('confluent-kafka', await runTool(env.python, ['-c', pythonScript(broker.bootstrap)], { timeoutMs: remaining(ctx) }), ctx.log);
  return `confluent-kafka ${py ?? '?'} (librdkafka ${lib ?? '?'})`;
}

async function franzScenario(ctx: ScenarioContext): Promise<void> {
  const { env, broker } = ctx;
  const client: GoldenClient = 'franz-go';
  const toolEnv = { FLOE_BROKERS: broker.bootstrap };
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  await Promise.all(
    CLIENT_CODECS[client].map(async (codec) => {
      const input = sentRecords(client, codec)
        .map((r) => JSON.stringify({ key: b64(r.key), value: b64(r.value), partition: 0, headers: Object.fromEntries(r.headers) }))
        .join('\n');
      const args = ['produce', '-topic', goldenTopic(client, codec), '-compression', codec, '-timeout', '30s'];
      check(`floe-franz produce ${codec}`, await runTool(env.franz, args, { timeoutMs: remaining(ctx), input, env: toolEnv }), ctx.log);
    }),
  );
  const args = ['consume', '-topic', consumeTopic(client), '-count', String(RECORDS_PER_TOPIC), '-group', goldenGroup(client), '-timeout', '30s'];
  check('floe-franz consume', await runTool(env.franz, args, { timeoutMs: remaining(ctx), env: toolEnv }), ctx.log);
}

async function kafkajsScenario(ctx: ScenarioContext): Promise<void> {
  const { broker } = ctx;
  const client: GoldenClient = 'kafkajs';
  const kafka = new Kafka({
    clientId: 'floe-golden-kafkajs',
    brokers: [broker.bootstrap],
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 2 },
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: goldenGroup(client), maxWaitTimeInMs: 200 });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('kafkajs scenario timed out')), remaining(ctx));
  });
  const scenario = async () => {
    await producer.connect();
    for (const codec of CLIENT_CODECS.kafkajs) {
      await producer.send({
        topic: goldenTopic(client, codec),
        acks: -1,
        compression: codec === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        messages: sentRecords(client, codec).map((r) => ({
          key: r.key,
          value: r.value,
          partition: 0,
          headers: Object.fromEntries(r.headers),
        })),
      });
    }
    await producer.disconnect();
    await consumer.connect();
    await consumer.subscribe({ topic: consumeTopic(client), fromBeginning: true });
    let seen = 0;
    let done!: () => void;
    const allSeen = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      autoCommit: false,
      eachMessage: async () => {
        seen += 1;
        if (seen === RECORDS_PER_TOPIC) done();
      },
    });
    await allSeen;
    await consumer.commitOffsets([{ topic: consumeTopic(client), partition: 0, offset: String(RECORDS_PER_TOPIC) }]);
  };
  try {
    await Promise.race([scenario(), timeout]);
  } finally {
    clearTimeout(timer);
    await Promise.allSettled([producer.disconnect(), consumer.disconnect()]);
  }
}

/** Runs one client's scenario against a fresh capture broker and returns what it captured. */
export async function captureClient(client: GoldenClient, env: TestEnv, opts: { timeoutMs?: number } = {}): Promise<ClientCapture> {
  const broker = await startCaptureBroker({ client });
  const ctx: ScenarioContext = { env, broker, deadline: Date.now() + (opts.timeoutMs ?? 60_000), log: [] };
  let clientVersion: string;
  try {
    switch (client) {
      case 'java':
        clientVersion = javaVersion(env);
        await javaScenario(ctx);
        break;
      case 'kcat':
        clientVersion = await kcatVersion(env);
        await kcatScenario(ctx);
        break;
      case 'confluent-kafka':
        clientVersion = await confluentScenario(ctx);
        break;
      case 'franz-go':
        clientVersion = franzVersion();
        await franzScenario(ctx);
        break;
      case 'kafkajs':
        clientVersion = kafkajsVersion();
        await kafkajsScenario(ctx);
        break;
    }
  } finally {
    await broker.close();
  }
  const topicIds: Record<string, string> = {};
  for (const codec of CODECS) {
    const id = broker.topicId(goldenTopic(client, codec));
    if (id !== undefined) topicIds[goldenTopic(client, codec)] = id;
  }
  return { client, clientVersion, requests: [...broker.requests], failures: [...broker.failures], topicIds, log: ctx.log };
}

// ---------------------------------------------------------------------------------------------
// Fixture selection
// ---------------------------------------------------------------------------------------------

/** kebab-case API name, as the generated message files: ApiVersions → api-versions. */
export function apiFileName(apiKey: number): string {
  const name = apiByKey(apiKey)?.name ?? `api-${apiKey}`;
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

function tryDecode(frame: Buffer): DecodedRequest | undefined {
  try {
    return decodeRequest(frame);
  } catch {
    return undefined;
  }
}

function produceCodec(client: GoldenClient, req: DecodedRequest): Codec | undefined {
  if (req.apiKey !== ApiKey.Produce) return undefined;
  for (const td of req.body.topicData) {
    const codec = CODECS.find((c) => goldenTopic(client, c) === td.name);
    if (codec && td.partitionData.some((p) => (p.records?.length ?? 0) > 0)) return codec;
  }
  return undefined;
}

/** Records in a Produce request, from its batch headers (0 if the records are not well framed). */
export function producedRecordCount(req: DecodedRequest): number {
  if (req.apiKey !== ApiKey.Produce) return 0;
  let n = 0;
  for (const td of req.body.topicData) {
    for (const pd of td.partitionData) {
      const r = pd.records ?? Buffer.alloc(0);
      for (let pos = 0; pos + 61 <= r.length; pos += 12 + r.readInt32BE(pos + 8)) n += r.readInt32BE(pos + 57);
    }
  }
  return n;
}

/** Higher is a better example of the API for spot checks; candidates with equal scores keep capture order. */
function score(client: GoldenClient, req: DecodedRequest): number {
  const group = goldenGroup(client);
  const topic = consumeTopic(client);
  switch (req.apiKey) {
    case ApiKey.Produce:
      return producedRecordCount(req);
    case ApiKey.Metadata:
      return (req.body.topics ?? []).some((t) => t.name === topic) ? 2 : (req.body.topics ?? []).length > 0 ? 1 : 0;
    case ApiKey.Fetch:
      return req.body.topics.some((t) => t.partitions.length > 0) ? 1 : 0;
    case ApiKey.JoinGroup:
      return req.body.groupId === group && req.body.memberId !== '' ? 1 : 0;
    case ApiKey.OffsetCommit:
      return req.body.topics.some((t) => t.partitions.some((p) => p.committedOffset === BigInt(RECORDS_PER_TOPIC))) ? 1 : 0;
    case ApiKey.ListOffsets:
      return req.body.topics.some((t) => t.name === topic) ? 1 : 0;
    default:
      return 0;
  }
}

function expectationsFor(capture: ClientCapture, req: DecodedRequest, codec: Codec | undefined): GoldenExpect {
  const { client } = capture;
  const group = goldenGroup(client);
  const topic = consumeTopic(client);
  switch (req.apiKey) {
    case ApiKey.Produce: {
      const t = goldenTopic(client, codec!);
      const producerId = IDEMPOTENT_PRODUCERS.has(client) ? '1000' : '-1';
      return { topic: t, partition: 0, acks: -1, compression: codec!, producerId, records: sentRecords(client, codec!) };
    }
    case ApiKey.Metadata:
      return score(client, req) === 2 ? { topic } : {};
    case ApiKey.Fetch: {
      const e: GoldenExpect = { topic, partition: 0 };
      if (req.header.apiVersion >= 13 && capture.topicIds[topic]) e.topicId = capture.topicIds[topic];
      return e;
    }
    case ApiKey.ListOffsets:
      return { topic, partition: 0, timestamp: '-2' };
    case ApiKey.JoinGroup:
      return { groupId: group, protocolType: 'consumer', topic };
    case ApiKey.OffsetCommit:
      return { groupId: group, topic, partition: 0, committedOffset: String(RECORDS_PER_TOPIC) };
    case ApiKey.SyncGroup:
    case ApiKey.Heartbeat:
    case ApiKey.LeaveGroup:
    case ApiKey.OffsetFetch:
      return { groupId: group };
    case ApiKey.FindCoordinator:
      return { groupId: group };
    default:
      return {};
  }
}

/**
 * One fixture per (client, api, version, variant): the variant is the compression codec for
 * Produce and empty otherwise. Frames that do not decode are not fixtures (they are failures).
 */
export function selectFixtures(capture: ClientCapture): GoldenFixture[] {
  const best = new Map<string, { req: DecodedRequest; frame: Buffer; score: number; codec: Codec | undefined }>();
  const out: GoldenFixture[] = [];
  const refused = new Set<number>();
  for (const r of capture.requests) {
    const req = tryDecode(r.frame);
    if (!req) {
      // An ApiVersions request newer than the codec, answered per KIP-511: kept as a fixture that
      // decodeRequest must refuse. Other undecodable frames are capture failures, not fixtures.
      if (r.apiKey === ApiKey.ApiVersions && !refused.has(r.apiVersion) && r.apiVersion > apiByKey(ApiKey.ApiVersions)!.maxVersion) {
        refused.add(r.apiVersion);
        out.push({
          file: `${capture.client}/${apiFileName(r.apiKey)}-v${r.apiVersion}-unsupported.bin`,
          client: capture.client,
          clientVersion: capture.clientVersion,
          api: 'ApiVersions',
          apiKey: r.apiKey,
          version: r.apiVersion,
          variant: 'unsupported',
          expect: { unsupported: true },
          frame: r.frame,
        });
      }
      continue;
    }
    const codec = produceCodec(capture.client, req);
    if (req.apiKey === ApiKey.Produce && codec === undefined) continue;
    const key = `${req.apiKey}/${req.header.apiVersion}/${codec ?? ''}`;
    const s = score(capture.client, req);
    const prev = best.get(key);
    if (!prev || s > prev.score) best.set(key, { req, frame: r.frame, score: s, codec });
  }
  for (const { req, frame, codec } of best.values()) {
    const api = apiByKey(req.apiKey)!.name;
    const version = req.header.apiVersion;
    const f: GoldenFixture = {
      file: `${capture.client}/${apiFileName(req.apiKey)}-v${version}${codec ? `-${codec}` : ''}.bin`,
      client: capture.client,
      clientVersion: capture.clientVersion,
      api,
      apiKey: req.apiKey,
      version,
      expect: expectationsFor(capture, req, codec),
      frame,
    };
    if (codec) f.variant = codec;
    out.push(f);
  }
  return out.sort((a, b) => a.apiKey - b.apiKey || a.version - b.version || (a.variant ?? '').localeCompare(b.variant ?? ''));
}

/** The manifest entry of a fixture (everything but the bytes). */
export function manifestEntry(f: GoldenFixture): Omit<GoldenFixture, 'frame'> {
  const { file, client, clientVersion, api, apiKey, version, variant, expect } = f;
  return variant === undefined
    ? { file, client, clientVersion, api, apiKey, version, expect }
    : { file, client, clientVersion, api, apiKey, version, variant, expect };
}
