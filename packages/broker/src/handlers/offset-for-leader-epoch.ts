// OffsetForLeaderEpoch (key 23), versions 0-4: the end offset of a leader epoch.
//
// Floe has one leader epoch per partition, 0, for its whole life: any node can serve any
// partition and the log is never truncated (every node commits to and reads from the same
// journal), so leadership moving between nodes starts no new epoch. Metadata reports epoch 0,
// Fetch stamps 0 into the batches it returns, ListOffsets answers epoch 0.
//
// Kafka's rules (the leader's epoch cache holding the single entry "epoch 0 starts at offset 0"):
// - currentLeaderEpoch (v2+, -1 when the client does not know it) above the leader's epoch is
//   UNKNOWN_LEADER_EPOCH (the client's metadata is newer than the broker's); below it would be
//   FENCED_LEADER_EPOCH, which cannot happen with epoch 0.
// - leaderEpoch equal to the latest epoch: (that epoch, log end offset). For Floe: (0, high
//   watermark), read fresh from the journal, so a consumer that fetched from any node never sees
//   an end offset below its position and never takes it for truncation.
// - leaderEpoch above the latest epoch, or -1 (undefined): (-1, -1) with no error. A Java consumer
//   answered so resets its position by auto.offset.reset; only a client holding an epoch that
//   Floe never handed out (offsets committed on another cluster, say) can get there.
// - replicaId (v3+) is not used: Floe has no followers, and the answer is the same for all.
// - Unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION.

import {
  ApiKey,
  defaultOffsetForLeaderEpochResponse,
  defaultOffsetForLeaderEpochResponseEpochEndOffset,
  defaultOffsetForLeaderEpochResponseOffsetForLeaderTopicResult,
  ErrorCode,
  type OffsetForLeaderEpochResponseEpochEndOffset,
} from '@floe/protocol';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler, type ApiHandler } from '../handler.ts';
import { accessOf } from './access.ts';
import { kafkaErrorCode } from './error-mapping.ts';

/** The leader epoch of every Floe partition. */
export const FLOE_LEADER_EPOCH = 0;

/** Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET. */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

/**
 * The error for a request's currentLeaderEpoch (Fetch v9+, ListOffsets v4+, OffsetForLeaderEpoch
 * v2+), as Kafka checks it against the leader's epoch: none when the client sent none (-1).
 */
export function currentLeaderEpochError(currentLeaderEpoch: number): number {
  if (currentLeaderEpoch < 0 || currentLeaderEpoch === FLOE_LEADER_EPOCH) return ErrorCode.NONE;
  return currentLeaderEpoch > FLOE_LEADER_EPOCH ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
}

/** Kafka's end offset of `epoch` for a log whose only epoch is 0 and whose end is `highWatermark`. */
export function endOffsetForEpoch(epoch: number, highWatermark: number): { leaderEpoch: number; endOffset: number } {
  if (epoch === FLOE_LEADER_EPOCH) return { leaderEpoch: FLOE_LEADER_EPOCH, endOffset: highWatermark };
  return { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
}

export function offsetForLeaderEpochHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.OffsetForLeaderEpoch> {
  return defineHandler({
    apiKey: ApiKey.OffsetForLeaderEpoch,
    minVersion: 0,
    maxVersion: 4,
    async handle(rc, request, header) {
      const access = accessOf(ctx, rc);
      const version = header.apiVersion;
      const response = defaultOffsetForLeaderEpochResponse();
      response.topics = await Promise.all(
        request.topics.map(async (t) => {
          // Describe on the topic, checked before its existence (Kafka's order).
          const allowed = access.topic('Describe', t.topic);
          // A topic that cannot be looked up (the coordination table unreachable): null, answered
          // KAFKA_STORAGE_ERROR, which clients retry, instead of failing the request.
          const topic = allowed ? await ctx.topics.byNameOrLoad(t.topic).catch(() => null) : undefined;
          const partitions = await Promise.all(
            t.partitions.map(async (p): Promise<OffsetForLeaderEpochResponseEpochEndOffset> => {
              const out = { ...defaultOffsetForLeaderEpochResponseEpochEndOffset(), partition: p.partition };
              if (!allowed) {
                out.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
                return out;
              }
              if (topic === null) {
                out.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
                return out;
              }
              if (!topic || p.partition < 0 || p.partition >= topic.partitions) {
                out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
                return out;
              }
              out.errorCode = currentLeaderEpochError(p.currentLeaderEpoch);
              if (out.errorCode !== ErrorCode.NONE) return out;
              let highWatermark: number;
              try {
                ({ highWatermark } = await ctx.log.offsets({ topicId: topic.id, partition: p.partition }, true));
              } catch (err) {
                out.errorCode = kafkaErrorCode(err);
                return out;
              }
              const end = endOffsetForEpoch(p.leaderEpoch, highWatermark);
              if (version >= 1) out.leaderEpoch = end.leaderEpoch;
              out.endOffset = BigInt(end.endOffset);
              return out;
            }),
          );
          return { ...defaultOffsetForLeaderEpochResponseOffsetForLeaderTopicResult(), topic: t.topic, partitions };
        }),
      );
      return response;
    },
  });
}
