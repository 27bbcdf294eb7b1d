// DescribeClientQuotas (key 48), versions 0-1: the client quotas matching a filter.
//
// Floe enforces no client quotas (no produce/fetch byte rates, no request percentages), so the
// true answer to every valid filter is "no entries". Served so that Kafka's tools that list
// quotas alongside other user settings (kafka-configs --describe --entity-type users, which also
// describes SCRAM credentials) work; AlterClientQuotas is not served, so setting a quota fails
// with UNSUPPORTED_VERSION rather than being accepted and ignored.
//
// Kafka's rules, kept: DescribeConfigs on the cluster (else CLUSTER_AUTHORIZATION_FAILED); entity
// types user, client-id and ip, each at most once, ip not combined with the others; match type 0
// (exact) needs a name, 1 (default) and 2 (any) take none; anything else is INVALID_REQUEST.
import { ApiKey, defaultDescribeClientQuotasResponse, ErrorCode, type DescribeClientQuotasRequestComponentData } from '@floe/protocol';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler, type ApiHandler } from '../handler.ts';
import { accessOf } from './access.ts';

const ENTITY_TYPES: ReadonlySet<string> = new Set(['user', 'client-id', 'ip']);
export const MATCH_EXACT = 0;
export const MATCH_DEFAULT = 1;
export const MATCH_ANY = 2;

/** Why a filter is invalid, or null. */
export function quotaFilterProblem(components: readonly DescribeClientQuotasRequestComponentData[]): string | null {
  const seen = new Set<string>();
  for (const c of components) {
    if (!ENTITY_TYPES.has(c.entityType)) return `unknown quota entity type "${c.entityType}"`;
    if (seen.has(c.entityType)) return `duplicate filter component for entity type "${c.entityType}"`;
    seen.add(c.entityType);
    if (c.matchType === MATCH_EXACT) {
      if (c.match === null) return `an exact match on "${c.entityType}" needs a name`;
    } else if (c.matchType === MATCH_DEFAULT || c.matchType === MATCH_ANY) {
      if (c.match !== null) return `match type ${c.matchType} on "${c.entityType}" takes no name`;
    } else {
      return `unknown match type ${c.matchType}`;
    }
  }
  if (seen.has('ip') && seen.size > 1) return 'ip quotas cannot be combined with user or client-id';
  return null;
}

export function describeClientQuotasHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.DescribeClientQuotas> {
  return defineHandler({
    apiKey: ApiKey.DescribeClientQuotas,
    minVersion: 0,
    maxVersion: 1,
    async handle(rc, request) {
      const response = defaultDescribeClientQuotasResponse();
      if (!accessOf(ctx, rc).cluster('DescribeConfigs')) {
        response.errorCode = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
        response.errorMessage = 'DescribeConfigs on the cluster is required to describe client quotas';
        response.entries = null;
        return response;
      }
      const problem = quotaFilterProblem(request.components);
      if (problem !== null) {
        response.errorCode = ErrorCode.INVALID_REQUEST;
        response.errorMessage = problem;
        response.entries = null;
        return response;
      }
      response.entries = [];
      return response;
    },
  });
}
