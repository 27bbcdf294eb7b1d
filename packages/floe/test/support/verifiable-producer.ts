// Kafka's VerifiableProducer under a test's control, and the check that holds its acknowledged
// records against what VerifiableConsumers (`--verbose`) read back.
//
// VerifiableProducer sends the integers 0, 1, 2, ... as values (`<prefix>.<i>` with a value
// prefix), in that order, and prints one `producer_send_success` event (topic, partition, offset,
// key, value) per acknowledged record. It sets retries=0 itself, which silently turns the Java
// producer's default idempotence off; IDEMPOTENT_PRODUCER turns it back on as a real producer runs.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { javaTool, loadTestEnv, runTool, type ToolResult } from '@floe/testkit';
import type { ConsumedRecord } from './verifiable-consumer.ts';

/** A producer as applications run it: acks=all, idempotent, retrying (the Java client's defaults). */
export const IDEMPOTENT_PRODUCER: Readonly<Record<string, string>> = {
  acks: 'all',
  'enable.idempotence': 'true',
  retries: '2147483647',
  'max.in.flight.requests.per.connection': '5',
  'delivery.timeout.ms': '120000',
};

export interface AckedRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
}

export interface ProducerRun {
  acked: AckedRecord[];
  /** producer_send_error events (none, when all is well). */
  errors: Record<string, unknown>[];
  /** The tool's closing summary (sent, acked, avg_throughput). */
  summary: { sent: number; acked: number; avg_throughput: number } | undefined;
  ms: number;
  result: ToolResult;
}

export interface ProducerOptions {
  bootstrap: string;
  topic: string;
  records: number;
  /** Records per second; -1 (the default) for as fast as it goes. */
  throughput?: number;
  valuePrefix?: number;
  /** Producer properties, on top of IDEMPOTENT_PRODUCER. */
  config?: Record<string, string>;
  timeoutMs: number;
}

export async function runVerifiableProducer(opts: ProducerOptions): Promise<ProducerRun> {
  const env = loadTestEnv();
  const props = { ...IDEMPOTENT_PRODUCER, ...opts.config };
  const file = join(mkdtempSync(join(tmpdir(), 'floe-vp-')), 'producer.properties');
  writeFileSync(file, Object.entries(props).map(([k, v]) => `${k}=${v}\n`).join(''));
  const args = [
    '--bootstrap-server', opts.bootstrap, '--topic', opts.topic, '--max-messages', String(opts.records),
    '--throughput', String(opts.throughput ?? -1), '--acks', '-1', '--command-config', file,
    ...(opts.valuePrefix === undefined ? [] : ['--value-prefix', String(opts.valuePrefix)]),
  ];
  const { command, args: a } = javaTool(env.java, env.kafkaClasspath, 'org.apache.kafka.tools.VerifiableProducer', args);
  const t0 = Date.now();
  const result = await runTool(command, a, { timeoutMs: opts.timeoutMs });
  const ms = Date.now() - t0;
  const acked: AckedRecord[] = [];
  const errors: Record<string, unknown>[] = [];
  let summary: ProducerRun['summary'];
  for (const line of result.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as Record<string, unknown>;
    if (e.name === 'producer_send_success') {
      acked.push({ partition: e.partition as number, offset: e.offset as number, key: (e.key as string | null) ?? null, value: e.value as string });
    } else if (e.name === 'producer_send_error') {
      errors.push(e);
    } else if (e.name === 'tool_data') {
      summary = e as unknown as ProducerRun['summary'];
    }
  }
  return { acked, errors, summary, ms, result };
}

/** The log end offset of every partition, from Kafka's GetOffsetShell. */
export async function getOffsetShell(bootstrap: string, topic: string, timeoutMs = 60_000): Promise<Map<number, number>> {
  const env = loadTestEnv();
  const { command, args } = javaTool(env.java, env.kafkaClasspath, 'org.apache.kafka.tools.GetOffsetShell', ['--bootstrap-server', bootstrap, '--topic', topic]);
  const r = await runTool(command, args, { timeoutMs });
  if (r.code !== 0) throw new Error(`GetOffsetShell failed (${r.code}): ${r.stderr.slice(-2_000)}`);
  const out = new Map<number, number>();
  for (const line of r.stdout.trim().split('\n')) {
    const [t, p, o] = line.split(':');
    if (t === topic) out.set(Number(p), Number(o));
  }
  return out;
}

/** Acknowledged records per partition of `partitions` (the count, which is the log end on a new topic; 0 for a partition the producer left empty). */
export function ackedPerPartition(acked: readonly AckedRecord[], partitions: number): Map<number, number> {
  const out = new Map<number, number>(Array.from({ length: partitions }, (_, p) => [p, 0]));
  for (const a of acked) out.set(a.partition, (out.get(a.partition) ?? 0) + 1);
  return out;
}

/** What went wrong between what the producer was told and what consumers read (all empty when all is well); up to 10 examples each. */
export interface ReadBackProblems {
  /** Acknowledged, never consumed. */
  missing: string[];
  /** Consumed at an acknowledged partition and offset, but another value. */
  misplaced: string[];
  /** Consumed at a partition and offset no acknowledgement named. */
  unacknowledged: string[];
  /** One partition and offset consumed more than once. */
  duplicates: string[];
  /** A partition's records consumed out of offset order. */
  reordered: string[];
  /** A partition's acknowledged offsets not in the order the producer sent (its values' order). */
  producerOrder: string[];
  /** Two acknowledgements for one partition and offset. */
  ackedTwice: string[];
}

export interface ReadBack {
  problems: ReadBackProblems;
  /** Counts behind the examples. */
  counts: Record<keyof ReadBackProblems, number>;
  consumed: number;
}

/** The integer a VerifiableProducer value carries (`<i>` or `<prefix>.<i>`). */
const sequence = (value: string) => Number(value.slice(value.lastIndexOf('.') + 1));

/**
 * Holds `consumed` (every member's record_data events, in any order: they carry the global
 * arrival sequence) against `acked`: every acknowledged record consumed once, at its acknowledged
 * partition and offset, with its value; nothing else consumed; each partition consumed in offset
 * order; and each partition's log in the producer's send order.
 */
export function checkReadBack(acked: readonly AckedRecord[], consumed: readonly ConsumedRecord[]): ReadBack {
  const problems: ReadBackProblems = { missing: [], misplaced: [], unacknowledged: [], duplicates: [], reordered: [], producerOrder: [], ackedTwice: [] };
  const counts = Object.fromEntries(Object.keys(problems).map((k) => [k, 0])) as ReadBack['counts'];
  const note = (kind: keyof ReadBackProblems, what: string) => {
    counts[kind]++;
    if (problems[kind].length < 10) problems[kind].push(what);
  };
  const ackedAt = new Map<string, AckedRecord>();
  for (const a of acked) {
    const at = `${a.partition}:${a.offset}`;
    if (ackedAt.has(at)) note('ackedTwice', `${at}: ${ackedAt.get(at)!.value} and ${a.value}`);
    ackedAt.set(at, a);
  }
  const times = new Map<string, number>();
  const lastOffset = new Map<number, number>();
  for (const c of [...consumed].sort((x, y) => x.seq - y.seq)) {
    const at = `${c.partition}:${c.offset}`;
    const n = (times.get(at) ?? 0) + 1;
    times.set(at, n);
    if (n === 2) note('duplicates', `${at} (${c.member})`);
    const a = ackedAt.get(at);
    if (!a) note('unacknowledged', `${at} = ${c.value} (${c.member})`);
    else if (a.value !== c.value || a.key !== c.key) note('misplaced', `${at}: acknowledged ${a.key}/${a.value}, consumed ${c.key}/${c.value}`);
    const last = lastOffset.get(c.partition);
    if (last !== undefined && c.offset <= last) note('reordered', `partition ${c.partition}: offset ${c.offset} after ${last} (${c.member})`);
    lastOffset.set(c.partition, c.offset);
  }
  for (const [at, a] of ackedAt) if (!times.has(at)) note('missing', `${at} = ${a.value}`);
  const byPartition = new Map<number, AckedRecord[]>();
  for (const a of acked) {
    let list = byPartition.get(a.partition);
    if (!list) byPartition.set(a.partition, (list = []));
    list.push(a);
  }
  for (const [p, list] of byPartition) {
    list.sort((x, y) => x.offset - y.offset);
    for (let i = 1; i < list.length; i++) {
      if (sequence(list[i]!.value) <= sequence(list[i - 1]!.value)) {
        note('producerOrder', `partition ${p}: ${list[i]!.value} at ${list[i]!.offset} after ${list[i - 1]!.value} at ${list[i - 1]!.offset}`);
      }
    }
  }
  return { problems, counts, consumed: consumed.length };
}

export const NO_READ_BACK_PROBLEMS: ReadBackProblems = {
  missing: [],
  misplaced: [],
  unacknowledged: [],
  duplicates: [],
  reordered: [],
  producerOrder: [],
  ackedTwice: [],
};
