// The five workloads, each run with Kafka's own tools against whichever system is up, and the
// cost accounting around each: CPU and peak memory of the server processes, and for Floe its
// object-store and coordination-table requests from /metrics.
import { loadavg } from 'node:os';
import type { TestEnv } from '@floe/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { diffCounters, type StoreCounters } from './floe-metrics.ts';
import { openIdleConnections, stillOpen } from './idle-connections.ts';
import { kafkaTool, parseConsumerPerformance, parseEndToEndLatency, parseProducerPerformance, type Latencies, type RatePoint } from './kafka-tools.ts';
import { trackUsage } from './process-stats.ts';
import type { Progress } from './progress.ts';
import type { RunningSystem, SystemName } from './systems.ts';

export type WorkloadId = 'throughput' | 'latency' | 'catch-up' | `partitions-${number}` | 'connections';

export interface Sizes {
  /** Records of 1 KiB for the throughput workload (and the backlog the catch-up read reads). */
  throughputRecords: number;
  /** Seconds at the fixed rate of the latency workload. */
  latencySeconds: number;
  /** The fixed rate in records (1 KiB) per second: 5,120 is 5 MiB/s. */
  fixedRate: number;
  /** Records EndToEndLatency sends, one at a time. */
  endToEndRecords: number;
  /** Partition counts of the many-partitions workload, its total rate and duration. */
  partitionCounts: number[];
  partitionsRate: number;
  partitionsSeconds: number;
  idleConnections: number;
  connectionsSeconds: number;
}

export const FULL: Sizes = {
  throughputRecords: 1_000_000,
  latencySeconds: 30,
  fixedRate: 5120,
  endToEndRecords: 200,
  partitionCounts: [1000, 10_000],
  partitionsRate: 1000,
  partitionsSeconds: 20,
  idleConnections: 1000,
  connectionsSeconds: 20,
};

export const QUICK: Sizes = {
  throughputRecords: 10_000,
  latencySeconds: 2,
  fixedRate: 1024,
  endToEndRecords: 5,
  partitionCounts: [100],
  partitionsRate: 200,
  partitionsSeconds: 2,
  idleConnections: 50,
  connectionsSeconds: 2,
};

export interface Costs {
  /** MiB the workload moved (produced, or read for the catch-up). */
  mb: number;
  cpuSecondsPerMb: number;
  peakRssMb: number;
  /** Floe only: per MiB moved. */
  s3PutsPerMb?: number;
  s3GetsPerMb?: number;
  writeUnitsPerMb?: number;
  readUnitsPerMb?: number;
  /** Floe only: mean size of the segment objects flushed. */
  meanSegmentBytes?: number;
  /** The machine's 1-minute load average when the workload ended (others share it). */
  loadAverage1m: number;
}

export interface WorkloadResult extends Costs {
  system: SystemName;
  workload: WorkloadId;
  mbPerSec: number;
  recordsPerSec: number;
  /** Produce latency as ProducerPerformance measured it (send to acknowledgement). */
  produce?: Latencies;
  /** EndToEndLatency: produce one record, wait until the consumer sees it. */
  endToEnd?: Latencies;
  /** ProducerPerformance's MiB/s per reporting interval. */
  series?: RatePoint[];
  /** Anything else the workload measured (topic creation time, open connections, ...). */
  extra?: Record<string, number>;
}

const REPORT_MS = 1000;
const RECORD = 1024;
const MIB = 1024 * 1024;

/**
 * Kafka's controller refuses one operation of more than 10,000 metadata records (a topic of
 * 10,000 partitions is 10,001), so larger topics are created in steps: the topic, then
 * CreatePartitions, at most this many partitions at a time.
 */
const PARTITIONS_PER_STEP = 5000;

/** kafkajs's aggregate errors carry the per-topic reasons in `errors`. */
function describeKafkaError(err: unknown): string {
  const inner = (err as { errors?: { message?: string; type?: string }[] }).errors ?? [];
  const reasons = inner.map((e) => e.type ?? e.message).filter(Boolean);
  return `${err instanceof Error ? err.message : String(err)}${reasons.length ? `: ${reasons.join(', ')}` : ''}`;
}

/**
 * Creates a topic (replication factor 1) and waits until it is ready. kafkajs's admin client does
 * it in-process: a JVM start per topic would cost more than some workloads take.
 */
export async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const admin = new Kafka({ clientId: 'floe-bench-admin', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, requestTimeout: 300_000, retry: { retries: 8 } }).admin();
  await admin.connect();
  try {
    const first = Math.min(partitions, PARTITIONS_PER_STEP);
    const created = await admin.createTopics({ topics: [{ topic, numPartitions: first, replicationFactor: 1 }], waitForLeaders: true, timeout: 300_000 });
    if (!created) throw new Error(`topic ${topic} exists already`);
    for (let count = first; count < partitions; ) {
      count = Math.min(partitions, count + PARTITIONS_PER_STEP);
      await admin.createPartitions({ topicPartitions: [{ topic, count }], timeout: 300_000 });
    }
  } catch (err) {
    throw new Error(`creating topic ${topic} of ${partitions} partitions: ${describeKafkaError(err)}`);
  } finally {
    await admin.disconnect();
  }
}

/** Runs `body` while tracking the system's CPU, memory and (Floe) store counters. */
async function measured<T extends { mb: number }>(system: RunningSystem, body: () => Promise<T>): Promise<T & Costs> {
  const before = await system.counters?.();
  const usage = trackUsage(system.pids);
  let out: T;
  try {
    out = await body();
  } catch (err) {
    usage.stop();
    throw err;
  }
  const { cpuSeconds, peakRssBytes } = usage.stop();
  const costs: Costs = { mb: out.mb, cpuSecondsPerMb: cpuSeconds / out.mb, peakRssMb: peakRssBytes / MIB, loadAverage1m: loadavg()[0]! };
  if (before && system.counters) {
    const d: StoreCounters = diffCounters(await system.counters(), before);
    Object.assign(costs, {
      s3PutsPerMb: d.s3Puts / out.mb,
      s3GetsPerMb: d.s3Gets / out.mb,
      writeUnitsPerMb: d.writeUnits / out.mb,
      readUnitsPerMb: d.readUnits / out.mb,
      ...(d.segments > 0 ? { meanSegmentBytes: d.segmentBytes / d.segments } : {}),
    });
  }
  return { ...out, ...costs };
}

/** ProducerPerformance with the settings of every workload: acks=all, idempotence on. */
async function producerPerformance(env: TestEnv, bootstrap: string, topic: string, records: number, rate: number, extraProps: string[] = [], timeoutMs?: number) {
  const out = await kafkaTool(
    env,
    'ProducerPerformance',
    [
      '--topic', topic, '--num-records', String(records), '--record-size', String(RECORD), '--throughput', String(rate),
      '--reporting-interval', String(REPORT_MS),
      '--command-property', `bootstrap.servers=${bootstrap}`, 'acks=all', 'enable.idempotence=true', 'linger.ms=5', 'batch.size=262144', ...extraProps,
    ],
    // Generous by default: ten times the time the records take at 1 MiB/s, at least five minutes.
    timeoutMs ?? Math.max(300_000, records * 10),
  );
  return parseProducerPerformance(out, REPORT_MS);
}

/** ProducerPerformance under the cost accounting, as a result of `workload`. */
async function measuredProduce(system: RunningSystem, env: TestEnv, workload: WorkloadId, topic: string, records: number, rps: number, props: string[] = []): Promise<WorkloadResult> {
  const p = await measured(system, async () => {
    const out = await producerPerformance(env, system.bootstrap, topic, records, rps, props);
    return { ...out, mb: (out.records * RECORD) / MIB };
  });
  return { ...pick(p), system: system.name, workload, mbPerSec: p.mbPerSec, recordsPerSec: p.recordsPerSec, produce: latencies(p), series: p.series };
}

/** Workload (1): 1 KiB records to 12 partitions at an unlimited rate (leaves the backlog (3) reads). */
export async function runThroughput(system: RunningSystem, env: TestEnv, records: number): Promise<WorkloadResult> {
  await createTopic(system.bootstrap, 'throughput', 12);
  return measuredProduce(system, env, 'throughput', 'throughput', records, -1);
}

export interface WorkloadFailure {
  system: SystemName;
  workload: WorkloadId;
  error: string;
}

/**
 * Runs every workload against `system`. A workload that fails (a tool exits non-zero, a topic
 * cannot be created) is recorded as a failure and the next one runs: one system's limit at
 * 10,000 partitions must not void the rest of a 25-minute run.
 */
export async function runWorkloads(system: RunningSystem, env: TestEnv, sizes: Sizes, progress: Progress): Promise<{ results: WorkloadResult[]; failures: WorkloadFailure[] }> {
  const results: WorkloadResult[] = [];
  const failures: WorkloadFailure[] = [];
  const { bootstrap } = system;
  const rate = `${((sizes.fixedRate * RECORD) / MIB).toFixed(1)} MiB/s`;
  const attempt = async (workload: WorkloadId, description: string, body: () => Promise<WorkloadResult>) => {
    progress.step(system.name, `${workload}: ${description}`);
    try {
      results.push(await body());
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      progress.step(system.name, `${workload} FAILED: ${error.split('\n')[0]}`);
      failures.push({ system: system.name, workload, error });
    }
  };
  const produce = (workload: WorkloadId, topic: string, records: number, rps: number, props: string[] = []) => measuredProduce(system, env, workload, topic, records, rps, props);

  await attempt('throughput', `${sizes.throughputRecords.toLocaleString('en-US')} x 1 KiB, 12 partitions, unlimited rate`, () => runThroughput(system, env, sizes.throughputRecords));

  await attempt('catch-up', `read the ${sizes.throughputRecords.toLocaleString('en-US')}-record backlog from offset 0`, async () => {
    const c = await measured(system, async () => {
      const out = await kafkaTool(env, 'ConsumerPerformance', ['--bootstrap-server', bootstrap, '--topic', 'throughput', '--num-records', String(sizes.throughputRecords), '--group', `catch-up-${system.name}`, '--timeout', '60000'], 600_000);
      return parseConsumerPerformance(out);
    });
    return { ...pick(c), system: system.name, workload: 'catch-up', mbPerSec: c.fetchMbPerSec, recordsPerSec: c.fetchRecordsPerSec, extra: { records: c.records, rebalanceMs: c.rebalanceMs, mbPerSecWithJoin: c.mbPerSec } };
  });

  await attempt('latency', `${rate} for ${sizes.latencySeconds} s, then EndToEndLatency x${sizes.endToEndRecords}`, async () => {
    await createTopic(bootstrap, 'latency', 12);
    const l = await produce('latency', 'latency', sizes.fixedRate * sizes.latencySeconds, sizes.fixedRate);
    await createTopic(bootstrap, 'end-to-end', 1);
    const out = await kafkaTool(env, 'EndToEndLatency', ['--bootstrap-server', bootstrap, '--topic', 'end-to-end', '--num-records', String(sizes.endToEndRecords), '--producer-acks', 'all', '--record-size', String(RECORD)], 600_000);
    return { ...l, endToEnd: parseEndToEndLatency(out) };
  });

  for (const partitions of sizes.partitionCounts) {
    const workload: WorkloadId = `partitions-${partitions}`;
    await attempt(workload, `${partitions.toLocaleString('en-US')} partitions, ${sizes.partitionsRate} records/s in all for ${sizes.partitionsSeconds} s, round robin`, async () => {
      const props = [
        'partitioner.class=org.apache.kafka.clients.producer.RoundRobinPartitioner',
        // Kafka's default: a 256 KiB batch per partition would hold the producer's 32 MiB
        // buffer in 128 partitions' batches and block it, whichever system it writes to.
        'batch.size=16384',
      ];
      const t0 = performance.now();
      await createTopic(bootstrap, workload, partitions);
      const createTopicMs = performance.now() - t0;
      // Warm-up, not measured: one record to every partition as fast as they are taken. A new
      // Kafka topic is in the metadata before the broker has created every partition's log, and
      // writes wait for that (minutes for 1,000 partitions here); the time until every partition
      // took a record is reported as the topic's readiness instead.
      let writableAfterMs = NaN;
      try {
        await producerPerformance(env, bootstrap, workload, partitions, -1, props, 240_000);
        writableAfterMs = performance.now() - t0;
      } catch (err) {
        progress.step(system.name, `${workload}: warm-up did not finish (${(err as Error).message.split('\n')[0]}); measuring anyway`);
      }
      const m = await produce(workload, workload, sizes.partitionsRate * sizes.partitionsSeconds, sizes.partitionsRate, props);
      return { ...m, extra: { partitions, createTopicMs, writableAfterMs } };
    });
  }

  await attempt('connections', `${sizes.idleConnections} idle connections, plus a producer at ${rate} for ${sizes.connectionsSeconds} s`, async () => {
    await createTopic(bootstrap, 'connections', 12);
    const idle = await openIdleConnections(system.ports, sizes.idleConnections);
    try {
      const k = await produce('connections', 'connections', sizes.fixedRate * sizes.connectionsSeconds, sizes.fixedRate);
      return { ...k, extra: { idleConnections: sizes.idleConnections, stillOpenAfter: stillOpen(idle.sockets) } };
    } finally {
      idle.closeAll();
    }
  });
  return { results, failures };
}

function pick(c: Costs): Costs {
  const { mb, cpuSecondsPerMb, peakRssMb, s3PutsPerMb, s3GetsPerMb, writeUnitsPerMb, readUnitsPerMb, meanSegmentBytes, loadAverage1m } = c;
  return Object.fromEntries(Object.entries({ mb, cpuSecondsPerMb, peakRssMb, s3PutsPerMb, s3GetsPerMb, writeUnitsPerMb, readUnitsPerMb, meanSegmentBytes, loadAverage1m }).filter(([, v]) => v !== undefined)) as unknown as Costs;
}

function latencies(l: Latencies): Latencies {
  return { avgMs: l.avgMs, p50Ms: l.p50Ms, ...(l.p95Ms !== undefined ? { p95Ms: l.p95Ms } : {}), p99Ms: l.p99Ms, p999Ms: l.p999Ms, maxMs: l.maxMs };
}
