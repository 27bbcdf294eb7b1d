// Metadata by topic id: answered from v12 on; before v12 a topic without a name cannot be answered
// (names are not nullable there), so the request is refused by closing the connection, not by a
// response that fails to encode. Found by the port fuzzer.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AclAuthorizer } from '@floe/authz';
import { ApiKey, defaultMetadataRequest, defaultMetadataRequestTopic, encodeResponse, ErrorCode, type MetadataResponse, type RequestHeader } from '@floe/protocol';
import { CLOSE_CONNECTION } from '../../src/handler.ts';
import { metadataHandler } from '../../src/handlers/metadata.ts';
import { makeBrokerContext, type TestBroker } from '../support/broker-context.ts';
import { testRequestContext } from '../support/listener.ts';

const header = (apiVersion: number): RequestHeader => ({ apiKey: ApiKey.Metadata, apiVersion, correlationId: 1, clientId: 't', taggedFields: [] });

describe('Metadata by topic id', () => {
  let b: TestBroker;
  let id: string;
  beforeAll(async () => {
    b = await makeBrokerContext();
    id = (await b.ctx.log.topics.create('by-id', 2, {})).id;
  });
  afterAll(async () => b.close());

  const byId = (topicId: string) => ({ ...defaultMetadataRequest(), topics: [{ ...defaultMetadataRequestTopic(), name: null, topicId }] });

  it('v12 answers a topic by id, and UNKNOWN_TOPIC_ID for an unknown one', async () => {
    const h = metadataHandler(b.ctx);
    const known = (await h.handle(testRequestContext(), byId(id), header(12))) as MetadataResponse;
    expect(known.topics[0]).toMatchObject({ name: 'by-id', topicId: id, errorCode: ErrorCode.NONE });
    expect(() => encodeResponse(ApiKey.Metadata, 12, 1, known)).not.toThrow();
    const unknown = (await h.handle(testRequestContext(), byId('AAAAAAAAAAAAAAAAAAAAAQ'), header(12))) as MetadataResponse;
    expect(unknown.topics[0]).toMatchObject({ name: null, errorCode: ErrorCode.UNKNOWN_TOPIC_ID });
    expect(() => encodeResponse(ApiKey.Metadata, 12, 1, unknown)).not.toThrow();
  });

  it.each([10, 11])('v%i with a nameless topic closes the connection', async (v) => {
    const warnings: string[] = [];
    const rc = testRequestContext();
    const logger = { ...rc.logger, warn: (_f: unknown, m: string) => void warnings.push(m) };
    expect(await metadataHandler(b.ctx).handle({ ...rc, logger }, byId(id), header(v))).toBe(CLOSE_CONNECTION);
    expect(warnings).toEqual([expect.stringContaining('by id before v12')]);
  });

  it('answers LEADER_NOT_AVAILABLE for a topic it cannot look up, by name or id, instead of failing the request', async () => {
    // Found by the chaos run: with DynamoDB unreachable the topic lookup threw, the handler
    // failed and the connection was closed.
    const unreachable = () => Promise.reject(new Error('query topics: socket hang up'));
    const ctx = { ...b.ctx, topics: { byNameOrLoad: unreachable, byIdOrLoad: unreachable } } as unknown as typeof b.ctx;
    const named = { ...defaultMetadataRequest(), topics: [{ ...defaultMetadataRequestTopic(), name: 'by-id' }] };
    const h = metadataHandler(ctx);
    const byNameAnswer = (await h.handle(testRequestContext(), named, header(12))) as MetadataResponse;
    expect(byNameAnswer.topics[0]).toMatchObject({ name: 'by-id', errorCode: ErrorCode.LEADER_NOT_AVAILABLE });
    const byIdAnswer = (await h.handle(testRequestContext(), byId(id), header(12))) as MetadataResponse;
    expect(byIdAnswer.topics[0]).toMatchObject({ name: null, topicId: id, errorCode: ErrorCode.LEADER_NOT_AVAILABLE });
    expect(() => encodeResponse(ApiKey.Metadata, 12, 1, byIdAnswer)).not.toThrow();
    expect(() => encodeResponse(ApiKey.Metadata, 9, 1, byNameAnswer)).not.toThrow();
  });

  it('answers the authorized operations of topics and cluster when asked (v8+), from the ACLs when they are on', async () => {
    const ask = { ...defaultMetadataRequest(), topics: [{ ...defaultMetadataRequestTopic(), name: 'by-id' }], includeTopicAuthorizedOperations: true, includeClusterAuthorizedOperations: true };
    const open = (await metadataHandler(b.ctx).handle(testRequestContext(), ask, header(10))) as MetadataResponse;
    const bits = (codes: number[]) => codes.reduce((b, c) => b | (1 << c), 0);
    // Read, Write, Create, Delete, Alter, Describe, DescribeConfigs, AlterConfigs.
    expect(open.topics[0]!.topicAuthorizedOperations).toBe(bits([3, 4, 5, 6, 7, 8, 10, 11]));
    // Create, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite.
    expect(open.clusterAuthorizedOperations).toBe(bits([5, 7, 8, 9, 10, 11, 12]));
    const acl = (operation: 'Read' | 'Describe') => ({ resourceType: 'Topic' as const, resourceName: 'by-', patternType: 'PREFIXED' as const, principal: 'User:ANONYMOUS', host: '*', operation, permission: 'ALLOW' as const });
    const withAcls = { ...b.ctx, acls: { authorizer: new AclAuthorizer([acl('Read')], []), table: {}, refresh: async () => {} } } as unknown as typeof b.ctx;
    const limited = (await metadataHandler(withAcls).handle(testRequestContext(), ask, header(10))) as MetadataResponse;
    // Read implies Describe.
    expect(limited.topics[0]!.topicAuthorizedOperations).toBe((1 << 3) | (1 << 8));
    expect(limited.clusterAuthorizedOperations).toBe(0);
    expect(() => encodeResponse(ApiKey.Metadata, 10, 1, limited)).not.toThrow();
    // Not asked: INT32_MIN, as before.
    const plain = (await metadataHandler(withAcls).handle(testRequestContext(), { ...ask, includeTopicAuthorizedOperations: false }, header(10))) as MetadataResponse;
    expect(plain.topics[0]!.topicAuthorizedOperations).toBe(-(2 ** 31));
  });
});
