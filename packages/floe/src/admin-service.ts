// The admin API of the HTTP door (`@floe/http`'s AdminApi) over this node's storage core and
// group coordinator: the same checks and errors as the Kafka admin APIs.
import { checkTopicConfigs, type BrokerContext } from '@floe/broker';
import { consumerGroupState, isConsumerGroup } from '@floe/groups';
import { AdminError, type AdminApi, type GroupDetail, type StoredRecord } from '@floe/http';
import { checkTopicName, LogError, MAX_PARTITIONS, type ReadBatch } from '@floe/log';
import { decodeBatch } from '@floe/protocol';
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

/** Bytes one read of the log asks for; a records request makes at most READ_ROUNDS of them. */
const READ_BYTES = 1024 * 1024;
const READ_ROUNDS = 4;

/** The records of a stored batch at or after `from`, with their offsets from the log's index. */
function recordsOf(b: ReadBatch, from: number, out: StoredRecord[], limit: number): void {
  // The stored bytes carry the producer's base offset: the log's is the real one. Their CRC was
  // checked on produce.
  const decoded = decodeBatch(b.bytes, { validateCrc: false });
  if (decoded.header.isControl) return;
  for (const r of decoded.records) {
    const offset = b.baseOffset + r.offsetDelta;
    if (offset < from) continue;
    if (out.length >= limit) return;
    // decodeBatch already gives LogAppendTime batches' records the batch's timestamp.
    out.push({ offset, timestamp: Number(r.timestamp), key: r.key, value: r.value, headers: r.headers });
  }
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

    async readRecords(name, partition, from, limit) {
      const t = await ctx.log.topics.get(name);
      if (!t) return undefined;
      if (partition >= t.partitions) throw new AdminError('not-found', `topic "${name}" has no partition ${partition} (it has ${t.partitions})`);
      const ref = { topicId: t.id, partition };
      const { logStartOffset, highWatermark } = await ctx.log.offsets(ref);
      const offset = from ?? logStartOffset;
      // Outside the log: no records, and the nearest offset that can be read.
      if (offset < logStartOffset || offset > highWatermark) {
        return { logStartOffset, highWatermark, nextOffset: Math.min(Math.max(offset, logStartOffset), highWatermark), records: [] };
      }
      const records: StoredRecord[] = [];
      let next = offset;
      let end = highWatermark;
      let start = logStartOffset;
      for (let round = 0; round < READ_ROUNDS && records.length < limit && next < end; round++) {
        let r;
        try {
          r = await ctx.log.read(ref, next, READ_BYTES);
        } catch (err) {
          // Retention moved the log start past `next` between the two reads: answer what we have.
          if (err instanceof LogError && err.kind === 'offset-out-of-range') break;
          translate(err);
        }
        end = r.highWatermark;
        start = r.logStartOffset;
        if (r.batches.length === 0) break;
        for (const b of r.batches) {
          recordsOf(b, next, records, limit);
          if (records.length >= limit) {
            next = records[records.length - 1]!.offset + 1;
            break;
          }
          next = b.endOffset;
        }
      }
      return { logStartOffset: start, highWatermark: end, nextOffset: next, records };
    },
  };
}
