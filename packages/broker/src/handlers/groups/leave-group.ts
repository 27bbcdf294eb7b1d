// LeaveGroup (key 13), versions 0-5. v0-2 name one member; v3+ a batch (by member id or, for
// static members, by instance id), each answered on its own. A group that does not exist:
// UNKNOWN_MEMBER_ID for the whole request.
import { ApiKey, defaultLeaveGroupResponse, ErrorCode } from '@floe/protocol';
import type { BrokerContext } from '../../broker-context.ts';
import { defineHandler, type ApiHandler } from '../../handler.ts';
import { groupErrorCode, groupFailureCode } from './group-errors.ts';
import { accessOf } from '../access.ts';

export function leaveGroupHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.LeaveGroup> {
  return defineHandler({
    apiKey: ApiKey.LeaveGroup,
    minVersion: 0,
    maxVersion: 5,
    async handle(rc, request, header) {
      const response = defaultLeaveGroupResponse();
      if (!accessOf(ctx, rc).group('Read', request.groupId)) return { ...response, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
      const batched = header.apiVersion >= 3;
      const leaving = batched
        ? request.members.map((m) => ({ memberId: m.memberId, instanceId: m.groupInstanceId }))
        : [{ memberId: request.memberId, instanceId: null }];
      try {
        const result = await ctx.groups.leave(request.groupId, leaving);
        response.errorCode = groupErrorCode(result.error);
        if (!batched) {
          if (result.error === null) response.errorCode = groupErrorCode(result.members[0] ?? null);
          return response;
        }
        if (result.error === null) {
          response.members = leaving.map((m, i) => ({
            memberId: m.memberId,
            groupInstanceId: m.instanceId,
            errorCode: groupErrorCode(result.members[i] ?? null),
          }));
        }
      } catch (err) {
        response.errorCode = groupFailureCode(err);
        response.members = [];
      }
      if (response.errorCode !== ErrorCode.NONE) response.members = [];
      return response;
    },
  });
}
