// ListGroups (key 16), versions 0-5: every group of the cluster (any node answers for all),
// filtered by state (v4+) and by type (v5+: "classic" or "consumer"), both case-insensitive as in
// Kafka.
import { ApiKey, defaultListGroupsResponse } from '@floe/protocol';
import type { BrokerContext } from '../../broker-context.ts';
import { defineHandler, type ApiHandler } from '../../handler.ts';
import { groupFailureCode } from './group-errors.ts';
import { accessOf } from '../access.ts';

export function listGroupsHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.ListGroups> {
  return defineHandler({
    apiKey: ApiKey.ListGroups,
    minVersion: 0,
    maxVersion: 5,
    async handle(rc, request, header) {
      const response = defaultListGroupsResponse();
      // Describe on the cluster lists every group; otherwise only the groups the principal may Describe.
      const access = accessOf(ctx, rc);
      const all = access.cluster('Describe');
      const states = new Set(header.apiVersion >= 4 ? request.statesFilter.map((s) => s.toLowerCase()) : []);
      const types = new Set(header.apiVersion >= 5 ? request.typesFilter.map((s) => s.toLowerCase()) : []);
      try {
        const groups = await ctx.groups.list();
        response.groups = groups
          .filter((g) => states.size === 0 || states.has(g.state.toLowerCase()))
          .filter((g) => types.size === 0 || types.has(g.type))
          .filter((g) => all || access.group('Describe', g.groupId))
          .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: g.type }));
      } catch (err) {
        response.errorCode = groupFailureCode(err);
      }
      return response;
    },
  });
}
