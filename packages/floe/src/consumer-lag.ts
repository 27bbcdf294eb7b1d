// Consumer lag for the metrics: every committed partition of every group, as the high watermark
// this node knows (not refreshed: a scrape must not read every shard's journal) minus the
// committed offset. Bounded to the first MAX_GROUPS groups so a scrape stays cheap.
import type { ConsumerLag } from '@floe/metrics';
import type { GroupCoordinator } from '@floe/groups';
import type { FloeLog, TopicInfo } from '@floe/log';

const MAX_GROUPS = 200;

export async function consumerLag(groups: GroupCoordinator, log: FloeLog, topics: () => Promise<TopicInfo[]>): Promise<ConsumerLag[]> {
  const byName = new Map((await topics()).map((t) => [t.name, t]));
  const ids = (await groups.list()).slice(0, MAX_GROUPS).map((g) => g.groupId);
  const out: ConsumerLag[] = [];
  for (const group of ids) {
    for (const o of await groups.fetchOffsets(group)) {
      const topic = byName.get(o.topic);
      if (!topic || topic.id !== o.topicId || o.partition >= topic.partitions) continue;
      const { highWatermark } = await log.offsets({ topicId: topic.id, partition: o.partition }, false);
      out.push({ group, topic: o.topic, partition: o.partition, lag: Math.max(0, highWatermark - Number(o.offset)) });
    }
  }
  return out;
}
