// JoinGroup (key 11), versions 0-9: the join barrier of the classic group protocol.
//
// - v0 has no rebalance timeout: it is the session timeout, as in Kafka.
// - v4+: an unknown member first gets MEMBER_ID_REQUIRED with its id and joins with it.
// - v5+: static membership (groupInstanceId).
// - v9: a restarted static leader may be told to skip the assignment (skipAssignment).
// - The request waits for the barrier to close (all members rejoined, or the rebalance timeout);
//   if its connection closes meanwhile, the wait ends and nothing is answered.
import { ApiKey, defaultJoinGroupResponse, ErrorCode } from '@floe/protocol';
import type { BrokerContext } from '../../broker-context.ts';
import { defineHandler, type ApiHandler } from '../../handler.ts';
import { clientHostOf, groupErrorCode, groupFailureCode } from './group-errors.ts';
import { accessOf } from '../access.ts';

export function joinGroupHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.JoinGroup> {
  return defineHandler({
    apiKey: ApiKey.JoinGroup,
    minVersion: 0,
    maxVersion: 9,
    async handle(rc, request, header) {
      const response = defaultJoinGroupResponse();
      response.memberId = request.memberId;
      response.generationId = -1;
      if (!accessOf(ctx, rc).group('Read', request.groupId)) {
        return { ...response, memberId: '', errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
      }
      try {
        const step = await ctx.groups.join(
          {
            groupId: request.groupId,
            memberId: request.memberId,
            instanceId: header.apiVersion >= 5 ? request.groupInstanceId : null,
            clientId: rc.clientId ?? '',
            clientHost: clientHostOf(rc.clientAddress),
            sessionMs: request.sessionTimeoutMs,
            rebalanceMs: header.apiVersion >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
            protocolType: request.protocolType,
            protocols: request.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
            requireKnownMemberId: header.apiVersion >= 4,
            canSkipAssignment: header.apiVersion >= 9,
          },
          rc.signal,
        );
        if (step.kind === 'error') {
          response.errorCode = groupErrorCode(step.error);
          if (step.memberId !== undefined) response.memberId = step.memberId;
          return response;
        }
        const r = step.response;
        response.errorCode = ErrorCode.NONE;
        response.generationId = r.generation;
        response.protocolType = r.protocolType;
        response.protocolName = r.protocolName;
        response.leader = r.leader;
        response.memberId = r.memberId;
        response.skipAssignment = r.skipAssignment;
        response.members = r.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.instanceId,
          metadata: Buffer.from(m.metadata),
        }));
      } catch (err) {
        response.errorCode = groupFailureCode(err);
      }
      return response;
    },
  });
}
