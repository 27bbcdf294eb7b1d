import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ApiKey,
  decodeRequest,
  decodeResponse,
  defaultDescribeLogDirsRequest,
  encodeRequest,
  encodeResponse,
  type DescribeLogDirsRequest,
  type DescribeLogDirsResponse,
} from '@floe/protocol';
import type { TopicInfo } from '@floe/log';
import type { BrokerContext } from '../../src/broker-context.ts';
import { describeLogDirsHandler } from '../../src/handlers/describe-log-dirs.ts';
import { makeBrokerContext, type TestBroker } from '../support/broker-context.ts';
import { testRequestContext } from '../support/listener.ts';

async function describeAt(ctx: BrokerContext, version: number, request: DescribeLogDirsRequest): Promise<DescribeLogDirsResponse> {
  const decoded = decodeRequest(
    encodeRequest({ apiKey: ApiKey.DescribeLogDirs, apiVersion: version, correlationId: 2 }, request).subarray(4),
  );
  if (decoded.apiKey !== ApiKey.DescribeLogDirs) throw new Error('not DescribeLogDirs');
  const rc = testRequestContext();
  const answer = await describeLogDirsHandler(ctx).handle(rc, decoded.body, decoded.header);
  if (typeof answer === 'symbol') throw new Error('no answer');
  return decodeResponse(ApiKey.DescribeLogDirs, version, encodeResponse(ApiKey.DescribeLogDirs, version, 2, answer).subarray(4)).body;
}

/** Each partition as "topic/partition=size". */
function brief(r: DescribeLogDirsResponse): string[] {
  return r.results[0]!.topics.flatMap((t) => t.partitions.map((p) => `${t.name}/${p.partitionIndex}=${p.partitionSize}`));
}

describe('DescribeLogDirs handler', () => {
  let broker: TestBroker;
  let ctx: BrokerContext;
  let events: TopicInfo;

  beforeEach(async () => {
    broker = await makeBrokerContext();
    ctx = broker.ctx;
    events = await ctx.log.topics.create('events', 2, {});
    await ctx.log.topics.create('alpha', 1, {});
    ctx.topics.invalidate();
    const ref = { topicId: events.id, partition: 1 };
    await ctx.log.append(ref, { offsetCount: 2, recordCount: 2, maxTimestamp: 1 }, Buffer.alloc(100));
    await ctx.log.append(ref, { offsetCount: 3, recordCount: 3, maxTimestamp: 2 }, Buffer.alloc(50));
  });
  afterEach(async () => {
    await broker.close();
  });

  it('declares versions 1-4', () => {
    const h = describeLogDirsHandler(ctx);
    expect([h.apiKey, h.minVersion, h.maxVersion]).toEqual([35, 1, 4]);
  });

  it.each([1, 2, 3, 4])('answers one log dir with every topic when none is named (v%i)', async (version) => {
    const r = await describeAt(ctx, version, { ...defaultDescribeLogDirsRequest(), topics: null });
    expect(r.errorCode).toBe(0);
    expect(r.results).toHaveLength(1);
    const dir = r.results[0]!;
    expect([dir.errorCode, dir.logDir]).toEqual([0, 'object-store']);
    if (version >= 4) expect([dir.totalBytes, dir.usableBytes]).toEqual([-1n, -1n]);
    expect(brief(r)).toEqual(['alpha/0=0', 'events/0=0', 'events/1=150']);
    expect(dir.topics[1]!.partitions[1]).toMatchObject({ offsetLag: 0n, isFutureKey: false });
  });

  it('answers the named partitions, leaving out unknown ones, and counts retained bytes only', async () => {
    await ctx.log.deleteRecords({ topicId: events.id, partition: 1 }, 2);
    const r = await describeAt(ctx, 3, {
      topics: [
        { topic: 'events', partitions: [1, 7] },
        { topic: 'nope', partitions: [0] },
        { topic: 'events', partitions: [1, 0] },
      ],
    });
    expect(brief(r)).toEqual(['events/1=50', 'events/0=0']);
  });
});
