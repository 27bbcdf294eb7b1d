// CreateTopics (key 19), versions 2-7 (Kafka 4 serves these; v0-1 are gone, KIP-896).
// Replication is the object store's job, so any replication factor the request names (-1 or
// ≥ 1) is accepted and reported back; partitions are independent of nodes, so manual replica
// assignments only fix the partition count.

import {
  ApiKey,
  defaultCreateTopicsResponse,
  defaultCreateTopicsResponseCreatableTopicConfigs,
  defaultCreateTopicsResponseCreatableTopicResult,
  ErrorCode,
  type CreateTopicsResponseCreatableTopicResult,
} from '@floe/protocol';
import { checkTopicName, LogError, MAX_PARTITIONS } from '@floe/log';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler, type ApiHandler } from '../handler.ts';
import { checkTopicConfigs, TOPIC_CONFIGS } from '../topic-configs.ts';
import { accessOf } from './access.ts';
import { kafkaErrorCode } from './error-mapping.ts';

const DYNAMIC_TOPIC_CONFIG = 1;
const DEFAULT_CONFIG = 5;

export function createTopicsHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.CreateTopics> {
  return defineHandler({
    apiKey: ApiKey.CreateTopics,
    minVersion: 2,
    maxVersion: 7,
    async handle(rc, request) {
      const response = defaultCreateTopicsResponse();
      // Create on the cluster allows every topic; otherwise Create on each topic (else TOPIC_AUTHORIZATION_FAILED).
      const access = accessOf(ctx, rc);
      const clusterCreate = access.cluster('Create');
      const seen = new Map<string, number>();
      for (const t of request.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
      response.topics = await Promise.all(
        request.topics.map(async (t): Promise<CreateTopicsResponseCreatableTopicResult> => {
          const result: CreateTopicsResponseCreatableTopicResult = {
            ...defaultCreateTopicsResponseCreatableTopicResult(),
            name: t.name,
            numPartitions: -1,
            replicationFactor: -1,
            configs: null,
          };
          const fail = (errorCode: number, errorMessage: string) => {
            result.errorCode = errorCode;
            result.errorMessage = errorMessage;
            return result;
          };
          if ((seen.get(t.name) ?? 0) > 1) return fail(ErrorCode.INVALID_REQUEST, `topic "${t.name}" appears more than once`);
          try {
            checkTopicName(t.name);
          } catch (err) {
            return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, (err as Error).message);
          }
          if (!clusterCreate && !access.topic('Create', t.name)) return fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
          if (t.assignments.length > 0 && (t.numPartitions !== -1 || t.replicationFactor !== -1)) {
            return fail(ErrorCode.INVALID_REQUEST, 'set either replica assignments or numPartitions/replicationFactor, not both');
          }
          const partitions = t.assignments.length > 0 ? t.assignments.length : t.numPartitions === -1 ? ctx.settings.defaultPartitions : t.numPartitions;
          if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
            return fail(ErrorCode.INVALID_PARTITIONS, `the number of partitions must be 1-${MAX_PARTITIONS}, got ${t.numPartitions}`);
          }
          if (t.replicationFactor === 0 || t.replicationFactor < -1) {
            return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor must be -1 or at least 1, got ${t.replicationFactor}`);
          }
          const configs: Record<string, string | null> = {};
          for (const c of t.configs) configs[c.name] = c.value;
          const problem = checkTopicConfigs(configs);
          if (problem) return fail(ErrorCode.INVALID_CONFIG, problem);
          const values = configs as Record<string, string>;
          try {
            if (request.validateOnly) {
              if (await ctx.topics.byNameOrLoad(t.name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `topic "${t.name}" already exists`);
            } else {
              const created = await ctx.log.topics.create(t.name, partitions, values);
              result.topicId = created.id;
              ctx.topics.invalidate();
            }
          } catch (err) {
            return fail(kafkaErrorCode(err), err instanceof LogError ? err.message : String(err));
          }
          result.numPartitions = partitions;
          result.replicationFactor = t.replicationFactor === -1 ? 1 : t.replicationFactor;
          result.configs = Object.entries(TOPIC_CONFIGS).map(([name, def]) => ({
            ...defaultCreateTopicsResponseCreatableTopicConfigs(),
            name,
            value: values[name] ?? def.default,
            configSource: name in values ? DYNAMIC_TOPIC_CONFIG : DEFAULT_CONFIG,
          }));
          return result;
        }),
      );
      return response;
    },
  });
}
