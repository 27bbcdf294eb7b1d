import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ApiKey,
  buildBatch,
  CompressionCodec,
  decodeRequest,
  decodeResponse,
  defaultListOffsetsRequest,
  defaultListOffsetsRequestListOffsetsPartition,
  encodeRequest,
  encodeResponse,
  ErrorCode,
  readBatchHeader,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type ListOffsetsResponseListOffsetsPartitionResponse,
} from '@floe/protocol';
import type { PartitionRef, TopicInfo } from '@floe/log';
import type { BrokerContext } from '../../src/broker-context.ts';
import { listOffsetsHandler } from '../../src/handlers/list-offsets.ts';
import { makeBrokerContext, type TestBroker } from '../support/broker-context.ts';
import { testRequestContext } from '../support/listener.ts';

const T0 = 1_700_000_000_000;

async function append(ctx: BrokerContext, ref: PartitionRef, timestamps: number[], compression = 0): Promise<number> {
  const batch = buildBatch({
    baseOffset: 0,
    compression,
    records: timestamps.map((t, i) => ({ value: `r${i}`, timestamp: T0 + t })),
  });
  const h = readBatchHeader(batch);
  const outcome = await ctx.log.append(
    ref,
    { offsetCount: h.lastOffsetDelta + 1, recordCount: h.recordCount, maxTimestamp: Number(h.maxTimestamp) },
    batch,
  );
  if (outcome.kind === 'rejected') throw new Error(outcome.message);
  return outcome.baseOffset;
}

async function listAt(ctx: BrokerContext, version: number, request: ListOffsetsRequest): Promise<ListOffsetsResponse> {
  const decoded = decodeRequest(
    encodeRequest({ apiKey: ApiKey.ListOffsets, apiVersion: version, correlationId: 3 }, request).subarray(4),
  );
  if (decoded.apiKey !== ApiKey.ListOffsets) throw new Error('not ListOffsets');
  const rc = testRequestContext();
  const answer = await listOffsetsHandler(ctx).handle(rc, decoded.body, decoded.header);
  if (typeof answer === 'symbol') throw new Error('no answer');
  return decodeResponse(ApiKey.ListOffsets, version, encodeResponse(ApiKey.ListOffsets, version, 3, answer).subarray(4)).body;
}

function ask(
  topic: string,
  partitions: { partition?: number; timestamp: bigint | number; currentLeaderEpoch?: number }[],
  isolationLevel = 0,
): ListOffsetsRequest {
  return {
    ...defaultListOffsetsRequest(),
    replicaId: -1,
    isolationLevel,
    topics: [
      {
        name: topic,
        partitions: partitions.map((p) => ({
          ...defaultListOffsetsRequestListOffsetsPartition(),
          partitionIndex: p.partition ?? 0,
          timestamp: BigInt(p.timestamp),
          currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
        })),
      },
    ],
  };
}

/** One answer, as [offset, timestamp relative to T0 (or -1), leader epoch, error]. */
function brief(p: ListOffsetsResponseListOffsetsPartitionResponse): [number, number, number, number] {
  const ts = p.timestamp < 0n ? -1 : Number(p.timestamp - BigInt(T0));
  return [Number(p.offset), ts, p.leaderEpoch, p.errorCode];
}

async function one(ctx: BrokerContext, timestamp: bigint | number, version = 10, isolationLevel = 0) {
  const r = await listAt(ctx, version, ask('clicks', [{ timestamp }], isolationLevel));
  return brief(r.topics[0]!.partitions[0]!);
}

describe('ListOffsets', () => {
  let broker: TestBroker;
  let ctx: BrokerContext;
  let topic: TopicInfo;
  let ref: PartitionRef;

  beforeEach(async () => {
    broker = await makeBrokerContext();
    ctx = broker.ctx;
    topic = await ctx.log.topics.create('clicks', 2, {});
    ctx.topics.invalidate();
    ref = { topicId: topic.id, partition: 0 };
  });

  afterEach(async () => {
    await broker.close();
  });

  /**
   * Offsets 0-2: 1000 1010 1020 | 3-5: 1030 1045 1005 | 6-8 (gzip): 2000 2050 2010
   * (timestamps relative to T0; out of order inside batches on purpose).
   */
  async function fill(): Promise<void> {
    expect(await append(ctx, ref, [1000, 1010, 1020])).toBe(0);
    expect(await append(ctx, ref, [1030, 1045, 1005])).toBe(3);
    expect(await append(ctx, ref, [2000, 2050, 2010], CompressionCodec.GZIP)).toBe(6);
  }

  it('answers earliest, latest and the special timestamps', async () => {
    await fill();
    expect(await one(ctx, -2)).toEqual([0, -1, 0, 0]);
    expect(await one(ctx, -1)).toEqual([9, -1, 0, 0]);
    expect(await one(ctx, -1, 10, 1)).toEqual([9, -1, 0, 0]);
    expect(await one(ctx, -4)).toEqual([0, -1, 0, 0]);
    expect(await one(ctx, -5)).toEqual([-1, -1, -1, 0]);
  });

  it('answers MAX_TIMESTAMP with the exact record holding the largest timestamp', async () => {
    expect(await one(ctx, -3)).toEqual([-1, -1, -1, 0]);
    await fill();
    expect(await one(ctx, -3)).toEqual([7, 2050, 0, 0]);
    await append(ctx, ref, [3000, 1, 3000]);
    expect(await one(ctx, -3)).toEqual([9, 3000, 0, 0]);
  });

  it('finds the first record at or after a timestamp, inside batches and compressed ones', async () => {
    await fill();
    expect(await one(ctx, T0 + 1000)).toEqual([0, 1000, 0, 0]);
    expect(await one(ctx, T0 + 1005)).toEqual([1, 1010, 0, 0]);
    expect(await one(ctx, T0 + 1015)).toEqual([2, 1020, 0, 0]);
    expect(await one(ctx, T0 + 1031)).toEqual([4, 1045, 0, 0]);
    expect(await one(ctx, T0 + 1046)).toEqual([6, 2000, 0, 0]);
    expect(await one(ctx, T0 + 2001)).toEqual([7, 2050, 0, 0]);
    expect(await one(ctx, T0 + 2050)).toEqual([7, 2050, 0, 0]);
    expect(await one(ctx, T0 + 2051)).toEqual([-1, -1, -1, 0]);
    expect(await one(ctx, 0)).toEqual([0, 1000, 0, 0]);
  });

  it('follows the log start after DeleteRecords', async () => {
    await fill();
    await ctx.log.deleteRecords(ref, 4);
    expect(await one(ctx, -2)).toEqual([4, -1, 0, 0]);
    expect(await one(ctx, -4)).toEqual([4, -1, 0, 0]);
    expect(await one(ctx, -1)).toEqual([9, -1, 0, 0]);
    // Offset 3 (1030) is gone: the first record from the log start on.
    expect(await one(ctx, T0 + 1000)).toEqual([4, 1045, 0, 0]);
    expect(await one(ctx, T0 + 1030)).toEqual([4, 1045, 0, 0]);
    await ctx.log.deleteRecords(ref, 5);
    // The batch 3-5 reaches 1040 only below the log start: the search goes on to the next batch.
    expect(await one(ctx, T0 + 1040)).toEqual([6, 2000, 0, 0]);
    expect(await one(ctx, T0 + 1000)).toEqual([5, 1005, 0, 0]);
  });

  it('answers errors per partition', async () => {
    await fill();
    const r = await listAt(ctx, 10, {
      ...ask('clicks', [
        { partition: 0, timestamp: -1 },
        { partition: 2, timestamp: -1 },
        { partition: 1, timestamp: -1 },
        { partition: 1, timestamp: -2 },
        { partition: 0, timestamp: -2, currentLeaderEpoch: 0 },
      ]),
    });
    const parts = r.topics[0]!.partitions;
    expect(parts.map((p) => [p.partitionIndex, p.errorCode])).toEqual([
      [0, ErrorCode.INVALID_REQUEST],
      [2, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      [1, ErrorCode.INVALID_REQUEST],
      [1, ErrorCode.INVALID_REQUEST],
      [0, ErrorCode.INVALID_REQUEST],
    ]);
    expect(brief(parts[1]!)).toEqual([-1, -1, -1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);

    const unknown = await listAt(ctx, 10, ask('nope', [{ timestamp: -1 }]));
    expect(unknown.topics[0]!.name).toBe('nope');
    expect(unknown.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

    const fenced = await listAt(ctx, 10, ask('clicks', [{ timestamp: -1, currentLeaderEpoch: 2 }]));
    expect(fenced.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    const current = await listAt(ctx, 10, ask('clicks', [{ timestamp: -1, currentLeaderEpoch: 0 }]));
    expect(brief(current.topics[0]!.partitions[0]!)).toEqual([9, -1, 0, 0]);
  });

  it('answers every declared version in a form that version encodes', async () => {
    await fill();
    const handler = listOffsetsHandler(ctx);
    expect([handler.minVersion, handler.maxVersion]).toEqual([1, 10]);
    for (let v = handler.minVersion; v <= handler.maxVersion; v++) {
      const epoch = v >= 4 ? 0 : -1;
      expect(await one(ctx, -1, v)).toEqual([9, -1, epoch, 0]);
      expect(await one(ctx, -2, v)).toEqual([0, -1, epoch, 0]);
      expect(await one(ctx, T0 + 1015, v)).toEqual([2, 1020, epoch, 0]);
    }
  });
});
