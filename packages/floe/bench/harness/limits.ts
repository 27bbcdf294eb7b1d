// The physical limit under Floe, measured with the same clients Floe uses (its S3ObjectStore and
// DynamoDbCoordinationStore over the AWS SDK v3), while no system is under test: raw MinIO PUTs of
// the object sizes Floe wrote, ranged GETs of one partition's share of such an object, and
// DynamoDB Local's latency for a conditional put like a journal commit.
import { randomBytes } from 'node:crypto';
import { DynamoDbCoordinationStore } from '@floe/coordination';
import { S3ObjectStore } from '@floe/object-store';
import { removeBucket, removeTable, type TestEnv } from '@floe/testkit';
import { MIB, summarize } from './stats.ts';

export interface ObjectLimit {
  op: 'put' | 'ranged-get';
  objectBytes: number;
  concurrency: number;
  requests: number;
  mbPerSec: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export interface CommitLimit {
  itemBytes: number;
  commits: number;
  commitsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
}

export interface Limits {
  objects: ObjectLimit[];
  commit: CommitLimit;
}

/** Runs `op` from `concurrency` loops for `seconds`; latencies in ms. */
async function closedLoop(seconds: number, concurrency: number, op: (i: number) => Promise<void>): Promise<{ latencies: number[]; elapsed: number }> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await op(next++);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, elapsed: (performance.now() - t0) / 1000 };
}

/**
 * `sizes`: object sizes to PUT (Floe's mean segment sizes); each is also read back by ranged GETs
 * of size / `rangeParts` (one partition's share of a segment).
 */
export async function measureLimits(env: TestEnv, opts: { run: string; sizes: number[]; rangeParts: number; seconds: number; concurrencies: number[]; progress: (msg: string) => void }): Promise<Limits> {
  const credentials = { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey };
  const name = `floe-bench-${opts.run}-limits`;
  const objects = await S3ObjectStore.open({ bucket: name, endpoint: env.s3Endpoint, region: env.region, credentials, forcePathStyle: true, createBucket: true });
  const results: ObjectLimit[] = [];
  try {
    for (const size of opts.sizes) {
      const body = randomBytes(size);
      for (const concurrency of opts.concurrencies) {
        opts.progress(`MinIO PUT ${(size / 1024).toFixed(0)} KiB x${concurrency}`);
        const prefix = `put-${size}-${concurrency}`;
        const put = await closedLoop(opts.seconds, concurrency, (i) => objects.putIfAbsent(`${prefix}/${i}`, body));
        results.push(objectLimit('put', size, concurrency, put.latencies, put.elapsed));
        const written = put.latencies.length;
        const range = Math.max(1, Math.floor(size / opts.rangeParts));
        opts.progress(`MinIO ranged GET ${(range / 1024).toFixed(0)} KiB x${concurrency}`);
        const get = await closedLoop(opts.seconds, concurrency, async (i) => {
          const offset = ((i * 7919) % opts.rangeParts) * range;
          await objects.get(`${prefix}/${i % written}`, { start: offset, end: offset + range });
        });
        results.push(objectLimit('ranged-get', range, concurrency, get.latencies, get.elapsed));
      }
    }
  } finally {
    await objects.close();
    await removeBucket(env, env.s3Endpoint, name);
  }
  opts.progress('DynamoDB Local conditional put (journal commit)');
  const coordination = await DynamoDbCoordinationStore.open({ table: name, endpoint: env.dynamodbEndpoint, region: env.region, credentials, createTable: true });
  try {
    // A journal entry: the next sequence number of a shard, created only if absent, carrying
    // about half a KiB of packed batch descriptors (docs/storage.md).
    const descriptors = randomBytes(512);
    const put = await closedLoop(opts.seconds, 1, (i) => coordination.put({ pk: 'journal/0', sk: String(i).padStart(12, '0'), d: descriptors }, { absent: true }));
    const s = summarize(put.latencies);
    return {
      objects: results,
      commit: { itemBytes: descriptors.length, commits: put.latencies.length, commitsPerSec: put.latencies.length / put.elapsed, p50Ms: s.p50, p99Ms: s.p99, p999Ms: s.p999 },
    };
  } finally {
    await coordination.close();
    await removeTable(env, name);
  }
}

function objectLimit(op: ObjectLimit['op'], size: number, concurrency: number, latencies: number[], elapsed: number): ObjectLimit {
  const s = summarize(latencies);
  return { op, objectBytes: size, concurrency, requests: latencies.length, mbPerSec: (latencies.length * size) / MIB / elapsed, requestsPerSec: latencies.length / elapsed, p50Ms: s.p50, p99Ms: s.p99 };
}
