import { afterEach, describe, expect, it, jest } from '@jest/globals';
import {
  ApiKey,
  decodeResponse,
  defaultAlterConfigsRequest,
  defaultAlterConfigsRequestAlterableConfig,
  defaultAlterConfigsRequestAlterConfigsResource,
  defaultDescribeConfigsRequest,
  defaultDescribeConfigsRequestDescribeConfigsResource,
  defaultIncrementalAlterConfigsRequest,
  defaultIncrementalAlterConfigsRequestAlterableConfig,
  defaultIncrementalAlterConfigsRequestAlterConfigsResource,
  encodeResponse,
  ErrorCode,
  type AlterConfigsRequest,
  type AlterConfigsResponse,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
  type RequestHeader,
} from '@floe/protocol';
import type { TopicInfo } from '@floe/log';
import type { BrokerContext } from '../../src/broker-context.ts';
import type { RequestContext } from '../../src/handler.ts';
import { alterConfigsHandler } from '../../src/handlers/alter-configs.ts';
import { describeConfigsHandler } from '../../src/handlers/describe-configs.ts';
import { incrementalAlterConfigsHandler } from '../../src/handlers/incremental-alter-configs.ts';
import { TOPIC_CONFIGS } from '../../src/topic-configs.ts';
import { makeBrokerContext, type TestBroker } from '../support/broker-context.ts';
import { testRequestContext } from '../support/listener.ts';

const brokers: TestBroker[] = [];
afterEach(async () => {
  jest.restoreAllMocks();
  await Promise.all(brokers.splice(0).map((b) => b.close()));
});

async function broker(): Promise<BrokerContext> {
  const b = await makeBrokerContext({ autoCreateTopics: true, defaultPartitions: 3 });
  brokers.push(b);
  return b.ctx;
}

const rc: RequestContext = testRequestContext();
const header = (apiKey: number, apiVersion: number): RequestHeader => ({ apiKey, apiVersion, correlationId: 1, clientId: 't', taggedFields: [] });

const TOPIC = 2;
const BROKER = 4;

function describeRequest(resources: { type?: number; name: string; keys?: string[] | null }[], fields: Partial<DescribeConfigsRequest> = {}): DescribeConfigsRequest {
  return {
    ...defaultDescribeConfigsRequest(),
    resources: resources.map((r) => ({
      ...defaultDescribeConfigsRequestDescribeConfigsResource(),
      resourceType: r.type ?? TOPIC,
      resourceName: r.name,
      configurationKeys: r.keys === undefined ? null : r.keys,
    })),
    ...fields,
  };
}

async function describeConfigs(ctx: BrokerContext, req: DescribeConfigsRequest, version = 4): Promise<DescribeConfigsResponse> {
  return (await describeConfigsHandler(ctx).handle(rc, req, header(ApiKey.DescribeConfigs, version))) as DescribeConfigsResponse;
}

function alterRequest(resources: { type?: number; name: string; configs: [string, string | null][] }[], validateOnly = false): AlterConfigsRequest {
  return {
    ...defaultAlterConfigsRequest(),
    validateOnly,
    resources: resources.map((r) => ({
      ...defaultAlterConfigsRequestAlterConfigsResource(),
      resourceType: r.type ?? TOPIC,
      resourceName: r.name,
      configs: r.configs.map(([name, value]) => ({ ...defaultAlterConfigsRequestAlterableConfig(), name, value })),
    })),
  };
}

async function alterConfigs(ctx: BrokerContext, req: AlterConfigsRequest, version = 2): Promise<AlterConfigsResponse> {
  return (await alterConfigsHandler(ctx).handle(rc, req, header(ApiKey.AlterConfigs, version))) as AlterConfigsResponse;
}

const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

function incRequest(resources: { type?: number; name: string; ops: [string, number, string | null][] }[], validateOnly = false): IncrementalAlterConfigsRequest {
  return {
    ...defaultIncrementalAlterConfigsRequest(),
    validateOnly,
    resources: resources.map((r) => ({
      ...defaultIncrementalAlterConfigsRequestAlterConfigsResource(),
      resourceType: r.type ?? TOPIC,
      resourceName: r.name,
      configs: r.ops.map(([name, configOperation, value]) => ({ ...defaultIncrementalAlterConfigsRequestAlterableConfig(), name, configOperation, value })),
    })),
  };
}

async function incAlter(ctx: BrokerContext, req: IncrementalAlterConfigsRequest, version = 1): Promise<IncrementalAlterConfigsResponse> {
  return (await incrementalAlterConfigsHandler(ctx).handle(rc, req, header(ApiKey.IncrementalAlterConfigs, version))) as IncrementalAlterConfigsResponse;
}

async function topicConfigs(ctx: BrokerContext, name: string): Promise<Record<string, string>> {
  return (await ctx.log.topics.get(name))!.configs;
}

describe('DescribeConfigs', () => {
  it('declares v1-v4', async () => {
    const h = describeConfigsHandler(await broker());
    expect([h.apiKey, h.minVersion, h.maxVersion]).toEqual([ApiKey.DescribeConfigs, 1, 4]);
  });

  it('lists every topic config: set values as DYNAMIC_TOPIC_CONFIG, the rest as defaults', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, { 'retention.ms': '1000' });
    const r = await describeConfigs(ctx, describeRequest([{ name: 't' }]));
    expect(r.results).toHaveLength(1);
    const res = r.results[0]!;
    expect(res).toMatchObject({ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: TOPIC, resourceName: 't' });
    expect(res.configs.map((c) => c.name)).toEqual(Object.keys(TOPIC_CONFIGS));
    const byName = new Map(res.configs.map((c) => [c.name, c]));
    expect(byName.get('retention.ms')).toMatchObject({ value: '1000', configSource: 1, readOnly: false, isSensitive: false, configType: 5, documentation: null, synonyms: [] });
    expect(byName.get('cleanup.policy')).toMatchObject({ value: 'delete', configSource: 5, configType: 7 });
    expect(byName.get('max.message.bytes')).toMatchObject({ value: '1048588', configType: 3 });
    expect(byName.get('preallocate')).toMatchObject({ configType: 1 });
    expect(byName.get('compression.type')).toMatchObject({ configType: 2 });
    expect(byName.get('min.cleanable.dirty.ratio')).toMatchObject({ configType: 6 });
  });

  it('lists only the requested keys, skipping unknown ones', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, {});
    const r = await describeConfigs(ctx, describeRequest([{ name: 't', keys: ['segment.ms', 'no.such', 'cleanup.policy'] }]));
    expect(r.results[0]!.configs.map((c) => c.name).sort()).toEqual(['cleanup.policy', 'segment.ms']);
  });

  it('gives synonyms when asked: the topic value, then the default', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, { 'retention.ms': '1000' });
    const r = await describeConfigs(ctx, describeRequest([{ name: 't', keys: ['retention.ms', 'segment.ms'] }], { includeSynonyms: true }));
    const byName = new Map(r.results[0]!.configs.map((c) => [c.name, c]));
    expect(byName.get('retention.ms')!.synonyms).toEqual([
      { name: 'retention.ms', value: '1000', source: 1 },
      { name: 'retention.ms', value: '604800000', source: 5 },
    ]);
    expect(byName.get('segment.ms')!.synonyms).toEqual([{ name: 'segment.ms', value: '604800000', source: 5 }]);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for a missing topic and INVALID_TOPIC_EXCEPTION for a bad name', async () => {
    const ctx = await broker();
    const r = await describeConfigs(ctx, describeRequest([{ name: 'missing' }, { name: 'bad name!' }]));
    expect(r.results[0]).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, configs: [] });
    expect(r.results[1]).toMatchObject({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, configs: [] });
  });

  it('describes this node read-only, the cluster default as empty, and refuses other node ids', async () => {
    const ctx = await broker();
    const r = await describeConfigs(ctx, describeRequest([{ type: BROKER, name: '1' }, { type: BROKER, name: '' }, { type: BROKER, name: '2' }]));
    const node = new Map(r.results[0]!.configs.map((c) => [c.name, c]));
    expect(r.results[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(node.get('auto.create.topics.enable')).toMatchObject({ value: 'true', readOnly: true, configType: 1, configSource: 4 });
    expect(node.get('num.partitions')).toMatchObject({ value: '3', readOnly: true, configType: 3 });
    expect(node.get('message.max.bytes')).toMatchObject({ value: '1048588', readOnly: true });
    expect(node.get('log.retention.ms')).toMatchObject({ value: '604800000', configType: 5, configSource: 5 });
    expect(r.results[1]).toMatchObject({ errorCode: ErrorCode.NONE, resourceName: '', configs: [] });
    expect(r.results[2]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, configs: [] });
  });

  it.each([8, 16, 32, 0])('answers INVALID_REQUEST for resource type %i', async (type) => {
    const ctx = await broker();
    const r = await describeConfigs(ctx, describeRequest([{ type, name: 'x' }]));
    expect(r.results[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(r.results[0]!.errorMessage).toMatch(/resource type/);
  });

  it.each([1, 4])('round-trips through the codec at v%i', async (version) => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, { 'cleanup.policy': 'compact' });
    const answer = await describeConfigs(ctx, describeRequest([{ name: 't' }, { type: BROKER, name: '1' }, { name: 'missing' }], { includeSynonyms: true }), version);
    const decoded = decodeResponse(ApiKey.DescribeConfigs, version, encodeResponse(ApiKey.DescribeConfigs, version, 9, answer).subarray(4)).body as DescribeConfigsResponse;
    expect(decoded.results.map((x) => [x.resourceName, x.errorCode, x.configs.length])).toEqual(answer.results.map((x) => [x.resourceName, x.errorCode, x.configs.length]));
    const policy = decoded.results[0]!.configs.find((c) => c.name === 'cleanup.policy')!;
    expect(policy).toMatchObject({ value: 'compact', configSource: 1, synonyms: [{ name: 'cleanup.policy', value: 'compact', source: 1 }, { name: 'cleanup.policy', value: 'delete', source: 5 }] });
    if (version >= 3) expect(policy.configType).toBe(7);
  });
});

describe('AlterConfigs', () => {
  it('declares v0-v2', async () => {
    const h = alterConfigsHandler(await broker());
    expect([h.apiKey, h.minVersion, h.maxVersion]).toEqual([ApiKey.AlterConfigs, 0, 2]);
  });

  it('replaces the whole dynamic config set', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, { 'retention.ms': '1000', 'segment.ms': '5000' });
    const r = await alterConfigs(ctx, alterRequest([{ name: 't', configs: [['cleanup.policy', 'compact'], ['retention.ms', '2000']] }]));
    expect(r.responses).toEqual([{ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: TOPIC, resourceName: 't' }]);
    expect(await topicConfigs(ctx, 't')).toEqual({ 'cleanup.policy': 'compact', 'retention.ms': '2000' });
    const d = await describeConfigs(ctx, describeRequest([{ name: 't', keys: ['segment.ms', 'retention.ms'] }]));
    expect(d.results[0]!.configs.map((c) => [c.name, c.value, c.configSource])).toEqual([
      ['retention.ms', '2000', 1],
      ['segment.ms', '604800000', 5],
    ]);
  });

  it('with validateOnly checks but does not write', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, { 'retention.ms': '1000' });
    const r = await alterConfigs(ctx, alterRequest([{ name: 't', configs: [['retention.ms', '2000']] }, { name: 'missing', configs: [] }], true));
    expect(r.responses.map((x) => x.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(await topicConfigs(ctx, 't')).toEqual({ 'retention.ms': '1000' });
  });

  it('refuses unknown names, invalid and missing values with INVALID_CONFIG and writes nothing', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, { 'retention.ms': '1000' });
    const r = await alterConfigs(
      ctx,
      alterRequest([
        { name: 't', configs: [['no.such.config', '1']] },
        { name: 't', configs: [['retention.ms', 'soon']] },
      ]),
    );
    // the same resource twice: both refused
    expect(r.responses.map((x) => x.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
    for (const configs of [[['no.such.config', '1']], [['retention.ms', 'soon']], [['retention.ms', null]], [['__proto__', 'x']]] as [string, string | null][][]) {
      const one = await alterConfigs(ctx, alterRequest([{ name: 't', configs }]));
      expect(one.responses[0]!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
      expect(one.responses[0]!.errorMessage).toBeTruthy();
    }
    expect(await topicConfigs(ctx, 't')).toEqual({ 'retention.ms': '1000' });
  });

  it('refuses a name given twice with INVALID_REQUEST', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, {});
    const r = await alterConfigs(ctx, alterRequest([{ name: 't', configs: [['retention.ms', '1'], ['retention.ms', '2']] }]));
    expect(r.responses[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for a missing topic', async () => {
    const ctx = await broker();
    const r = await alterConfigs(ctx, alterRequest([{ name: 'missing', configs: [['retention.ms', '1']] }]));
    expect(r.responses[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('refuses broker and other resources: broker settings are static', async () => {
    const ctx = await broker();
    const r = await alterConfigs(ctx, alterRequest([{ type: BROKER, name: '1', configs: [['num.partitions', '5']] }, { type: 8, name: '1', configs: [] }]));
    expect(r.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, resourceType: BROKER });
    expect(r.responses[0]!.errorMessage).toMatch(/static/);
    expect(r.responses[1]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('re-applies after a concurrent change of the topic', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, {});
    const topics = ctx.log.topics;
    const original = topics.update.bind(topics);
    jest.spyOn(topics, 'update').mockImplementationOnce(async (topic: TopicInfo, change) => {
      await original(topic, { partitions: 4 });
      return original(topic, change);
    });
    const r = await alterConfigs(ctx, alterRequest([{ name: 't', configs: [['retention.ms', '7']] }]));
    expect(r.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    const t = (await topics.get('t'))!;
    expect([t.partitions, t.configs]).toEqual([4, { 'retention.ms': '7' }]);
  });

  it.each([0, 2])('round-trips through the codec at v%i', async (version) => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, {});
    const answer = await alterConfigs(ctx, alterRequest([{ name: 't', configs: [['retention.ms', '1']] }, { name: 'missing', configs: [] }]), version);
    const decoded = decodeResponse(ApiKey.AlterConfigs, version, encodeResponse(ApiKey.AlterConfigs, version, 9, answer).subarray(4)).body as AlterConfigsResponse;
    expect(decoded.responses).toEqual(answer.responses);
  });
});

describe('IncrementalAlterConfigs', () => {
  it('declares v0-v1', async () => {
    const h = incrementalAlterConfigsHandler(await broker());
    expect([h.apiKey, h.minVersion, h.maxVersion]).toEqual([ApiKey.IncrementalAlterConfigs, 0, 1]);
  });

  it('SETs and DELETEs, leaving the other configs', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, { 'retention.ms': '1000', 'segment.ms': '5000', 'retention.bytes': '10' });
    const r = await incAlter(ctx, incRequest([{ name: 't', ops: [['retention.ms', SET, '2000'], ['segment.ms', DELETE, null], ['max.message.bytes', SET, '500']] }]));
    expect(r.responses).toEqual([{ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: TOPIC, resourceName: 't' }]);
    expect(await topicConfigs(ctx, 't')).toEqual({ 'retention.ms': '2000', 'retention.bytes': '10', 'max.message.bytes': '500' });
  });

  it('APPENDs to and SUBTRACTs from list configs, starting from the default', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, {});
    expect((await incAlter(ctx, incRequest([{ name: 't', ops: [['cleanup.policy', APPEND, 'compact']] }]))).responses[0]!.errorCode).toBe(0);
    expect((await topicConfigs(ctx, 't'))['cleanup.policy']).toBe('delete,compact');
    expect((await incAlter(ctx, incRequest([{ name: 't', ops: [['cleanup.policy', APPEND, 'delete']] }]))).responses[0]!.errorCode).toBe(0);
    expect((await topicConfigs(ctx, 't'))['cleanup.policy']).toBe('delete,compact');
    expect((await incAlter(ctx, incRequest([{ name: 't', ops: [['cleanup.policy', SUBTRACT, 'delete']] }]))).responses[0]!.errorCode).toBe(0);
    expect((await topicConfigs(ctx, 't'))['cleanup.policy']).toBe('compact');
    await incAlter(ctx, incRequest([{ name: 't', ops: [['leader.replication.throttled.replicas', APPEND, '0:1,1:1']] }]));
    await incAlter(ctx, incRequest([{ name: 't', ops: [['leader.replication.throttled.replicas', SUBTRACT, '0:1']] }]));
    expect((await topicConfigs(ctx, 't'))['leader.replication.throttled.replicas']).toBe('1:1');
  });

  it('refuses APPEND and SUBTRACT on non-list configs with INVALID_CONFIG', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, {});
    const r = await incAlter(ctx, incRequest([{ name: 't', ops: [['retention.ms', APPEND, '1']] }]));
    const s = await incAlter(ctx, incRequest([{ name: 't', ops: [['retention.ms', SUBTRACT, '1']] }]));
    expect([r.responses[0]!.errorCode, s.responses[0]!.errorCode]).toEqual([ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_CONFIG]);
  });

  it('refuses an invalid result with INVALID_CONFIG and writes nothing', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, { 'retention.ms': '1000' });
    for (const ops of [[['retention.ms', SET, 'x']], [['cleanup.policy', SUBTRACT, 'delete']], [['no.such', SET, '1']], [['retention.ms', SET, '5'], ['cleanup.policy', SET, 'bogus']]] as [string, number, string][][]) {
      const r = await incAlter(ctx, incRequest([{ name: 't', ops }]));
      expect(r.responses[0]!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    }
    expect(await topicConfigs(ctx, 't')).toEqual({ 'retention.ms': '1000' });
  });

  it('refuses duplicate keys, unknown operations and missing values with INVALID_REQUEST', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, {});
    for (const ops of [[['retention.ms', SET, '1'], ['retention.ms', DELETE, null]], [['retention.ms', 7, '1']], [['retention.ms', SET, null]]] as [string, number, string | null][][]) {
      const r = await incAlter(ctx, incRequest([{ name: 't', ops }]));
      expect(r.responses[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    }
    expect(await topicConfigs(ctx, 't')).toEqual({});
  });

  it('with validateOnly checks but does not write; unknown topic', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, {});
    const r = await incAlter(ctx, incRequest([{ name: 't', ops: [['retention.ms', SET, '1']] }, { name: 'missing', ops: [] }], true));
    expect(r.responses.map((x) => x.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(await topicConfigs(ctx, 't')).toEqual({});
  });

  it('refuses broker resources: broker settings are static', async () => {
    const ctx = await broker();
    const r = await incAlter(ctx, incRequest([{ type: BROKER, name: '1', ops: [['num.partitions', SET, '5']] }]));
    expect(r.responses[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(r.responses[0]!.errorMessage).toMatch(/static/);
  });

  it('re-applies the operations to the fresh topic after a version conflict', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, {});
    const topics = ctx.log.topics;
    const original = topics.update.bind(topics);
    const spy = jest.spyOn(topics, 'update').mockImplementationOnce(async (topic: TopicInfo, change) => {
      await original(topic, { configs: { ...topic.configs, 'cleanup.policy': 'compact', 'segment.ms': '9' } });
      return original(topic, change);
    });
    const r = await incAlter(ctx, incRequest([{ name: 't', ops: [['cleanup.policy', APPEND, 'delete'], ['retention.ms', SET, '3']] }]));
    expect(r.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(spy).toHaveBeenCalledTimes(2);
    expect(await topicConfigs(ctx, 't')).toEqual({ 'cleanup.policy': 'compact,delete', 'segment.ms': '9', 'retention.ms': '3' });
  });

  it('gives up after bounded attempts when conflicts persist', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, {});
    const topics = ctx.log.topics;
    const original = topics.update.bind(topics);
    const spy = jest.spyOn(topics, 'update').mockImplementation(async (topic: TopicInfo, change) => {
      await original(topic, { partitions: topic.partitions + 1 });
      return original(topic, change);
    });
    const r = await incAlter(ctx, incRequest([{ name: 't', ops: [['retention.ms', SET, '3']] }]));
    expect(r.responses[0]!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(spy).toHaveBeenCalledTimes(5);
  });

  it.each([0, 1])('round-trips through the codec at v%i', async (version) => {
    const ctx = await broker();
    await ctx.log.topics.create('t', 1, {});
    const answer = await incAlter(ctx, incRequest([{ name: 't', ops: [['retention.ms', SET, '1']] }, { name: 'missing', ops: [] }]), version);
    const decoded = decodeResponse(ApiKey.IncrementalAlterConfigs, version, encodeResponse(ApiKey.IncrementalAlterConfigs, version, 9, answer).subarray(4))
      .body as IncrementalAlterConfigsResponse;
    expect(decoded.responses).toEqual(answer.responses);
  });
});
