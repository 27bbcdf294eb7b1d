// DeleteRecords (key 21), versions 0-2: moves partitions' log start (low watermark) forward.
//
// Per partition, as Kafka's leader answers:
// - offset -1 means the high watermark; any other offset from the log start to the high
//   watermark becomes the new log start. An offset below the current log start leaves it where it
//   is (the log start never moves back) and answers the current one.
// - An offset past the high watermark, or negative other than -1: OFFSET_OUT_OF_RANGE.
// - Unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION.
// - Errors answer low watermark -1.
// - A partition named twice: Kafka collects the request into a map keyed by partition, so the
//   last entry wins and the partition is answered once; Floe does the same. Topics keep the order
//   of their first appearance, and so do partitions within them.
// - timeoutMs is not used: the move is durable in the journal when it is answered, and there are
//   no followers to wait for.

import {
  ApiKey,
  defaultDeleteRecordsResponse,
  defaultDeleteRecordsResponseDeleteRecordsPartitionResult,
  defaultDeleteRecordsResponseDeleteRecordsTopicResult,
  ErrorCode,
  type DeleteRecordsResponseDeleteRecordsPartitionResult,
} from '@floe/protocol';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler, type ApiHandler } from '../handler.ts';
import { accessOf } from './access.ts';
import { kafkaErrorCode } from './error-mapping.ts';

/** Kafka's DeleteRecords offset meaning "up to the high watermark". */
export const DELETE_UP_TO_HIGH_WATERMARK = -1n;

export function deleteRecordsHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.DeleteRecords> {
  return defineHandler({
    apiKey: ApiKey.DeleteRecords,
    minVersion: 0,
    maxVersion: 2,
    async handle(rc, request) {
      const access = accessOf(ctx, rc);
      // Topic name → partition → offset, last entry winning, in order of first appearance.
      const wanted = new Map<string, Map<number, bigint>>();
      for (const t of request.topics) {
        let partitions = wanted.get(t.name);
        if (!partitions) wanted.set(t.name, (partitions = new Map()));
        for (const p of t.partitions) partitions.set(p.partitionIndex, p.offset);
      }

      const response = defaultDeleteRecordsResponse();
      response.topics = await Promise.all(
        [...wanted].map(async ([name, partitions]) => {
          // Delete on the topic, checked before its existence (Kafka's order).
          const allowed = access.topic('Delete', name);
          const topic = allowed ? await ctx.topics.byNameOrLoad(name) : undefined;
          const results = await Promise.all(
            [...partitions].map(async ([partitionIndex, offset]): Promise<DeleteRecordsResponseDeleteRecordsPartitionResult> => {
              const out = {
                ...defaultDeleteRecordsResponseDeleteRecordsPartitionResult(),
                partitionIndex,
                lowWatermark: -1n,
              };
              if (!allowed) {
                out.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
                return out;
              }
              if (!topic || partitionIndex < 0 || partitionIndex >= topic.partitions) {
                out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
                return out;
              }
              if (offset < 0n && offset !== DELETE_UP_TO_HIGH_WATERMARK) {
                out.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
                return out;
              }
              // Past the largest safe integer is past any high watermark: the log rejects it.
              const before = offset > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER + 1 : Number(offset);
              try {
                const low = await ctx.log.deleteRecords({ topicId: topic.id, partition: partitionIndex }, before);
                out.lowWatermark = BigInt(low);
                out.errorCode = ErrorCode.NONE;
              } catch (err) {
                out.errorCode = kafkaErrorCode(err);
              }
              return out;
            }),
          );
          return { ...defaultDeleteRecordsResponseDeleteRecordsTopicResult(), name, partitions: results };
        }),
      );
      return response;
    },
  });
}
