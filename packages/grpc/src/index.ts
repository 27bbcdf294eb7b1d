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
export { GrpcStatusError, statusOf } from './status.ts';
export type { GrpcLogger } from './logger.ts';
export { REQUEST_ID_KEY } from './request-ids.ts';
export { floe, grpc } from './protos.ts';
export { callUnary, healthClient, recordsClient, type HealthClient, type RecordsClient } from './client.ts';
