import { describe, expect, it } from '@jest/globals';
import { AclAuthorizer, type AclBinding } from '@floe/authz';
import {
  ApiKey,
  decodeRequest,
  decodeResponse,
  defaultDescribeClientQuotasRequest,
  defaultDescribeClientQuotasRequestComponentData,
  encodeRequest,
  encodeResponse,
  ErrorCode,
  type DescribeClientQuotasRequestComponentData,
  type DescribeClientQuotasResponse,
} from '@floe/protocol';
import type { BrokerContext } from '../../src/broker-context.ts';
import { describeClientQuotasHandler } from '../../src/handlers/describe-client-quotas.ts';
import { clusterOperations, CLUSTER_AUTHORIZED_OPERATIONS } from '../../src/handlers/describe-cluster.ts';
import { accessOf } from '../../src/handlers/access.ts';
import { testRequestContext } from '../support/listener.ts';

const allow = (operation: AclBinding['operation']): AclBinding => ({
  resourceType: 'Cluster',
  resourceName: 'kafka-cluster',
  patternType: 'LITERAL',
  principal: 'User:ops',
  host: '*',
  operation,
  permission: 'ALLOW',
});

/** A context with the authorizer on and `acls` in force (only what the handlers here touch). */
const withAcls = (acls: AclBinding[]) =>
  ({ acls: { authorizer: new AclAuthorizer(acls, []), table: {}, refresh: async () => {} } }) as unknown as BrokerContext;
const OPEN = {} as BrokerContext;

const component = (entityType: string, matchType: number, match: string | null): DescribeClientQuotasRequestComponentData => ({
  ...defaultDescribeClientQuotasRequestComponentData(),
  entityType,
  matchType,
  match,
});

async function describeQuotas(ctx: BrokerContext, version: number, components: DescribeClientQuotasRequestComponentData[], principal = 'User:ops'): Promise<DescribeClientQuotasResponse> {
  const request = { ...defaultDescribeClientQuotasRequest(), components };
  const decoded = decodeRequest(encodeRequest({ apiKey: ApiKey.DescribeClientQuotas, apiVersion: version, correlationId: 3 }, request).subarray(4));
  if (decoded.apiKey !== ApiKey.DescribeClientQuotas) throw new Error('not DescribeClientQuotas');
  const answer = await describeClientQuotasHandler(ctx).handle({ ...testRequestContext(), principal }, decoded.body, decoded.header);
  if (typeof answer === 'symbol') throw new Error('no answer');
  return decodeResponse(ApiKey.DescribeClientQuotas, version, encodeResponse(ApiKey.DescribeClientQuotas, version, 3, answer).subarray(4)).body;
}

describe('DescribeClientQuotas', () => {
  it.each([0, 1])('v%i answers no quotas for a valid filter: Floe enforces none', async (v) => {
    expect(await describeQuotas(OPEN, v, [component('user', 0, 'alice')])).toMatchObject({ errorCode: ErrorCode.NONE, entries: [] });
    expect(await describeQuotas(OPEN, v, [component('user', 2, null), component('client-id', 1, null)])).toMatchObject({ errorCode: ErrorCode.NONE, entries: [] });
    expect(await describeQuotas(OPEN, v, [])).toMatchObject({ errorCode: ErrorCode.NONE, entries: [] });
  });

  it.each([
    [[component('group', 0, 'g')], 'unknown quota entity type'],
    [[component('user', 0, null)], 'needs a name'],
    [[component('user', 1, 'alice')], 'takes no name'],
    [[component('user', 7, null)], 'unknown match type 7'],
    [[component('user', 2, null), component('user', 0, 'bob')], 'duplicate'],
    [[component('ip', 2, null), component('user', 2, null)], 'cannot be combined'],
  ])('refuses an invalid filter with INVALID_REQUEST (%j)', async (components, message) => {
    const r = await describeQuotas(OPEN, 1, components);
    expect(r).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, entries: null });
    expect(r.errorMessage).toContain(message);
  });

  it('needs DescribeConfigs on the cluster when the authorizer is on', async () => {
    expect(await describeQuotas(withAcls([]), 1, [component('user', 2, null)])).toMatchObject({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, entries: null });
    // AlterConfigs implies DescribeConfigs, as in Kafka.
    expect(await describeQuotas(withAcls([allow('AlterConfigs')]), 1, [component('user', 2, null)])).toMatchObject({ errorCode: ErrorCode.NONE, entries: [] });
  });
});

describe('cluster authorized operations', () => {
  it('are every cluster operation with the authorizer off, and only the allowed ones with it on', () => {
    const rc = { ...testRequestContext(), principal: 'User:ops' };
    expect(clusterOperations(accessOf(OPEN, rc))).toBe(CLUSTER_AUTHORIZED_OPERATIONS);
    expect(clusterOperations(accessOf(withAcls([]), rc))).toBe(0);
    // Describe (8) and DescribeConfigs (10) allowed; AlterConfigs (11) implies DescribeConfigs.
    expect(clusterOperations(accessOf(withAcls([allow('Describe'), allow('AlterConfigs')]), rc))).toBe((1 << 8) | (1 << 10) | (1 << 11));
  });
});
