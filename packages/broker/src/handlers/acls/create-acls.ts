// CreateAcls (key 30), versions 0-3 (v0 has no pattern type: LITERAL). Needs Alter on the
// cluster (else CLUSTER_AUTHORIZATION_FAILED for every creation). Each creation has its own
// result: INVALID_REQUEST for codes that are not a concrete ACL or an ACL Kafka refuses, NONE
// once stored (also when it existed). The node re-reads its ACLs before answering, so the
// change applies here at once; other nodes see it on their next refresh.
import { ApiKey, defaultCreateAclsResponse } from '@floe/protocol';
import type { BrokerContext } from '../../broker-context.ts';
import { defineHandler, type ApiHandler } from '../../handler.ts';
import { accessOf } from '../access.ts';
import { aclFromWire } from './acl-codes.ts';
import { CLUSTER_DENIED, NO_ERROR, SECURITY_DISABLED, aclFailure, invalidRequest, type AclError } from './acl-errors.ts';

export function createAclsHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.CreateAcls> {
  return defineHandler({
    apiKey: ApiKey.CreateAcls,
    minVersion: 0,
    maxVersion: 3,
    async handle(rc, request) {
      const response = defaultCreateAclsResponse();
      const acls = ctx.acls;
      const all = (e: AclError) => request.creations.map(() => ({ ...e }));
      if (!acls) return { ...response, results: all(SECURITY_DISABLED) };
      if (!accessOf(ctx, rc).cluster('Alter')) return { ...response, results: all(CLUSTER_DENIED) };
      const results: AclError[] = [];
      for (const c of request.creations) {
        const acl = aclFromWire({ ...c, patternType: c.resourcePatternType });
        if (!acl) {
          results.push(invalidRequest('the ACL names an unknown or "any" resource type, pattern type, operation or permission'));
          continue;
        }
        try {
          await acls.table.create(acl);
          results.push(NO_ERROR);
        } catch (err) {
          results.push(aclFailure(err));
        }
      }
      await acls.refresh().catch((err: unknown) => rc.logger.warn({ error: String(err) }, 're-reading ACLs after CreateAcls failed'));
      return { ...response, results };
    },
  });
}
