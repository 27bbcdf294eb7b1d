// Storage-core benchmark on MinIO + DynamoDB Local (the servers of `scripts/test-env up`):
//  1. object PUTs and DynamoDB write units per flush for 1, 100 and 1,000 partitions per flush
//     (units as DynamoDB reports them, ReturnConsumedCapacity), against the target 2 + P/16;
//  2. produce throughput and append latency (append → durable and committed) for 1 KiB records;
//  3. the raw MinIO PUT throughput for objects of the size Floe wrote, in the same run.
// Run: node --conditions=floe-source packages/log/bench/storage-bench.ts [--seconds 10] [--inflight 512]
import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDbCoordinationStore } from '@floe/coordination';
import { FloeLog } from '@floe/log';
import { S3ObjectStore } from '@floe/object-store';
import { loadTestEnv } from '../../testkit/src/test-env.ts';

const env = loadTestEnv();
const flag = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const seconds = flag('--seconds', 10);
const inflight = flag('--inflight', 512);
const credentials = { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey };
const run = randomUUID().slice(0, 8);
const objects = await S3ObjectStore.open({ bucket: `floe-bench-${run}`, endpoint: env.s3Endpoint, region: env.region, credentials, forcePathStyle: true, createBucket: true });
const coordination = await DynamoDbCoordinationStore.open({ table: `floe-bench-${run}`, endpoint: env.dynamodbEndpoint, region: env.region, credentials, createTable: true });

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

// --- 1. cost per flush -------------------------------------------------------------------------
console.log('\n## Cost per flush (one node, 8 journal shards, one 1 KiB batch per partition)\n');
console.log('| partitions per flush | flushes | S3 PUTs per flush | write units per flush | target 2 + P/16 |');
console.log('| ---: | ---: | ---: | ---: | ---: |');
{
  const log = await FloeLog.open({ objects, coordination, node: 'cost', lingerMs: 50, maxFlushBytes: 64 * 1024 * 1024 });
  const topic = await log.topics.create('cost', 1000, {});
  const body = randomBytes(1024);
  for (const partitions of [1, 100, 1000]) {
    const flushes = 10;
    // Warm the replicas so the measured commits do not include first-read conflicts.
    await Promise.all(Array.from({ length: partitions }, (_, p) => log.append({ topicId: topic.id, partition: p }, { offsetCount: 1, recordCount: 1, maxTimestamp: 0 }, body)));
    const o0 = objects.stats();
    const c0 = coordination.stats();
    for (let f = 0; f < flushes; f++) {
      await Promise.all(Array.from({ length: partitions }, (_, p) => log.append({ topicId: topic.id, partition: p }, { offsetCount: 1, recordCount: 1, maxTimestamp: Date.now() }, body)));
    }
    const puts = (objects.stats().puts - o0.puts) / flushes;
    const wcu = (coordination.stats().writeUnits - c0.writeUnits) / flushes;
    console.log(`| ${partitions} | ${flushes} | ${puts.toFixed(1)} | ${wcu.toFixed(1)} | ${(2 + partitions / 16).toFixed(1)} |`);
  }
  await log.close();
}

// --- 2. produce throughput and latency ---------------------------------------------------------
console.log(`\n## Produce: 16 KiB batches (16 records of 1 KiB), 12 partitions, ${inflight} in flight, ${seconds} s\n`);
let segmentBytes = 0;
let segmentCount = 0;
{
  const log = await FloeLog.open({ objects, coordination, node: 'tput', lingerMs: 100, maxFlushBytes: 4 * 1024 * 1024 });
  const topic = await log.topics.create('tput', 12, {});
  const body = randomBytes(16 * 1024);
  const latencies: number[] = [];
  let bytes = 0;
  let i = 0;
  const deadline = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const partition = i++ % 12;
      await log.append({ topicId: topic.id, partition }, { offsetCount: 16, recordCount: 16, maxTimestamp: Date.now() }, body);
      latencies.push(performance.now() - t0);
      bytes += body.length;
    }
  };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: inflight }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const s = log.stats().flush;
  segmentBytes = s.segmentBytes;
  segmentCount = s.flushes;
  console.log('| MB/s | batches/s | p50 ms | p99 ms | max ms | flushes | mean segment KiB | CPU s per MB |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  console.log(
    `| ${(bytes / 1e6 / elapsed).toFixed(1)} | ${(latencies.length / elapsed).toFixed(0)} | ${pct(latencies, 50).toFixed(0)} | ${pct(latencies, 99).toFixed(0)} | ${Math.max(...latencies).toFixed(0)} | ${s.flushes} | ${(s.segmentBytes / s.flushes / 1024).toFixed(0)} | ${((cpu.user + cpu.system) / 1e6 / (bytes / 1e6)).toFixed(3)} |`,
  );
  await log.close();
}

// --- 3. raw MinIO PUT throughput for the same object size ---------------------------------------
{
  const size = Math.round(segmentBytes / Math.max(1, segmentCount));
  const body = randomBytes(size);
  const latencies: number[] = [];
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < Math.min(seconds, 5) * 1000) {
    const t = performance.now();
    await objects.putIfAbsent(`raw/${n++}`, body);
    latencies.push(performance.now() - t);
  }
  const elapsed = (performance.now() - t0) / 1000;
  console.log(`\n## Raw MinIO PUT, one at a time, ${(size / 1024).toFixed(0)} KiB objects (the mean segment size above)\n`);
  console.log('| MB/s | PUTs/s | p50 ms | p99 ms |');
  console.log('| ---: | ---: | ---: | ---: |');
  console.log(`| ${((n * size) / 1e6 / elapsed).toFixed(1)} | ${(n / elapsed).toFixed(0)} | ${pct(latencies, 50).toFixed(1)} | ${pct(latencies, 99).toFixed(1)} |`);
}
await objects.close();
await coordination.close();
