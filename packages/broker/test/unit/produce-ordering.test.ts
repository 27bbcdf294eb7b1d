// Produce requests of one connection append in request order, whatever their topic lookups cost.
import { afterEach, describe, expect, it } from '@jest/globals';
import { ApiKey, buildBatch, defaultProduceRequest, ErrorCode, type ProduceRequest, type ProduceResponse, type RequestHeader } from '@floe/protocol';
import type { TopicInfo } from '@floe/log';
import type { BrokerContext } from '../../src/broker-context.ts';
import type { HandlerResult, RequestContext } from '../../src/handler.ts';
import { produceHandler } from '../../src/handlers/produce.ts';
import { makeBrokerContext, type TestBroker } from '../support/broker-context.ts';
import { testRequestContext } from '../support/listener.ts';

const brokers: TestBroker[] = [];
afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.close()));
});

async function broker(settings: Parameters<typeof makeBrokerContext>[0] = {}): Promise<BrokerContext> {
  const b = await makeBrokerContext(settings);
  brokers.push(b);
  return b.ctx;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function requestCtx(connectionId: number): RequestContext {
  return testRequestContext({ connectionId });
}

const header: RequestHeader = { apiKey: ApiKey.Produce, apiVersion: 11, correlationId: 1, clientId: 'test', taggedFields: [] };

function request(topics: Record<string, Buffer>, acks = -1): ProduceRequest {
  return {
    ...defaultProduceRequest(),
    acks,
    timeoutMs: 30_000,
    topicData: Object.entries(topics).map(([name, records]) => ({ name, partitionData: [{ index: 0, records }] })),
  };
}

/** An idempotent batch of `n` records starting at sequence `seq`. */
function idempotent(seq: number, n = 2, producerId = 9): Buffer {
  return buildBatch({
    producerId,
    producerEpoch: 0,
    baseSequence: seq,
    records: Array.from({ length: n }, (_, i) => ({ value: `record ${seq + i}` })),
  });
}

function partitionAnswers(r: HandlerResult<ProduceResponse>): { name: string; errorCode: number; baseOffset: bigint }[] {
  const response = r as ProduceResponse;
  return response.responses.flatMap((t) =>
    t.partitionResponses.map((p) => ({ name: t.name, errorCode: p.errorCode, baseOffset: p.baseOffset })),
  );
}

/** The context with topic lookups that take a random 0-10 ms, so they finish out of order. */
function withJitteryLookups(ctx: BrokerContext): BrokerContext {
  const topics = Object.create(ctx.topics) as BrokerContext['topics'];
  topics.byNameOrLoad = async (name) => {
    await sleep(Math.random() * 10);
    return ctx.topics.byNameOrLoad(name);
  };
  return { ...ctx, topics };
}

async function storedBatches(ctx: BrokerContext, name: string): Promise<Buffer[]> {
  const topic = (await ctx.topics.byNameOrLoad(name))!;
  return (await ctx.log.read({ topicId: topic.id, partition: 0 }, 0, 1 << 30)).batches.map((b) => b.bytes);
}

describe('Produce ordering', () => {
  it.each([
    ['a cold topic cache', false],
    ['topic lookups finishing out of order', true],
  ])('20 pipelined idempotent requests of one connection append in request order (%s)', async (_what, jitter) => {
    const base = await broker();
    await base.log.topics.create('a', 1, {});
    await base.log.topics.create('b', 1, {});
    const ctx = jitter ? withJitteryLookups(base) : base;
    const handler = produceHandler(ctx);
    const sentA = Array.from({ length: 20 }, (_, i) => idempotent(2 * i));
    const sentB = Array.from({ length: 20 }, (_, i) => idempotent(3 * i, 3, 10));
    // Handed over back to back, as the listener does for pipelined requests: no await in between.
    const pending = sentA.map((a, i) => handler.handle(requestCtx(7), request(i % 3 === 0 ? { a, b: sentB[i]! } : { b: sentB[i]!, a }), header));
    const answers = await Promise.all(pending);
    answers.forEach((r, i) => {
      const byName = new Map(partitionAnswers(r).map((p) => [p.name, p]));
      expect(byName.get('a')).toEqual({ name: 'a', errorCode: ErrorCode.NONE, baseOffset: BigInt(2 * i) });
      expect(byName.get('b')).toEqual({ name: 'b', errorCode: ErrorCode.NONE, baseOffset: BigInt(3 * i) });
    });
    const a = await storedBatches(base, 'a');
    expect(a.length).toBe(20);
    a.forEach((bytes, i) => expect(bytes.equals(sentA[i]!)).toBe(true));
    const b = await storedBatches(base, 'b');
    b.forEach((bytes, i) => expect(bytes.equals(sentB[i]!)).toBe(true));
  });

  it('a request that must create its topic holds back the later requests of its connection', async () => {
    const ctx = await broker({ autoCreateTopics: true });
    await ctx.log.topics.create('hot', 1, {});
    const handler = produceHandler(ctx);
    // Request 0 creates "new" (slow) and writes "hot" sequence 0; the others find "hot" cached.
    const pending = [handler.handle(requestCtx(1), request({ new: idempotent(0, 1, 3), hot: idempotent(0) }), header)];
    for (let i = 1; i < 10; i++) pending.push(handler.handle(requestCtx(1), request({ hot: idempotent(2 * i) }), header));
    const answers = (await Promise.all(pending)).map(partitionAnswers);
    expect(answers.map((ps) => ps.find((p) => p.name === 'hot'))).toEqual(
      Array.from({ length: 10 }, (_, i) => ({ name: 'hot', errorCode: 0, baseOffset: BigInt(2 * i) })),
    );
    expect(answers[0]!.find((p) => p.name === 'new')).toEqual({ name: 'new', errorCode: 0, baseOffset: 0n });
  });

  it('a slow turn holds back only its own connection, and a failed one does not hold back the next', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('slow', 1, {});
    await ctx.log.topics.create('fast', 1, {});
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let failNext = false;
    const topics = Object.create(ctx.topics) as BrokerContext['topics'];
    topics.byNameOrLoad = async (name): Promise<TopicInfo | undefined> => {
      if (name === 'slow') await gate;
      if (failNext) {
        failNext = false;
        throw new Error('coordination table unreachable');
      }
      return ctx.topics.byNameOrLoad(name);
    };
    const handler = produceHandler({ ...ctx, topics });
    const settled = new Set<string>();
    const track = (what: string, p: Promise<HandlerResult<ProduceResponse>>) =>
      p.then((r) => {
        settled.add(what);
        return r;
      });
    const first = track('1a', handler.handle(requestCtx(1), request({ slow: idempotent(0) }), header));
    const second = track('1b', handler.handle(requestCtx(1), request({ fast: idempotent(0, 2, 11) }), header));
    const other = track('2', handler.handle(requestCtx(2), request({ fast: idempotent(0, 2, 12) }), header));
    expect(partitionAnswers(await other)).toEqual([{ name: 'fast', errorCode: 0, baseOffset: 0n }]);
    expect(settled.has('1a') || settled.has('1b')).toBe(false);
    open();
    expect(partitionAnswers(await first)).toEqual([{ name: 'slow', errorCode: 0, baseOffset: 0n }]);
    expect(partitionAnswers(await second)).toEqual([{ name: 'fast', errorCode: 0, baseOffset: 2n }]);

    failNext = true;
    const failed = handler.handle(requestCtx(1), request({ fast: idempotent(2, 2, 11) }), header);
    const after = handler.handle(requestCtx(1), request({ fast: idempotent(2, 2, 11) }), header);
    expect(partitionAnswers(await failed)).toEqual([{ name: 'fast', errorCode: ErrorCode.KAFKA_STORAGE_ERROR, baseOffset: -1n }]);
    expect(partitionAnswers(await after)).toEqual([{ name: 'fast', errorCode: 0, baseOffset: 4n }]);
  });

  it('acks=0 requests keep their place among the others', async () => {
    const ctx = await broker();
    await ctx.log.topics.create('a', 1, {});
    const handler = produceHandler(withJitteryLookups(ctx));
    const sent = Array.from({ length: 12 }, (_, i) => idempotent(2 * i));
    const results = await Promise.all(sent.map((a, i) => handler.handle(requestCtx(3), request({ a }, i % 2 === 0 ? 0 : 1), header)));
    results.forEach((r, i) => {
      if (i % 2 === 1) expect(partitionAnswers(r)).toEqual([{ name: 'a', errorCode: 0, baseOffset: BigInt(2 * i) }]);
    });
    const stored = await storedBatches(ctx, 'a');
    stored.forEach((bytes, i) => expect(bytes.equals(sent[i]!)).toBe(true));
    expect(stored).toHaveLength(12);
  });
});
