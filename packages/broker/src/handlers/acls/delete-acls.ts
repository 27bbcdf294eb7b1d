// DeleteAcls (key 31), versions 0-3: deletes the stored ACLs each filter selects (as
// DescribeAcls selects them) and lists them per filter. Needs Alter on the cluster. A filter
// with unknown codes gets INVALID_REQUEST and deletes nothing; the others still apply.
import { ApiKey, defaultDeleteAclsResponse, ErrorCode, type DeleteAclsResponseDeleteAclsFilterResult } from '@floe/protocol';
import type { AclFilter } from '@floe/authz';
import type { BrokerContext } from '../../broker-context.ts';
import { defineHandler, type ApiHandler } from '../../handler.ts';
import { accessOf } from '../access.ts';
import { aclToWire, filterFromWire } from './acl-codes.ts';
import { CLUSTER_DENIED, SECURITY_DISABLED, aclFailure, invalidRequest, type AclError } from './acl-errors.ts';

export function deleteAclsHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.DeleteAcls> {
  return defineHandler({
    apiKey: ApiKey.DeleteAcls,
    minVersion: 0,
    maxVersion: 3,
    async handle(rc, request) {
      const response = defaultDeleteAclsResponse();
      const acls = ctx.acls;
      const failed = (e: AclError): DeleteAclsResponseDeleteAclsFilterResult => ({ ...e, matchingAcls: [] });
      if (!acls) return { ...response, filterResults: request.filters.map(() => failed(SECURITY_DISABLED)) };
      if (!accessOf(ctx, rc).cluster('Alter')) return { ...response, filterResults: request.filters.map(() => failed(CLUSTER_DENIED)) };
      const filters = request.filters.map(filterFromWire);
      const valid = filters.filter((f): f is AclFilter => f !== undefined);
      let deleted;
      try {
        deleted = await acls.table.delete(valid);
      } catch (err) {
        return { ...response, filterResults: request.filters.map(() => failed(aclFailure(err))) };
      }
      await acls.refresh().catch((err: unknown) => rc.logger.warn({ error: String(err) }, 're-reading ACLs after DeleteAcls failed'));
      let next = 0;
      const filterResults = filters.map((f): DeleteAclsResponseDeleteAclsFilterResult => {
        if (!f) return failed(invalidRequest('the filter names an unknown resource type, pattern type, operation or permission'));
        const matching = deleted[next++] ?? [];
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          matchingAcls: matching.map((a) => {
            const w = aclToWire(a);
            return { errorCode: ErrorCode.NONE, errorMessage: null, ...w };
          }),
        };
      });
      return { ...response, filterResults };
    },
  });
}
