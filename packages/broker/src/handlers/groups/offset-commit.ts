// OffsetCommit (key 8), versions 0-9, for classic groups and standalone consumers.
//
// Per partition, before the group is consulted: an unknown topic or partition gets
// UNKNOWN_TOPIC_OR_PARTITION, metadata longer than offset.metadata.max.bytes (4096) gets
// OFFSET_METADATA_TOO_LARGE, and neither is written. The group check (generation, member, state:
// see checkCommit in @floe/groups) then answers every remaining partition alike, and they are
// written together, fenced on the group's version.
//
// - v0 carries no generation or member: an admin/standalone commit (generation -1).
// - v1 carries a commit timestamp per partition (-1: now); v2-4's retention time is ignored:
//   offsets are kept until the group is deleted (docs/consumer-groups.md).
import {
  ApiKey,
  defaultOffsetCommitResponse,
  ErrorCode,
  type OffsetCommitResponsePartition,
  type OffsetCommitResponseTopic,
} from '@floe/protocol';
import type { CommittedOffset } from '@floe/groups';
import type { BrokerContext } from '../../broker-context.ts';
import { defineHandler, type ApiHandler } from '../../handler.ts';
import { accessOf } from '../access.ts';
import { groupErrorCode, groupFailureCode } from './group-errors.ts';

/** offset.metadata.max.bytes */
export const MAX_OFFSET_METADATA_BYTES = 4096;

export function offsetCommitHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.OffsetCommit> {
  return defineHandler({
    apiKey: ApiKey.OffsetCommit,
    minVersion: 0,
    maxVersion: 9,
    async handle(rc, request, header) {
      const now = Date.now();
      // Read on the group (else every partition GROUP_AUTHORIZATION_FAILED), then Read on each
      // topic (else its partitions TOPIC_AUTHORIZATION_FAILED), as Kafka checks them.
      const access = accessOf(ctx, rc);
      const groupAllowed = access.group('Read', request.groupId);
      const topics: OffsetCommitResponseTopic[] = [];
      // The response slots that wait for the group's verdict, with what they commit.
      const pending: { slot: OffsetCommitResponsePartition; offset: CommittedOffset }[] = [];
      for (const t of request.topics) {
        const denied = !groupAllowed ? ErrorCode.GROUP_AUTHORIZATION_FAILED : access.topic('Read', t.name) ? ErrorCode.NONE : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        // A topic that cannot be looked up (the coordination table unreachable): null, answered
        // COORDINATOR_NOT_AVAILABLE like a commit that cannot be written, instead of failing the request.
        const topic = denied === ErrorCode.NONE ? await ctx.topics.byNameOrLoad(t.name).catch(() => null) : undefined;
        const partitions = t.partitions.map((p) => {
          const slot: OffsetCommitResponsePartition = { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE };
          if (denied !== ErrorCode.NONE) {
            slot.errorCode = denied;
          } else if (topic === null) {
            slot.errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
          } else if (!topic || p.partitionIndex < 0 || p.partitionIndex >= topic.partitions) {
            slot.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          } else if (p.committedMetadata !== null && Buffer.byteLength(p.committedMetadata) > MAX_OFFSET_METADATA_BYTES) {
            slot.errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
          } else {
            pending.push({
              slot,
              offset: {
                topic: t.name,
                partition: p.partitionIndex,
                offset: p.committedOffset,
                leaderEpoch: header.apiVersion >= 6 ? p.committedLeaderEpoch : -1,
                metadata: p.committedMetadata,
                commitTimestamp: header.apiVersion === 1 && p.commitTimestamp >= 0n ? Number(p.commitTimestamp) : now,
                topicId: topic.id,
              },
            });
          }
          return slot;
        });
        topics.push({ name: t.name, partitions });
      }
      if (pending.length > 0) {
        let code: number;
        try {
          const outcome = await ctx.groups.commitOffsets(
            request.groupId,
            {
              generation: header.apiVersion >= 1 ? request.generationIdOrMemberEpoch : -1,
              memberId: header.apiVersion >= 1 ? request.memberId : '',
              instanceId: header.apiVersion >= 7 ? request.groupInstanceId : null,
            },
            pending.map((p) => p.offset),
          );
          code = groupErrorCode(outcome);
        } catch (err) {
          code = groupFailureCode(err);
        }
        for (const p of pending) p.slot.errorCode = code;
      }
      const response = defaultOffsetCommitResponse();
      response.topics = topics;
      return response;
    },
  });
}
