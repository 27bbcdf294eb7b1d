import { afterEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { FloeLog, type FloeLogOptions } from '../../src/floe-log.ts';
import type { PartitionRef } from '../../src/partition-ref.ts';
import { MemoryCoordinationStore, MemoryObjectStore } from '../support/memory-stores.ts';

const logs: FloeLog[] = [];
afterEach(async () => {
  await Promise.all(logs.splice(0).map((l) => l.close()));
});

async function open(objects: MemoryObjectStore, coordination: MemoryCoordinationStore, node: string, extra: Partial<FloeLogOptions> = {}) {
  const log = await FloeLog.open({ objects, coordination, node, lingerMs: 5, shardCount: 4, ...extra });
  logs.push(log);
  return log;
}

const info = (offsetCount: number, producer?: { id: number; epoch: number; baseSequence: number }) => ({
  offsetCount,
  recordCount: offsetCount,
  maxTimestamp: Date.now(),
  ...(producer ? { producer } : {}),
});

describe('FloeLog on in-memory stores', () => {
  it('assigns contiguous offsets and reads every batch back byte for byte', async () => {
    const log = await open(new MemoryObjectStore(), new MemoryCoordinationStore(), 'n1');
    const topic = await log.topics.create('t', 2, {});
    const ref: PartitionRef = { topicId: topic.id, partition: 1 };
    const batches = Array.from({ length: 20 }, (_, i) => randomBytes(50 + i));
    const outcomes = await Promise.all(batches.map((b, i) => log.append(ref, info(i + 1), b)));
    const offsets = outcomes.map((o) => (o.kind === 'appended' ? o.baseOffset : -1));
    // Arrival order is kept within a partition: offsets grow by each batch's span.
    let expected = 0;
    offsets.forEach((o, i) => {
      expect(o).toBe(expected);
      expected += i + 1;
    });
    const read = await log.read(ref, 0, 1 << 30);
    expect(read.highWatermark).toBe(expected);
    expect(read.batches.map((b) => b.baseOffset)).toEqual(offsets);
    read.batches.forEach((b, i) => expect(b.bytes.equals(batches[i]!)).toBe(true));
    // A fetch from the middle of a batch returns that batch; past the end is out of range.
    expect((await log.read(ref, 2, 1)).batches[0]!.baseOffset).toBe(1);
    await expect(log.read(ref, expected + 1, 1)).rejects.toMatchObject({ kind: 'offset-out-of-range' });
    expect((await log.read(ref, expected, 1)).batches).toEqual([]);
  });

  it('writes one object per flush whatever the number of partitions', async () => {
    const objects = new MemoryObjectStore();
    const log = await open(objects, new MemoryCoordinationStore(), 'n1', { lingerMs: 50 });
    const topic = await log.topics.create('many', 100, {});
    await Promise.all(
      Array.from({ length: 100 }, (_, p) => log.append({ topicId: topic.id, partition: p }, info(1), randomBytes(100))),
    );
    expect(objects.stats().puts).toBe(1);
    expect(log.stats().flush.flushes).toBe(1);
  });

  it('gives a retried idempotent batch its original offset and enforces sequence and epoch', async () => {
    const log = await open(new MemoryObjectStore(), new MemoryCoordinationStore(), 'n1');
    const topic = await log.topics.create('idem', 1, {});
    const ref = { topicId: topic.id, partition: 0 };
    const first = await log.append(ref, info(5, { id: 7, epoch: 0, baseSequence: 0 }), randomBytes(10));
    const second = await log.append(ref, info(5, { id: 7, epoch: 0, baseSequence: 5 }), randomBytes(10));
    expect([first, second]).toEqual([
      { kind: 'appended', baseOffset: 0 },
      { kind: 'appended', baseOffset: 5 },
    ]);
    const retry = await log.append(ref, info(5, { id: 7, epoch: 0, baseSequence: 0 }), randomBytes(10));
    expect(retry).toMatchObject({ kind: 'duplicate', baseOffset: 0 });
    const gap = await log.append(ref, info(1, { id: 7, epoch: 0, baseSequence: 20 }), randomBytes(10));
    expect(gap).toMatchObject({ kind: 'rejected', error: 'out-of-order-sequence' });
    const bumped = await log.append(ref, info(1, { id: 7, epoch: 1, baseSequence: 0 }), randomBytes(10));
    expect(bumped).toEqual({ kind: 'appended', baseOffset: 10 });
    const fenced = await log.append(ref, info(1, { id: 7, epoch: 0, baseSequence: 10 }), randomBytes(10));
    expect(fenced).toMatchObject({ kind: 'rejected', error: 'invalid-producer-epoch' });
    expect((await log.offsets(ref)).highWatermark).toBe(11);
  });

  it('keeps producer state across a restart: it is replayed from the journal', async () => {
    const objects = new MemoryObjectStore();
    const coordination = new MemoryCoordinationStore();
    const a = await open(objects, coordination, 'n1');
    const topic = await a.topics.create('restart', 1, {});
    const ref = { topicId: topic.id, partition: 0 };
    await a.append(ref, info(3, { id: 9, epoch: 2, baseSequence: 0 }), randomBytes(10));
    await a.close();
    const b = await open(objects, coordination, 'n2');
    expect(await b.append(ref, info(3, { id: 9, epoch: 2, baseSequence: 0 }), randomBytes(10))).toMatchObject({ kind: 'duplicate', baseOffset: 0 });
    expect(await b.append(ref, info(1, { id: 9, epoch: 1, baseSequence: 3 }), randomBytes(10))).toMatchObject({ kind: 'rejected', error: 'invalid-producer-epoch' });
    expect(await b.append(ref, info(1, { id: 9, epoch: 2, baseSequence: 3 }), randomBytes(10))).toEqual({ kind: 'appended', baseOffset: 3 });
  });

  it('two nodes writing one partition at once get unique contiguous offsets', async () => {
    const objects = new MemoryObjectStore();
    const coordination = new MemoryCoordinationStore();
    const a = await open(objects, coordination, 'a', { lingerMs: 1 });
    const b = await open(objects, coordination, 'b', { lingerMs: 1 });
    const topic = await a.topics.create('race', 1, {});
    const ref = { topicId: topic.id, partition: 0 };
    const sent = new Map<number, Buffer>();
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const body = randomBytes(20 + i);
        const o = await (i % 2 ? a : b).append(ref, info(1), body);
        if (o.kind !== 'appended') throw new Error('not appended');
        sent.set(o.baseOffset, body);
        return o.baseOffset;
      }),
    );
    expect([...outcomes].sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    // Either node reads every record at the offset it was acknowledged with, fetching on from
    // where it got to as a consumer does (a node's view may trail by up to its poll interval).
    for (const reader of [a, b]) {
      const seen: number[] = [];
      for (let tries = 0; seen.length < 60 && tries < 100; tries++) {
        const read = await reader.read(ref, seen.length, 1 << 30);
        for (const x of read.batches) {
          expect(x.bytes.equals(sent.get(x.baseOffset)!)).toBe(true);
          seen.push(x.baseOffset);
        }
        if (read.batches.length === 0) await reader.waitForData([{ ref, offset: seen.length }], 200);
      }
      expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => i));
    }
  });

  it('resolves a commit whose answer was lost without writing it twice', async () => {
    const coordination = new MemoryCoordinationStore();
    const log = await open(new MemoryObjectStore(), coordination, 'n1');
    const topic = await log.topics.create('lost', 1, {});
    const ref = { topicId: topic.id, partition: 0 };
    coordination.putFaults.push({ pkPrefix: 'j#', fault: 'lose-answer' });
    expect(await log.append(ref, info(2), randomBytes(10))).toEqual({ kind: 'appended', baseOffset: 0 });
    expect(await log.append(ref, info(2), randomBytes(10))).toEqual({ kind: 'appended', baseOffset: 2 });
    expect((await log.offsets(ref)).highWatermark).toBe(4);
    const journal = [...coordination.items.values()].filter((i) => i.pk.startsWith('j#'));
    expect(journal).toHaveLength(2);
  });

  it('answers a retriable error when the object store fails, and writes nothing', async () => {
    const objects = new MemoryObjectStore();
    const coordination = new MemoryCoordinationStore();
    const log = await open(objects, coordination, 'n1');
    const topic = await log.topics.create('fail', 1, {});
    const ref = { topicId: topic.id, partition: 0 };
    objects.failPuts = 1;
    await expect(log.append(ref, info(1), randomBytes(10))).rejects.toMatchObject({ kind: 'unavailable' });
    expect([...coordination.items.values()].filter((i) => i.pk.startsWith('j#'))).toHaveLength(0);
    expect(await log.append(ref, info(1), randomBytes(10))).toEqual({ kind: 'appended', baseOffset: 0 });
  });

  it("waits for an idempotent producer's earlier batch still in flight at another node instead of calling the next one out of order", async () => {
    // Found by the chaos run: after a node came back, a librdkafka producer moved a partition to
    // it while its earlier batches were still being flushed by the node it had used; the next
    // batch met OUT_OF_ORDER_SEQUENCE_NUMBER there, which is fatal to librdkafka.
    const objects = new MemoryObjectStore();
    const coordination = new MemoryCoordinationStore();
    const slow = await open(objects, coordination, 'slow', { lingerMs: 400 });
    const fast = await open(objects, coordination, 'fast');
    const topic = await slow.topics.create('moved', 1, {});
    const ref = { topicId: topic.id, partition: 0 };
    const producer = (baseSequence: number) => ({ id: 7, epoch: 0, baseSequence });
    expect(await fast.append(ref, info(2, producer(0)), randomBytes(10))).toEqual({ kind: 'appended', baseOffset: 0 });
    const first = slow.append(ref, info(3, producer(2)), randomBytes(10)); // lingers 400 ms
    const next = fast.append(ref, info(1, producer(5)), randomBytes(10)); // arrives meanwhile
    expect(await first).toEqual({ kind: 'appended', baseOffset: 2 });
    expect(await next).toEqual({ kind: 'appended', baseOffset: 5 });
    // A real gap is still refused, after the bounded wait.
    const t0 = Date.now();
    expect(await fast.append(ref, info(1, producer(9)), randomBytes(10))).toMatchObject({ kind: 'rejected', error: 'out-of-order-sequence' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2_900);
  });

  it("waits the same way when the producer's new epoch began at another node", async () => {
    // Found by the long chaos run: librdkafka bumped its producer's epoch, its first batches of
    // the new epoch went to one node, and after that node was killed the next batch reached a
    // node still holding the old epoch. "A new epoch must start at 0" was answered at once with
    // OUT_OF_ORDER_SEQUENCE_NUMBER, fatal to librdkafka ("sequence desynchronization").
    const objects = new MemoryObjectStore();
    const coordination = new MemoryCoordinationStore();
    const slow = await open(objects, coordination, 'slow', { lingerMs: 400 });
    const fast = await open(objects, coordination, 'fast');
    const topic = await slow.topics.create('bumped', 1, {});
    const ref = { topicId: topic.id, partition: 0 };
    expect(await fast.append(ref, info(2, { id: 7, epoch: 0, baseSequence: 0 }), randomBytes(10))).toEqual({ kind: 'appended', baseOffset: 0 });
    const first = slow.append(ref, info(3, { id: 7, epoch: 1, baseSequence: 0 }), randomBytes(10)); // lingers 400 ms
    const next = fast.append(ref, info(1, { id: 7, epoch: 1, baseSequence: 3 }), randomBytes(10)); // arrives meanwhile
    expect(await first).toEqual({ kind: 'appended', baseOffset: 2 });
    expect(await next).toEqual({ kind: 'appended', baseOffset: 5 });
    // A new epoch that really skips its start is still refused, after the bounded wait.
    const t0 = Date.now();
    expect(await fast.append(ref, info(1, { id: 7, epoch: 2, baseSequence: 4 }), randomBytes(10))).toMatchObject({ kind: 'rejected', error: 'out-of-order-sequence' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2_900);
  });

  it('answers a retriable error when the journal cannot be read, on reads and offsets', async () => {
    // Found by the chaos run: an unreachable DynamoDB during a Fetch surfaced as a bare
    // CoordinationError, which the broker answered with UNKNOWN_SERVER_ERROR, and librdkafka
    // consumers stopped on it.
    const coordination = new MemoryCoordinationStore();
    const log = await open(new MemoryObjectStore(), coordination, 'n1');
    const topic = await log.topics.create('unreadable', 1, {});
    const ref = { topicId: topic.id, partition: 0 };
    await log.append(ref, info(1), randomBytes(10));
    coordination.failQueries = 1;
    await expect(log.read(ref, 5, 1 << 20)).rejects.toMatchObject({ name: 'LogError', kind: 'unavailable' });
    coordination.failQueries = 1;
    await expect(log.offsets(ref)).rejects.toMatchObject({ name: 'LogError', kind: 'unavailable' });
    // Once the table answers again, so does the log.
    expect((await log.read(ref, 0, 1 << 20)).highWatermark).toBe(1);
  });

  it('wakes a waiting reader when data arrives, from this node or another', async () => {
    const objects = new MemoryObjectStore();
    const coordination = new MemoryCoordinationStore();
    const a = await open(objects, coordination, 'a', { pollIntervalMs: 20 });
    const b = await open(objects, coordination, 'b', { pollIntervalMs: 20 });
    const topic = await a.topics.create('wait', 1, {});
    const ref = { topicId: topic.id, partition: 0 };
    const started = Date.now();
    const waited = b.waitForData([{ ref, offset: 0 }], 5_000);
    await a.append(ref, info(1), randomBytes(10));
    await waited;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await b.offsets(ref, false)).highWatermark).toBe(1);
    // Nothing new: the wait ends at its timeout.
    const t0 = Date.now();
    await b.waitForData([{ ref, offset: 1 }], 100);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
  });

  it('creates topics once, validates names and partition counts', async () => {
    const log = await open(new MemoryObjectStore(), new MemoryCoordinationStore(), 'n1');
    await log.topics.create('ok.name-1_x', 3, { 'retention.ms': '1000' });
    await expect(log.topics.create('ok.name-1_x', 3, {})).rejects.toMatchObject({ kind: 'topic-already-exists' });
    await expect(log.topics.create('bad name', 1, {})).rejects.toMatchObject({ kind: 'invalid-config' });
    await expect(log.topics.create('zero', 0, {})).rejects.toMatchObject({ kind: 'invalid-partitions' });
    const t = (await log.topics.get('ok.name-1_x'))!;
    expect(t.configs).toEqual({ 'retention.ms': '1000' });
    const grown = await log.topics.update(t, { partitions: 5 });
    await expect(log.topics.update(t, { partitions: 6 })).rejects.toMatchObject({ kind: 'unavailable' });
    expect((await log.topics.get('ok.name-1_x'))!.partitions).toBe(grown.partitions);
  });
});
