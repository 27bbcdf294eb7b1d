// Heartbeat (key 12), versions 0-4: keeps a member's session alive and tells it when to rejoin
// (REBALANCE_IN_PROGRESS). Errors as Kafka's classic coordinator answers them (classic-protocol.ts
// in @floe/groups).
import { ApiKey, defaultHeartbeatResponse, ErrorCode } from '@floe/protocol';
import type { BrokerContext } from '../../broker-context.ts';
import { defineHandler, type ApiHandler } from '../../handler.ts';
import { groupErrorCode, groupFailureCode } from './group-errors.ts';
import { accessOf } from '../access.ts';

export function heartbeatHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.Heartbeat> {
  return defineHandler({
    apiKey: ApiKey.Heartbeat,
    minVersion: 0,
    maxVersion: 4,
    async handle(rc, request) {
      const response = defaultHeartbeatResponse();
      if (!accessOf(ctx, rc).group('Read', request.groupId)) return { ...response, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
      try {
        const error = await ctx.groups.heartbeat({
          groupId: request.groupId,
          memberId: request.memberId,
          instanceId: request.groupInstanceId,
          generation: request.generationId,
        });
        response.errorCode = groupErrorCode(error);
      } catch (err) {
        response.errorCode = groupFailureCode(err);
      }
      return response;
    },
  });
}
