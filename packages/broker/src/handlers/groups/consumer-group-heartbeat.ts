// ConsumerGroupHeartbeat (key 68), versions 0-1: the consumer group protocol (KIP-848), for
// clients that opt in with group.protocol=consumer. The coordinator assigns partitions itself
// (server assignors "uniform", the default, and "range") and hands each member its share
// incrementally; see consumer-group.ts in @floe/groups for the epochs and the reconciliation.
//
// - v0: a joining member sends an empty member id and gets one; v1: the client picks its id
//   (a UUID), and an empty one is INVALID_REQUEST.
// - A classic group with members: GROUP_ID_NOT_FOUND ("not a consumer group"), as Kafka answers
//   when it cannot convert the group. An empty classic group (only offsets) becomes a consumer
//   group and keeps its offsets.
import { ApiKey, defaultConsumerGroupHeartbeatResponse, ErrorCode } from '@floe/protocol';
import type { Assignment, ConsumerErrorKind } from '@floe/groups';
import type { BrokerContext } from '../../broker-context.ts';
import { defineHandler, type ApiHandler } from '../../handler.ts';
import { topicsForAssignment } from './consumer-topics.ts';
import { clientHostOf, groupFailureCode } from './group-errors.ts';
import { accessOf } from '../access.ts';

const BY_KIND: Readonly<Record<ConsumerErrorKind, number>> = {
  'unknown-member-id': ErrorCode.UNKNOWN_MEMBER_ID,
  'fenced-member-epoch': ErrorCode.FENCED_MEMBER_EPOCH,
  'unreleased-instance-id': ErrorCode.UNRELEASED_INSTANCE_ID,
  'unsupported-assignor': ErrorCode.UNSUPPORTED_ASSIGNOR,
  'invalid-request': ErrorCode.INVALID_REQUEST,
  'group-max-size-reached': ErrorCode.GROUP_MAX_SIZE_REACHED,
  'group-id-not-found': ErrorCode.GROUP_ID_NOT_FOUND,
};

function toAssignment(parts: { topicId: string; partitions: number[] }[] | null): Assignment | null {
  if (parts === null) return null;
  const a: Assignment = {};
  for (const t of parts) a[t.topicId] = [...(a[t.topicId] ?? []), ...t.partitions];
  return a;
}

export function consumerGroupHeartbeatHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.ConsumerGroupHeartbeat> {
  return defineHandler({
    apiKey: ApiKey.ConsumerGroupHeartbeat,
    minVersion: 0,
    maxVersion: 1,
    async handle(rc, request, header) {
      const response = defaultConsumerGroupHeartbeatResponse();
      response.memberEpoch = -1;
      if (header.apiVersion >= 1 && request.memberId === '') {
        response.errorCode = ErrorCode.INVALID_REQUEST;
        response.errorMessage = 'the member id must be set by the client from version 1 on';
        return response;
      }
      // Read on the group; Describe on every topic named in the subscription, as Kafka checks them.
      const access = accessOf(ctx, rc);
      if (!access.group('Read', request.groupId)) return { ...response, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
      const hidden = (request.subscribedTopicNames ?? []).filter((name) => !access.topic('Describe', name));
      if (hidden.length > 0) {
        return { ...response, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: `not authorized to describe topics: ${hidden.join(', ')}` };
      }
      try {
        const r = await ctx.groups.consumerHeartbeat(
          {
            groupId: request.groupId,
            memberId: request.memberId,
            memberEpoch: request.memberEpoch,
            instanceId: request.instanceId,
            rackId: request.rackId,
            rebalanceTimeoutMs: request.rebalanceTimeoutMs,
            subscribedTopicNames: request.subscribedTopicNames,
            subscribedTopicRegex: request.subscribedTopicRegex,
            serverAssignor: request.serverAssignor,
            ownedPartitions: toAssignment(request.topicPartitions),
            clientId: rc.clientId ?? '',
            clientHost: clientHostOf(rc.clientAddress),
          },
          await topicsForAssignment(ctx),
        );
        response.errorCode = r.error === null ? ErrorCode.NONE : BY_KIND[r.error];
        response.errorMessage = r.message;
        response.memberId = r.memberId;
        response.memberEpoch = r.memberEpoch;
        response.heartbeatIntervalMs = r.heartbeatIntervalMs;
        response.assignment =
          r.assignment === undefined
            ? null
            : { topicPartitions: Object.entries(r.assignment).map(([topicId, partitions]) => ({ topicId, partitions })) };
      } catch (err) {
        response.errorCode = groupFailureCode(err);
        response.errorMessage = err instanceof Error ? err.message : null;
      }
      return response;
    },
  });
}
