import { afterEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { FloeLog, type FloeLogOptions } from '../../src/floe-log.ts';
import { MemoryCoordinationStore, MemoryObjectStore } from '../support/memory-stores.ts';

const logs: FloeLog[] = [];
afterEach(async () => {
  await Promise.all(logs.splice(0).map((l) => l.close()));
});
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const WINDOW = 300;

async function open(objects: MemoryObjectStore, coordination: MemoryCoordinationStore, node: string, extra: Partial<FloeLogOptions> = {}) {
  const log = await FloeLog.open({ objects, coordination, node, lingerMs: 5, shardCount: 2, voidWindowMs: WINDOW, gcGraceMs: 0, ...extra });
  logs.push(log);
  return log;
}
const info = (maxTimestamp = Date.now()) => ({ offsetCount: 1, recordCount: 1, maxTimestamp });

describe('log start, retention and garbage collection', () => {
  it('DeleteRecords moves the log start, reads below it are out of range, and it never moves back', async () => {
    const log = await open(new MemoryObjectStore(), new MemoryCoordinationStore(), 'n');
    const t = await log.topics.create('del', 1, {});
    const ref = { topicId: t.id, partition: 0 };
    for (let i = 0; i < 5; i++) await log.append(ref, info(), randomBytes(10));
    expect(await log.deleteRecords(ref, 3)).toBe(3);
    expect(await log.deleteRecords(ref, 1)).toBe(3);
    await expect(log.deleteRecords(ref, 6)).rejects.toMatchObject({ kind: 'offset-out-of-range' });
    await expect(log.read(ref, 2, 100)).rejects.toMatchObject({ kind: 'offset-out-of-range' });
    expect((await log.read(ref, 3, 1 << 20)).batches.map((b) => b.baseOffset)).toEqual([3, 4]);
    expect(await log.offsets(ref)).toMatchObject({ logStartOffset: 3, highWatermark: 5 });
    expect(await log.deleteRecords(ref, -1)).toBe(5);
  });

  it('retention by time drops batches older than retention.ms, by size keeps the newest bytes', async () => {
    const log = await open(new MemoryObjectStore(), new MemoryCoordinationStore(), 'n');
    const byTime = await log.topics.create('by-time', 1, { 'retention.ms': '1000' });
    const bySize = await log.topics.create('by-size', 1, { 'retention.bytes': '250', 'retention.ms': '-1' });
    const now = Date.now();
    const tRef = { topicId: byTime.id, partition: 0 };
    const sRef = { topicId: bySize.id, partition: 0 };
    for (const age of [5000, 4000, 500, 0]) await log.append(tRef, info(now - age), randomBytes(10));
    for (let i = 0; i < 5; i++) await log.append(sRef, info(), randomBytes(100));
    const moved = await log.enforceRetention(now);
    expect(moved.length).toBe(2);
    expect((await log.offsets(tRef)).logStartOffset).toBe(2);
    expect((await log.offsets(sRef)).logStartOffset).toBe(3); // 2 x 100 bytes fit in 250
    expect(await log.enforceRetention(now)).toEqual([]); // nothing more to do: no entry written
  });

  it('collects orphans only after every shard passed the void window, and keeps what is referenced', async () => {
    const objects = new MemoryObjectStore();
    const coordination = new MemoryCoordinationStore();
    const log = await open(objects, coordination, 'n');
    const t = await log.topics.create('gc', 2, {});
    await log.append({ topicId: t.id, partition: 0 }, info(), randomBytes(10));
    const live = [...objects.objects.keys()][0]!;
    // An orphan: uploaded by a writer that died before committing (named like a real segment).
    const orphan = `segments/dead/${Date.now().toString(36).padStart(9, '0')}-abcdef012345.seg`;
    await objects.putIfAbsent(orphan, randomBytes(50));
    const early = await log.collectGarbage();
    expect(early.deleted).toEqual([]);
    expect(early.waiting).toBe(1);
    await sleep(WINDOW + 50);
    const later = await log.collectGarbage(); // ticks idle shards, then the orphan may go
    expect(later.deleted).toEqual([orphan]);
    expect(objects.objects.has(live)).toBe(true);
  });

  it('collects a segment once all its batches fell below the log start', async () => {
    const objects = new MemoryObjectStore();
    const log = await open(objects, new MemoryCoordinationStore(), 'n');
    const t = await log.topics.create('trim', 1, {});
    const ref = { topicId: t.id, partition: 0 };
    await log.append(ref, info(), randomBytes(10));
    const first = [...objects.objects.keys()][0]!;
    await log.append(ref, info(), randomBytes(10));
    await log.deleteRecords(ref, 1);
    await sleep(WINDOW + 50);
    const r = await log.collectGarbage();
    expect(r.deleted).toEqual([first]);
    expect((await log.read(ref, 1, 100)).batches).toHaveLength(1);
  });

  it('a writer that waited past the void window commits nothing and answers a retriable error', async () => {
    const objects = new MemoryObjectStore();
    const coordination = new MemoryCoordinationStore();
    const slow = await open(objects, coordination, 'slow', { afterUpload: () => sleep(WINDOW + 100) });
    const t = await slow.topics.create('late', 1, {});
    const ref = { topicId: t.id, partition: 0 };
    await expect(slow.append(ref, info(), randomBytes(10))).rejects.toMatchObject({ kind: 'timeout' });
    expect((await slow.offsets(ref)).highWatermark).toBe(0);
  });
});

describe('deleting a topic', () => {
  it('frees its name and releases every object it held to garbage collection', async () => {
    const objects = new MemoryObjectStore();
    const log = await open(objects, new MemoryCoordinationStore(), 'n');
    const t = await log.topics.create('gone', 3, {});
    for (let p = 0; p < 3; p++) await log.append({ topicId: t.id, partition: p }, info(), randomBytes(10));
    expect(objects.objects.size).toBe(3);
    await log.deleteTopic('gone');
    expect(await log.topics.get('gone')).toBeUndefined();
    await expect(log.deleteTopic('gone')).rejects.toMatchObject({ kind: 'unknown-topic-or-partition' });
    for (let p = 0; p < 3; p++) expect(await log.offsets({ topicId: t.id, partition: p })).toMatchObject({ logStartOffset: 1, highWatermark: 1 });
    await sleep(WINDOW + 50);
    expect((await log.collectGarbage()).deleted).toHaveLength(3);
    const again = await log.topics.create('gone', 1, {});
    expect(again.id).not.toBe(t.id);
  });
});
