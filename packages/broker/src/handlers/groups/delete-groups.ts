// DeleteGroups (key 42), versions 0-2: deletes empty groups with their committed offsets.
// A group with members: NON_EMPTY_GROUP; none by that id: GROUP_ID_NOT_FOUND.
import { ApiKey, defaultDeleteGroupsResponse, ErrorCode } from '@floe/protocol';
import type { BrokerContext } from '../../broker-context.ts';
import { defineHandler, type ApiHandler } from '../../handler.ts';
import { groupErrorCode, groupFailureCode } from './group-errors.ts';
import { accessOf } from '../access.ts';

export function deleteGroupsHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.DeleteGroups> {
  return defineHandler({
    apiKey: ApiKey.DeleteGroups,
    minVersion: 0,
    maxVersion: 2,
    async handle(rc, request) {
      const response = defaultDeleteGroupsResponse();
      const access = accessOf(ctx, rc);
      response.results = await Promise.all(
        [...new Set(request.groupsNames)].map(async (groupId) => {
          if (!access.group('Delete', groupId)) return { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
          try {
            return { groupId, errorCode: groupErrorCode(await ctx.groups.deleteGroup(groupId)) };
          } catch (err) {
            return { groupId, errorCode: groupFailureCode(err) };
          }
        }),
      );
      return response;
    },
  });
}
