import { afterEach, describe, expect, it } from '@jest/globals';
import {
  ApiKey,
  buildBatch,
  CompressionCodec,
  CRC_OFFSET,
  decodeBatch,
  defaultProduceRequest,
  ErrorCode,
  MAGIC_OFFSET,
  RECORDS_OFFSET,
  readBatchHeader,
  TimestampType,
  updateBatchCrc,
  validateBatchCrc,
  type BuildBatchOptions,
  type ProduceRequest,
  type ProduceResponse,
  type RequestHeader,
} from '@floe/protocol';
import { LogError, type FloeLog, type PartitionRef, type TopicInfo } from '@floe/log';
import type { BrokerContext } from '../../src/broker-context.ts';
import { CLOSE_CONNECTION, NO_RESPONSE, type HandlerResult, type RequestContext } from '../../src/handler.ts';
import { produceHandler, type ProduceHandlerOptions } from '../../src/handlers/produce.ts';
import { makeBrokerContext, type TestBroker } from '../support/broker-context.ts';
import { captureLogger, testRequestContext } from '../support/listener.ts';

const brokers: TestBroker[] = [];
afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.close()));
});

async function broker(settings: Parameters<typeof makeBrokerContext>[0] = {}): Promise<BrokerContext> {
  const b = await makeBrokerContext(settings);
  brokers.push(b);
  return b.ctx;
}

async function createTopic(ctx: BrokerContext, name: string, partitions = 1, configs: Record<string, string> = {}): Promise<TopicInfo> {
  const topic = await ctx.log.topics.create(name, partitions, configs);
  ctx.topics.invalidate();
  return topic;
}

function requestCtx(connectionId = 1, signal = new AbortController().signal): RequestContext {
  return testRequestContext({ connectionId, signal });
}

function header(apiVersion = 11): RequestHeader {
  return { apiKey: ApiKey.Produce, apiVersion, correlationId: 1, clientId: 'test', taggedFields: [] };
}

interface PartitionInput {
  index: number;
  records: Buffer | null;
}

function request(topics: Record<string, PartitionInput[]>, acks = -1, timeoutMs = 30_000): ProduceRequest {
  return {
    ...defaultProduceRequest(),
    acks,
    timeoutMs,
    topicData: Object.entries(topics).map(([name, partitionData]) => ({ name, partitionData })),
  };
}

function batch(n: number, options: Partial<BuildBatchOptions> = {}): Buffer {
  return buildBatch({
    records: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `value ${i} `.repeat(20), timestamp: 1_700_000_000_000 + i })),
    ...options,
  });
}

async function produce(
  ctx: BrokerContext,
  req: ProduceRequest,
  apiVersion = 11,
  options: ProduceHandlerOptions = {},
  rc: RequestContext = requestCtx(),
): Promise<HandlerResult<ProduceResponse>> {
  return produceHandler(ctx, options).handle(rc, req, header(apiVersion));
}

/** The response of an acks≠0 request. */
async function answer(ctx: BrokerContext, req: ProduceRequest, apiVersion = 11, options: ProduceHandlerOptions = {}): Promise<ProduceResponse> {
  const r = await produce(ctx, req, apiVersion, options);
  if (r === NO_RESPONSE || r === CLOSE_CONNECTION) throw new Error('expected a response');
  return r;
}

/** The single partition answer of a one-partition request. */
async function answerOne(ctx: BrokerContext, topic: string, records: Buffer | null, index = 0, apiVersion = 11) {
  const r = await answer(ctx, request({ [topic]: [{ index, records }] }), apiVersion);
  expect(r.responses).toHaveLength(1);
  expect(r.responses[0]!.partitionResponses).toHaveLength(1);
  return r.responses[0]!.partitionResponses[0]!;
}

async function readAll(ctx: BrokerContext, ref: PartitionRef) {
  return ctx.log.read(ref, 0, 1 << 30);
}

describe('Produce', () => {
  it('declares v3-v11', async () => {
    const ctx = await broker();
    const h = produceHandler(ctx);
    expect([h.apiKey, h.minVersion, h.maxVersion]).toEqual([ApiKey.Produce, 3, 11]);
  });

  it('appends batches that read back byte for byte at the offsets answered', async () => {
    const ctx = await broker();
    const topic = await createTopic(ctx, 'events', 2);
    const b1 = batch(3);
    const b2 = batch(2);
    const b3 = batch(4);
    const first = await answer(ctx, request({ events: [{ index: 1, records: b1 }] }));
    expect(first).toMatchObject({
      throttleTimeMs: 0,
      responses: [
        {
          name: 'events',
          partitionResponses: [
            { index: 1, errorCode: 0, baseOffset: 0n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null },
          ],
        },
      ],
    });
    const second = await answer(ctx, request({ events: [{ index: 1, records: b2 }, { index: 0, records: b3 }] }));
    expect(second.responses[0]!.partitionResponses.map((p) => [p.index, p.errorCode, p.baseOffset])).toEqual([
      [1, 0, 3n],
      [0, 0, 0n],
    ]);
    const p1 = await readAll(ctx, { topicId: topic.id, partition: 1 });
    expect(p1.highWatermark).toBe(5);
    expect(p1.batches.map((b) => [b.baseOffset, b.endOffset])).toEqual([
      [0, 3],
      [3, 5],
    ]);
    expect(p1.batches[0]!.bytes.equals(b1)).toBe(true);
    expect(p1.batches[1]!.bytes.equals(b2)).toBe(true);
    const p0 = await readAll(ctx, { topicId: topic.id, partition: 0 });
    expect(p0.batches.map((b) => b.bytes.equals(b3))).toEqual([true]);
    const offsets = await ctx.log.offsets({ topicId: topic.id, partition: 1 });
    expect(offsets.maxTimestamp).toBe(1_700_000_000_002);
  });

  it.each([
    ['gzip', CompressionCodec.GZIP],
    ['snappy', CompressionCodec.SNAPPY],
    ['lz4', CompressionCodec.LZ4],
    ['zstd', CompressionCodec.ZSTD],
  ])('accepts %s batches and stores them as sent', async (_name, compression) => {
    const ctx = await broker();
    const topic = await createTopic(ctx, 'compressed');
    const b = batch(50, { compression });
    const p = await answerOne(ctx, 'compressed', b);
    expect([p.errorCode, p.baseOffset]).toEqual([0, 0n]);
    const read = await readAll(ctx, { topicId: topic.id, partition: 0 });
    expect(read.highWatermark).toBe(50);
    expect(read.batches[0]!.bytes.equals(b)).toBe(true);
    const decoded = decodeBatch(read.batches[0]!.bytes);
    expect(decoded.header.compression).toBe(compression);
    expect(decoded.records.map((r) => r.key!.toString())).toEqual(Array.from({ length: 50 }, (_, i) => `k${i}`));
  });

  it('refuses zstd before v7 with UNSUPPORTED_COMPRESSION_TYPE', async () => {
    const ctx = await broker();
    await createTopic(ctx, 't');
    const p = await answerOne(ctx, 't', batch(2, { compression: CompressionCodec.ZSTD }), 0, 6);
    expect(p.errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    expect((await answerOne(ctx, 't', batch(2, { compression: CompressionCodec.ZSTD }), 0, 7)).errorCode).toBe(0);
  });

  it('decodes compressed batches fully: corrupt compressed data with a valid CRC is INVALID_RECORD', async () => {
    const ctx = await broker();
    const topic = await createTopic(ctx, 't');
    const b = batch(20, { compression: CompressionCodec.GZIP });
    // Damage the compressed stream (past gzip's 10-byte header), then make the CRC match again.
    for (let i = RECORDS_OFFSET + 12; i < RECORDS_OFFSET + 40; i++) b[i] = b[i]! ^ 0x5a;
    updateBatchCrc(b);
    const p = await answerOne(ctx, 't', b);
    expect(p.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(p.baseOffset).toBe(-1n);
    expect(p.errorMessage).toEqual(expect.any(String));
    expect((await ctx.log.offsets({ topicId: topic.id, partition: 0 })).highWatermark).toBe(0);
  });

  it('caps decompression: a batch inflating past the cap is MESSAGE_TOO_LARGE', async () => {
    const ctx = await broker();
    await createTopic(ctx, 't');
    const b = buildBatch({ compression: CompressionCodec.GZIP, records: [{ value: Buffer.alloc(100_000) }] });
    expect(b.length).toBeLessThan(1_000);
    const r = await answer(ctx, request({ t: [{ index: 0, records: b }] }), 11, { maxDecompressedBytes: 10_000 });
    expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
  });

  it('answers an idempotent retry with the original offset and enforces sequences and epochs', async () => {
    const ctx = await broker();
    const topic = await createTopic(ctx, 'idem');
    const producer = { producerId: 42, producerEpoch: 0 };
    const first = batch(3, { ...producer, baseSequence: 0 });
    expect((await answerOne(ctx, 'idem', first)).baseOffset).toBe(0n);
    expect((await answerOne(ctx, 'idem', batch(2, { ...producer, baseSequence: 3 }))).baseOffset).toBe(3n);
    const retry = await answerOne(ctx, 'idem', first);
    expect([retry.errorCode, retry.baseOffset, retry.errorMessage]).toEqual([0, 0n, null]);

    const gap = await answerOne(ctx, 'idem', batch(1, { ...producer, baseSequence: 9 }));
    expect([gap.errorCode, gap.baseOffset]).toEqual([ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, -1n]);
    expect(gap.errorMessage).toMatch(/sequence/);

    expect((await answerOne(ctx, 'idem', batch(1, { producerId: 42, producerEpoch: 1, baseSequence: 0 }))).baseOffset).toBe(5n);
    const fenced = await answerOne(ctx, 'idem', batch(1, { ...producer, baseSequence: 5 }));
    expect(fenced.errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(fenced.errorMessage).toMatch(/epoch/);

    const read = await readAll(ctx, { topicId: topic.id, partition: 0 });
    expect(read.batches.map((b) => b.baseOffset)).toEqual([0, 3, 5]);
  });

  it('leaves errorMessage out below v8 (the field does not exist there)', async () => {
    const ctx = await broker();
    await createTopic(ctx, 'idem');
    await answerOne(ctx, 'idem', batch(1, { producerId: 1, producerEpoch: 0, baseSequence: 0 }), 0, 5);
    const gap = await answerOne(ctx, 'idem', batch(1, { producerId: 1, producerEpoch: 0, baseSequence: 7 }), 0, 5);
    expect(gap.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  });

  it('refuses idempotent batches without a sequence and producer ids no allocator issued', async () => {
    const ctx = await broker();
    await createTopic(ctx, 't');
    expect((await answerOne(ctx, 't', batch(1, { producerId: 3, producerEpoch: 0, baseSequence: -1 }))).errorCode).toBe(
      ErrorCode.INVALID_RECORD,
    );
    expect((await answerOne(ctx, 't', batch(1, { producerId: 2n ** 60n, producerEpoch: 0, baseSequence: 0 }))).errorCode).toBe(
      ErrorCode.UNKNOWN_PRODUCER_ID,
    );
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for an unknown topic and a partition out of range', async () => {
    const ctx = await broker();
    await createTopic(ctx, 'two', 2);
    const r = await answer(
      ctx,
      request({
        nope: [{ index: 0, records: batch(1) }],
        two: [
          { index: 2, records: batch(1) },
          { index: -1, records: batch(1) },
          { index: 1, records: batch(1) },
        ],
      }),
    );
    expect(r.responses.map((t) => [t.name, t.partitionResponses.map((p) => [p.index, p.errorCode])])).toEqual([
      ['nope', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
      [
        'two',
        [
          [2, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
          [-1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
          [1, ErrorCode.NONE],
        ],
      ],
    ]);
    expect(r.responses[0]!.partitionResponses[0]!.errorMessage).toMatch(/unknown topic "nope"/);
    expect(await ctx.log.topics.get('nope')).toBeUndefined();
  });

  it('auto-creates unknown topics with the default partition count when enabled', async () => {
    const ctx = await broker({ autoCreateTopics: true, defaultPartitions: 3 });
    const r = await answer(ctx, request({ fresh: [{ index: 2, records: batch(2) }] }));
    expect(r.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
    const topic = (await ctx.topics.byNameOrLoad('fresh'))!;
    expect(topic.partitions).toBe(3);
    expect((await ctx.log.offsets({ topicId: topic.id, partition: 2 })).highWatermark).toBe(2);
    // Concurrent requests for one new topic create it once and all land in it.
    const handler = produceHandler(ctx);
    const answers = await Promise.all(
      [1, 2, 3].map((c) => handler.handle(requestCtx(c), request({ burst: [{ index: 0, records: batch(1) }] }), header())),
    );
    expect(answers.map((a) => (a as ProduceResponse).responses[0]!.partitionResponses[0]!.errorCode)).toEqual([0, 0, 0]);
    const burst = (await ctx.topics.byNameOrLoad('burst'))!;
    expect((await ctx.log.offsets({ topicId: burst.id, partition: 0 })).highWatermark).toBe(3);
    // A name no topic may have is not created.
    const bad = await answer(ctx, request({ 'bad name!': [{ index: 0, records: batch(1) }] }));
    expect(bad.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
  });

  it('answers CORRUPT_MESSAGE for a CRC mismatch and INVALID_RECORD for two batches, legacy magic or no records', async () => {
    const ctx = await broker();
    const topic = await createTopic(ctx, 't');
    const corrupt = batch(2);
    corrupt.writeUInt32BE((corrupt.readUInt32BE(CRC_OFFSET) + 1) >>> 0, CRC_OFFSET);
    expect((await answerOne(ctx, 't', corrupt)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);

    const flipped = batch(2);
    flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 1;
    expect((await answerOne(ctx, 't', flipped)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);

    const two = Buffer.concat([batch(1), batch(1)]);
    const twoAnswer = await answerOne(ctx, 't', two);
    expect(twoAnswer.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(twoAnswer.errorMessage).toMatch(/exactly one record batch/);

    const legacy = batch(1);
    legacy.writeInt8(1, MAGIC_OFFSET);
    const legacyAnswer = await answerOne(ctx, 't', legacy);
    expect(legacyAnswer.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(legacyAnswer.errorMessage).toMatch(/magic 1/);

    expect((await answerOne(ctx, 't', null)).errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect((await answerOne(ctx, 't', Buffer.alloc(0))).errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect((await answerOne(ctx, 't', batch(1).subarray(0, 40))).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect((await ctx.log.offsets({ topicId: topic.id, partition: 0 })).highWatermark).toBe(0);
  });

  it('answers MESSAGE_TOO_LARGE above message.max.bytes, or the topic max.message.bytes', async () => {
    const ctx = await broker({ maxMessageBytes: 2_000 });
    await createTopic(ctx, 't');
    await createTopic(ctx, 'roomy', 1, { 'max.message.bytes': '100000' });
    const big = batch(20);
    expect(big.length).toBeGreaterThan(2_000);
    expect((await answerOne(ctx, 't', big)).errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect((await answerOne(ctx, 't', batch(1))).errorCode).toBe(0);
    expect((await answerOne(ctx, 'roomy', big)).errorCode).toBe(0);
  });

  it('refuses control batches (INVALID_RECORD) and transactional batches (INVALID_TXN_STATE)', async () => {
    const ctx = await broker();
    await createTopic(ctx, 't');
    const control = buildBatch({ isControl: true, producerId: 1, producerEpoch: 0, baseSequence: 0, records: [{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.alloc(6) }] });
    expect((await answerOne(ctx, 't', control)).errorCode).toBe(ErrorCode.INVALID_RECORD);
    const txn = batch(1, { isTransactional: true, producerId: 1, producerEpoch: 0, baseSequence: 0 });
    const p = await answerOne(ctx, 't', txn);
    expect(p.errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(p.errorMessage).toMatch(/transaction/);
  });

  it('refuses a max timestamp the journal cannot hold with INVALID_TIMESTAMP', async () => {
    const ctx = await broker();
    await createTopic(ctx, 't');
    expect((await answerOne(ctx, 't', batch(1, { maxTimestamp: 2n ** 60n }))).errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
  });

  it('sets the log append time on LogAppendTime topics and reports it', async () => {
    const ctx = await broker();
    const topic = await createTopic(ctx, 'lat', 1, { 'message.timestamp.type': 'LogAppendTime' });
    const now = 1_800_000_000_123;
    const sent = batch(3, { producerId: 5, producerEpoch: 0, baseSequence: 0 });
    const r = await answer(ctx, request({ lat: [{ index: 0, records: Buffer.from(sent) }] }), 11, { now: () => now });
    expect(r.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n, logAppendTimeMs: BigInt(now) });
    const stored = (await readAll(ctx, { topicId: topic.id, partition: 0 })).batches[0]!.bytes;
    const h = readBatchHeader(stored);
    expect(h.timestampType).toBe(TimestampType.LOG_APPEND_TIME);
    expect(h.maxTimestamp).toBe(BigInt(now));
    expect(validateBatchCrc(stored)).toBe(true);
    expect(decodeBatch(stored).records.map((rec) => rec.timestamp)).toEqual([BigInt(now), BigInt(now), BigInt(now)]);
    expect((await ctx.log.offsets({ topicId: topic.id, partition: 0 })).maxTimestamp).toBe(now);
    // A retry answers the original append time.
    const retry = await answer(ctx, request({ lat: [{ index: 0, records: Buffer.from(sent) }] }), 11, { now: () => now + 5_000 });
    expect(retry.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n, logAppendTimeMs: BigInt(now) });
  });

  it('clears a LOG_APPEND_TIME bit a client set on a CreateTime topic', async () => {
    const ctx = await broker();
    const topic = await createTopic(ctx, 't');
    const sent = batch(2, { timestampType: TimestampType.LOG_APPEND_TIME });
    expect((await answerOne(ctx, 't', sent)).logAppendTimeMs).toBe(-1n);
    const stored = (await readAll(ctx, { topicId: topic.id, partition: 0 })).batches[0]!.bytes;
    expect(readBatchHeader(stored).timestampType).toBe(TimestampType.CREATE_TIME);
    expect(validateBatchCrc(stored)).toBe(true);
  });

  it('acks=0 answers nothing but appends', async () => {
    const ctx = await broker();
    const topic = await createTopic(ctx, 't');
    const result = await produce(ctx, request({ t: [{ index: 0, records: batch(2) }] }, 0));
    expect(result).toBe(NO_RESPONSE);
    const ref = { topicId: topic.id, partition: 0 };
    const deadline = Date.now() + 5_000;
    while ((await ctx.log.offsets(ref)).highWatermark < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect((await readAll(ctx, ref)).batches).toHaveLength(1);
  });

  it('acks=0 closes the connection when a partition is refused before the append, as Kafka does', async () => {
    const ctx = await broker();
    await createTopic(ctx, 't');
    const logger = captureLogger();
    const result = await produce(ctx, request({ missing: [{ index: 0, records: batch(1) }] }, 0), 11, {}, testRequestContext({ requestId: '1-7', logger }));
    expect(result).toBe(CLOSE_CONNECTION);
    expect(logger.entries).toEqual([{ level: 'info', message: expect.stringMatching(/acks=0/), fields: expect.anything() }]);
  });

  it('answers INVALID_REQUIRED_ACKS for every partition when acks is not -1, 0 or 1, and appends nothing', async () => {
    const ctx = await broker();
    const topic = await createTopic(ctx, 't', 2);
    for (const acks of [2, -2, 5]) {
      const r = await answer(ctx, request({ t: [{ index: 0, records: batch(1) }, { index: 1, records: batch(1) }], other: [{ index: 0, records: batch(1) }] }, acks));
      expect(r.responses.flatMap((t) => t.partitionResponses.map((p) => [p.errorCode, p.baseOffset]))).toEqual([
        [ErrorCode.INVALID_REQUIRED_ACKS, -1n],
        [ErrorCode.INVALID_REQUIRED_ACKS, -1n],
        [ErrorCode.INVALID_REQUIRED_ACKS, -1n],
      ]);
    }
    expect((await ctx.log.offsets({ topicId: topic.id, partition: 0 })).highWatermark).toBe(0);
  });

  it('acks=1 and acks=-1 both answer once the batch is durable', async () => {
    const ctx = await broker();
    const topic = await createTopic(ctx, 't');
    for (const acks of [1, -1]) {
      const r = await answer(ctx, request({ t: [{ index: 0, records: batch(1) }] }, acks));
      const p = r.responses[0]!.partitionResponses[0]!;
      expect(p.errorCode).toBe(0);
      // Answered means committed: the offsets already show it.
      expect((await ctx.log.offsets({ topicId: topic.id, partition: 0 }, false)).highWatermark).toBe(Number(p.baseOffset) + 1);
    }
  });

  it('answers REQUEST_TIMED_OUT for a partition not committed within timeoutMs', async () => {
    const ctx = await broker();
    const topic = await createTopic(ctx, 't', 2);
    // A log whose partition 1 never commits.
    const stalled = Object.create(ctx.log) as FloeLog;
    stalled.append = (ref, info, bytes) => (ref.partition === 1 ? new Promise(() => {}) : ctx.log.append(ref, info, bytes));
    const slowCtx: BrokerContext = { ...ctx, log: stalled };
    const started = Date.now();
    const r = await answer(slowCtx, request({ t: [{ index: 0, records: batch(1) }, { index: 1, records: batch(1) }] }, -1, 300), 11, {
      minTimeoutMs: 0,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(r.responses[0]!.partitionResponses.map((p) => [p.errorCode, p.baseOffset])).toEqual([
      [0, 0n],
      [ErrorCode.REQUEST_TIMED_OUT, -1n],
    ]);
    expect(topic.partitions).toBe(2);
  });

  it('waits at least minTimeoutMs whatever the request says', async () => {
    const ctx = await broker();
    await createTopic(ctx, 't');
    const r = await answer(ctx, request({ t: [{ index: 0, records: batch(1) }] }, -1, 0));
    expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
  });

  it('maps log failures: a closing log answers NOT_LEADER_OR_FOLLOWER, storage failures KAFKA_STORAGE_ERROR', async () => {
    const ctx = await broker();
    await createTopic(ctx, 't', 2);
    const failing = Object.create(ctx.log) as FloeLog;
    failing.append = (ref) =>
      Promise.reject(ref.partition === 0 ? new LogError('shutting-down', 'the log is closing') : new LogError('unavailable', 'upload failed'));
    const r = await answer({ ...ctx, log: failing }, request({ t: [{ index: 0, records: batch(1) }, { index: 1, records: batch(1) }] }));
    expect(r.responses[0]!.partitionResponses.map((p) => [p.errorCode, p.errorMessage])).toEqual([
      [ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the log is closing'],
      [ErrorCode.KAFKA_STORAGE_ERROR, 'upload failed'],
    ]);
    // And for real: appends after the log closed.
    await ctx.log.close();
    expect((await answerOne(ctx, 't', batch(1))).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });

  it('answers topic lookups that fail with KAFKA_STORAGE_ERROR (retriable)', async () => {
    const ctx = await broker();
    const topics = Object.create(ctx.topics) as BrokerContext['topics'];
    topics.byNameOrLoad = () => Promise.reject(new Error('coordination table unreachable'));
    const p = (await answer({ ...ctx, topics }, request({ t: [{ index: 0, records: batch(1) }] }))).responses[0]!.partitionResponses[0]!;
    expect([p.errorCode, p.errorMessage]).toEqual([ErrorCode.KAFKA_STORAGE_ERROR, 'coordination table unreachable']);
  });

  it('answers an empty request with an empty response', async () => {
    const ctx = await broker();
    expect((await answer(ctx, request({}))).responses).toEqual([]);
  });
});
