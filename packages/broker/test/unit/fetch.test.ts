import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ApiKey,
  decodeBatch,
  decodeRequest,
  decodeResponse,
  defaultFetchRequest,
  defaultFetchRequestFetchPartition,
  defaultFetchRequestFetchTopic,
  encodeRequest,
  encodeResponse,
  ErrorCode,
  buildBatch,
  readBatchHeader,
  splitBatches,
  validateBatchCrc,
  type FetchRequest,
  type FetchRequestFetchPartition,
  type FetchResponse,
  type FetchResponsePartitionData,
} from '@floe/protocol';
import type { PartitionRef, TopicInfo } from '@floe/log';
import type { BrokerContext } from '../../src/broker-context.ts';
import type { RequestContext } from '../../src/handler.ts';
import { fetchHandler } from '../../src/handlers/fetch.ts';
import { makeBrokerContext, type TestBroker } from '../support/broker-context.ts';
import { testRequestContext } from '../support/listener.ts';

/** What a producer would send: its batches carry base offset 0 (and here a junk epoch). */
function batchOf(values: string[], size = 0, timestamp = 1_700_000_000_000): Buffer {
  return buildBatch({
    baseOffset: 0,
    partitionLeaderEpoch: -1,
    records: values.map((v, i) => ({ value: size > 0 ? v.padEnd(size, '.') : v, timestamp: timestamp + i })),
  });
}

async function append(ctx: BrokerContext, ref: PartitionRef, batch: Buffer): Promise<number> {
  const h = readBatchHeader(batch);
  const outcome = await ctx.log.append(
    ref,
    { offsetCount: h.lastOffsetDelta + 1, recordCount: h.recordCount, maxTimestamp: Number(h.maxTimestamp) },
    batch,
  );
  if (outcome.kind === 'rejected') throw new Error(outcome.message);
  return outcome.baseOffset;
}

function requestContext(signal = new AbortController().signal): RequestContext {
  return testRequestContext({ signal });
}

/**
 * Sends `request` through the codec at `version` (so only the fields of that version reach the
 * handler), and the answer back through it (so it is encodable at that version).
 */
async function fetchAt(
  ctx: BrokerContext,
  version: number,
  request: FetchRequest,
  rc: RequestContext = requestContext(),
): Promise<FetchResponse> {
  const decoded = decodeRequest(encodeRequest({ apiKey: ApiKey.Fetch, apiVersion: version, correlationId: 7 }, request).subarray(4));
  if (decoded.apiKey !== ApiKey.Fetch) throw new Error('not a fetch');
  const answer = await fetchHandler(ctx).handle(rc, decoded.body, decoded.header);
  if (typeof answer === 'symbol') throw new Error('no answer');
  return decodeResponse(ApiKey.Fetch, version, encodeResponse(ApiKey.Fetch, version, 7, answer).subarray(4)).body;
}

interface PartitionAsk {
  partition: number;
  offset: number | bigint;
  maxBytes?: number;
  currentLeaderEpoch?: number;
  lastFetchedEpoch?: number;
}

function request(
  topic: { name: string; id: string },
  partitions: PartitionAsk[],
  opts: Partial<FetchRequest> = {},
): FetchRequest {
  return {
    ...defaultFetchRequest(),
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 50 * 1024 * 1024,
    ...opts,
    topics: [
      {
        ...defaultFetchRequestFetchTopic(),
        topic: topic.name,
        topicId: topic.id,
        partitions: partitions.map(
          (p): FetchRequestFetchPartition => ({
            ...defaultFetchRequestFetchPartition(),
            partition: p.partition,
            fetchOffset: BigInt(p.offset),
            partitionMaxBytes: p.maxBytes ?? 1024 * 1024,
            currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
            lastFetchedEpoch: p.lastFetchedEpoch ?? -1,
          }),
        ),
      },
    ],
  };
}

/** Each batch of a partition's records: its base offset, epoch, CRC check and values. */
function batchesOf(p: FetchResponsePartitionData) {
  const records = p.records ?? Buffer.alloc(0);
  const { batches, partialBytes } = splitBatches(records, { mode: 'fetch' });
  expect(partialBytes).toBe(0);
  return batches.map((b) => {
    const d = decodeBatch(b);
    return {
      baseOffset: Number(d.header.baseOffset),
      epoch: d.header.partitionLeaderEpoch,
      crcOk: validateBatchCrc(b),
      size: b.length,
      offsets: d.records.map((r) => Number(r.offset)),
      values: d.records.map((r) => r.value!.toString().replace(/\.+$/, '')),
    };
  });
}

function only(response: FetchResponse): FetchResponsePartitionData {
  expect(response.responses).toHaveLength(1);
  expect(response.responses[0]!.partitions).toHaveLength(1);
  return response.responses[0]!.partitions[0]!;
}

describe('Fetch', () => {
  let broker: TestBroker;
  let ctx: BrokerContext;
  let topic: TopicInfo;
  let p0: PartitionRef;
  let p1: PartitionRef;

  beforeEach(async () => {
    broker = await makeBrokerContext();
    ctx = broker.ctx;
    topic = await ctx.log.topics.create('events', 2, {});
    ctx.topics.invalidate();
    p0 = { topicId: topic.id, partition: 0 };
    p1 = { topicId: topic.id, partition: 1 };
  });

  afterEach(async () => {
    await broker.close();
  });

  it('returns batches of several flushes with their real base offsets, leaving the log bytes as stored', async () => {
    expect(await append(ctx, p0, batchOf(['a', 'b']))).toBe(0);
    expect(await append(ctx, p0, batchOf(['c', 'd', 'e']))).toBe(2);
    expect(await append(ctx, p0, batchOf(['f']))).toBe(5);

    for (let round = 0; round < 2; round++) {
      const p = only(await fetchAt(ctx, 12, request(topic, [{ partition: 0, offset: 0 }])));
      expect(p.errorCode).toBe(ErrorCode.NONE);
      expect(p.highWatermark).toBe(6n);
      expect(p.lastStableOffset).toBe(6n);
      expect(p.logStartOffset).toBe(0n);
      expect(p.preferredReadReplica).toBe(-1);
      expect(p.abortedTransactions).toBeNull();
      expect(batchesOf(p)).toEqual([
        { baseOffset: 0, epoch: 0, crcOk: true, size: expect.any(Number), offsets: [0, 1], values: ['a', 'b'] },
        { baseOffset: 2, epoch: 0, crcOk: true, size: expect.any(Number), offsets: [2, 3, 4], values: ['c', 'd', 'e'] },
        { baseOffset: 5, epoch: 0, crcOk: true, size: expect.any(Number), offsets: [5], values: ['f'] },
      ]);
      // The log's own (shared, cached) bytes still carry what the producer sent.
      const stored = await ctx.log.read(p0, 0, 1 << 20);
      expect(stored.batches.map((b) => [b.baseOffset, readBatchHeader(b.bytes).baseOffset, readBatchHeader(b.bytes).partitionLeaderEpoch])).toEqual([
        [0, 0n, -1],
        [2, 0n, -1],
        [5, 0n, -1],
      ]);
    }

    // From the middle of a batch: the whole batch holding the offset (clients skip the rest).
    const mid = only(await fetchAt(ctx, 12, request(topic, [{ partition: 0, offset: 3 }])));
    expect(batchesOf(mid).map((b) => b.baseOffset)).toEqual([2, 5]);
    // At the end: no records, no error.
    const end = only(await fetchAt(ctx, 12, request(topic, [{ partition: 0, offset: 6 }])));
    expect(end.errorCode).toBe(ErrorCode.NONE);
    expect(end.records).toEqual(Buffer.alloc(0));
    expect(end.highWatermark).toBe(6n);
  });

  it('names topics up to v12 and identifies them by id from v13', async () => {
    await append(ctx, p0, batchOf(['x']));
    const byName = await fetchAt(ctx, 12, request(topic, [{ partition: 0, offset: 0 }]));
    expect(byName.responses[0]!.topic).toBe('events');
    expect(batchesOf(only(byName))[0]!.values).toEqual(['x']);

    const byId = await fetchAt(ctx, 13, request(topic, [{ partition: 0, offset: 0 }]));
    expect(byId.responses[0]!.topicId).toBe(topic.id);
    expect(byId.responses[0]!.topic).toBe('');
    expect(batchesOf(only(byId))[0]!.values).toEqual(['x']);

    // v13 ignores the name: only the id counts.
    const wrongId = { name: 'events', id: 'AAAAAAAAAAAAAAAAAAAAAQ' };
    expect(only(await fetchAt(ctx, 13, request(wrongId, [{ partition: 0, offset: 0 }]))).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
    expect(only(await fetchAt(ctx, 17, request(wrongId, [{ partition: 0, offset: 0 }]))).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
    const unknownName = { name: 'nope', id: topic.id };
    const unknown = only(await fetchAt(ctx, 12, request(unknownName, [{ partition: 0, offset: 0 }])));
    expect(unknown.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(unknown.highWatermark).toBe(-1n);
    expect(only(await fetchAt(ctx, 4, request(unknownName, [{ partition: 0, offset: 0 }]))).errorCode).toBe(
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    );
  });

  it('answers a partition the topic does not have with UNKNOWN_TOPIC_OR_PARTITION, the others normally', async () => {
    await append(ctx, p1, batchOf(['y']));
    const r = await fetchAt(ctx, 13, request(topic, [{ partition: 2, offset: 0 }, { partition: 1, offset: 0 }, { partition: -1, offset: 0 }]));
    const [two, one, minus] = r.responses[0]!.partitions;
    expect(two!.partitionIndex).toBe(2);
    expect(two!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(minus!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(one!.errorCode).toBe(ErrorCode.NONE);
    expect(batchesOf(one!)[0]!.values).toEqual(['y']);
  });

  it('answers an offset outside the log with OFFSET_OUT_OF_RANGE and the current offsets', async () => {
    await append(ctx, p0, batchOf(['a', 'b', 'c']));
    const past = only(await fetchAt(ctx, 12, request(topic, [{ partition: 0, offset: 4 }])));
    expect(past.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(past.highWatermark).toBe(3n);
    expect(past.logStartOffset).toBe(0n);
    expect(past.records).toEqual(Buffer.alloc(0));
    expect(only(await fetchAt(ctx, 12, request(topic, [{ partition: 0, offset: -1 }]))).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);

    await append(ctx, p0, batchOf(['d']));
    await ctx.log.deleteRecords(p0, 3);
    const below = only(await fetchAt(ctx, 12, request(topic, [{ partition: 0, offset: 1 }])));
    expect(below.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(below.logStartOffset).toBe(3n);
    expect(below.highWatermark).toBe(4n);
    const atStart = only(await fetchAt(ctx, 12, request(topic, [{ partition: 0, offset: 3 }])));
    expect(atStart.logStartOffset).toBe(3n);
    expect(batchesOf(atStart).map((b) => b.values)).toEqual([['d']]);
  });

  describe('size limits', () => {
    /** Five batches of about 1 KiB on each partition. */
    async function fill(): Promise<number> {
      let size = 0;
      for (let i = 0; i < 5; i++) {
        const b = batchOf([`p0-${i}`], 1000);
        size = b.length;
        await append(ctx, p0, b);
        await append(ctx, p1, batchOf([`p1-${i}`], 1000));
      }
      return size;
    }

    it('keeps each partition within partitionMaxBytes, whole batches only', async () => {
      const size = await fill();
      const p = only(await fetchAt(ctx, 12, request(topic, [{ partition: 0, offset: 0, maxBytes: 2 * size + size / 2 }])));
      expect(batchesOf(p).map((b) => b.values[0])).toEqual(['p0-0', 'p0-1']);
      const exact = only(await fetchAt(ctx, 12, request(topic, [{ partition: 0, offset: 1, maxBytes: 3 * size }])));
      expect(batchesOf(exact).map((b) => b.values[0])).toEqual(['p0-1', 'p0-2', 'p0-3']);
    });

    it('returns one batch larger than the limits to the first partition with data, and nothing more', async () => {
      const size = await fill();
      const r = await fetchAt(
        ctx,
        12,
        request(topic, [{ partition: 0, offset: 0, maxBytes: 10 }, { partition: 1, offset: 0, maxBytes: 10 }], { maxBytes: 1 }),
      );
      const [a, b] = r.responses[0]!.partitions;
      expect(batchesOf(a!).map((x) => x.values[0])).toEqual(['p0-0']);
      expect(batchesOf(a!)[0]!.size).toBe(size);
      expect(b!.errorCode).toBe(ErrorCode.NONE);
      expect(b!.highWatermark).toBe(5n);
      expect(b!.records).toEqual(Buffer.alloc(0));
    });

    it('skips empty partitions when choosing the one that gets a batch regardless of limits', async () => {
      await fill();
      const r = await fetchAt(
        ctx,
        12,
        request(topic, [{ partition: 0, offset: 5, maxBytes: 10 }, { partition: 1, offset: 2, maxBytes: 10 }], { maxBytes: 10 }),
      );
      const [a, b] = r.responses[0]!.partitions;
      expect(a!.records).toEqual(Buffer.alloc(0));
      expect(batchesOf(b!).map((x) => x.values[0])).toEqual(['p1-2']);
    });

    it('shares the request maxBytes across partitions in request order', async () => {
      const size = await fill();
      const r = await fetchAt(
        ctx,
        12,
        request(topic, [{ partition: 1, offset: 0, maxBytes: 1 << 20 }, { partition: 0, offset: 0, maxBytes: 1 << 20 }], {
          maxBytes: 3 * size + 10,
        }),
      );
      const [one, zero] = r.responses[0]!.partitions;
      expect(one!.partitionIndex).toBe(1);
      expect(batchesOf(one!)).toHaveLength(3);
      expect(zero!.records).toEqual(Buffer.alloc(0));
      expect(zero!.highWatermark).toBe(5n);

      const split = await fetchAt(
        ctx,
        12,
        request(topic, [{ partition: 0, offset: 0, maxBytes: 2 * size }, { partition: 1, offset: 1, maxBytes: 1 << 20 }], {
          maxBytes: 4 * size,
        }),
      );
      const [first, second] = split.responses[0]!.partitions;
      expect(batchesOf(first!).map((x) => x.values[0])).toEqual(['p0-0', 'p0-1']);
      expect(batchesOf(second!).map((x) => x.values[0])).toEqual(['p1-1', 'p1-2']);
    });

    it('applies the budget across many partitions read together', async () => {
      const many = await ctx.log.topics.create('wide', 80, {});
      ctx.topics.invalidate();
      const one = batchOf(['v'], 500);
      for (let p = 0; p < 80; p++) await append(ctx, { topicId: many.id, partition: p }, one);
      const asks = Array.from({ length: 80 }, (_, p) => ({ partition: p, offset: 0, maxBytes: 1 << 20 }));
      const r = await fetchAt(ctx, 13, request({ name: 'wide', id: many.id }, asks, { maxBytes: 50 * one.length + 1 }));
      const counts = r.responses[0]!.partitions.map((p) => batchesOf(p).length);
      expect(counts).toEqual([...Array(50).fill(1), ...Array(30).fill(0)]);
      expect(r.responses[0]!.partitions.every((p) => p.errorCode === 0 && p.highWatermark === 1n)).toBe(true);
    });
  });

  describe('long poll', () => {
    it('answers soon after data arrives', async () => {
      const started = Date.now();
      setTimeout(() => void append(ctx, p0, batchOf(['late'])), 100);
      const p = only(await fetchAt(ctx, 12, request(topic, [{ partition: 0, offset: 0 }], { minBytes: 1, maxWaitMs: 2000 })));
      const took = Date.now() - started;
      expect(batchesOf(p).map((b) => b.values)).toEqual([['late']]);
      expect(took).toBeGreaterThanOrEqual(90);
      expect(took).toBeLessThan(1500);
    });

    it('waits out maxWaitMs when nothing arrives, then answers what there is', async () => {
      await append(ctx, p0, batchOf(['old']));
      const started = Date.now();
      const p = only(await fetchAt(ctx, 12, request(topic, [{ partition: 0, offset: 1 }], { minBytes: 1, maxWaitMs: 400 })));
      const took = Date.now() - started;
      expect(p.errorCode).toBe(ErrorCode.NONE);
      expect(p.records).toEqual(Buffer.alloc(0));
      expect(p.highWatermark).toBe(1n);
      expect(took).toBeGreaterThanOrEqual(380);
      expect(took).toBeLessThan(1500);
    });

    it('keeps waiting while the data is below minBytes, and is not woken by data it already has', async () => {
      await append(ctx, p0, batchOf(['small']));
      const big = batchOf(['big'], 2000);
      const read = ctx.log.read.bind(ctx.log);
      let reads = 0;
      ctx.log.read = (...args) => {
        reads++;
        return read(...args);
      };
      const started = Date.now();
      setTimeout(() => void append(ctx, p1, big), 150);
      const r = await fetchAt(ctx, 12, request(topic, [{ partition: 0, offset: 0 }, { partition: 1, offset: 0 }], { minBytes: 1500, maxWaitMs: 3000 }));
      const took = Date.now() - started;
      const [a, b] = r.responses[0]!.partitions;
      expect(batchesOf(a!).map((x) => x.values)).toEqual([['small']]);
      expect(batchesOf(b!).map((x) => x.values)).toEqual([['big']]);
      expect(took).toBeGreaterThanOrEqual(140);
      expect(took).toBeLessThan(2000);
      // Two partitions, read once before the wait and once after the append woke it.
      expect(reads).toBe(4);
    });

    it('answers with less than minBytes when maxWaitMs runs out', async () => {
      const started = Date.now();
      setTimeout(() => void append(ctx, p0, batchOf(['tiny'])), 100);
      const p = only(await fetchAt(ctx, 12, request(topic, [{ partition: 0, offset: 0 }], { minBytes: 1 << 20, maxWaitMs: 700 })));
      const took = Date.now() - started;
      expect(batchesOf(p).map((b) => b.values)).toEqual([['tiny']]);
      expect(took).toBeGreaterThanOrEqual(680);
      expect(took).toBeLessThan(2000);
    });

    it('answers at once when minBytes is met or a partition has an error', async () => {
      await append(ctx, p0, batchOf(['here']));
      let started = Date.now();
      await fetchAt(ctx, 12, request(topic, [{ partition: 0, offset: 0 }], { minBytes: 1, maxWaitMs: 5000 }));
      expect(Date.now() - started).toBeLessThan(1000);
      started = Date.now();
      const r = await fetchAt(ctx, 12, request(topic, [{ partition: 0, offset: 1 }, { partition: 9, offset: 0 }], { minBytes: 1, maxWaitMs: 5000 }));
      expect(Date.now() - started).toBeLessThan(1000);
      expect(r.responses[0]!.partitions[1]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    });

    it('stops waiting when the connection closes', async () => {
      const abort = new AbortController();
      const started = Date.now();
      setTimeout(() => abort.abort(new Error('closed')), 100);
      await fetchAt(ctx, 12, request(topic, [{ partition: 0, offset: 0 }], { minBytes: 1, maxWaitMs: 5000 }), requestContext(abort.signal));
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(90);
      expect(took).toBeLessThan(1000);
    });
  });

  describe('fetch sessions', () => {
    it('serves full fetches without creating a session (sessionId 0)', async () => {
      await append(ctx, p0, batchOf(['s']));
      for (const [sessionId, sessionEpoch] of [
        [0, 0],
        [0, -1],
        [1234, 0],
        [1234, -1],
      ] as const) {
        const r = await fetchAt(ctx, 12, {
          ...request(topic, [{ partition: 0, offset: 0 }], { sessionId, sessionEpoch }),
          forgottenTopicsData: [{ topic: 'events', topicId: topic.id, partitions: [1] }],
        });
        expect(r.errorCode).toBe(ErrorCode.NONE);
        expect(r.sessionId).toBe(0);
        expect(batchesOf(only(r))[0]!.values).toEqual(['s']);
      }
    });

    it('answers an incremental fetch with FETCH_SESSION_ID_NOT_FOUND, so the client falls back to full fetches', async () => {
      for (const [sessionId, sessionEpoch] of [
        [1234, 1],
        [1234, 7],
        [0, 3],
      ] as const) {
        const r = await fetchAt(ctx, 13, request(topic, [{ partition: 0, offset: 0 }], { sessionId, sessionEpoch }));
        expect(r.errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
        expect(r.sessionId).toBe(0);
        expect(r.responses).toEqual([]);
      }
    });
  });

  it('refuses replica fetches with NOT_LEADER_OR_FOLLOWER', async () => {
    await append(ctx, p0, batchOf(['r']));
    const v11 = only(await fetchAt(ctx, 11, request(topic, [{ partition: 0, offset: 0 }], { replicaId: 2 })));
    expect(v11.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(v11.records).toEqual(Buffer.alloc(0));
    const v15 = only(
      await fetchAt(ctx, 15, request(topic, [{ partition: 0, offset: 0 }], { replicaState: { replicaId: 2, replicaEpoch: 5n } })),
    );
    expect(v15.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    // Debug consumers (-2) and consumers (-1) are served.
    expect(only(await fetchAt(ctx, 11, request(topic, [{ partition: 0, offset: 0 }], { replicaId: -2 }))).errorCode).toBe(0);
  });

  it('checks leader epochs against epoch 0', async () => {
    await append(ctx, p0, batchOf(['e']));
    const ask = (a: Partial<PartitionAsk>) => request(topic, [{ partition: 0, offset: 0, ...a }]);
    expect(only(await fetchAt(ctx, 12, ask({ currentLeaderEpoch: 0, lastFetchedEpoch: 0 }))).errorCode).toBe(ErrorCode.NONE);
    expect(only(await fetchAt(ctx, 12, ask({ currentLeaderEpoch: 1 }))).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    expect(only(await fetchAt(ctx, 12, ask({ lastFetchedEpoch: 3 }))).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it('answers read_committed with the high watermark as last stable offset and no aborted transactions', async () => {
    await append(ctx, p0, batchOf(['c1', 'c2']));
    const p = only(await fetchAt(ctx, 12, request(topic, [{ partition: 0, offset: 0 }], { isolationLevel: 1 })));
    expect(p.lastStableOffset).toBe(2n);
    expect(p.abortedTransactions).toEqual([]);
    expect(batchesOf(p)).toHaveLength(1);
  });

  it('answers every declared version in a form that version encodes', async () => {
    await append(ctx, p0, batchOf(['v']));
    const handler = fetchHandler(ctx);
    expect([handler.minVersion, handler.maxVersion]).toEqual([4, 17]);
    for (let v = handler.minVersion; v <= handler.maxVersion; v++) {
      const r = await fetchAt(ctx, v, request(topic, [{ partition: 0, offset: 0 }, { partition: 1, offset: 9 }]));
      const [a, b] = r.responses[0]!.partitions;
      expect(batchesOf(a!)[0]!.values).toEqual(['v']);
      expect(a!.highWatermark).toBe(1n);
      if (v >= 5) expect(a!.logStartOffset).toBe(0n);
      expect(b!.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    }
  });

  it('answers KAFKA_STORAGE_ERROR for the partitions of a topic it cannot look up, instead of failing the request', async () => {
    // Found by the chaos run: with DynamoDB unreachable, the topic lookup threw, the handler
    // failed and the connection was closed (1,640 times in 20 minutes, across Fetch, Metadata,
    // OffsetForLeaderEpoch and OffsetCommit).
    const unreachable = () => Promise.reject(new Error('query topics: socket hang up'));
    const blind = { ...ctx, topics: { byNameOrLoad: unreachable, byIdOrLoad: unreachable } } as unknown as BrokerContext;
    for (const version of [11, 13]) {
      const out = only(await fetchAt(blind, version, request(topic, [{ partition: 0, offset: 0 }])));
      expect(out.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
      expect(out.records?.length ?? 0).toBe(0);
    }
  });
});
