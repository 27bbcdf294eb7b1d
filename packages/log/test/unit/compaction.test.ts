import { afterEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { FloeLog } from '../../src/floe-log.ts';
import { MemoryCoordinationStore, MemoryObjectStore } from '../support/memory-stores.ts';

const logs: FloeLog[] = [];
afterEach(async () => {
  await Promise.all(logs.splice(0).map((l) => l.close()));
});
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const info = () => ({ offsetCount: 2, recordCount: 2, maxTimestamp: Date.now() });

async function setup() {
  const objects = new MemoryObjectStore();
  const coordination = new MemoryCoordinationStore();
  const log = await FloeLog.open({ objects, coordination, node: 'n', lingerMs: 1, shardCount: 2, voidWindowMs: 200, gcGraceMs: 0 });
  logs.push(log);
  const t = await log.topics.create('c', 1, {});
  return { objects, coordination, log, ref: { topicId: t.id, partition: 0 } };
}

describe('compaction of small objects', () => {
  it('rewrites a partition spread over many objects into one, offsets and bytes unchanged', async () => {
    const { objects, coordination, log, ref } = await setup();
    const bodies: Buffer[] = [];
    for (let i = 0; i < 6; i++) {
      bodies.push(randomBytes(100 + i));
      await log.append(ref, info(), bodies[i]!); // one flush, one object each
    }
    const before = new Set(objects.objects.keys());
    expect(before.size).toBe(6);
    expect(await log.compact()).toBe(6);
    const created = [...objects.objects.keys()].filter((k) => !before.has(k));
    expect(created).toHaveLength(1);
    // Another node replaying the journal sees the same data, now from the compacted object.
    const other = await FloeLog.open({ objects, coordination, node: 'o' });
    logs.push(other);
    for (const reader of [log, other]) {
      const read = await reader.read(ref, 0, 1 << 20);
      expect(read.batches.map((b) => b.baseOffset)).toEqual([0, 2, 4, 6, 8, 10]);
      read.batches.forEach((b, i) => expect(b.bytes.equals(bodies[i]!)).toBe(true));
    }
    expect(await log.compact()).toBe(0); // one object now: nothing to do
    await sleep(250);
    const gc = await log.collectGarbage();
    expect(gc.deleted.sort()).toEqual([...before].sort());
    expect((await log.read(ref, 0, 1 << 20)).batches).toHaveLength(6);
  });

  it('is a no-op when the batches changed under it (retention moved past them)', async () => {
    const { log, ref } = await setup();
    for (let i = 0; i < 5; i++) await log.append(ref, info(), randomBytes(50));
    const replica = log.replica(0).state.partition(ref) ? log.replica(0) : log.replica(1);
    const locations = replica.state.partition(ref)!.batches.map((b) => ({ ...b }));
    await log.deleteRecords(ref, 4); // the first two batches leave
    const stale = await replica.replaceBatches(
      locations[0]!.segment,
      locations.map((l) => ({ partition: ref, position: l.position, length: l.length, baseOffset: l.baseOffset, offsetCount: 2, recordCount: 2, maxTimestamp: l.maxTimestamp })),
    );
    expect(stale).toBe(false);
    expect((await log.read(ref, 4, 1 << 20)).batches.map((b) => b.baseOffset)).toEqual([4, 6, 8]);
  });
});
