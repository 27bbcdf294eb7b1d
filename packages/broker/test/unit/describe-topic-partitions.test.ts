import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ApiKey,
  decodeRequest,
  decodeResponse,
  defaultDescribeTopicPartitionsRequest,
  encodeRequest,
  encodeResponse,
  ErrorCode,
  type DescribeTopicPartitionsRequest,
  type DescribeTopicPartitionsResponse,
} from '@floe/protocol';
import type { BrokerContext } from '../../src/broker-context.ts';
import { describeTopicPartitionsHandler } from '../../src/handlers/describe-topic-partitions.ts';
import { makeBrokerContext, type TestBroker } from '../support/broker-context.ts';
import { testRequestContext } from '../support/listener.ts';

async function describeAt(ctx: BrokerContext, request: DescribeTopicPartitionsRequest): Promise<DescribeTopicPartitionsResponse> {
  const decoded = decodeRequest(
    encodeRequest({ apiKey: ApiKey.DescribeTopicPartitions, apiVersion: 0, correlationId: 4 }, request).subarray(4),
  );
  if (decoded.apiKey !== ApiKey.DescribeTopicPartitions) throw new Error('not DescribeTopicPartitions');
  const rc = testRequestContext();
  const answer = await describeTopicPartitionsHandler(ctx).handle(rc, decoded.body, decoded.header);
  if (typeof answer === 'symbol') throw new Error('no answer');
  return decodeResponse(ApiKey.DescribeTopicPartitions, 0, encodeResponse(ApiKey.DescribeTopicPartitions, 0, 4, answer).subarray(4)).body;
}

function ask(names: string[], limit = 2000, cursor: [string, number] | null = null): DescribeTopicPartitionsRequest {
  return {
    ...defaultDescribeTopicPartitionsRequest(),
    topics: names.map((name) => ({ name })),
    responsePartitionLimit: limit,
    cursor: cursor && { topicName: cursor[0], partitionIndex: cursor[1] },
  };
}

/** Each topic as "name:error:partitions", and the next cursor. */
function brief(r: DescribeTopicPartitionsResponse): [string[], string | null] {
  return [
    r.topics.map((t) => `${t.name}:${t.errorCode}:${t.partitions.map((p) => p.partitionIndex).join(',')}`),
    r.nextCursor && `${r.nextCursor.topicName}/${r.nextCursor.partitionIndex}`,
  ];
}

describe('DescribeTopicPartitions handler', () => {
  let broker: TestBroker;
  let ctx: BrokerContext;
  const ids = new Map<string, string>();

  beforeEach(async () => {
    broker = await makeBrokerContext();
    ctx = broker.ctx;
    for (const [name, n] of [['b', 3], ['a', 2], ['c', 1]] as const) ids.set(name, (await ctx.log.topics.create(name, n, {})).id);
    ctx.topics.invalidate();
  });
  afterEach(async () => {
    await broker.close();
  });

  it('declares version 0', () => {
    const h = describeTopicPartitionsHandler(ctx);
    expect([h.apiKey, h.minVersion, h.maxVersion]).toEqual([75, 0, 0]);
  });

  it('describes every topic, sorted, as Metadata does', async () => {
    const r = await describeAt(ctx, ask([]));
    expect(brief(r)).toEqual([['a:0:0,1', 'b:0:0,1,2', 'c:0:0'], null]);
    const a = r.topics[0]!;
    expect(a.topicId).toBe(ids.get('a'));
    expect(a.isInternal).toBe(false);
    expect(a.topicAuthorizedOperations).toBe(-2147483648);
    expect(a.partitions[1]).toMatchObject({
      errorCode: 0,
      leaderId: 1,
      leaderEpoch: 0,
      replicaNodes: [1],
      isrNodes: [1],
      eligibleLeaderReplicas: [],
      lastKnownElr: [],
      offlineReplicas: [],
    });
  });

  it('answers named topics sorted, with errors for unknown and invalid names', async () => {
    const r = await describeAt(ctx, ask(['c', 'zz', 'a', 'bad/name', 'c']));
    expect(brief(r)).toEqual([
      [`a:0:0,1`, `bad/name:${ErrorCode.INVALID_TOPIC_EXCEPTION}:`, 'c:0:0', `zz:${ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}:`],
      null,
    ]);
    expect(r.topics[3]!.topicId).toBe('AAAAAAAAAAAAAAAAAAAAAA');
  });

  it('pages by the partition limit and follows the cursor', async () => {
    expect(brief(await describeAt(ctx, ask([], 3)))).toEqual([['a:0:0,1', 'b:0:0'], 'b/1']);
    expect(brief(await describeAt(ctx, ask([], 3, ['b', 1])))).toEqual([['b:0:1,2', 'c:0:0'], null]);
    // The limit used up exactly at a topic's end: the cursor names the next topic.
    expect(brief(await describeAt(ctx, ask([], 2)))).toEqual([['a:0:0,1'], 'b/0']);
    expect(brief(await describeAt(ctx, ask(['a', 'c'], 10, ['c', 0])))).toEqual([['c:0:0'], null]);
  });

  it('refuses a cursor outside the request with INVALID_REQUEST', async () => {
    expect(brief(await describeAt(ctx, ask(['a'], 10, ['b', 0])))).toEqual([[`a:${ErrorCode.INVALID_REQUEST}:`], null]);
    expect(brief(await describeAt(ctx, ask(['a'], 10, ['a', -1])))).toEqual([[`a:${ErrorCode.INVALID_REQUEST}:`], null]);
  });
});
