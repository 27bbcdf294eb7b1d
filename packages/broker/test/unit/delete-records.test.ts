import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ApiKey,
  decodeRequest,
  decodeResponse,
  defaultDeleteRecordsRequest,
  encodeRequest,
  encodeResponse,
  ErrorCode,
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
} from '@floe/protocol';
import type { TopicInfo } from '@floe/log';
import type { BrokerContext } from '../../src/broker-context.ts';
import { deleteRecordsHandler } from '../../src/handlers/delete-records.ts';
import { makeBrokerContext, type TestBroker } from '../support/broker-context.ts';
import { testRequestContext } from '../support/listener.ts';

async function deleteAt(ctx: BrokerContext, version: number, request: DeleteRecordsRequest): Promise<DeleteRecordsResponse> {
  const decoded = decodeRequest(
    encodeRequest({ apiKey: ApiKey.DeleteRecords, apiVersion: version, correlationId: 5 }, request).subarray(4),
  );
  if (decoded.apiKey !== ApiKey.DeleteRecords) throw new Error('not DeleteRecords');
  const rc = testRequestContext();
  const answer = await deleteRecordsHandler(ctx).handle(rc, decoded.body, decoded.header);
  if (typeof answer === 'symbol') throw new Error('no answer');
  return decodeResponse(ApiKey.DeleteRecords, version, encodeResponse(ApiKey.DeleteRecords, version, 5, answer).subarray(4)).body;
}

function ask(topics: { name: string; partitions: [number, number][] }[]): DeleteRecordsRequest {
  return {
    ...defaultDeleteRecordsRequest(),
    timeoutMs: 1000,
    topics: topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map(([partitionIndex, offset]) => ({ partitionIndex, offset: BigInt(offset) })),
    })),
  };
}

/** Every answer as [topic, partition, low watermark, error]. */
function brief(r: DeleteRecordsResponse): [string, number, number, number][] {
  return r.topics.flatMap((t) => t.partitions.map((p): [string, number, number, number] => [t.name, p.partitionIndex, Number(p.lowWatermark), p.errorCode]));
}

describe('DeleteRecords handler', () => {
  let broker: TestBroker;
  let ctx: BrokerContext;
  let topic: TopicInfo;

  beforeEach(async () => {
    broker = await makeBrokerContext();
    ctx = broker.ctx;
    topic = await ctx.log.topics.create('events', 2, {});
    ctx.topics.invalidate();
    for (let i = 0; i < 3; i++) {
      const out = await ctx.log.append({ topicId: topic.id, partition: 0 }, { offsetCount: 2, recordCount: 2, maxTimestamp: 1000 + i }, Buffer.alloc(64));
      expect(out.kind).toBe('appended');
    }
  });
  afterEach(async () => {
    await broker.close();
  });

  it('declares versions 0-2', () => {
    const h = deleteRecordsHandler(ctx);
    expect([h.apiKey, h.minVersion, h.maxVersion]).toEqual([21, 0, 2]);
  });

  it.each([0, 1, 2])('moves the log start and answers the low watermark (v%i)', async (version) => {
    expect(brief(await deleteAt(ctx, version, ask([{ name: 'events', partitions: [[0, 3], [1, 0]] }])))).toEqual([
      ['events', 0, 3, ErrorCode.NONE],
      ['events', 1, 0, ErrorCode.NONE],
    ]);
    expect((await ctx.log.offsets({ topicId: topic.id, partition: 0 })).logStartOffset).toBe(3);
  });

  it('-1 deletes up to the high watermark; the log start never moves back', async () => {
    expect(brief(await deleteAt(ctx, 2, ask([{ name: 'events', partitions: [[0, -1]] }])))).toEqual([['events', 0, 6, ErrorCode.NONE]]);
    expect(brief(await deleteAt(ctx, 2, ask([{ name: 'events', partitions: [[0, 2]] }])))).toEqual([['events', 0, 6, ErrorCode.NONE]]);
  });

  it('answers OFFSET_OUT_OF_RANGE past the high watermark or for other negative offsets', async () => {
    expect(brief(await deleteAt(ctx, 1, ask([{ name: 'events', partitions: [[0, 7], [1, -2]] }])))).toEqual([
      ['events', 0, -1, ErrorCode.OFFSET_OUT_OF_RANGE],
      ['events', 1, -1, ErrorCode.OFFSET_OUT_OF_RANGE],
    ]);
    expect((await ctx.log.offsets({ topicId: topic.id, partition: 0 })).logStartOffset).toBe(0);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for unknown topics and partitions', async () => {
    expect(
      brief(await deleteAt(ctx, 0, ask([{ name: 'events', partitions: [[2, 0], [-1, 0]] }, { name: 'nope', partitions: [[0, 0]] }]))),
    ).toEqual([
      ['events', 2, -1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['events', -1, -1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['nope', 0, -1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
  });

  it('answers a partition named twice once, the last offset winning', async () => {
    const r = await deleteAt(ctx, 2, ask([{ name: 'events', partitions: [[0, 5], [1, 0]] }, { name: 'events', partitions: [[0, 2]] }]));
    expect(brief(r)).toEqual([
      ['events', 0, 2, ErrorCode.NONE],
      ['events', 1, 0, ErrorCode.NONE],
    ]);
  });
});
