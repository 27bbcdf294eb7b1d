// The storage core on the embedded default that `npm start` uses: segment objects in local
// files, the coordination table in the embedded store. Both persist: a restarted node finds
// every offset, every byte and every producer's state.
import { afterEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedCoordinationStore } from '../../../coordination/src/index.ts';
import { FsObjectStore } from '../../../object-store/src/index.ts';
import { FloeLog } from '../../src/floe-log.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function openEmbedded(dir: string) {
  const objects = await FsObjectStore.open(join(dir, 'objects'));
  const coordination = await EmbeddedCoordinationStore.open(join(dir, 'metadata'));
  const log = await FloeLog.open({ objects, coordination, node: 'local', lingerMs: 5 });
  return {
    log,
    close: async () => {
      await log.close();
      await objects.close();
      await coordination.close();
    },
  };
}

describe('storage core on the embedded default', () => {
  it('keeps offsets, bytes and producer state across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'floe-embedded-'));
    dirs.push(dir);
    const first = await openEmbedded(dir);
    const topic = await first.log.topics.create('local', 2, { 'retention.ms': '-1' });
    const ref = { topicId: topic.id, partition: 1 };
    const bodies = Array.from({ length: 10 }, (_, i) => randomBytes(200 + i));
    for (const [i, b] of bodies.entries()) {
      const o = await first.log.append(ref, { offsetCount: 1, recordCount: 1, maxTimestamp: Date.now(), producer: { id: 5, epoch: 0, baseSequence: i } }, b);
      expect(o).toEqual({ kind: 'appended', baseOffset: i });
    }
    await first.close();

    const second = await openEmbedded(dir);
    expect((await second.log.topics.get('local'))?.id).toBe(topic.id);
    const read = await second.log.read(ref, 0, 1 << 20);
    expect(read.highWatermark).toBe(10);
    read.batches.forEach((b, i) => expect(b.bytes.equals(bodies[i]!)).toBe(true));
    const retry = await second.log.append(ref, { offsetCount: 1, recordCount: 1, maxTimestamp: Date.now(), producer: { id: 5, epoch: 0, baseSequence: 9 } }, bodies[9]!);
    expect(retry).toMatchObject({ kind: 'duplicate', baseOffset: 9 });
    await second.close();
  });
});
