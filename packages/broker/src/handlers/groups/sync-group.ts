// SyncGroup (key 14), versions 0-5: the leader hands out the assignment, every member gets its
// own. A follower that syncs before the leader waits for it (or for the rebalance that replaces
// the generation: REBALANCE_IN_PROGRESS). v5 checks protocolType and protocolName.
import { ApiKey, defaultSyncGroupResponse, ErrorCode } from '@floe/protocol';
import type { BrokerContext } from '../../broker-context.ts';
import { defineHandler, type ApiHandler } from '../../handler.ts';
import { groupErrorCode, groupFailureCode } from './group-errors.ts';
import { accessOf } from '../access.ts';

export function syncGroupHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.SyncGroup> {
  return defineHandler({
    apiKey: ApiKey.SyncGroup,
    minVersion: 0,
    maxVersion: 5,
    async handle(rc, request, header) {
      const response = defaultSyncGroupResponse();
      if (!accessOf(ctx, rc).group('Read', request.groupId)) return { ...response, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
      try {
        const step = await ctx.groups.sync(
          {
            groupId: request.groupId,
            memberId: request.memberId,
            instanceId: header.apiVersion >= 3 ? request.groupInstanceId : null,
            generation: request.generationId,
            protocolType: header.apiVersion >= 5 ? request.protocolType : null,
            protocolName: header.apiVersion >= 5 ? request.protocolName : null,
            assignments: request.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment })),
          },
          rc.signal,
        );
        if (step.kind === 'error') {
          response.errorCode = groupErrorCode(step.error);
          return response;
        }
        response.protocolType = step.protocolType;
        response.protocolName = step.protocolName;
        response.assignment = Buffer.from(step.assignment);
      } catch (err) {
        response.errorCode = groupFailureCode(err);
      }
      return response;
    },
  });
}
