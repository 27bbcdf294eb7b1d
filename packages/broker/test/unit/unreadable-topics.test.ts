// Requests that name a topic while the coordination table cannot be read (found by the long chaos
// run: DynamoDB Local killed): each answers a retriable error for that topic instead of failing
// the request, which closed the connection with an error line.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ApiKey,
  defaultListOffsetsRequest,
  defaultListOffsetsRequestListOffsetsPartition,
  defaultListOffsetsRequestListOffsetsTopic,
  defaultOffsetCommitRequest,
  defaultOffsetCommitRequestPartition,
  defaultOffsetCommitRequestTopic,
  defaultOffsetForLeaderEpochRequest,
  defaultOffsetForLeaderEpochRequestOffsetForLeaderPartition,
  defaultOffsetForLeaderEpochRequestOffsetForLeaderTopic,
  encodeResponse,
  ErrorCode,
  type ListOffsetsResponse,
  type OffsetCommitResponse,
  type OffsetForLeaderEpochResponse,
  type RequestHeader,
} from '@floe/protocol';
import type { BrokerContext } from '../../src/broker-context.ts';
import { offsetCommitHandler } from '../../src/handlers/groups/offset-commit.ts';
import { listOffsetsHandler } from '../../src/handlers/list-offsets.ts';
import { offsetForLeaderEpochHandler } from '../../src/handlers/offset-for-leader-epoch.ts';
import { makeBrokerContext, type TestBroker } from '../support/broker-context.ts';
import { testRequestContext } from '../support/listener.ts';

const header = (apiKey: number, apiVersion: number): RequestHeader => ({ apiKey, apiVersion, correlationId: 1, clientId: 't', taggedFields: [] });

describe('a topic that cannot be looked up', () => {
  let b: TestBroker;
  let unreadable: BrokerContext;
  beforeAll(async () => {
    b = await makeBrokerContext();
    await b.ctx.log.topics.create('orders', 2, {});
    const unreachable = () => Promise.reject(new Error('query topics: connect ECONNREFUSED'));
    unreadable = { ...b.ctx, topics: { byNameOrLoad: unreachable, byIdOrLoad: unreachable, all: unreachable } } as unknown as BrokerContext;
  });
  afterAll(async () => b.close());

  it('OffsetForLeaderEpoch answers KAFKA_STORAGE_ERROR for its partitions', async () => {
    const request = {
      ...defaultOffsetForLeaderEpochRequest(),
      replicaId: -1,
      topics: [
        {
          ...defaultOffsetForLeaderEpochRequestOffsetForLeaderTopic(),
          topic: 'orders',
          partitions: [0, 1].map((partition) => ({ ...defaultOffsetForLeaderEpochRequestOffsetForLeaderPartition(), partition, leaderEpoch: 0 })),
        },
      ],
    };
    const answer = (await offsetForLeaderEpochHandler(unreadable).handle(testRequestContext(), request, header(ApiKey.OffsetForLeaderEpoch, 4))) as OffsetForLeaderEpochResponse;
    expect(answer.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.KAFKA_STORAGE_ERROR]);
    expect(() => encodeResponse(ApiKey.OffsetForLeaderEpoch, 4, 1, answer)).not.toThrow();
  });

  it('ListOffsets answers KAFKA_STORAGE_ERROR for its partitions', async () => {
    const request = {
      ...defaultListOffsetsRequest(),
      replicaId: -1,
      topics: [{ ...defaultListOffsetsRequestListOffsetsTopic(), name: 'orders', partitions: [{ ...defaultListOffsetsRequestListOffsetsPartition(), partitionIndex: 1, timestamp: -1n }] }],
    };
    const answer = (await listOffsetsHandler(unreadable).handle(testRequestContext(), request, header(ApiKey.ListOffsets, 7))) as ListOffsetsResponse;
    expect(answer.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(() => encodeResponse(ApiKey.ListOffsets, 7, 1, answer)).not.toThrow();
  });

  it('OffsetCommit answers COORDINATOR_NOT_AVAILABLE for its partitions and commits nothing', async () => {
    const request = {
      ...defaultOffsetCommitRequest(),
      groupId: 'g',
      generationIdOrMemberEpoch: -1,
      topics: [{ ...defaultOffsetCommitRequestTopic(), name: 'orders', partitions: [{ ...defaultOffsetCommitRequestPartition(), partitionIndex: 0, committedOffset: 5n }] }],
    };
    const answer = (await offsetCommitHandler(unreadable).handle(testRequestContext(), request, header(ApiKey.OffsetCommit, 8))) as OffsetCommitResponse;
    expect(answer.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(() => encodeResponse(ApiKey.OffsetCommit, 8, 1, answer)).not.toThrow();
    expect(await b.ctx.groups.fetchOffsets('g')).toEqual([]);
    // The same commit with the table readable is stored.
    const stored = (await offsetCommitHandler(b.ctx).handle(testRequestContext(), request, header(ApiKey.OffsetCommit, 8))) as OffsetCommitResponse;
    expect(stored.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    expect((await b.ctx.groups.fetchOffsets('g')).map((o) => o.offset)).toEqual([5n]);
  });
});
