// DescribeGroups (key 15), versions 0-5. As Kafka's classic coordinator describes a group:
// members' metadata and assignments only when the group is Stable (protocolData is then the
// chosen protocol), none while it rebalances; a group that does not exist is "Dead" with no error.
// A consumer-protocol (KIP-848) group is Dead here, as in Kafka (ConsumerGroupDescribe
// describes it). authorizedOperations (v3+): when asked, the group operations the principal is allowed (all of
// them with the authorizer off), else INT32_MIN.
import {
  ApiKey,
  defaultDescribeGroupsResponse,
  defaultDescribeGroupsResponseDescribedGroup,
  ErrorCode,
  type DescribeGroupsResponseDescribedGroup,
} from '@floe/protocol';
import { isConsumerGroup, metadataFor } from '@floe/groups';
import type { BrokerContext } from '../../broker-context.ts';
import { defineHandler, type ApiHandler } from '../../handler.ts';
import { accessOf } from '../access.ts';
import { groupOperations, OPERATIONS_NOT_REQUESTED } from './group-acl.ts';
import { groupFailureCode } from './group-errors.ts';


export function describeGroupsHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.DescribeGroups> {
  return defineHandler({
    apiKey: ApiKey.DescribeGroups,
    minVersion: 0,
    maxVersion: 5,
    async handle(rc, request, header) {
      const access = accessOf(ctx, rc);
      const wantOps = header.apiVersion >= 3 && request.includeAuthorizedOperations;
      const response = defaultDescribeGroupsResponse();
      response.groups = await Promise.all(
        request.groups.map(async (groupId): Promise<DescribeGroupsResponseDescribedGroup> => {
          const out = { ...defaultDescribeGroupsResponseDescribedGroup(), groupId, authorizedOperations: wantOps ? groupOperations(access, groupId) : OPERATIONS_NOT_REQUESTED };
          // Describe on the group, else GROUP_AUTHORIZATION_FAILED and nothing of it.
          if (!access.group('Describe', groupId)) return { ...out, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, authorizedOperations: OPERATIONS_NOT_REQUESTED };
          try {
            const g = await ctx.groups.describe(groupId);
            // A consumer-protocol group is not a classic group: Kafka describes it as Dead here;
            // ConsumerGroupDescribe is the API that describes it.
            if (!g || isConsumerGroup(g)) return { ...out, groupState: 'Dead', protocolType: '', protocolData: '' };
            const stable = g.state === 'Stable';
            return {
              ...out,
              groupState: g.state,
              protocolType: g.protocolType,
              protocolData: stable ? (g.protocolName ?? '') : '',
              members: g.members.map((m) => ({
                memberId: m.memberId,
                groupInstanceId: m.instanceId,
                clientId: m.clientId,
                clientHost: m.clientHost,
                memberMetadata: stable ? Buffer.from(metadataFor(g, m)) : Buffer.alloc(0),
                memberAssignment: stable ? Buffer.from(m.assignment) : Buffer.alloc(0),
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
