import { afterEach, describe, expect, it, jest } from '@jest/globals';
import {
  ApiKey,
  decodeResponse,
  defaultCreatePartitionsRequest,
  defaultCreatePartitionsRequestCreatePartitionsAssignment,
  defaultCreatePartitionsRequestCreatePartitionsTopic,
  encodeResponse,
  ErrorCode,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
  type RequestHeader,
} from '@floe/protocol';
import { MAX_PARTITIONS, type TopicInfo } from '@floe/log';
import type { BrokerContext } from '../../src/broker-context.ts';
import type { RequestContext } from '../../src/handler.ts';
import { createPartitionsHandler } from '../../src/handlers/create-partitions.ts';
import { makeBrokerContext, type TestBroker } from '../support/broker-context.ts';
import { testRequestContext } from '../support/listener.ts';

const brokers: TestBroker[] = [];
afterEach(async () => {
  jest.restoreAllMocks();
  await Promise.all(brokers.splice(0).map((b) => b.close()));
});

async function broker(): Promise<BrokerContext> {
  const b = await makeBrokerContext();
  brokers.push(b);
  return b.ctx;
}

const rc: RequestContext = testRequestContext();
const header = (apiVersion: number): RequestHeader => ({ apiKey: ApiKey.CreatePartitions, apiVersion, correlationId: 1, clientId: 't', taggedFields: [] });

function request(topics: { name: string; count: number; assignments?: number[][] | null }[], validateOnly = false): CreatePartitionsRequest {
  return {
    ...defaultCreatePartitionsRequest(),
    timeoutMs: 30_000,
    validateOnly,
    topics: topics.map((t) => ({
      ...defaultCreatePartitionsRequestCreatePartitionsTopic(),
      name: t.name,
      count: t.count,
      assignments: t.assignments === undefined || t.assignments === null ? null : t.assignments.map((brokerIds) => ({ ...defaultCreatePartitionsRequestCreatePartitionsAssignment(), brokerIds })),
    })),
  };
}

async function createPartitions(ctx: BrokerContext, req: CreatePartitionsRequest, version = 3): Promise<CreatePartitionsResponse> {
  return (await createPartitionsHandler(ctx).handle(rc, req, header(version))) as CreatePartitionsResponse;
}

const partitions = async (ctx: BrokerContext, name: string) => (await ctx.log.topics.get(name))!.partitions;

describe('CreatePartitions', () => {
  it('declares v0-v3', async () => {
    const h = createPartitionsHandler(await broker());
    expect([h.apiKey, h.minVersion, h.maxVersion]).toEqual([ApiKey.CreatePartitions, 0, 3]);
  });

  it.each([0, 1, 2, 3])('v%i raises the partition count', async (version) => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 2, {});
    const r = await createPartitions(ctx, request([{ name: 't', count: 5 }]), version);
    expect(r).toEqual({ throttleTimeMs: 0, results: [{ name: 't', errorCode: ErrorCode.NONE, errorMessage: null }] });
    expect(await partitions(ctx, 't')).toBe(5);
    expect((await ctx.topics.byNameOrLoad('t'))!.partitions).toBe(5);
  });

  it('refuses a count at or below the current one, or above the maximum, with INVALID_PARTITIONS', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('a', 3, {});
    await ctx.log.topics.create('b', 3, {});
    await ctx.log.topics.create('c', 3, {});
    const r = await createPartitions(ctx, request([{ name: 'a', count: 3 }, { name: 'b', count: 2 }, { name: 'c', count: MAX_PARTITIONS + 1 }]));
    expect(r.results.map((x) => x.errorCode)).toEqual([ErrorCode.INVALID_PARTITIONS, ErrorCode.INVALID_PARTITIONS, ErrorCode.INVALID_PARTITIONS]);
    expect(r.results.every((x) => x.errorMessage)).toBe(true);
    expect([await partitions(ctx, 'a'), await partitions(ctx, 'b'), await partitions(ctx, 'c')]).toEqual([3, 3, 3]);
  });

  it('accepts MAX_PARTITIONS', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, {});
    const r = await createPartitions(ctx, request([{ name: 't', count: MAX_PARTITIONS }]));
    expect(r.results[0]!.errorCode).toBe(ErrorCode.NONE);
  });

  it('accepts assignments matching the increase (placement ignored), refuses others with INVALID_REPLICA_ASSIGNMENT', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('a', 1, {});
    await ctx.log.topics.create('b', 1, {});
    await ctx.log.topics.create('c', 1, {});
    const r = await createPartitions(
      ctx,
      request([
        { name: 'a', count: 3, assignments: [[1], [7]] },
        { name: 'b', count: 3, assignments: [[1]] },
        { name: 'c', count: 2, assignments: [] },
      ]),
    );
    expect(r.results.map((x) => x.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.NONE]);
    expect([await partitions(ctx, 'a'), await partitions(ctx, 'b'), await partitions(ctx, 'c')]).toEqual([3, 1, 2]);
  });

  it('with validateOnly checks but does not write', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, {});
    const r = await createPartitions(ctx, request([{ name: 't', count: 4 }, { name: 'missing', count: 4 }], true));
    expect(r.results.map((x) => x.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(await partitions(ctx, 't')).toBe(1);
    const bad = await createPartitions(ctx, request([{ name: 't', count: 1 }], true));
    expect(bad.results[0]!.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for a missing topic', async () => {
    const ctx = await broker();
    const r = await createPartitions(ctx, request([{ name: 'missing', count: 4 }]));
    expect(r.results[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('refuses a topic named twice with INVALID_REQUEST, and serves the others', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, {});
    await ctx.log.topics.create('u', 1, {});
    const r = await createPartitions(ctx, request([{ name: 't', count: 2 }, { name: 'u', count: 2 }, { name: 't', count: 3 }]));
    expect(r.results.map((x) => [x.name, x.errorCode])).toEqual([
      ['t', ErrorCode.INVALID_REQUEST],
      ['u', ErrorCode.NONE],
      ['t', ErrorCode.INVALID_REQUEST],
    ]);
    expect([await partitions(ctx, 't'), await partitions(ctx, 'u')]).toEqual([1, 2]);
  });

  it('re-checks against the fresh topic after a version conflict', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, { 'retention.ms': '5' });
    const topics = ctx.log.topics;
    const original = topics.update.bind(topics);
    jest.spyOn(topics, 'update').mockImplementationOnce(async (topic: TopicInfo, change) => {
      await original(topic, { partitions: 4 });
      return original(topic, change);
    });
    // another writer raised it to 4 first: 3 is now a decrease
    const r = await createPartitions(ctx, request([{ name: 't', count: 3 }]));
    expect(r.results[0]!.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
    expect(await partitions(ctx, 't')).toBe(4);
    const again = await createPartitions(ctx, request([{ name: 't', count: 6 }]));
    expect(again.results[0]!.errorCode).toBe(ErrorCode.NONE);
    const t = (await topics.get('t'))!;
    expect([t.partitions, t.configs]).toEqual([6, { 'retention.ms': '5' }]);
  });

  it.each([0, 3])('round-trips through the codec at v%i', async (version) => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, {});
    const answer = await createPartitions(ctx, request([{ name: 't', count: 2 }, { name: 'missing', count: 2 }]), version);
    const decoded = decodeResponse(ApiKey.CreatePartitions, version, encodeResponse(ApiKey.CreatePartitions, version, 9, answer).subarray(4)).body as CreatePartitionsResponse;
    expect(decoded).toEqual(answer);
  });
});
