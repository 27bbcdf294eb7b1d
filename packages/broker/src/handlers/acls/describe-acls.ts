// DescribeAcls (key 29), versions 0-3: the stored ACLs a filter selects (null fields and ANY
// match everything; MATCH selects the ACLs that apply to the named resource), grouped by
// resource pattern. Needs Describe on the cluster. Read from the table, not the node's cache,
// so a change just made through another node is listed.
import { ApiKey, defaultDescribeAclsResponse, ErrorCode, type DescribeAclsResponseDescribeAclsResource } from '@floe/protocol';
import type { BrokerContext } from '../../broker-context.ts';
import { defineHandler, type ApiHandler } from '../../handler.ts';
import { accessOf } from '../access.ts';
import { aclToWire, filterFromWire } from './acl-codes.ts';
import { CLUSTER_DENIED, SECURITY_DISABLED, aclFailure, invalidRequest } from './acl-errors.ts';

export function describeAclsHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.DescribeAcls> {
  return defineHandler({
    apiKey: ApiKey.DescribeAcls,
    minVersion: 0,
    maxVersion: 3,
    async handle(rc, request) {
      const response = defaultDescribeAclsResponse();
      const acls = ctx.acls;
      if (!acls) return { ...response, ...SECURITY_DISABLED };
      if (!accessOf(ctx, rc).cluster('Describe')) return { ...response, ...CLUSTER_DENIED };
      const filter = filterFromWire(request);
      if (!filter) return { ...response, ...invalidRequest('the filter names an unknown resource type, pattern type, operation or permission') };
      let stored;
      try {
        stored = await acls.table.list(filter);
      } catch (err) {
        return { ...response, ...aclFailure(err) };
      }
      const byPattern = new Map<string, DescribeAclsResponseDescribeAclsResource>();
      for (const acl of stored) {
        const w = aclToWire(acl);
        const key = JSON.stringify([w.resourceType, w.patternType, w.resourceName]);
        let resource = byPattern.get(key);
        if (!resource) {
          resource = { resourceType: w.resourceType, resourceName: w.resourceName, patternType: w.patternType, acls: [] };
          byPattern.set(key, resource);
        }
        resource.acls.push({ principal: w.principal, host: w.host, operation: w.operation, permissionType: w.permissionType });
      }
      return { ...response, errorCode: ErrorCode.NONE, resources: [...byPattern.values()] };
    },
  });
}
