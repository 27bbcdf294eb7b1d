// The admin API of the HTTP door (`@floe/http`'s AdminApi) over this node's storage core and
// group coordinator: the same checks and errors as the Kafka admin APIs.
import { checkTopicConfigs, type BrokerContext } from '@floe/broker';
import { consumerGroupState, isConsumerGroup } from '@floe/groups';
import { AdminError, type AdminApi, type GroupDetail } from '@floe/http';
import { checkTopicName, LogError, MAX_PARTITIONS } from '@floe/log';
import { highWatermarks } from './consumer-lag.ts';

function translate(err: unknown): never {
  if (err instanceof LogError) {
    if (err.kind === 'topic-already-exists') throw new AdminError('conflict', err.message, { cause: err });
    if (err.kind === 'unknown-topic-or-partition') throw new AdminError('not-found', err.message, { cause: err });
    if (err.kind === 'unavailable' || err.kind === 'timeout' || err.kind === 'shutting-down') throw new AdminError('unavailable', err.message, { cause: err });
    throw new AdminError('invalid', err.message, { cause: err });
  }
  throw err;
}

export function adminService(ctx: BrokerContext): AdminApi {
  return {
    async cluster() {
      return { clusterId: ctx.clusterId, nodes: ctx.nodes() };
    },

    async listTopics() {
      const topics = await ctx.log.topics.list();
      return topics.map((t) => ({ name: t.name, id: t.id, partitions: t.partitions })).sort((a, b) => (a.name < b.name ? -1 : 1));
    },

    async describeTopic(name) {
      const t = await ctx.log.topics.get(name);
      if (!t) return undefined;
      const partitionOffsets = await Promise.all(
        Array.from({ length: t.partitions }, async (_, partition) => {
          const o = await ctx.log.offsets({ topicId: t.id, partition });
          return { partition, logStartOffset: o.logStartOffset, highWatermark: o.highWatermark };
        }),
      );
      return { name: t.name, id: t.id, partitions: t.partitions, configs: t.configs, partitionOffsets };
    },

    async createTopic(name, partitions, configs) {
      try {
        checkTopicName(name);
      } catch (err) {
        translate(err);
      }
      const count = partitions ?? ctx.settings.defaultPartitions;
      if (!Number.isInteger(count) || count < 1 || count > MAX_PARTITIONS) {
        throw new AdminError('invalid', `the number of partitions must be 1-${MAX_PARTITIONS}, got ${count}`);
      }
      const problem = checkTopicConfigs(configs);
      if (problem) throw new AdminError('invalid', problem);
      try {
        const t = await ctx.log.topics.create(name, count, configs);
        ctx.topics.invalidate();
        return { name: t.name, id: t.id, partitions: t.partitions };
      } catch (err) {
        translate(err);
      }
    },

    async deleteTopic(name) {
      const t = await ctx.log.topics.get(name);
      if (!t) throw new AdminError('not-found', `no topic "${name}"`);
      try {
        await ctx.log.deleteTopic(name);
        ctx.topics.invalidate();
      } catch (err) {
        translate(err);
      }
    },

    async listGroups() {
      return ctx.groups.list();
    },

    async describeGroup(groupId) {
      const g = await ctx.groups.describe(groupId);
      if (!g) return undefined;
      const topics = new Map((await ctx.topics.all()).map((t) => [t.name, t]));
      const offsets: GroupDetail['offsets'] = [];
      const hwm = highWatermarks(ctx.log);
      for (const o of await ctx.groups.fetchOffsets(groupId)) {
        const t = topics.get(o.topic);
        const live = t !== undefined && t.id === o.topicId && o.partition < t.partitions;
        const end = live ? (await hwm({ topicId: t.id, partition: o.partition })).highWatermark : null;
        const committed = Number(o.offset);
        offsets.push({ topic: o.topic, partition: o.partition, committedOffset: committed, highWatermark: end, lag: end === null ? null : Math.max(0, end - committed) });
      }
      const consumer = isConsumerGroup(g);
      return {
        groupId,
        type: consumer ? 'consumer' : 'classic',
        protocolType: consumer ? 'consumer' : g.protocolType,
        state: consumer ? consumerGroupState(g) : g.state,
        members: g.members.map((m) => ({ memberId: m.memberId, instanceId: m.instanceId, clientId: m.clientId, clientHost: m.clientHost })),
        offsets,
      };
    },
  };
}
