// A BrokerContext over the embedded default (files + embedded coordination table) in a temp
// directory: real implementations, no servers. Handler tests build one per test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedCoordinationStore } from '@floe/coordination';
import { GroupCoordinator, type GroupSettings } from '@floe/groups';
import { FloeLog, ProducerIdAllocator } from '@floe/log';
import { FsObjectStore } from '@floe/object-store';
import type { BrokerContext, BrokerSettings } from '../../src/broker-context.ts';
import { TopicCache } from '../../src/topic-cache.ts';

export interface TestBroker {
  ctx: BrokerContext;
  close(): Promise<void>;
}

export async function makeBrokerContext(settings: Partial<BrokerSettings> = {}, groupSettings: Partial<GroupSettings> = {}): Promise<TestBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'floe-broker-'));
  const objects = await FsObjectStore.open(join(dir, 'objects'));
  const coordination = await EmbeddedCoordinationStore.open(join(dir, 'metadata'));
  const log = await FloeLog.open({ objects, coordination, node: 'test', lingerMs: 2, pollIntervalMs: 20 });
  const self = { nodeId: 1, host: '127.0.0.1', port: 9092, rack: null };
  const ctx: BrokerContext = {
    log,
    topics: new TopicCache(log.topics, 200),
    producerIds: new ProducerIdAllocator(coordination),
    groups: new GroupCoordinator({ store: coordination, settings: { initialRebalanceDelayMs: 0, ...groupSettings }, pollMs: 20 }),
    clusterId: log.cluster.clusterId,
    self,
    nodes: () => [self],
    settings: { autoCreateTopics: false, defaultPartitions: 1, maxMessageBytes: 1048588, ...settings },
  };
  return {
    ctx,
    close: async () => {
      ctx.groups.close();
      await log.close();
      await objects.close();
      await coordination.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
