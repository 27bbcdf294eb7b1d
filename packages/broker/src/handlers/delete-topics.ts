// DeleteTopics (key 20), versions 1-6 (v0 is gone in Kafka 4). v6 names topics by name or id.

import { ApiKey, defaultDeleteTopicsResponse, defaultDeleteTopicsResponseDeletableTopicResult, ErrorCode } from '@floe/protocol';
import { LogError } from '@floe/log';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler, type ApiHandler } from '../handler.ts';
import { accessOf } from './access.ts';
import { kafkaErrorCode } from './error-mapping.ts';
import { ZERO_UUID } from './kafka-constants.ts';

export function deleteTopicsHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.DeleteTopics> {
  return defineHandler({
    apiKey: ApiKey.DeleteTopics,
    minVersion: 1,
    maxVersion: 6,
    async handle(rc, request, header) {
      const access = accessOf(ctx, rc);
      const wanted =
        header.apiVersion >= 6
          ? request.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
          : request.topicNames.map((name) => ({ name: name as string | null, topicId: ZERO_UUID }));
      const response = defaultDeleteTopicsResponse();
      response.responses = await Promise.all(
        wanted.map(async (w) => {
          const result = { ...defaultDeleteTopicsResponseDeletableTopicResult(), name: w.name, topicId: w.topicId };
          const denied = () => Object.assign(result, { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' });
          // By name, Delete is checked before existence; by id, an unknown id is UNKNOWN_TOPIC_ID and
          // a topic the principal may not Describe keeps its name hidden (Kafka's order).
          if (w.name !== null && !access.topic('Delete', w.name)) return denied();
          const topic = w.name !== null ? await ctx.topics.byNameOrLoad(w.name) : await ctx.topics.byIdOrLoad(w.topicId);
          if (!topic) {
            result.errorCode = w.name !== null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID;
            result.errorMessage = 'no such topic';
            return result;
          }
          if (w.name === null && !access.topic('Describe', topic.name)) return denied();
          if (!access.topic('Delete', topic.name)) return denied();
          result.name = topic.name;
          result.topicId = topic.id;
          try {
            await ctx.log.deleteTopic(topic.name);
          } catch (err) {
            result.errorCode = kafkaErrorCode(err);
            result.errorMessage = err instanceof LogError ? err.message : String(err);
          }
          ctx.topics.invalidate();
          return result;
        }),
      );
      return response;
    },
  });
}
