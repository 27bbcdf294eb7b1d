// CreatePartitions (key 37), versions 0-3.
//
// Raises a topic's partition count. A count at or below the current one, or above
// MAX_PARTITIONS, is INVALID_PARTITIONS; a topic named twice in one request is INVALID_REQUEST.
// Partitions are independent of nodes, so replica assignments only have to match the increase
// (one per new partition, else INVALID_REPLICA_ASSIGNMENT) and are otherwise ignored; an empty
// list counts as none given. validateOnly checks without writing. The new count is written with
// compare-and-swap and re-checked against the fresh topic when another writer got in between.

import {
  ApiKey,
  defaultCreatePartitionsResponse,
  defaultCreatePartitionsResponseCreatePartitionsTopicResult,
  ErrorCode,
  type CreatePartitionsResponseCreatePartitionsTopicResult,
} from '@floe/protocol';
import { MAX_PARTITIONS, type TopicInfo } from '@floe/log';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler, type ApiHandler } from '../handler.ts';
import { accessOf } from './access.ts';
import { changeFailure, TopicChangeRefused, updateTopic, type TopicChange } from './alter-configs.ts';

/** A requested partition count above what any topic may have is INVALID_PARTITIONS (thrown as TopicChangeRefused). */
export function checkPartitionCount(count: number): void {
  if (!Number.isInteger(count) || count > MAX_PARTITIONS) {
    throw new TopicChangeRefused(ErrorCode.INVALID_PARTITIONS, `the number of partitions must be at most ${MAX_PARTITIONS}, got ${count}`);
  }
}

/** The change raising `topic` to `count` partitions: a count that does not grow is INVALID_PARTITIONS. */
export function partitionIncrease(topic: TopicInfo, count: number): TopicChange {
  if (count < topic.partitions) {
    throw new TopicChangeRefused(ErrorCode.INVALID_PARTITIONS, `topic "${topic.name}" has ${topic.partitions} partitions, more than the requested ${count}`);
  }
  if (count === topic.partitions) {
    throw new TopicChangeRefused(ErrorCode.INVALID_PARTITIONS, `topic "${topic.name}" already has ${topic.partitions} partitions`);
  }
  return { partitions: count };
}

export function createPartitionsHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.CreatePartitions> {
  return defineHandler({
    apiKey: ApiKey.CreatePartitions,
    minVersion: 0,
    maxVersion: 3,
    async handle(rc, request) {
      const access = accessOf(ctx, rc);
      const seen = new Map<string, number>();
      for (const t of request.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
      const response = defaultCreatePartitionsResponse();
      response.results = await Promise.all(
        request.topics.map(async (t): Promise<CreatePartitionsResponseCreatePartitionsTopicResult> => {
          const result: CreatePartitionsResponseCreatePartitionsTopicResult = {
            ...defaultCreatePartitionsResponseCreatePartitionsTopicResult(),
            name: t.name,
            errorMessage: null,
          };
          try {
            if ((seen.get(t.name) ?? 0) > 1) throw new TopicChangeRefused(ErrorCode.INVALID_REQUEST, `topic "${t.name}" appears more than once`);
            // Alter on the topic, else TOPIC_AUTHORIZATION_FAILED whether it exists or not.
            if (!access.topic('Alter', t.name)) throw new TopicChangeRefused(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
            checkPartitionCount(t.count);
            await updateTopic(ctx, t.name, request.validateOnly, (topic) => {
              const change = partitionIncrease(topic, t.count);
              const increase = t.count - topic.partitions;
              if (t.assignments !== null && t.assignments.length > 0 && t.assignments.length !== increase) {
                throw new TopicChangeRefused(
                  ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                  `increasing the number of partitions by ${increase} but ${t.assignments.length} assignments provided`,
                );
              }
              return change;
            });
          } catch (err) {
            const { code, message } = changeFailure(err);
            result.errorCode = code;
            result.errorMessage = message;
          }
          return result;
        }),
      );
      return response;
    },
  });
}
