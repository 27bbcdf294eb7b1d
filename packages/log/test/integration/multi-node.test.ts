// The storage core on real storage: MinIO for segments, DynamoDB Local for the journal, each
// node a separate process. Proves offsets stay contiguous and unique under concurrent writers,
// that nothing is acknowledged before object and commit are durable (kill -9 between them),
// that a paused writer's stale commit never lands, and that idempotence survives restarts.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DynamoDbCoordinationStore } from '../../../coordination/src/index.ts';
import { S3ObjectStore } from '../../../object-store/src/index.ts';
import { loadTestEnv } from '../../../testkit/src/test-env.ts';
import { FloeLog } from '../../src/floe-log.ts';
import { journalPk } from '../../src/journal.ts';
import { LogNodeProcess } from '../support/node-driver.ts';

const env = loadTestEnv();
const credentials = { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey };
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('storage core on MinIO + DynamoDB Local, one process per node', () => {
  const bucket = `floe-it-${randomUUID().slice(0, 8)}`;
  const table = `floe-it-${randomUUID().slice(0, 8)}`;
  const nodeEnv = (id: string, extra: Record<string, string> = {}) => ({
    FLOE_NODE_ID: id,
    FLOE_TEST_BUCKET: bucket,
    FLOE_TEST_TABLE: table,
    FLOE_TEST_S3_ENDPOINT: env.s3Endpoint,
    FLOE_TEST_DYNAMODB_ENDPOINT: env.dynamodbEndpoint,
    AWS_ACCESS_KEY_ID: env.accessKeyId,
    AWS_SECRET_ACCESS_KEY: env.secretAccessKey,
    AWS_REGION: env.region,
    ...extra,
  });
  let objects: S3ObjectStore;
  let coordination: DynamoDbCoordinationStore;
  let admin: FloeLog;
  const nodes: LogNodeProcess[] = [];
  const start = async (id: string, extra?: Record<string, string>) => {
    const n = new LogNodeProcess(nodeEnv(id, extra));
    nodes.push(n);
    await n.ready;
    return n;
  };

  beforeAll(async () => {
    objects = await S3ObjectStore.open({ bucket, endpoint: env.s3Endpoint, region: env.region, credentials, forcePathStyle: true, createBucket: true });
    coordination = await DynamoDbCoordinationStore.open({ table, endpoint: env.dynamodbEndpoint, region: env.region, credentials, createTable: true });
    // The cluster is created here: a 2 s void window so orphan collection is testable quickly.
    admin = await FloeLog.open({ objects, coordination, node: 'admin', shardCount: 4, pollIntervalMs: 50, voidWindowMs: 2_000, gcGraceMs: 0 });
  });
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });
  afterAll(async () => {
    await admin.close();
    await objects.close();
    await coordination.close();
  });

  /** Every batch of a partition, read as a consumer does: from each batch's end to the next. */
  async function readAll(topicId: string, partition: number): Promise<{ baseOffset: number; sha: string }[]> {
    const ref = { topicId, partition };
    const { highWatermark } = await admin.offsets(ref);
    const out: { baseOffset: number; sha: string }[] = [];
    let next = 0;
    for (let reads = 0; next < highWatermark && reads < 10_000; reads++) {
      const r = await admin.read(ref, next, 4 * 1024 * 1024);
      if (r.batches.length === 0) break;
      for (const b of r.batches) out.push({ baseOffset: b.baseOffset, sha: sha(b.bytes) });
      next = r.batches[r.batches.length - 1]!.endOffset;
    }
    return out;
  }

  it('three nodes writing the same partitions: offsets contiguous and unique, every acknowledged batch read back', async () => {
    const topic = await admin.topics.create(`race-${randomUUID().slice(0, 6)}`, 3, {});
    const ns = await Promise.all(['a', 'b', 'c'].map((id) => start(id)));
    const acked = new Map<string, string>(); // "partition:offset" -> sha
    const perNode = 150;
    await Promise.all(
      ns.map(async (n) => {
        const pending: Promise<void>[] = [];
        for (let i = 0; i < perNode; i++) {
          const body = randomBytes(64 + (i % 200));
          const partition = i % 3;
          pending.push(
            n.send({ op: 'append', topicId: topic.id, partition, body: body.toString('base64') }).then((a) => {
              const o = a.outcome as { kind: string; baseOffset: number };
              expect(o.kind).toBe('appended');
              const key = `${partition}:${o.baseOffset}`;
              expect(acked.has(key)).toBe(false);
              acked.set(key, sha(body));
            }),
          );
        }
        await Promise.all(pending);
      }),
    );
    expect(acked.size).toBe(3 * perNode);
    for (let p = 0; p < 3; p++) {
      const read = await readAll(topic.id, p);
      expect(read.map((r) => r.baseOffset)).toEqual(Array.from({ length: perNode }, (_, i) => i));
      for (const r of read) expect(r.sha).toBe(acked.get(`${p}:${r.baseOffset}`));
    }
  });

  it('a node killed between PUT and commit acknowledged nothing, and loses or duplicates no offset', async () => {
    const topic = await admin.topics.create(`kill-${randomUUID().slice(0, 6)}`, 1, {});
    const victim = await start('victim', { FLOE_TEST_HOLD_MS: '10000' });
    const answers: Record<string, unknown>[] = [];
    for (let i = 0; i < 5; i++) {
      void victim.send({ op: 'append', topicId: topic.id, partition: 0, body: randomBytes(100).toString('base64') }).then((a) => answers.push(a));
    }
    const orphan = await victim.nextUpload(10_000);
    victim.signal('SIGKILL');
    await victim.exited;
    expect(answers).toEqual([]);
    expect(await objects.head(orphan)).toBeDefined(); // uploaded, never committed: an orphan
    // No journal entry names the orphan, and the survivors write from offset 0 on.
    const allShards = (await Promise.all([0, 1, 2, 3].map((s) => coordination.query(journalPk(s), { consistent: true })))).flat();
    expect(allShards.filter((e) => e.seg === orphan)).toEqual([]);
    const survivor = await start('survivor');
    const a = await survivor.send({ op: 'append', topicId: topic.id, partition: 0, body: randomBytes(10).toString('base64') });
    expect(a.outcome).toEqual({ kind: 'appended', baseOffset: 0 });
    expect((await admin.offsets({ topicId: topic.id, partition: 0 })).highWatermark).toBe(1);
    // The orphan is collected once every shard's journal time passed the void window.
    await new Promise((r) => setTimeout(r, 2_500));
    const gc = await admin.collectGarbage();
    expect(gc.deleted).toContain(orphan);
    expect(await objects.head(orphan)).toBeUndefined();
    expect((await readAll(topic.id, 0)).map((r) => r.baseOffset)).toEqual([0]);
  });

  it('compaction, retention and garbage collection while producers and readers run: no record missed or seen twice, no live object deleted', async () => {
    const topic = await admin.topics.create(`churn-${randomUUID().slice(0, 6)}`, 2, { 'retention.bytes': '20000', 'retention.ms': '-1' });
    const [p1, p2] = await Promise.all([start('p1'), start('p2')]);
    const stopAt = Date.now() + 6_000;
    const produced: Promise<void>[] = [];
    for (const [i, n] of [p1, p2].entries()) {
      produced.push(
        (async () => {
          for (let k = 0; Date.now() < stopAt && k < 2_000; k++) {
            const a = await n.send({ op: 'append', topicId: topic.id, partition: (i + k) % 2, body: randomBytes(500).toString('base64') });
            expect((a.outcome as { kind: string }).kind).toBe('appended');
          }
        })(),
      );
    }
    // A reader per partition follows the log from its start, as a consumer would.
    const readers = [0, 1].map(async (partition) => {
      const ref = { topicId: topic.id, partition };
      const seen: number[] = [];
      let next = 0;
      let skipped = 0;
      while (Date.now() < stopAt + 2_000) {
        try {
          const r = await admin.read(ref, next, 64 * 1024);
          for (const b of r.batches) seen.push(b.baseOffset);
          if (r.batches.length > 0) next = r.batches[r.batches.length - 1]!.endOffset;
          else await admin.waitForData([{ ref, offset: next }], 200);
        } catch (err) {
          // Retention overtook the reader: it resumes at the new log start, as consumers do
          // with auto.offset.reset=earliest. It must never have to skip live data otherwise.
          expect((err as { kind: string }).kind).toBe('offset-out-of-range');
          const { logStartOffset } = await admin.offsets(ref);
          expect(logStartOffset).toBeGreaterThan(next);
          skipped += logStartOffset - next;
          next = logStartOffset;
        }
      }
      return { seen, skipped, next };
    });
    // Compaction, retention and garbage collection run all along.
    let compacted = 0;
    const maintenance = (async () => {
      let deleted = 0;
      while (Date.now() < stopAt) {
        compacted += await admin.compact();
        await admin.enforceRetention();
        deleted += (await admin.collectGarbage()).deleted.length;
        await new Promise((r) => setTimeout(r, 300));
      }
      return deleted;
    })();
    await Promise.all(produced);
    const deleted = await maintenance;
    const results = await Promise.all(readers);
    for (const [partition, r] of results.entries()) {
      // Offsets strictly increase: nothing seen twice, nothing out of order.
      for (let i = 1; i < r.seen.length; i++) expect(r.seen[i]!).toBeGreaterThan(r.seen[i - 1]!);
      const { logStartOffset, highWatermark } = await admin.offsets({ topicId: topic.id, partition });
      expect(r.next).toBe(highWatermark);
      // Everything from the log start on is still readable: no referenced object was deleted.
      let next = logStartOffset;
      while (next < highWatermark) {
        const got = await admin.read({ topicId: topic.id, partition }, next, 1 << 20);
        next = got.batches[got.batches.length - 1]!.endOffset;
      }
    }
    expect(deleted).toBeGreaterThan(0);
    expect(compacted).toBeGreaterThan(0);
  });

  it('a paused writer wakes with a stale view and none of its stale commits succeed', async () => {
    const topic = await admin.topics.create(`pause-${randomUUID().slice(0, 6)}`, 1, {});
    const sleeper = await start('sleeper', { FLOE_TEST_HOLD_MS: '300' });
    const other = await start('other');
    // The sleeper replays the shard, plans against it, uploads, then is stopped before committing.
    await sleeper.send({ op: 'append', topicId: topic.id, partition: 0, body: Buffer.from('warm').toString('base64') });
    const late = sleeper.send({ op: 'append', topicId: topic.id, partition: 0, body: Buffer.from('late').toString('base64') });
    await sleeper.nextUpload(10_000);
    sleeper.signal('SIGSTOP');
    const otherAcks: number[] = [];
    for (let i = 0; i < 10; i++) {
      const a = await other.send({ op: 'append', topicId: topic.id, partition: 0, body: Buffer.from(`other-${i}`).toString('base64') });
      otherAcks.push((a.outcome as { baseOffset: number }).baseOffset);
    }
    expect(otherAcks).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    sleeper.signal('SIGCONT');
    // Its commit aimed at a sequence number that now exists: it lost, replayed, and landed after.
    expect((await late).outcome).toEqual({ kind: 'appended', baseOffset: 11 });
    const read = await readAll(topic.id, 0);
    expect(read.map((r) => r.baseOffset)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('idempotent producer state survives every node restarting', async () => {
    const topic = await admin.topics.create(`idem-${randomUUID().slice(0, 6)}`, 1, {});
    const base = { op: 'append', topicId: topic.id, partition: 0, offsetCount: 4 };
    const body = randomBytes(50).toString('base64');
    const first = await start('first');
    const a = await first.send({ ...base, body, producer: { id: 4242, epoch: 1, baseSequence: 0 } });
    expect(a.outcome).toEqual({ kind: 'appended', baseOffset: 0 });
    await first.stop(); // kill -9
    const second = await start('second');
    const retry = await second.send({ ...base, body, producer: { id: 4242, epoch: 1, baseSequence: 0 } });
    expect(retry.outcome).toMatchObject({ kind: 'duplicate', baseOffset: 0 });
    const gap = await second.send({ ...base, body, producer: { id: 4242, epoch: 1, baseSequence: 9 } });
    expect(gap.outcome).toMatchObject({ kind: 'rejected', error: 'out-of-order-sequence' });
    const old = await second.send({ ...base, body, producer: { id: 4242, epoch: 0, baseSequence: 4 } });
    expect(old.outcome).toMatchObject({ kind: 'rejected', error: 'invalid-producer-epoch' });
    const next = await second.send({ ...base, body, producer: { id: 4242, epoch: 1, baseSequence: 4 } });
    expect(next.outcome).toEqual({ kind: 'appended', baseOffset: 4 });
    expect((await readAll(topic.id, 0)).map((r) => r.baseOffset)).toEqual([0, 4]);
  });
});
