// DescribeUserScramCredentials: the mechanisms and iteration counts of users' credentials (never
// a salt or a key). Describe on the cluster, as Kafka checks it.
import { ApiKey, ErrorCode, defaultDescribeUserScramCredentialsResponse } from '@floe/protocol';
import type { ScramCredentialInfo } from '@floe/auth';
import type { BrokerContext } from '../../broker-context.ts';
import { defineHandler } from '../../handler.ts';
import { accessOf } from '../access.ts';
import { scramMechanismNumber } from './scram-mechanism.ts';

export function describeUserScramCredentialsHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.DescribeUserScramCredentials,
    minVersion: 0,
    maxVersion: 0,
    async handle(rc, request) {
      const response = defaultDescribeUserScramCredentialsResponse();
      if (!accessOf(ctx, rc).cluster('Describe')) {
        response.errorCode = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
        response.errorMessage = 'Cluster authorization failed';
        return response;
      }
      const stored = await ctx.credentials!.list();
      const byUser = new Map<string, ScramCredentialInfo[]>();
      for (const c of stored) byUser.set(c.user, [...(byUser.get(c.user) ?? []), c]);
      const result = (user: string, errorCode = 0, errorMessage: string | null = null) => ({
        user,
        errorCode,
        errorMessage,
        credentialInfos: errorCode !== 0 ? [] : (byUser.get(user) ?? []).map((c) => ({ mechanism: scramMechanismNumber(c.mechanism), iterations: c.iterations })),
      });
      if (request.users === null || request.users.length === 0) {
        response.results = [...byUser.keys()].map((u) => result(u));
        return response;
      }
      const counts = new Map<string, number>();
      for (const u of request.users) counts.set(u.name, (counts.get(u.name) ?? 0) + 1);
      const answered = new Set<string>();
      for (const { name } of request.users) {
        if (answered.has(name)) continue;
        answered.add(name);
        if (counts.get(name)! > 1) {
          response.results.push(result(name, ErrorCode.DUPLICATE_RESOURCE, 'Cannot describe SCRAM credentials for the same user twice in a single request'));
        } else if (!byUser.has(name)) {
          response.results.push(result(name, ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to describe a user credential that does not exist'));
        } else {
          response.results.push(result(name));
        }
      }
      return response;
    },
  });
}
