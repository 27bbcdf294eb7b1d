import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ApiKey,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  ErrorCode,
  type DescribeProducersRequest,
  type DescribeProducersResponse,
} from '@floe/protocol';
import type { TopicInfo } from '@floe/log';
import type { BrokerContext } from '../../src/broker-context.ts';
import { describeProducersHandler } from '../../src/handlers/describe-producers.ts';
import { makeBrokerContext, type TestBroker } from '../support/broker-context.ts';
import { testRequestContext } from '../support/listener.ts';

async function describeAt(ctx: BrokerContext, request: DescribeProducersRequest): Promise<DescribeProducersResponse> {
  const decoded = decodeRequest(
    encodeRequest({ apiKey: ApiKey.DescribeProducers, apiVersion: 0, correlationId: 6 }, request).subarray(4),
  );
  if (decoded.apiKey !== ApiKey.DescribeProducers) throw new Error('not DescribeProducers');
  const rc = testRequestContext();
  const answer = await describeProducersHandler(ctx).handle(rc, decoded.body, decoded.header);
  if (typeof answer === 'symbol') throw new Error('no answer');
  return decodeResponse(ApiKey.DescribeProducers, 0, encodeResponse(ApiKey.DescribeProducers, 0, 6, answer).subarray(4)).body;
}

describe('DescribeProducers handler', () => {
  let broker: TestBroker;
  let ctx: BrokerContext;
  let topic: TopicInfo;

  beforeEach(async () => {
    broker = await makeBrokerContext();
    ctx = broker.ctx;
    topic = await ctx.log.topics.create('events', 2, {});
    ctx.topics.invalidate();
    const ref = { topicId: topic.id, partition: 0 };
    const append = async (id: number, epoch: number, baseSequence: number, count: number, maxTimestamp: number) => {
      const out = await ctx.log.append(
        ref,
        { offsetCount: count, recordCount: count, maxTimestamp, producer: { id, epoch, baseSequence } },
        Buffer.alloc(32),
      );
      expect(out.kind).toBe('appended');
    };
    await append(9, 0, 0, 2, 1000);
    await append(4, 3, 0, 1, 1500);
    await append(9, 0, 2, 3, 2000);
    await ctx.log.append(ref, { offsetCount: 1, recordCount: 1, maxTimestamp: 3000 }, Buffer.alloc(32));
  });
  afterEach(async () => {
    await broker.close();
  });

  it('declares version 0', () => {
    const h = describeProducersHandler(ctx);
    expect([h.apiKey, h.minVersion, h.maxVersion]).toEqual([61, 0, 0]);
  });

  it('answers the producers each partition remembers', async () => {
    const r = await describeAt(ctx, { topics: [{ name: 'events', partitionIndexes: [0, 1] }] });
    const [p0, p1] = r.topics[0]!.partitions;
    expect(p0!.errorCode).toBe(ErrorCode.NONE);
    expect(p0!.activeProducers.map((p) => [p.producerId, p.producerEpoch, p.lastSequence, p.lastTimestamp, p.coordinatorEpoch, p.currentTxnStartOffset])).toEqual([
      [4n, 3, 0, 1500n, -1, -1n],
      [9n, 0, 4, 2000n, -1, -1n],
    ]);
    expect([p1!.partitionIndex, p1!.errorCode, p1!.activeProducers]).toEqual([1, ErrorCode.NONE, []]);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for unknown topics and partitions', async () => {
    const r = await describeAt(ctx, { topics: [{ name: 'events', partitionIndexes: [2] }, { name: 'nope', partitionIndexes: [0] }] });
    expect(r.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])])).toEqual([
      ['events', [[2, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
      ['nope', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
    ]);
  });
});
