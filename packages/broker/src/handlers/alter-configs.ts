// AlterConfigs (key 33), versions 0-2.
//
// For a TOPIC resource the given configs replace the topic's whole set of dynamic configs (names
// left out return to their defaults), after the same checks CreateTopics applies: unknown names
// and invalid values are INVALID_CONFIG. A name given twice in one resource, or a resource given
// twice in one request, is INVALID_REQUEST. validateOnly checks without writing.
// BROKER resources are INVALID_REQUEST: Floe's broker settings are static (fixed when the node
// starts), nothing about a broker can be changed at runtime. Other resource types likewise.
//
// The topic is read and written with the topic store's compare-and-swap; when another writer got
// in between, the change is re-applied to the fresh topic (updateTopic below, shared with
// IncrementalAlterConfigs and CreatePartitions).

import {
  ApiKey,
  defaultAlterConfigsResponse,
  defaultAlterConfigsResponseAlterConfigsResourceResponse,
  ErrorCode,
  type AlterConfigsResponseAlterConfigsResourceResponse,
} from '@floe/protocol';
import { checkTopicName, LogError, type TopicInfo } from '@floe/log';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler, type ApiHandler } from '../handler.ts';
import { checkTopicConfigs, TOPIC_CONFIGS } from '../topic-configs.ts';
import { RESOURCE_TYPE } from './describe-configs.ts';
import { accessOf } from './access.ts';
import { configAccessRefusal } from './config-access.ts';
import { kafkaErrorCode } from './error-mapping.ts';

/** A change refused with a Kafka error code, thrown by a plan passed to updateTopic. */
export class TopicChangeRefused extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = 'TopicChangeRefused';
    this.code = code;
  }
}

/** How often updateTopic tries to write before it reports the conflict. */
export const TOPIC_UPDATE_ATTEMPTS = 5;

export type TopicChange = Partial<Pick<TopicInfo, 'partitions' | 'configs'>>;

/**
 * Reads the topic (consistently), asks `plan` for the change and writes it if nobody changed the
 * topic meanwhile; on a conflict re-reads and asks `plan` again, up to TOPIC_UPDATE_ATTEMPTS
 * times. With `validateOnly` nothing is written. An unknown topic, and whatever `plan` refuses,
 * throw TopicChangeRefused; failures of the store throw LogError.
 */
export async function updateTopic(ctx: BrokerContext, name: string, validateOnly: boolean, plan: (topic: TopicInfo) => TopicChange): Promise<void> {
  try {
    checkTopicName(name);
  } catch (err) {
    throw new TopicChangeRefused(ErrorCode.INVALID_TOPIC_EXCEPTION, (err as Error).message);
  }
  for (let attempt = 1; ; attempt++) {
    const topic = await ctx.log.topics.get(name);
    if (!topic) throw new TopicChangeRefused(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`);
    const change = plan(topic);
    if (validateOnly) return;
    try {
      await ctx.log.topics.update(topic, change);
      ctx.topics.invalidate();
      return;
    } catch (err) {
      if (!(err instanceof LogError && err.kind === 'unavailable') || attempt >= TOPIC_UPDATE_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 10));
    }
  }
}

/** The error code and message of what updateTopic (or a plan) threw. */
export function changeFailure(err: unknown): { code: number; message: string } {
  if (err instanceof TopicChangeRefused) return { code: err.code, message: err.message };
  return { code: kafkaErrorCode(err), message: err instanceof Error ? err.message : String(err) };
}

/** checkTopicConfigs, also refusing names that are not TOPIC_CONFIGS' own (such as "__proto__"). */
export function checkConfigs(configs: Record<string, string | null>): string | undefined {
  for (const name of Object.keys(configs)) {
    if (!Object.hasOwn(TOPIC_CONFIGS, name)) return `unknown topic config "${name}"`;
  }
  return checkTopicConfigs(configs);
}

/** "type/name" keys of the resources a request names more than once. */
export function duplicateResources(resources: readonly { resourceType: number; resourceName: string }[]): Set<string> {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const r of resources) {
    const key = `${r.resourceType}/${r.resourceName}`;
    if (seen.has(key)) dup.add(key);
    seen.add(key);
  }
  return dup;
}

/** The refusal of a resource that is not a topic (Floe alters topic configs only). */
export function nonTopicRefusal(resourceType: number): TopicChangeRefused {
  if (resourceType === RESOURCE_TYPE.BROKER) {
    return new TopicChangeRefused(
      ErrorCode.INVALID_REQUEST,
      "Floe's broker settings are static: they are set when the node starts and cannot be altered at runtime",
    );
  }
  return new TopicChangeRefused(ErrorCode.INVALID_REQUEST, `unsupported resource type ${resourceType}: Floe alters configs of topics (2) only`);
}

export function alterConfigsHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.AlterConfigs> {
  return defineHandler({
    apiKey: ApiKey.AlterConfigs,
    minVersion: 0,
    maxVersion: 2,
    async handle(rc, request) {
      const access = accessOf(ctx, rc);
      const duplicates = duplicateResources(request.resources);
      const response = defaultAlterConfigsResponse();
      response.responses = await Promise.all(
        request.resources.map(async (resource): Promise<AlterConfigsResponseAlterConfigsResourceResponse> => {
          const result: AlterConfigsResponseAlterConfigsResourceResponse = {
            ...defaultAlterConfigsResponseAlterConfigsResourceResponse(),
            errorMessage: null,
            resourceType: resource.resourceType,
            resourceName: resource.resourceName,
          };
          try {
            if (duplicates.has(`${resource.resourceType}/${resource.resourceName}`)) {
              throw new TopicChangeRefused(ErrorCode.INVALID_REQUEST, `resource "${resource.resourceName}" appears more than once`);
            }
            const denied = configAccessRefusal(access, 'AlterConfigs', resource.resourceType, resource.resourceName);
            if (denied) throw denied;
            if (resource.resourceType !== RESOURCE_TYPE.TOPIC) throw nonTopicRefusal(resource.resourceType);
            const given = new Map<string, string | null>();
            for (const c of resource.configs) {
              if (given.has(c.name)) throw new TopicChangeRefused(ErrorCode.INVALID_REQUEST, `config "${c.name}" appears more than once`);
              given.set(c.name, c.value);
            }
            const configs = Object.fromEntries(given);
            const problem = checkConfigs(configs);
            if (problem) throw new TopicChangeRefused(ErrorCode.INVALID_CONFIG, problem);
            await updateTopic(ctx, resource.resourceName, request.validateOnly, () => ({ configs: configs as Record<string, string> }));
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
