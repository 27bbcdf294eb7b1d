// ConsumerGroupDescribe (key 69), version 0: consumer-protocol (KIP-848) groups with their
// epochs, assignor, members, each member's current and target assignment. A classic group, or
// none by that id: GROUP_ID_NOT_FOUND, which is how Kafka's admin client knows to fall back to
// DescribeGroups.
import {
  ApiKey,
  defaultConsumerGroupDescribeResponse,
  defaultConsumerGroupDescribeResponseDescribedGroup,
  ErrorCode,
  type ConsumerGroupDescribeResponseDescribedGroup,
} from '@floe/protocol';
import { consumerGroupState, isConsumerGroup, type Assignment } from '@floe/groups';
import type { BrokerContext } from '../../broker-context.ts';
import { defineHandler, type ApiHandler } from '../../handler.ts';
import { groupOperations, OPERATIONS_NOT_REQUESTED } from './group-acl.ts';
import { groupFailureCode } from './group-errors.ts';
import { accessOf } from '../access.ts';


export function consumerGroupDescribeHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.ConsumerGroupDescribe> {
  return defineHandler({
    apiKey: ApiKey.ConsumerGroupDescribe,
    minVersion: 0,
    maxVersion: 0,
    async handle(rc, request) {
      const access = accessOf(ctx, rc);
      const names = new Map((await ctx.topics.all()).map((t) => [t.id, t.name]));
      const parts = (a: Assignment) => ({
        topicPartitions: Object.entries(a).map(([topicId, partitions]) => ({ topicId, topicName: names.get(topicId) ?? '', partitions })),
      });
      const response = defaultConsumerGroupDescribeResponse();
      response.groups = await Promise.all(
        request.groupIds.map(async (groupId): Promise<ConsumerGroupDescribeResponseDescribedGroup> => {
          const ops = request.includeAuthorizedOperations ? groupOperations(access, groupId) : OPERATIONS_NOT_REQUESTED;
          const out = { ...defaultConsumerGroupDescribeResponseDescribedGroup(), groupId, authorizedOperations: ops };
          if (!access.group('Describe', groupId)) {
            return { ...out, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, authorizedOperations: OPERATIONS_NOT_REQUESTED };
          }
          try {
            const g = await ctx.groups.describe(groupId);
            if (!g || !isConsumerGroup(g)) {
              return { ...out, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `group "${groupId}" is not a consumer group` };
            }
            return {
              ...out,
              groupState: consumerGroupState(g),
              groupEpoch: g.groupEpoch,
              assignmentEpoch: g.assignmentEpoch,
              assignorName: g.assignor,
              members: g.members.map((m) => ({
                memberId: m.memberId,
                instanceId: m.instanceId,
                rackId: m.rackId,
                memberEpoch: m.epoch,
                clientId: m.clientId,
                clientHost: m.clientHost,
                subscribedTopicNames: m.subscribedNames,
                subscribedTopicRegex: m.subscribedRegex,
                assignment: parts(m.assigned),
                targetAssignment: parts(g.target[m.memberId] ?? {}),
              })),
            };
          } catch (err) {
            return { ...out, errorCode: groupFailureCode(err) };
          }
        }),
      );
      return response;
    },
  });
}
