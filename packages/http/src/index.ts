export { buildHttpServer, startHttpServer, type HttpServerOptions, type ReadinessCheck, type RunningHttpServer } from './http-server.ts';
export { AdminError, DEFAULT_RECORDS_LIMIT, MAX_RECORDS_LIMIT, registerAdminRoutes, type AdminApi, type RecordsPage, type StoredRecord, type AdminErrorKind, type GroupDetail, type GroupView, type NodeView, type PartitionView, type TopicDetail, type TopicSummary } from './admin-api.ts';
export { REQUEST_ID_HEADER, type HttpLogger } from './request-logging.ts';
