// The ACL checks of the config APIs (DescribeConfigs, AlterConfigs, IncrementalAlterConfigs).
import { ErrorCode } from '@floe/protocol';
import type { Access } from './access.ts';
import { TopicChangeRefused } from './alter-configs.ts';
import { RESOURCE_TYPE } from './describe-configs.ts';

/**
 * The refusal of a config resource the principal may not describe or alter: topics need the
 * operation on the topic (TOPIC_AUTHORIZATION_FAILED), brokers and broker loggers on the
 * cluster (CLUSTER_AUTHORIZATION_FAILED), as Kafka checks them. Other types are refused later.
 */
export function configAccessRefusal(access: Access, operation: 'AlterConfigs' | 'DescribeConfigs', resourceType: number, name: string): TopicChangeRefused | undefined {
  if (resourceType === RESOURCE_TYPE.TOPIC && !access.topic(operation, name)) return new TopicChangeRefused(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
  if ((resourceType === RESOURCE_TYPE.BROKER || resourceType === RESOURCE_TYPE.BROKER_LOGGER) && !access.cluster(operation)) {
    return new TopicChangeRefused(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Authorization failed.');
  }
  return undefined;
}
