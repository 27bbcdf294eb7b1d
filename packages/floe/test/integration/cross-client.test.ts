// Issue #3's cross-client matrix: records written by each of four client families are read back
// by every family, byte for byte (key, value, headers, partition, offset), and by a raw Fetch.
//
// Writers, one topic each, 20 records: Kafka's ConsoleProducer (Java), confluent-kafka
// (librdkafka), floe-franz produce (franz-go), kafkajs producer.send. Readers: Kafka's
// ConsoleConsumer (Java), kcat -C (librdkafka), floe-franz consume (franz-go), a kafkajs consumer
// group, and a raw Fetch (@floe/protocol's decoder). Each reader reads all four topics, its own
// family's included.
//
// The records: a null key, an empty value, a null value (tombstone), one without headers, binary
// keys and values (every byte value), values from a few bytes to 30 KB, and two headers (UTF-8
// keys and values) on the others. Limits of the tools, worked around rather than hidden:
// - ConsoleProducer reads lines of text: its records are UTF-8 text without tabs or newlines (no
//   binary record), and it cannot choose a partition, so its topic has one partition.
// - floe-franz carries headers as a JSON object of strings: header values must be UTF-8 and keys
//   distinct; its reader loses their order, and its writer sends them in Go's random map order,
//   so headers are compared as a set where floe-franz wrote or read them (and the other readers
//   must agree with each other on the order floe-franz sent).
// - Header values are never null (floe-franz and kcat print a null header value as text).
// Timestamps: the librdkafka, franz-go and kafkajs writers set them, and every reader must report
// them; ConsoleProducer stamps its own, and every reader must report the same as the raw Fetch.
//
// Three deployments: the embedded default (one node, local files), three nodes in per-node mode
// (every write through node A, with B and C unlisted while writing so that A leads every
// partition; every read bootstrapped at node C, clients following Metadata, and the raw Fetch sent
// to node C itself), and three nodes behind a round-robin load balancer.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type IHeaders } from 'kafkajs';
import { silentLogger, type Logger } from '@floe/broker';
import {
  ApiKey,
  decodeBatch,
  defaultFetchRequest,
  defaultFetchRequestFetchPartition,
  defaultFetchRequestFetchTopic,
  ErrorCode,
  splitBatches,
} from '@floe/protocol';
import { javaTool, loadTestEnv, RoundRobinProxy, runTool, type ToolResult } from '@floe/testkit';
import { RawClient } from '../../../broker/test/support/raw-client.ts';
import { startBroker, type RunningBroker } from '../../src/broker.ts';
import { loadConfig } from '../../src/config.ts';
import { clusterEnv, useClusterEnvironment } from '../support/in-process-cluster.ts';

const env = loadTestEnv();

const WRITERS = ['java', 'librdkafka', 'franz', 'kafkajs'] as const;
type Writer = (typeof WRITERS)[number];
const READERS = ['java', 'kcat', 'franz', 'kafkajs', 'fetch'] as const;
type Reader = (typeof READERS)[number];

const RECORDS = 20;
const PARTITIONS: Record<Writer, number> = { java: 1, librdkafka: 3, franz: 3, kafkajs: 3 };
const topicOf = (w: Writer) => `xc-${w}`;
const TOTAL = WRITERS.length * RECORDS;
const BASE_TIMESTAMP = 1_790_000_000_000;

interface Rec {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: [string, Buffer][];
  /** Set by the writer (absent for ConsoleProducer, which stamps its own). */
  timestamp?: number;
}

// --- the records each writer writes ----------------------------------------------------------

const every256 = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
/** Printable text with ASCII punctuation and 2-, 3- and 4-byte UTF-8, for the text-only writer. */
const PRINTABLE = ` !"#$%&'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_\`abcxyz{|}~ ¡§ÿ ĀŁ Ωπ Жж אב عر हि 中文字 €₿ 😀𝄞`;

function written(w: Writer): Rec[] {
  const next = new Map<number, number>();
  return Array.from({ length: RECORDS }, (_, i): Rec => {
    const partition = i % PARTITIONS[w];
    const offset = next.get(partition) ?? 0;
    next.set(partition, offset + 1);
    const text = (s: string) => Buffer.from(s, 'utf8');
    let key: Buffer | null = text(`${w}-key-${i}`);
    let value: Buffer | null = text(`${w} value ${i} ünïcødé ✓ ${'αβγδε'.repeat(i * 7)}`);
    let headers: [string, Buffer][] = [
      ['trace', text(`${w}-${i}`)],
      ['ünï-çødé', text(`✓ ${i} €𝄞 ${w}`)],
    ];
    if (i === 0) key = null;
    if (i === 1) value = Buffer.alloc(0);
    if (i === 2) {
      if (w === 'java') {
        key = text(`${w} ${PRINTABLE}`);
        value = text(`${PRINTABLE} ${w} ${PRINTABLE}`);
      } else {
        key = Buffer.concat([every256, text(w)]);
        value = Buffer.concat([text(w), ...Array.from({ length: 8 }, (_, j) => every256.map((b) => (b * 7 + j) & 0xff))]);
      }
    }
    if (i === 3) value = null;
    if (i === 4) headers = [];
    if (i === 19) value = text(`${w} large ${'0123456789abcdefghijklmnopqrstuvwxyzÀÉÎÕÜ'.repeat(650)}`); // ~30 KB
    return { partition, offset, key, value, headers, ...(w === 'java' ? {} : { timestamp: BASE_TIMESTAMP + i * 1_000 }) };
  });
}

const EXPECTED = new Map(WRITERS.map((w) => [w, written(w)]));

// --- writers ---------------------------------------------------------------------------------

const b64 = (b: Buffer | null) => (b === null ? null : b.toString('base64'));
const JAVA_NULL = '<~NULL~>';

const java = (mainClass: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}) => {
  const { command, args: a } = javaTool(env.java, env.kafkaClasspath, mainClass, args);
  return runTool(command, a, { timeoutMs: opts.timeoutMs ?? 60_000, ...(opts.input !== undefined ? { input: opts.input } : {}) });
};

/** Fails with the tool's output unless it exited 0 in time. */
function expectRan(what: string, r: ToolResult): void {
  if (r.code !== 0 || r.timedOut) throw new Error(`${what}: exit ${r.code}${r.timedOut ? ' (timed out)' : ''}\nstdout: ${r.stdout.slice(-3_000)}\nstderr: ${r.stderr.slice(-3_000)}`);
}

/** stderr lines other than the Java tools' notices (SLF4J, the count of messages, KIP-848's advertisement). */
const javaErrors = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('SLF4J:') && !/^Processed a total of \d+ messages$/.test(l) && !l.startsWith('The consumer rebalance protocol (KIP-848) is production-ready!'));

async function writeJava(bootstrap: string, records: Rec[]): Promise<void> {
  // "h1:v1,h2:v2<TAB>key<TAB>value"; the null marker stands for a null key or value, or no headers.
  const lines = records.map((r) => {
    const fields = [r.headers.length === 0 ? JAVA_NULL : r.headers.map(([k, v]) => `${k}:${v.toString('utf8')}`).join(','), r.key, r.value];
    return fields.map((f) => (f === null ? JAVA_NULL : f.toString('utf8'))).join('\t');
  });
  for (const l of lines) if (/[\n\r]/.test(l) || l.split('\t').length !== 3) throw new Error(`not a ConsoleProducer line: ${l}`);
  const r = await java(
    'org.apache.kafka.tools.ConsoleProducer',
    [
      '--bootstrap-server', bootstrap, '--topic', topicOf('java'),
      '--reader-property', 'parse.key=true', '--reader-property', 'parse.headers=true', '--reader-property', `null.marker=${JAVA_NULL}`,
      '--command-property', 'acks=all', '--command-property', 'enable.idempotence=true', '--command-property', 'linger.ms=5',
    ],
    { input: lines.join('\n') + '\n' },
  );
  expectRan('ConsoleProducer', r);
  expect(javaErrors(r.stderr)).toEqual([]);
}

const CONFLUENT_PRODUCE = `
import base64, json, sys
from confluent_kafka import Producer
cfg = json.loads(sys.stdin.read())
p = Producer({'bootstrap.servers': cfg['bootstrap'], 'enable.idempotence': True, 'acks': 'all', 'linger.ms': 5})
d = lambda s: None if s is None else base64.b64decode(s)
acked, errors = [], []
def done(err, msg):
    if err is not None: errors.append(str(err))
    else: acked.append([msg.partition(), msg.offset()])
for r in cfg['records']:
    p.produce(cfg['topic'], key=d(r['key']), value=d(r['value']), partition=r['partition'], timestamp=r['timestamp'],
              headers=[(k, d(v)) for k, v in r['headers']] or None, on_delivery=done)
left = p.flush(30)
print(json.dumps({'left': left, 'errors': errors, 'acked': acked}))
`;

async function writeLibrdkafka(bootstrap: string, records: Rec[]): Promise<void> {
  const input = JSON.stringify({
    bootstrap,
    topic: topicOf('librdkafka'),
    records: records.map((r) => ({ key: b64(r.key), value: b64(r.value), partition: r.partition, timestamp: r.timestamp, headers: r.headers.map(([k, v]) => [k, b64(v)]) })),
  });
  const r = await runTool(env.python, ['-c', CONFLUENT_PRODUCE], { timeoutMs: 60_000, input });
  expectRan('confluent-kafka producer', r);
  const out = JSON.parse(r.stdout) as { left: number; errors: string[]; acked: [number, number][] };
  expect({ left: out.left, errors: out.errors }).toEqual({ left: 0, errors: [] });
  expect(out.acked.sort(byPartitionOffset)).toEqual(records.map((x): [number, number] => [x.partition, x.offset]).sort(byPartitionOffset));
}

const byPartitionOffset = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];

async function writeFranz(bootstrap: string, records: Rec[]): Promise<void> {
  const input = records
    .map((r) =>
      JSON.stringify({
        key: b64(r.key),
        value: b64(r.value),
        partition: r.partition,
        timestamp: r.timestamp,
        headers: Object.fromEntries(r.headers.map(([k, v]) => [k, v.toString('utf8')])),
      }),
    )
    .join('\n');
  const r = await runTool(env.franz, ['produce', '-topic', topicOf('franz'), '-timeout', '50s'], { timeoutMs: 60_000, env: { FLOE_BROKERS: bootstrap }, input: input + '\n' });
  expectRan('floe-franz produce', r);
  expect(r.stderr).toBe('');
  const acked = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { partition: number; offset: number });
  // ProduceSync answers partition by partition.
  expect(acked.map((a): [number, number] => [a.partition, a.offset]).sort(byPartitionOffset)).toEqual(
    records.map((x): [number, number] => [x.partition, x.offset]).sort(byPartitionOffset),
  );
}

async function writeKafkajs(bootstrap: string, records: Rec[]): Promise<void> {
  const kafka = new Kafka({ clientId: 'xc-kafkajs-writer', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const sent = await producer.send({
      topic: topicOf('kafkajs'),
      acks: -1,
      messages: records.map((r) => ({
        key: r.key,
        value: r.value,
        partition: r.partition,
        timestamp: String(r.timestamp),
        headers: Object.fromEntries(r.headers),
      })),
    });
    expect(sent.map((s) => [s.partition, s.errorCode, s.baseOffset]).sort()).toEqual([[0, 0, '0'], [1, 0, '0'], [2, 0, '0']]);
  } finally {
    await producer.disconnect();
  }
}

async function createTopics(bootstrap: string): Promise<void> {
  await settled(
    WRITERS.map(async (w) => {
      const r = await runTool(env.franz, ['create-topic', '-topic', topicOf(w), '-partitions', String(PARTITIONS[w])], { timeoutMs: 30_000, env: { FLOE_BROKERS: bootstrap } });
      expect(r.stdout.trim()).toBe(JSON.stringify({ error: '', topic: topicOf(w) }));
    }),
  );
}

/** All four writers at once, each through `bootstrap`; the time each took. */
async function writeAll(bootstrap: string): Promise<Record<Writer, number>> {
  const timed = async (w: Writer, write: (b: string, r: Rec[]) => Promise<void>) => {
    const t0 = Date.now();
    await write(bootstrap, EXPECTED.get(w)!);
    return [w, Date.now() - t0] as const;
  };
  const writers = { java: writeJava, librdkafka: writeLibrdkafka, franz: writeFranz, kafkajs: writeKafkajs };
  return Object.fromEntries(await settled(WRITERS.map((w) => timed(w, writers[w])))) as Record<Writer, number>;
}

/** Like Promise.all, but waits for every promise (no tool or client left running) before failing. */
async function settled<T>(ps: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(ps);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) throw failed.length === 1 ? failed[0]!.reason : new AggregateError(failed.map((f) => f.reason as unknown), failed.map((f) => String(f.reason)).join('\n'));
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

// --- readers: each returns what it read, per writer (topic) ----------------------------------

type Read = Map<Writer, Rec[]>;
const writerOfTopic = (topic: string): Writer => {
  const w = WRITERS.find((x) => topicOf(x) === topic);
  if (!w) throw new Error(`unexpected topic ${topic}`);
  return w;
};

/** Splits `buf` at every `sep`. */
function splitBuffer(buf: Buffer, sep: string): Buffer[] {
  const s = Buffer.from(sep);
  const out: Buffer[] = [];
  let from = 0;
  for (let i = 0; i <= buf.length; i++) {
    const at = buf.indexOf(s, from);
    if (at < 0) break;
    out.push(buf.subarray(from, at));
    from = at + s.length;
  }
  out.push(buf.subarray(from));
  return out;
}

// ConsoleConsumer prints raw bytes; unusual separators keep binary keys and values apart (each
// record must split into exactly six fields). It has no topic field: a record is attributed to
// the writer whose record at that partition and offset it matches best, so a difference shows as
// a mismatch with that writer's record.
const JF = { field: '<~F~>', line: '<~E~>\n', header: '<~H~>', null: '<~NULL~>' };

async function readJava(bootstrap: string, group: string): Promise<Read> {
  const r = await java(
    'org.apache.kafka.tools.consumer.ConsoleConsumer',
    [
      '--bootstrap-server', bootstrap, '--include', `^(${WRITERS.map(topicOf).join('|')})$`, '--group', group, '--from-beginning',
      '--max-messages', String(TOTAL), '--timeout-ms', '40000',
      ...['print.timestamp=true', 'print.partition=true', 'print.offset=true', 'print.headers=true', 'print.key=true', 'print.value=true']
        .flatMap((p) => ['--formatter-property', p]),
      '--formatter-property', `key.separator=${JF.field}`, '--formatter-property', `line.separator=${JF.line}`,
      '--formatter-property', `headers.separator=${JF.header}`, '--formatter-property', `null.literal=${JF.null}`,
    ],
    { timeoutMs: 75_000 },
  );
  expectRan('ConsoleConsumer', r);
  expect(javaErrors(r.stderr)).toEqual([]);
  const parts = splitBuffer(r.stdoutBytes, JF.line);
  expect(parts.pop()!.length).toBe(0);
  const field = (b: Buffer) => (b.toString('latin1') === JF.null ? null : Buffer.from(b));
  const recs = parts.map((line) => {
    const f = splitBuffer(line, JF.field);
    if (f.length !== 6) throw new Error(`ConsoleConsumer record of ${f.length} fields: ${line.toString('latin1').slice(0, 300)}`);
    const [ts, p, o, h, k, v] = f as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
    const num = (b: Buffer, prefix: string) => {
      const s = b.toString('utf8');
      if (!s.startsWith(prefix)) throw new Error(`expected ${prefix}: ${s}`);
      return Number(s.slice(prefix.length));
    };
    const headers: [string, Buffer][] =
      h.toString('utf8') === 'NO_HEADERS'
        ? []
        : splitBuffer(h, JF.header).map((kv) => {
            const colon = kv.indexOf(':');
            return [kv.subarray(0, colon).toString('utf8'), Buffer.from(kv.subarray(colon + 1))];
          });
    return { timestamp: num(ts, 'CreateTime:'), partition: num(p, 'Partition:'), offset: num(o, 'Offset:'), headers, key: field(k), value: field(v) };
  });
  const out: Read = new Map(WRITERS.map((w) => [w, []]));
  for (const rec of recs) {
    let best: Writer = WRITERS[0];
    let bestScore = -1;
    for (const w of WRITERS) {
      const e = EXPECTED.get(w)!.find((x) => x.partition === rec.partition && x.offset === rec.offset);
      if (!e) continue;
      const score = Number(same(e.key, rec.key)) + Number(same(e.value, rec.value)) + Number(headersMatch(e.headers, rec.headers, w === 'franz'));
      if (score > bestScore) [best, bestScore] = [w, score];
    }
    out.get(best)!.push(rec);
  }
  return out;
}

// kcat: lengths before the key and the value (-1 for null), so binary bytes need no escaping.
const KCAT_END = '<~E~>';
const KCAT_FORMAT = `P%p O%o T%T K%K:%k S%S:%s H%h${KCAT_END}`;

function parseKcat(out: Buffer): Rec[] {
  const recs: Rec[] = [];
  let pos = 0;
  const expectText = (re: RegExp): RegExpExecArray => {
    const m = re.exec(out.subarray(pos, pos + 64).toString('latin1'));
    if (!m) throw new Error(`kcat output at byte ${pos} does not match ${re}: ${out.subarray(pos, pos + 64).toString('latin1')}`);
    pos += m[0].length;
    return m;
  };
  const bytes = (n: number) => {
    if (n < 0) return null;
    const b = Buffer.from(out.subarray(pos, pos + n));
    pos += n;
    return b;
  };
  for (let n = 0; pos < out.length && n <= TOTAL; n++) {
    const [, p, o, t, kl] = expectText(/^P(\d+) O(\d+) T(-?\d+) K(-?\d+):/);
    const key = bytes(Number(kl));
    const [, vl] = expectText(/^ S(-?\d+):/);
    const value = bytes(Number(vl));
    expectText(/^ H/);
    const end = out.indexOf(KCAT_END, pos);
    if (end < 0) throw new Error(`kcat output: no end of record after byte ${pos}`);
    const h = out.subarray(pos, end).toString('utf8');
    pos = end + KCAT_END.length;
    const headers: [string, Buffer][] = h === '' ? [] : h.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), Buffer.from(kv.slice(kv.indexOf('=') + 1), 'utf8')]);
    recs.push({ partition: Number(p), offset: Number(o), timestamp: Number(t), key, value, headers });
  }
  return recs;
}

async function readKcat(bootstrap: string): Promise<Read> {
  const runs = await settled(
    WRITERS.map(async (w) => {
      const r = await runTool(env.kcat, ['-b', bootstrap, '-C', '-t', topicOf(w), '-o', 'beginning', '-e', '-q', '-f', KCAT_FORMAT], { timeoutMs: 45_000 });
      expectRan(`kcat -C -t ${topicOf(w)}`, r);
      return [w, parseKcat(r.stdoutBytes)] as const;
    }),
  );
  return new Map(runs);
}

async function readFranz(bootstrap: string): Promise<Read> {
  const runs = await settled(
    WRITERS.map(async (w) => {
      const r = await runTool(env.franz, ['consume', '-topic', topicOf(w), '-count', String(RECORDS), '-timeout', '40s'], { timeoutMs: 45_000, env: { FLOE_BROKERS: bootstrap } });
      expectRan(`floe-franz consume -topic ${topicOf(w)}`, r);
      expect(r.stderr).toBe('');
      const recs = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { key: string | null; value: string | null; partition: number; offset: number; timestamp: number; headers?: Record<string, string> })
        .map(
          (x): Rec => ({
            partition: x.partition,
            offset: x.offset,
            timestamp: x.timestamp,
            key: x.key === null ? null : Buffer.from(x.key, 'base64'),
            value: x.value === null ? null : Buffer.from(x.value, 'base64'),
            headers: Object.entries(x.headers ?? {}).map(([k, v]) => [k, Buffer.from(v, 'utf8')]),
          }),
        );
      return [w, recs] as const;
    }),
  );
  return new Map(runs);
}

async function readKafkajs(bootstrap: string, group: string): Promise<Read> {
  const out: Read = new Map(WRITERS.map((w) => [w, []]));
  let count = 0;
  const consumer = new Kafka({ clientId: 'xc-kafkajs-reader', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5 } }).consumer({
    groupId: group,
    maxWaitTimeInMs: 500,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: WRITERS.map(topicOf), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const headers: [string, Buffer][] = Object.entries(message.headers ?? ({} as IHeaders)).flatMap(([k, v]) =>
          (Array.isArray(v) ? v : [v]).map((x): [string, Buffer] => [k, Buffer.isBuffer(x) ? Buffer.from(x) : Buffer.from(String(x), 'utf8')]),
        );
        out.get(writerOfTopic(topic))!.push({
          partition,
          offset: Number(message.offset),
          timestamp: Number(message.timestamp),
          key: message.key === null ? null : Buffer.from(message.key),
          value: message.value === null ? null : Buffer.from(message.value),
          headers,
        });
        count++;
      },
    });
    const deadline = Date.now() + 45_000;
    for (let i = 0; count < TOTAL && i < 1_000; i++) {
      if (Date.now() > deadline) throw new Error(`kafkajs consumer: ${count} of ${TOTAL} records within 45 s`);
      await sleep(50);
    }
    await sleep(300); // anything more (a duplicate) would show by now
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** Fetch v12 (topics by name) on one connection to `port`, partition by partition from offset 0. */
async function readFetch(port: number): Promise<Read> {
  const raw = await RawClient.connect(port);
  let answered = 0;
  try {
    const out: Read = new Map();
    for (const w of WRITERS) {
      const recs: Rec[] = [];
      for (let partition = 0; partition < PARTITIONS[w]; partition++) {
        let offset = 0n;
        for (let round = 0; ; round++) {
          if (round >= 20) throw new Error(`raw fetch of ${topicOf(w)}[${partition}]: not at the high watermark after 20 fetches`);
          raw.send(ApiKey.Fetch, 12, {
            ...defaultFetchRequest(),
            maxWaitMs: 0,
            minBytes: 0,
            maxBytes: 8 * 1024 * 1024,
            topics: [
              {
                ...defaultFetchRequestFetchTopic(),
                topic: topicOf(w),
                partitions: [{ ...defaultFetchRequestFetchPartition(), partition, fetchOffset: offset, partitionMaxBytes: 4 * 1024 * 1024 }],
              },
            ],
          });
          const frames = await raw.waitFrames(++answered, 15_000);
          const res = raw.decode(frames[answered - 1]!, ApiKey.Fetch).body;
          expect(res.errorCode).toBe(ErrorCode.NONE);
          const data = res.responses[0]!.partitions[0]!;
          expect({ topic: res.responses[0]!.topic, partition: data.partitionIndex, error: data.errorCode }).toEqual({ topic: topicOf(w), partition, error: ErrorCode.NONE });
          const { batches } = splitBatches(data.records ?? Buffer.alloc(0), { mode: 'fetch' });
          for (const b of batches) {
            const batch = decodeBatch(b);
            if (batch.header.isControl) continue;
            for (const r of batch.records) {
              if (r.offset < offset) continue;
              recs.push({
                partition,
                offset: Number(r.offset),
                timestamp: Number(r.timestamp),
                key: r.key === null ? null : Buffer.from(r.key),
                value: r.value === null ? null : Buffer.from(r.value),
                headers: r.headers.map((h) => [h.key, h.value === null ? Buffer.from('<null>') : Buffer.from(h.value)]),
              });
              offset = r.offset + 1n;
            }
          }
          if (offset >= data.highWatermark) break;
        }
      }
      out.set(w, recs);
    }
    return out;
  } finally {
    raw.close();
  }
}

// --- comparing -------------------------------------------------------------------------------

const same = (a: Buffer | null, b: Buffer | null) => (a === null || b === null ? a === b : a.equals(b));
const headerText = (hs: [string, Buffer][]) => hs.map(([k, v]) => `${k}=${v.toString('hex')}`);
function headersMatch(want: [string, Buffer][], got: [string, Buffer][], unordered: boolean): boolean {
  const [a, b] = [headerText(want), headerText(got)];
  if (unordered) [a, b].forEach((x) => x.sort());
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A short, readable account of a byte string. */
function show(b: Buffer | null): string {
  if (b === null) return 'null';
  const hex = b.subarray(0, 24).toString('hex');
  return `${b.length} bytes ${hex}${b.length > 24 ? '…' : ''}`;
}

/** How bytes read differ from bytes written. */
function difference(got: Buffer | null, want: Buffer | null): string {
  if (got !== null && want !== null) {
    let i = 0;
    while (i < got.length && i < want.length && got[i] === want[i]) i++;
    return `${got.length} bytes read, ${want.length} written, first difference at byte ${i}: read ${show(got.subarray(i))}, written ${show(want.subarray(i))}`;
  }
  return `read ${show(got)}, written ${show(want)}`;
}

/** 'ok', or the differences (at most five) between what a reader read and what a writer wrote. */
function compare(reader: Reader, writer: Writer, got: Rec[] | undefined, want: Rec[]): string {
  if (!got) return 'nothing read';
  const at = (r: { partition: number; offset: number }) => `${r.partition}/${r.offset}`;
  const read = new Map<string, Rec[]>();
  for (const g of got) read.set(at(g), [...(read.get(at(g)) ?? []), g]);
  const problems: string[] = [];
  const unordered = writer === 'franz' || reader === 'franz';
  for (const w of want) {
    const gs = read.get(at(w)) ?? [];
    read.delete(at(w));
    const where = `partition ${w.partition} offset ${w.offset}`;
    if (gs.length !== 1) {
      problems.push(`${where}: read ${gs.length} times`);
      continue;
    }
    const g = gs[0]!;
    if (!same(g.key, w.key)) problems.push(`${where}: key ${difference(g.key, w.key)}`);
    if (!same(g.value, w.value)) problems.push(`${where}: value ${difference(g.value, w.value)}`);
    if (!headersMatch(w.headers, g.headers, unordered)) problems.push(`${where}: headers ${JSON.stringify(headerText(g.headers))}, written ${JSON.stringify(headerText(w.headers))}`);
    if (w.timestamp !== undefined && g.timestamp !== w.timestamp) problems.push(`${where}: timestamp ${g.timestamp}, written ${w.timestamp}`);
  }
  for (const extra of read.keys()) problems.push(`read at ${extra}, where nothing was written`);
  return problems.length === 0 ? 'ok' : problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : '');
}

/**
 * Every cell of the matrix is 'ok'; and where a writer left something to the client (the
 * timestamps ConsoleProducer stamps, the header order floe-franz sends), every reader that
 * reports it reports what the raw Fetch decoded.
 */
function expectMatrix(reads: Record<Reader, Read>): void {
  const cells: Record<string, string> = {};
  for (const reader of READERS) for (const writer of WRITERS) cells[`${writer} -> ${reader}`] = compare(reader, writer, reads[reader].get(writer), EXPECTED.get(writer)!);
  const key = (r: Rec) => `${r.partition}/${r.offset}`;
  const agree: Record<string, string> = {};
  for (const writer of WRITERS) {
    const reference = new Map(reads.fetch.get(writer)!.map((r) => [key(r), r]));
    for (const reader of READERS) {
      const differ = reads[reader]
        .get(writer)!
        .filter((r) => {
          const f = reference.get(key(r));
          if (!f) return true;
          const orderKnown = reader !== 'franz';
          return r.timestamp !== f.timestamp || (orderKnown && headerText(r.headers).join() !== headerText(f.headers).join());
        })
        .map(key);
      agree[`${writer} -> ${reader}`] = differ.length === 0 ? 'same timestamps and header order as the raw fetch' : `differ at ${differ.join(' ')}`;
    }
  }
  expect({ cells, agree }).toEqual({
    cells: Object.fromEntries(Object.keys(cells).map((k) => [k, 'ok'])),
    agree: Object.fromEntries(Object.keys(agree).map((k) => [k, 'same timestamps and header order as the raw fetch'])),
  });
  // ConsoleProducer's own timestamps are plausible (this hour, not zero or -1).
  for (const r of reads.fetch.get('java')!) expect(Math.abs(r.timestamp! - Date.now())).toBeLessThan(3_600_000);
}

/** All five readers at once: Java and kafkajs through a consumer group each, the rest directly. */
async function readAll(bootstrap: string, fetchPort: number, mode: string): Promise<{ reads: Record<Reader, Read>; ms: Record<Reader, number> }> {
  const timed = async <T,>(p: () => Promise<T>): Promise<[T, number]> => {
    const t0 = Date.now();
    const v = await p();
    return [v, Date.now() - t0];
  };
  const [j, k, f, js, raw] = (await settled<[Read, number]>([
    timed(() => readJava(bootstrap, `xc-java-${mode}`)),
    timed(() => readKcat(bootstrap)),
    timed(() => readFranz(bootstrap)),
    timed(() => readKafkajs(bootstrap, `xc-kafkajs-${mode}`)),
    timed(() => readFetch(fetchPort)),
  ])) as [[Read, number], [Read, number], [Read, number], [Read, number], [Read, number]];
  return {
    reads: { java: j[0], kcat: k[0], franz: f[0], kafkajs: js[0], fetch: raw[0] },
    ms: { java: j[1], kcat: k[1], franz: f[1], kafkajs: js[1], fetch: raw[1] },
  };
}

// --- the three deployments -------------------------------------------------------------------

interface KcatMetadata {
  brokers: { id: number; name: string }[];
  topics: { topic: string; partitions: { partition: number; leader: number }[] }[];
}

async function kcatMetadata(bootstrap: string, topics: string[] = []): Promise<KcatMetadata> {
  const mds = await Promise.all(
    (topics.length > 0 ? topics : [undefined]).map(async (t) => {
      const r = await runTool(env.kcat, ['-b', bootstrap, '-L', '-J', '-m', '10', ...(t ? ['-t', t] : [])], { timeoutMs: 20_000 });
      expectRan('kcat -L', r);
      return JSON.parse(r.stdout) as KcatMetadata;
    }),
  );
  return { brokers: mds[0]!.brokers, topics: mds.flatMap((m) => m.topics) };
}

async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const start = Date.now();
  for (let i = 0; ; i++) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() - start > timeoutMs || i >= 200) throw new Error(`not within ${timeoutMs} ms: ${what} (last: ${JSON.stringify(v)})`);
    await sleep(100);
  }
}

/** Keeps every warning and error a node logs (none, when all is well). */
function problemLog(): Logger & { problems: string[] } {
  const problems: string[] = [];
  const keep = (fields: unknown, message: string) => problems.push(`${message} ${JSON.stringify(fields)}`);
  const nothing = () => {};
  const log: Logger & { problems: string[] } = { problems, debug: nothing, info: nothing, warn: keep, error: keep, child: () => log };
  return log;
}

const figures: string[] = [];
const fmt = (ms: Record<string, number>) => Object.entries(ms).map(([k, v]) => `${k} ${v} ms`).join(', ');

const cluster = useClusterEnvironment('floe-xc', () => {
  if (figures.length > 0) process.stderr.write(`cross-client figures:\n${figures.map((f) => `  ${f}\n`).join('')}`);
});

describe('the embedded default: one node on local files', () => {
  let dir: string;
  let broker: RunningBroker;
  let bootstrap: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'floe-xc-embedded-'));
    const config = loadConfig(
      [],
      { FLOE_OBJECT_STORE: pathToFileURL(join(dir, 'objects')).href, FLOE_METADATA: join(dir, 'metadata'), FLOE_KAFKA_LISTEN: '127.0.0.1:0', FLOE_HTTP_LISTEN: '127.0.0.1:0', FLOE_GRPC_LISTEN: '127.0.0.1:0' },
      dir,
    );
    broker = await startBroker(config, silentLogger);
    bootstrap = `127.0.0.1:${broker.port}`;
  });
  afterAll(async () => {
    await broker?.close(2_000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('each of the four writers is read back by every reader, byte for byte', async () => {
    const t0 = Date.now();
    await createTopics(bootstrap);
    const wrote = await writeAll(bootstrap);
    const { reads, ms } = await readAll(bootstrap, broker.port, 'embedded');
    expectMatrix(reads);
    figures.push(`embedded: writers ${fmt(wrote)}; readers ${fmt(ms)}; ${Date.now() - t0} ms in all`);
  }, 120_000);
});

describe('per-node mode: three nodes; every write through node A, every read through node C', () => {
  const nodes: RunningBroker[] = [];
  const logs: ReturnType<typeof problemLog>[] = [];
  const addr = (b: RunningBroker) => `127.0.0.1:${b.port}`;

  beforeAll(async () => {
    const vars = clusterEnv('floe-xc', { FLOE_GROUP_INITIAL_REBALANCE_DELAY_MS: '500' });
    const start = async () => {
      const log = problemLog();
      logs.push(log);
      nodes.push(await startBroker(loadConfig([], vars, cluster.dir()), log));
    };
    await start(); // creates the bucket and the table
    await Promise.all([start(), start()]);
    nodes.sort((x, y) => x.nodeId - y.nodeId);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.close(2_000)));
  });

  it('records written through node A alone are read through node C by every reader, byte for byte; a raw Fetch to node C serves every partition A led while writing', async () => {
    const t0 = Date.now();
    const [a, b, c] = nodes as [RunningBroker, RunningBroker, RunningBroker];
    // While writing, B and C are unlisted (still running): Metadata from A names A alone, so
    // every request of every writer, produce included, goes to A.
    await Promise.all([b.membership.withdraw(), c.membership.withdraw()]);
    await a.membership.heartbeat();
    expect((await kcatMetadata(addr(a))).brokers.map((x) => x.id)).toEqual([a.nodeId]);
    await createTopics(addr(a));
    const whileWriting = await kcatMetadata(addr(a), WRITERS.map(topicOf));
    expect(whileWriting.topics.flatMap((t) => t.partitions.map((p) => p.leader))).toEqual(WRITERS.flatMap((w) => Array.from({ length: PARTITIONS[w] }, () => a.nodeId)));
    const wrote = await writeAll(addr(a));

    // All three listed again; every reader bootstraps at C and follows Metadata from there.
    await Promise.all([b.membership.serve(), c.membership.serve()]);
    await Promise.all(nodes.map((n) => n.membership.heartbeat()));
    const md = await eventually(
      () => kcatMetadata(addr(c), WRITERS.map(topicOf)),
      (m) => m.brokers.length === 3,
      10_000,
      'three brokers listed by C',
    );
    const ledByA = md.topics.flatMap((t) => t.partitions.filter((p) => p.leader === a.nodeId).map((p) => `${t.topic}[${p.partition}]`));
    const { reads, ms } = await readAll(addr(c), c.port, 'per-node');
    expectMatrix(reads); // the raw Fetch went to node C for every partition of every topic
    figures.push(
      `per-node: writers through A ${fmt(wrote)}; readers through C ${fmt(ms)}; raw Fetch to node C served all ${WRITERS.length} topics, ` +
        `partitions whose preferred node is A now: ${ledByA.join(' ') || 'none'}; ${Date.now() - t0} ms in all`,
    );
  }, 120_000);

  it('the nodes logged no warning or error', () => {
    for (const l of logs) expect(l.problems).toEqual([]);
  });
});

describe('load-balancer mode: three nodes behind one address', () => {
  const proxy = new RoundRobinProxy();
  const nodes: RunningBroker[] = [];
  const logs: ReturnType<typeof problemLog>[] = [];
  let lb: string;
  let lbPort: number;

  beforeAll(async () => {
    lbPort = await proxy.listen();
    lb = `127.0.0.1:${lbPort}`;
    const vars = clusterEnv('floe-xc', { FLOE_LOAD_BALANCER: lb, FLOE_GROUP_INITIAL_REBALANCE_DELAY_MS: '500' });
    const start = async () => {
      const log = problemLog();
      logs.push(log);
      nodes.push(await startBroker(loadConfig([], vars, cluster.dir()), log));
    };
    await start();
    await Promise.all([start(), start()]);
    proxy.backends = nodes.map((n) => n.port);
  }, 60_000);
  afterAll(async () => {
    await proxy.close();
    await Promise.all(nodes.map((n) => n.close(2_000)));
  });

  it('every writer and every reader through the load balancer, byte for byte', async () => {
    const t0 = Date.now();
    await createTopics(lb);
    const wrote = await writeAll(lb);
    const { reads, ms } = await readAll(lb, lbPort, 'lb');
    expectMatrix(reads);
    const perNode = nodes.map((n) => proxy.landed.get(n.port) ?? 0);
    expect(perNode.every((x) => x > 0)).toBe(true);
    figures.push(`load balancer: writers ${fmt(wrote)}; readers ${fmt(ms)}; connections per node ${perNode.join(', ')}; ${Date.now() - t0} ms in all`);
  }, 120_000);

  it('the nodes logged no warning or error', () => {
    for (const l of logs) expect(l.problems).toEqual([]);
  });
});
