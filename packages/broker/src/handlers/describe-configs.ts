// DescribeConfigs (key 32), versions 1-4 (Kafka 4 no longer serves v0, KIP-896).
//
// TOPIC resources list every topic config Floe knows (topic-configs.ts), or the requested keys
// among them: the value set on the topic (DYNAMIC_TOPIC_CONFIG) or the default (DEFAULT_CONFIG).
// BROKER resources describe this node's few settings, read-only: Floe's broker settings are
// fixed at startup. As in Kafka, the resource name is this node's id, or "" for the cluster-wide
// dynamic defaults, of which Floe has none (an empty list); another node's id is INVALID_REQUEST.
// Other resource types (BROKER_LOGGER, CLIENT_METRICS, GROUP) are INVALID_REQUEST.

import {
  ApiKey,
  defaultDescribeConfigsResponse,
  defaultDescribeConfigsResponseDescribeConfigsResourceResult,
  defaultDescribeConfigsResponseDescribeConfigsResult,
  ErrorCode,
  type DescribeConfigsRequestDescribeConfigsResource,
  type DescribeConfigsResponseDescribeConfigsResourceResult,
  type DescribeConfigsResponseDescribeConfigsResult,
} from '@floe/protocol';
import { checkTopicName, LogError } from '@floe/log';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler, type ApiHandler } from '../handler.ts';
import { TOPIC_CONFIGS } from '../topic-configs.ts';
import { accessOf } from './access.ts';
import { configAccessRefusal } from './config-access.ts';
import { kafkaErrorCode } from './error-mapping.ts';

/** Kafka's ConfigResource.Type codes. */
export const RESOURCE_TYPE = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, CLIENT_METRICS: 16, GROUP: 32 } as const;

/** Kafka's ConfigSource codes (DescribeConfigs v1+). */
export const CONFIG_SOURCE = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;

/** Kafka's ConfigType codes (DescribeConfigs v3+). */
export const CONFIG_TYPE = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, DOUBLE: 6, LIST: 7 } as const;

/** The type Kafka gives each topic config; names missing here are LONG. */
const TOPIC_CONFIG_TYPES: Readonly<Record<string, number>> = {
  'cleanup.policy': CONFIG_TYPE.LIST,
  'compression.type': CONFIG_TYPE.STRING,
  'follower.replication.throttled.replicas': CONFIG_TYPE.LIST,
  'index.interval.bytes': CONFIG_TYPE.INT,
  'leader.replication.throttled.replicas': CONFIG_TYPE.LIST,
  'max.message.bytes': CONFIG_TYPE.INT,
  'message.timestamp.type': CONFIG_TYPE.STRING,
  'min.cleanable.dirty.ratio': CONFIG_TYPE.DOUBLE,
  'min.insync.replicas': CONFIG_TYPE.INT,
  preallocate: CONFIG_TYPE.BOOLEAN,
  'remote.storage.enable': CONFIG_TYPE.BOOLEAN,
  'segment.bytes': CONFIG_TYPE.INT,
  'segment.index.bytes': CONFIG_TYPE.INT,
  'unclean.leader.election.enable': CONFIG_TYPE.BOOLEAN,
};

/** Kafka's ConfigType of a topic config. */
export function topicConfigType(name: string): number {
  return TOPIC_CONFIG_TYPES[name] ?? CONFIG_TYPE.LONG;
}

/** The topic configs whose values are comma-separated lists (IncrementalAlterConfigs APPEND/SUBTRACT). */
export function isListTopicConfig(name: string): boolean {
  return topicConfigType(name) === CONFIG_TYPE.LIST;
}

interface BrokerConfig {
  value: string;
  type: number;
  source: number;
}

function brokerConfigs(ctx: BrokerContext): Record<string, BrokerConfig> {
  const s = ctx.settings;
  return {
    'auto.create.topics.enable': { value: String(s.autoCreateTopics), type: CONFIG_TYPE.BOOLEAN, source: CONFIG_SOURCE.STATIC_BROKER_CONFIG },
    'log.retention.ms': { value: TOPIC_CONFIGS['retention.ms']!.default, type: CONFIG_TYPE.LONG, source: CONFIG_SOURCE.DEFAULT_CONFIG },
    'message.max.bytes': { value: String(s.maxMessageBytes), type: CONFIG_TYPE.INT, source: CONFIG_SOURCE.STATIC_BROKER_CONFIG },
    'num.partitions': { value: String(s.defaultPartitions), type: CONFIG_TYPE.INT, source: CONFIG_SOURCE.STATIC_BROKER_CONFIG },
  };
}

function wanted(resource: DescribeConfigsRequestDescribeConfigsResource): (name: string) => boolean {
  const keys = resource.configurationKeys;
  if (keys === null || keys.length === 0) return () => true;
  const set = new Set(keys);
  return (name) => set.has(name);
}

export function describeConfigsHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.DescribeConfigs> {
  return defineHandler({
    apiKey: ApiKey.DescribeConfigs,
    minVersion: 1,
    maxVersion: 4,
    async handle(rc, request) {
      const access = accessOf(ctx, rc);
      const entry = (name: string, value: string, source: number, type: number, readOnly: boolean, setValue?: string) => {
        const e: DescribeConfigsResponseDescribeConfigsResourceResult = {
          ...defaultDescribeConfigsResponseDescribeConfigsResourceResult(),
          name,
          value: setValue ?? value,
          readOnly,
          // isDefault exists in v0 only (not served); configSource says it from v1 on.
          isDefault: false,
          configSource: source,
          isSensitive: false,
          configType: type,
          documentation: null,
          synonyms: [],
        };
        if (request.includeSynonyms) {
          if (setValue !== undefined) e.synonyms.push({ name, value: setValue, source });
          e.synonyms.push({ name, value, source: setValue !== undefined ? CONFIG_SOURCE.DEFAULT_CONFIG : source });
        }
        return e;
      };

      const describeTopic = async (resource: DescribeConfigsRequestDescribeConfigsResource, result: DescribeConfigsResponseDescribeConfigsResult) => {
        checkTopicName(resource.resourceName);
        const topic = await ctx.log.topics.get(resource.resourceName);
        if (!topic) {
          result.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          result.errorMessage = `topic "${resource.resourceName}" does not exist`;
          return;
        }
        const include = wanted(resource);
        for (const [name, def] of Object.entries(TOPIC_CONFIGS)) {
          if (!include(name)) continue;
          const set = topic.configs[name];
          result.configs.push(
            set === undefined
              ? entry(name, def.default, CONFIG_SOURCE.DEFAULT_CONFIG, topicConfigType(name), false)
              : entry(name, def.default, CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG, topicConfigType(name), false, set),
          );
        }
      };

      const describeBroker = (resource: DescribeConfigsRequestDescribeConfigsResource, result: DescribeConfigsResponseDescribeConfigsResult) => {
        // "" names the cluster-wide dynamic broker defaults: Floe has none.
        if (resource.resourceName === '') return;
        if (resource.resourceName !== String(ctx.self.nodeId)) {
          result.errorCode = ErrorCode.INVALID_REQUEST;
          result.errorMessage = `unexpected broker id, expected ${ctx.self.nodeId} or empty string, but received "${resource.resourceName}"`;
          return;
        }
        const include = wanted(resource);
        for (const [name, c] of Object.entries(brokerConfigs(ctx))) {
          if (include(name)) result.configs.push(entry(name, c.value, c.source, c.type, true));
        }
      };

      const response = defaultDescribeConfigsResponse();
      response.results = await Promise.all(
        request.resources.map(async (resource): Promise<DescribeConfigsResponseDescribeConfigsResult> => {
          const result: DescribeConfigsResponseDescribeConfigsResult = {
            ...defaultDescribeConfigsResponseDescribeConfigsResult(),
            errorMessage: null,
            resourceType: resource.resourceType,
            resourceName: resource.resourceName,
            configs: [],
          };
          const denied = configAccessRefusal(access, 'DescribeConfigs', resource.resourceType, resource.resourceName);
          if (denied) return { ...result, errorCode: denied.code, errorMessage: denied.message };
          try {
            if (resource.resourceType === RESOURCE_TYPE.TOPIC) await describeTopic(resource, result);
            else if (resource.resourceType === RESOURCE_TYPE.BROKER) describeBroker(resource, result);
            else {
              result.errorCode = ErrorCode.INVALID_REQUEST;
              result.errorMessage = `unsupported resource type ${resource.resourceType}: Floe describes configs of topics (2) and brokers (4)`;
            }
          } catch (err) {
            result.configs = [];
            if (err instanceof LogError && err.kind === 'invalid-config') {
              result.errorCode = ErrorCode.INVALID_TOPIC_EXCEPTION;
            } else {
              result.errorCode = kafkaErrorCode(err);
            }
            result.errorMessage = err instanceof Error ? err.message : String(err);
          }
          if (result.errorCode !== ErrorCode.NONE) result.configs = [];
          return result;
        }),
      );
      return response;
    },
  });
}
