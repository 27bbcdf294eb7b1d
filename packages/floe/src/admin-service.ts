// The admin API (@floe/admin-api's AdminApi, served by the HTTP and gRPC doors) over this node's
// storage core and group coordinator: the same checks and errors as the Kafka admin APIs (topic
// changes go through the broker's IncrementalAlterConfigs and CreatePartitions rules).
import {
  CONFIG_OPERATION,
  checkConfigOperations,
  checkPartitionCount,
  checkTopicConfigs,
  configChange,
  partitionIncrease,
  TopicChangeRefused,
  updateTopic,
  type BrokerContext,
  type TopicChange,
} from '@floe/broker';
import { AdminError, type AdminApi, type StoredRecord, type TopicDetail } from '@floe/admin-api';
import { checkTopicName, LogError, MAX_PARTITIONS, type ReadBatch, type TopicInfo } from '@floe/log';
import { decodeBatch, ErrorCode } from '@floe/protocol';
import { adminGroups } from './admin-groups.ts';

function translate(err: unknown): never {
  if (err instanceof TopicChangeRefused) {
    throw new AdminError(err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? 'not-found' : 'invalid', err.message, { cause: err });
  }
  if (err instanceof LogError) {
    if (err.kind === 'topic-already-exists') throw new AdminError('exists', err.message, { cause: err });
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

/** A name no topic can have is refused (Kafka's rule and message). */
function checkName(name: string): void {
  try {
    checkTopicName(name);
  } catch (err) {
    translate(err);
  }
}

/** Applies a change to a topic with the broker's compare-and-swap; refusals become AdminErrors. */
async function changeTopic(ctx: BrokerContext, name: string, check: () => void, plan: (topic: TopicInfo) => TopicChange): Promise<void> {
  try {
    check();
    await updateTopic(ctx, name, false, plan);
  } catch (err) {
    translate(err);
  }
}

export function adminService(ctx: BrokerContext): AdminApi {
  const service: AdminApi = {
    ...adminGroups(ctx),

    async cluster() {
      return { clusterId: ctx.clusterId, nodes: ctx.nodes() };
    },

    async listTopics() {
      const topics = await ctx.log.topics.list();
      return topics.map((t) => ({ name: t.name, id: t.id, partitions: t.partitions })).sort((a, b) => (a.name < b.name ? -1 : 1));
    },

    async describeTopic(name) {
      checkName(name);
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
      checkName(name);
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

    async alterTopicConfigs(name, changes): Promise<TopicDetail> {
      const ops = [
        ...Object.entries(changes.set).map(([key, value]) => ({ name: key, configOperation: CONFIG_OPERATION.SET, value })),
        ...changes.delete.map((key) => ({ name: key, configOperation: CONFIG_OPERATION.DELETE, value: null })),
      ];
      if (ops.length === 0) throw new AdminError('invalid', 'nothing to change: give configs to set or to delete');
      await changeTopic(ctx, name, () => checkConfigOperations(ops), configChange(ops));
      const after = await service.describeTopic(name);
      if (!after) throw new AdminError('not-found', `topic "${name}" does not exist`);
      return after;
    },

    async addPartitions(name, count) {
      let after: TopicInfo | undefined;
      await changeTopic(ctx, name, () => checkPartitionCount(count), (topic) => {
        const change = partitionIncrease(topic, count);
        after = { ...topic, partitions: count };
        return change;
      });
      return { name: after!.name, id: after!.id, partitions: after!.partitions };
    },

    async deleteTopic(name) {
      checkName(name);
      const t = await ctx.log.topics.get(name);
      if (!t) throw new AdminError('not-found', `no topic "${name}"`);
      try {
        await ctx.log.deleteTopic(name);
        ctx.topics.invalidate();
      } catch (err) {
        translate(err);
      }
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
  return service;
}
