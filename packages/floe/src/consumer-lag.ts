// Consumer lag for the metrics and the admin API: every committed partition of every group, as
// the current high watermark minus the committed offset. Each journal shard involved is read once
// per call (the first partition of a shard refreshes it, the others use that view), so a scrape
// costs at most one query per shard; bounded to the first MAX_GROUPS groups.
import type { ConsumerLag } from '@floe/metrics';
import type { GroupCoordinator } from '@floe/groups';
import { shardOf, type FloeLog, type PartitionRef, type TopicInfo } from '@floe/log';

const MAX_GROUPS = 200;

export async function consumerLag(groups: GroupCoordinator, log: FloeLog, topics: () => Promise<TopicInfo[]>): Promise<ConsumerLag[]> {
  const byName = new Map((await topics()).map((t) => [t.name, t]));
  const ids = (await groups.list()).slice(0, MAX_GROUPS).map((g) => g.groupId);
  const out: ConsumerLag[] = [];
  const hwm = highWatermarks(log);
  for (const group of ids) {
    for (const o of await groups.fetchOffsets(group)) {
      const topic = byName.get(o.topic);
      if (!topic || topic.id !== o.topicId || o.partition >= topic.partitions) continue;
      const { highWatermark } = await hwm({ topicId: topic.id, partition: o.partition });
      out.push({ group, topic: o.topic, partition: o.partition, lag: Math.max(0, highWatermark - Number(o.offset)) });
    }
  }
  return out;
}

/** Offsets that read each journal shard at most once over the reader's lifetime. */
export function highWatermarks(log: FloeLog): (ref: PartitionRef) => Promise<{ highWatermark: number }> {
  const refreshed = new Set<number>();
  return async (ref) => {
    const shard = shardOf(ref, log.cluster.shardCount);
    const fresh = !refreshed.has(shard);
    refreshed.add(shard);
    return log.offsets(ref, fresh);
  };
}
