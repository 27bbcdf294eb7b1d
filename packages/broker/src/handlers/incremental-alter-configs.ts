// IncrementalAlterConfigs (key 44), versions 0-1.
//
// Changes some configs of a TOPIC resource, leaving the others as they are:
// - SET (0) sets a value; DELETE (1) removes the topic's value (back to the default);
// - APPEND (2) and SUBTRACT (3) add values to / remove values from a list config
//   (cleanup.policy, the throttled-replicas lists), starting from the topic's value or else the
//   default; on any other config they are INVALID_CONFIG.
// The resulting set is checked like CreateTopics' configs (INVALID_CONFIG). A name given twice in
// one resource, a resource given twice, an unknown operation or a missing value (SET, APPEND,
// SUBTRACT) is INVALID_REQUEST. validateOnly checks without writing. The change is applied with
// compare-and-swap and re-applied to the fresh topic when another writer got in between.
// BROKER resources are INVALID_REQUEST: Floe's broker settings are static.

import {
  ApiKey,
  defaultIncrementalAlterConfigsResponse,
  defaultIncrementalAlterConfigsResponseAlterConfigsResourceResponse,
  ErrorCode,
  type IncrementalAlterConfigsRequestAlterableConfig,
  type IncrementalAlterConfigsResponseAlterConfigsResourceResponse,
} from '@floe/protocol';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler, type ApiHandler } from '../handler.ts';
import { TOPIC_CONFIGS } from '../topic-configs.ts';
import type { TopicInfo } from '@floe/log';
import { changeFailure, checkConfigs, duplicateResources, nonTopicRefusal, TopicChangeRefused, updateTopic, type TopicChange } from './alter-configs.ts';
import { isListTopicConfig, RESOURCE_TYPE } from './describe-configs.ts';
import { accessOf } from './access.ts';
import { configAccessRefusal } from './config-access.ts';

/** Kafka's AlterConfigOp.OpType codes. */
export const CONFIG_OPERATION = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

const listItems = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** Checks the operations of one resource before the topic is read; throws TopicChangeRefused. */
export function checkConfigOperations(ops: readonly IncrementalAlterConfigsRequestAlterableConfig[]): void {
  const seen = new Set<string>();
  for (const op of ops) {
    if (seen.has(op.name)) throw new TopicChangeRefused(ErrorCode.INVALID_REQUEST, `config "${op.name}" appears more than once`);
    seen.add(op.name);
    if (op.configOperation < CONFIG_OPERATION.SET || op.configOperation > CONFIG_OPERATION.SUBTRACT) {
      throw new TopicChangeRefused(ErrorCode.INVALID_REQUEST, `unknown config operation ${op.configOperation} for "${op.name}"`);
    }
    if (!Object.hasOwn(TOPIC_CONFIGS, op.name)) throw new TopicChangeRefused(ErrorCode.INVALID_CONFIG, `unknown topic config "${op.name}"`);
    if (op.configOperation !== CONFIG_OPERATION.DELETE && op.value === null) {
      throw new TopicChangeRefused(ErrorCode.INVALID_REQUEST, `config "${op.name}" has no value`);
    }
    if ((op.configOperation === CONFIG_OPERATION.APPEND || op.configOperation === CONFIG_OPERATION.SUBTRACT) && !isListTopicConfig(op.name)) {
      throw new TopicChangeRefused(
        ErrorCode.INVALID_CONFIG,
        `${op.configOperation === CONFIG_OPERATION.APPEND ? 'APPEND' : 'SUBTRACT'} is not allowed for "${op.name}": it is not a list config`,
      );
    }
  }
}

/** The topic's configs after the operations (checked by checkConfigOperations). */
function applyOperations(current: Record<string, string>, ops: readonly IncrementalAlterConfigsRequestAlterableConfig[]): Record<string, string> {
  const next = new Map(Object.entries(current));
  for (const op of ops) {
    const value = op.value ?? '';
    const old = () => listItems(next.get(op.name) ?? TOPIC_CONFIGS[op.name]!.default);
    switch (op.configOperation) {
      case CONFIG_OPERATION.SET:
        next.set(op.name, value);
        break;
      case CONFIG_OPERATION.DELETE:
        next.delete(op.name);
        break;
      case CONFIG_OPERATION.APPEND:
        next.set(op.name, [...new Set([...old(), ...listItems(value)])].join(','));
        break;
      case CONFIG_OPERATION.SUBTRACT: {
        const remove = new Set(listItems(value));
        next.set(op.name, old().filter((v) => !remove.has(v)).join(','));
        break;
      }
    }
  }
  return Object.fromEntries(next);
}

/**
 * The plan (for updateTopic) applying operations checked by checkConfigOperations to a topic's
 * configs; the resulting set is checked like CreateTopics' configs (INVALID_CONFIG).
 */
export function configChange(ops: readonly IncrementalAlterConfigsRequestAlterableConfig[]): (topic: TopicInfo) => TopicChange {
  return (topic) => {
    const configs = applyOperations(topic.configs, ops);
    const problem = checkConfigs(configs);
    if (problem) throw new TopicChangeRefused(ErrorCode.INVALID_CONFIG, problem);
    return { configs };
  };
}

export function incrementalAlterConfigsHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.IncrementalAlterConfigs> {
  return defineHandler({
    apiKey: ApiKey.IncrementalAlterConfigs,
    minVersion: 0,
    maxVersion: 1,
    async handle(rc, request) {
      const access = accessOf(ctx, rc);
      const duplicates = duplicateResources(request.resources);
      const response = defaultIncrementalAlterConfigsResponse();
      response.responses = await Promise.all(
        request.resources.map(async (resource): Promise<IncrementalAlterConfigsResponseAlterConfigsResourceResponse> => {
          const result: IncrementalAlterConfigsResponseAlterConfigsResourceResponse = {
            ...defaultIncrementalAlterConfigsResponseAlterConfigsResourceResponse(),
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
            checkConfigOperations(resource.configs);
            await updateTopic(ctx, resource.resourceName, request.validateOnly, configChange(resource.configs));
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
