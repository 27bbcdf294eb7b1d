import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ApiKey,
  buildBatch,
  decodeRequest,
  decodeResponse,
  defaultOffsetForLeaderEpochRequest,
  defaultOffsetForLeaderEpochRequestOffsetForLeaderPartition,
  encodeRequest,
  encodeResponse,
  ErrorCode,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
} from '@floe/protocol';
import type { PartitionRef } from '@floe/log';
import type { BrokerContext } from '../../src/broker-context.ts';
import { offsetForLeaderEpochHandler } from '../../src/handlers/offset-for-leader-epoch.ts';
import { makeBrokerContext, type TestBroker } from '../support/broker-context.ts';
import { testRequestContext } from '../support/listener.ts';

async function callAt(
  ctx: BrokerContext,
  version: number,
  request: OffsetForLeaderEpochRequest,
): Promise<OffsetForLeaderEpochResponse> {
  const decoded = decodeRequest(
    encodeRequest({ apiKey: ApiKey.OffsetForLeaderEpoch, apiVersion: version, correlationId: 5 }, request).subarray(4),
  );
  if (decoded.apiKey !== ApiKey.OffsetForLeaderEpoch) throw new Error('not OffsetForLeaderEpoch');
  const rc = testRequestContext();
  const answer = await offsetForLeaderEpochHandler(ctx).handle(rc, decoded.body, decoded.header);
  if (typeof answer === 'symbol') throw new Error('no answer');
  return decodeResponse(ApiKey.OffsetForLeaderEpoch, version, encodeResponse(ApiKey.OffsetForLeaderEpoch, version, 5, answer).subarray(4))
    .body;
}

function ask(topic: string, partitions: { partition?: number; leaderEpoch: number; currentLeaderEpoch?: number }[]): OffsetForLeaderEpochRequest {
  return {
    ...defaultOffsetForLeaderEpochRequest(),
    replicaId: -1,
    topics: [
      {
        topic,
        partitions: partitions.map((p) => ({
          ...defaultOffsetForLeaderEpochRequestOffsetForLeaderPartition(),
          partition: p.partition ?? 0,
          leaderEpoch: p.leaderEpoch,
          currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
        })),
      },
    ],
  };
}

describe('OffsetForLeaderEpoch', () => {
  let broker: TestBroker;
  let ctx: BrokerContext;
  let ref: PartitionRef;

  beforeEach(async () => {
    broker = await makeBrokerContext();
    ctx = broker.ctx;
    const topic = await ctx.log.topics.create('orders', 1, {});
    ctx.topics.invalidate();
    ref = { topicId: topic.id, partition: 0 };
  });

  afterEach(async () => {
    await broker.close();
  });

  async function produce(n: number): Promise<void> {
    const batch = buildBatch({ records: Array.from({ length: n }, (_, i) => ({ value: `v${i}` })) });
    await ctx.log.append(ref, { offsetCount: n, recordCount: n, maxTimestamp: Date.now() }, batch);
  }

  it('ends epoch 0 at the high watermark, so a consumer never sees truncation', async () => {
    let r = await callAt(ctx, 4, ask('orders', [{ leaderEpoch: 0, currentLeaderEpoch: 0 }]));
    expect(r.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 0n });
    await produce(3);
    await produce(2);
    r = await callAt(ctx, 4, ask('orders', [{ leaderEpoch: 0, currentLeaderEpoch: 0 }]));
    expect(r.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 5n });
    // Still the high watermark after DeleteRecords.
    await ctx.log.deleteRecords(ref, 4);
    r = await callAt(ctx, 3, ask('orders', [{ leaderEpoch: 0 }]));
    expect(r.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 5n });
  });

  it('answers an epoch Floe never had with undefined epoch and offset, as Kafka does', async () => {
    await produce(2);
    const r = await callAt(ctx, 4, ask('orders', [{ leaderEpoch: 3 }, { leaderEpoch: -1 }]));
    for (const p of r.topics[0]!.partitions) expect(p).toMatchObject({ errorCode: 0, leaderEpoch: -1, endOffset: -1n });
  });

  it('checks currentLeaderEpoch and the partition', async () => {
    const r = await callAt(
      ctx,
      4,
      ask('orders', [
        { leaderEpoch: 0, currentLeaderEpoch: 1 },
        { partition: 1, leaderEpoch: 0 },
      ]),
    );
    expect(r.topics[0]!.partitions.map((p) => [p.partition, p.errorCode, p.endOffset])).toEqual([
      [0, ErrorCode.UNKNOWN_LEADER_EPOCH, -1n],
      [1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n],
    ]);
    const unknown = await callAt(ctx, 4, ask('missing', [{ leaderEpoch: 0 }]));
    expect(unknown.topics[0]!.topic).toBe('missing');
    expect(unknown.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('answers every declared version in a form that version encodes', async () => {
    await produce(4);
    const handler = offsetForLeaderEpochHandler(ctx);
    expect([handler.minVersion, handler.maxVersion]).toEqual([0, 4]);
    for (let v = handler.minVersion; v <= handler.maxVersion; v++) {
      const r = await callAt(ctx, v, ask('orders', [{ leaderEpoch: 0 }]));
      expect(r.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, leaderEpoch: v >= 1 ? 0 : -1, endOffset: 4n });
    }
  });
});
