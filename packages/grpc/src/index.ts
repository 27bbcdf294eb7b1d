export {
  startGrpcServer,
  recordsServiceDefinition,
  healthServiceDefinition,
  DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
  STREAM_MAX_IN_FLIGHT,
  RECORDS_SERVICE,
  PROTO_ROOT,
  type GrpcServerOptions,
  type RunningGrpcServer,
} from './server.ts';
export { RecordsService, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_FETCH_MAX_BYTES, MAX_FETCH_MAX_BYTES, type TopicSource, type RecordsServiceOptions } from './records-service.ts';
export { murmur2, partitionForKey } from './partitioner.ts';
export { GrpcStatusError, statusOf, ADMIN_STATUS } from './status.ts';
export { ADMIN_SERVICE, adminServiceDefinition } from './admin-service.ts';
export type { GrpcLogger } from './logger.ts';
export { REQUEST_ID_KEY } from './request-ids.ts';
export { floe, grpc } from './protos.ts';
export { adminClient, authorizationHeader, callUnary, healthClient, recordsClient, type AdminClient, type ClientSecurity, type HealthClient, type RecordsClient } from './client.ts';
export { OPEN_SERVICE_PREFIXES } from './authentication.ts';
export type { ClientCertificateMode, GrpcTlsOptions } from './tls.ts';
export { consumeGroup, type GroupConsumeOptions } from './consume-client.ts';
export type { GroupMembership } from './group-consumer.ts';
export type { GrpcCallEvent, GrpcCallObserver } from './call-observer.ts';
