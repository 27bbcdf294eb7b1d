export {
  CLOSE_CONNECTION,
  NO_RESPONSE,
  defineHandler,
  type ApiHandler,
  type ApiKeyNumber,
  type CloseConnection,
  type HandlerResult,
  type NoResponse,
  type RequestContext,
} from './handler.ts';
export { HandlerRegistry, createRegistry, type ApiVersionRange } from './registry.ts';
export { apiVersionsHandler, unsupportedApiVersionsAnswer, type ApiVersionsSource } from './handlers/api-versions.ts';
export {
  KafkaListener,
  startKafkaListener,
  DEFAULT_DRAIN_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_LINGER_MS,
  DEFAULT_MAX_FIRST_REQUEST_BYTES,
  DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_SLOW_REQUEST_MS,
  type CloseOptions,
  type KafkaListenerOptions,
} from './listener.ts';
export type { ConnectionInfo, ConnectionState, RequestEvent } from './connection.ts';
export { silentLogger, type LogFields, type Logger } from './logger.ts';
export type { AuditMode, BrokerAcls, BrokerContext, BrokerNode, BrokerSettings } from './broker-context.ts';
export { AUDIT_MODES } from './broker-context.ts';
export { accessOf, clientHostAddress, type Access } from './handlers/access.ts';
export { TopicCache } from './topic-cache.ts';
export { brokerHandlers } from './handlers/all-handlers.ts';
export { TOPIC_CONFIGS, checkTopicConfigs } from './topic-configs.ts';
export { TopicChangeRefused, updateTopic, type TopicChange } from './handlers/alter-configs.ts';
export { CONFIG_OPERATION, checkConfigOperations, configChange } from './handlers/incremental-alter-configs.ts';
export { checkPartitionCount, partitionIncrease } from './handlers/create-partitions.ts';
export { produceHandler, type ProduceHandlerOptions } from './handlers/produce.ts';
export { initProducerIdHandler } from './handlers/init-producer-id.ts';
export { fetchHandler } from './handlers/fetch.ts';
export { listOffsetsHandler, offsetForTimestamp } from './handlers/list-offsets.ts';
export { offsetForLeaderEpochHandler } from './handlers/offset-for-leader-epoch.ts';
export { metadataHandler } from './handlers/metadata.ts';
export { coordinatorNode } from './handlers/coordinator-node.ts';
export { createTopicsHandler } from './handlers/create-topics.ts';
export { deleteTopicsHandler } from './handlers/delete-topics.ts';
export { kafkaErrorCode, kafkaErrorCodeOfKind } from './handlers/error-mapping.ts';
export { FIRST_AUTO_NODE_ID, LOAD_BALANCER_NODE_ID, Membership, MembershipError, leaseSortKey, parseLease, type LeaseItem, type MembershipOptions, type MembershipStore, type NodeLease, type Endpoints } from './membership.ts';
export { observeHandlers, type HandledRequest } from './observed-handlers.ts';
export { advertisedNodes, onListener } from './advertised.ts';
export { SaslSession, DEFAULT_AUTH_TIMEOUT_MS, DEFAULT_MAX_REQUESTS_BEFORE_AUTH, type SaslSettings } from './sasl-session.ts';
export type { ListenerTls } from './listener.ts';
