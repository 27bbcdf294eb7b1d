// DescribeProducers (key 61), version 0: the idempotent producers a partition remembers.
//
// Per requested partition, as Kafka's leader answers:
// - Unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION with its message.
// - Otherwise every producer the partition's state holds (read fresh from the journal): its id,
//   epoch, last sequence, and the max timestamp of its last batch (-1 when none is remembered).
//   coordinatorEpoch -1 and currentTxnStartOffset -1: Floe has no transactions yet.
// - Partitions are answered in request order, each as often as it is named; topics too.

import {
  ApiKey,
  defaultDescribeProducersResponse,
  defaultDescribeProducersResponsePartitionResponse,
  defaultDescribeProducersResponseProducerState,
  defaultDescribeProducersResponseTopicResponse,
  ErrorCode,
  type DescribeProducersResponsePartitionResponse,
  type DescribeProducersResponseProducerState,
} from '@floe/protocol';
import type { PartitionRef } from '@floe/log';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler, type ApiHandler } from '../handler.ts';
import { accessOf } from './access.ts';
import { kafkaErrorCode } from './error-mapping.ts';

export function describeProducersHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.DescribeProducers> {
  /** The producers of `ref`, from its shard's replayed journal state, refreshed first. */
  const producers = async (ref: PartitionRef): Promise<DescribeProducersResponseProducerState[]> => {
    return (await ctx.log.producers(ref)).map((p) => ({
      ...defaultDescribeProducersResponseProducerState(),
      producerId: BigInt(p.id),
      producerEpoch: p.epoch,
      lastSequence: p.lastSequence,
      lastTimestamp: BigInt(p.lastTimestamp),
      coordinatorEpoch: -1,
      currentTxnStartOffset: -1n,
    }));
  };

  return defineHandler({
    apiKey: ApiKey.DescribeProducers,
    minVersion: 0,
    maxVersion: 0,
    async handle(rc, request) {
      const access = accessOf(ctx, rc);
      const response = defaultDescribeProducersResponse();
      response.topics = await Promise.all(
        request.topics.map(async (t) => {
          // Read on the topic, checked before its existence (Kafka's order).
          const allowed = access.topic('Read', t.name);
          const topic = allowed ? await ctx.topics.byNameOrLoad(t.name) : undefined;
          const partitions = await Promise.all(
            t.partitionIndexes.map(async (partitionIndex): Promise<DescribeProducersResponsePartitionResponse> => {
              const out = { ...defaultDescribeProducersResponsePartitionResponse(), partitionIndex };
              if (!allowed) {
                out.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
                return out;
              }
              if (!topic || partitionIndex < 0 || partitionIndex >= topic.partitions) {
                out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
                out.errorMessage = 'This server does not host this topic-partition.';
                return out;
              }
              try {
                out.activeProducers = await producers({ topicId: topic.id, partition: partitionIndex });
              } catch (err) {
                out.errorCode = kafkaErrorCode(err);
              }
              return out;
            }),
          );
          return { ...defaultDescribeProducersResponseTopicResponse(), name: t.name, partitions };
        }),
      );
      return response;
    },
  });
}
