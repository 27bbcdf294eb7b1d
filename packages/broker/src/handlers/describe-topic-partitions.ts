// DescribeTopicPartitions (key 75), version 0: Metadata's topic description, paginated.
//
// Partitions are described as Metadata describes them: the preferred node as leader, only
// replica and only in-sync replica, leader epoch 0; no eligible leader replicas (Floe has no
// replicas to elect from), no offline replicas.
//
// As Kafka's broker answers:
// - No topics named: every topic, sorted by name, without per-topic errors. Topics named: those
//   (each once), sorted by name; an unknown one answers UNKNOWN_TOPIC_OR_PARTITION, an invalid
//   name INVALID_TOPIC_EXCEPTION, both with the zero topic id and no partitions.
// - At most min(responsePartitionLimit, 2000) partitions per answer. When a topic's partitions do
//   not all fit, the answer ends with the ones that do and nextCursor names the first left out;
//   when the limit is used up exactly and topics remain, nextCursor names the next topic's
//   partition 0.
// - cursor: the answer starts at that topic (topics sorting before it are left out) and that
//   partition. A cursor with a negative partition, or naming a topic the request does not name,
//   is INVALID_REQUEST, answered on every requested topic.
// - topicAuthorizedOperations: -2147483648 (the request has no flag to ask for them).

import {
  ApiKey,
  defaultDescribeTopicPartitionsResponse,
  defaultDescribeTopicPartitionsResponsePartition,
  defaultDescribeTopicPartitionsResponseTopic,
  ErrorCode,
  type DescribeTopicPartitionsResponseTopic,
} from '@floe/protocol';
import { checkTopicName, type TopicInfo } from '@floe/log';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler, type ApiHandler } from '../handler.ts';
import { accessOf } from './access.ts';
import { preferredNode } from './partition-leader.ts';
import { FLOE_LEADER_EPOCH } from './offset-for-leader-epoch.ts';
import { OPERATIONS_NOT_REQUESTED, ZERO_UUID } from './kafka-constants.ts';
import { advertisedNodes } from '../advertised.ts';

/** Kafka's max.request.partition.size.limit default: the most partitions one answer holds. */
export const MAX_RESPONSE_PARTITIONS = 2000;

export function describeTopicPartitionsHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.DescribeTopicPartitions> {
  const failed = (name: string, errorCode: number): DescribeTopicPartitionsResponseTopic => ({
    ...defaultDescribeTopicPartitionsResponseTopic(),
    name,
    topicId: ZERO_UUID,
    errorCode,
    topicAuthorizedOperations: OPERATIONS_NOT_REQUESTED,
  });

  return defineHandler({
    apiKey: ApiKey.DescribeTopicPartitions,
    minVersion: 0,
    maxVersion: 0,
    async handle(rc, request) {
      const access = accessOf(ctx, rc);
      const response = defaultDescribeTopicPartitionsResponse();
      const cursor = request.cursor;
      const all = request.topics.length === 0;
      const requested = [...new Set(request.topics.map((t) => t.name))];

      if (cursor && (cursor.partitionIndex < 0 || (!all && !requested.includes(cursor.topicName)))) {
        response.topics = request.topics.map((t) => failed(t.name, ErrorCode.INVALID_REQUEST));
        return response;
      }

      // Each name with its topic (undefined: unknown), sorted by name, from the cursor's topic on.
      let entries: { name: string; topic: TopicInfo | undefined; errorCode: number }[];
      if (all) {
        // Topics the principal may not Describe are left out of a full listing.
        entries = (await ctx.topics.all()).filter((t) => access.topic('Describe', t.name)).map((t) => ({ name: t.name, topic: t, errorCode: ErrorCode.NONE }));
      } else {
        entries = await Promise.all(
          requested.map(async (name) => {
            try {
              checkTopicName(name);
            } catch {
              return { name, topic: undefined, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION };
            }
            if (!access.topic('Describe', name)) return { name, topic: undefined, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
            const topic = await ctx.topics.byNameOrLoad(name);
            return { name, topic, errorCode: topic ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          }),
        );
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      if (cursor) entries = entries.filter((e) => e.name >= cursor.topicName);

      // One view of the live nodes per request, as Metadata takes.
      const nodes = advertisedNodes(ctx, rc);
      let remaining = Math.min(request.responsePartitionLimit, MAX_RESPONSE_PARTITIONS);
      for (const e of entries) {
        if (remaining <= 0) {
          if (remaining === 0) response.nextCursor = { topicName: e.name, partitionIndex: 0 };
          break;
        }
        const t = e.topic;
        if (!t) {
          response.topics.push(failed(e.name, e.errorCode));
          continue;
        }
        const start = cursor && cursor.topicName === t.name ? cursor.partitionIndex : 0;
        const end = Math.min(t.partitions, start + remaining);
        const partitions = [];
        for (let partition = start; partition < end; partition++) {
          const leader = preferredNode(nodes, t.id, partition).nodeId;
          partitions.push({
            ...defaultDescribeTopicPartitionsResponsePartition(),
            partitionIndex: partition,
            leaderId: leader,
            leaderEpoch: FLOE_LEADER_EPOCH,
            replicaNodes: [leader],
            isrNodes: [leader],
            eligibleLeaderReplicas: [],
            lastKnownElr: [],
            offlineReplicas: [],
          });
        }
        response.topics.push({
          ...defaultDescribeTopicPartitionsResponseTopic(),
          name: t.name,
          topicId: t.id,
          isInternal: false,
          partitions,
          topicAuthorizedOperations: OPERATIONS_NOT_REQUESTED,
        });
        remaining -= partitions.length;
        if (end < t.partitions) {
          response.nextCursor = { topicName: t.name, partitionIndex: end };
          break;
        }
      }
      return response;
    },
  });
}
