// Produce through a listener: every served version encodes, pipelined requests append in order,
// acks=0 answers nothing.
import { afterEach, describe, expect, it } from '@jest/globals';
import { ApiKey, buildBatch, defaultProduceRequest, ErrorCode, type ProduceRequest } from '@floe/protocol';
import type { BrokerContext } from '../../src/broker-context.ts';
import { produceHandler } from '../../src/handlers/produce.ts';
import { makeBrokerContext, type TestBroker } from '../support/broker-context.ts';
import { startTestListener, type TestListener } from '../support/listener.ts';
import { RawClient } from '../support/raw-client.ts';

let t: TestListener | undefined;
let b: TestBroker | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await t?.listener.close({ drainMs: 1_000 });
  t = undefined;
  await b?.close();
  b = undefined;
});

async function setup(): Promise<{ ctx: BrokerContext; client: () => Promise<RawClient> }> {
  b = await makeBrokerContext();
  await b.ctx.log.topics.create('wire', 1, {});
  t = await startTestListener([produceHandler(b.ctx)]);
  const port = t.port;
  return {
    ctx: b.ctx,
    client: async () => {
      const c = await RawClient.connect(port);
      clients.push(c);
      return c;
    },
  };
}

function request(records: Buffer, acks = -1, topic = 'wire'): ProduceRequest {
  return { ...defaultProduceRequest(), acks, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] };
}

const records = (seq: number) =>
  buildBatch({ producerId: 1, producerEpoch: 0, baseSequence: seq, records: [{ value: `v${seq}` }] });

describe('Produce over the wire', () => {
  it('answers every served version (v3-v11)', async () => {
    const { client } = await setup();
    const c = await client();
    const versions = [3, 4, 5, 6, 7, 8, 9, 10, 11];
    for (const [i, v] of versions.entries()) {
      c.send(ApiKey.Produce, v, request(records(i)));
      const frames = await c.waitFrames(i + 1);
      const { body } = c.decode(frames[i]!, ApiKey.Produce);
      expect(body.responses[0]!.partitionResponses[0]).toMatchObject({ index: 0, errorCode: 0, baseOffset: BigInt(i) });
      expect(body.responses[0]!.partitionResponses[0]!.logStartOffset).toBe(v >= 5 ? 0n : -1n);
    }
  });

  it('appends 20 requests written in one go in order and answers them in order', async () => {
    const { client } = await setup();
    const c = await client();
    const ids: number[] = [];
    const frames = Array.from({ length: 20 }, (_, i) => {
      ids.push(i + 1);
      return c.frame(ApiKey.Produce, 9, request(records(i)), { correlationId: i + 1 });
    });
    c.write(frames);
    const answers = await c.waitFrames(20);
    answers.forEach((f, i) => {
      const { correlationId, body } = c.decode(f, ApiKey.Produce);
      expect(correlationId).toBe(ids[i]);
      expect(body.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: BigInt(i) });
    });
  });

  it('acks=0 answers nothing and the next request is answered; a refused acks=0 request closes the connection', async () => {
    const { ctx, client } = await setup();
    const c = await client();
    c.send(ApiKey.Produce, 9, request(records(0), 0));
    const id = c.send(ApiKey.Produce, 9, request(records(1), 1));
    const [f] = await c.waitFrames(1);
    const { correlationId, body } = c.decode(f!, ApiKey.Produce);
    expect(correlationId).toBe(id);
    expect(body.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 1n });
    const topic = (await ctx.topics.byNameOrLoad('wire'))!;
    expect((await ctx.log.offsets({ topicId: topic.id, partition: 0 })).highWatermark).toBe(2);

    c.send(ApiKey.Produce, 9, request(records(2), 0, 'missing'));
    await c.waitClosed();
    expect(c.frames).toHaveLength(1);
  });

  it('answers INVALID_REQUIRED_ACKS over the wire', async () => {
    const { client } = await setup();
    const c = await client();
    c.send(ApiKey.Produce, 11, request(records(0), 3));
    const [f] = await c.waitFrames(1);
    const { body } = c.decode(f!, ApiKey.Produce);
    expect(body.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUIRED_ACKS, baseOffset: -1n });
    expect(body.responses[0]!.partitionResponses[0]!.errorMessage).toMatch(/acks/);
  });
});
