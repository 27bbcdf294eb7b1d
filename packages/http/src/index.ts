export { buildHttpServer, startHttpServer, type HttpServerOptions, type ReadinessCheck, type RunningHttpServer } from './http-server.ts';
export { AdminError, registerAdminRoutes, type AdminApi, type AdminErrorKind, type GroupDetail, type GroupView, type NodeView, type PartitionView, type TopicDetail, type TopicSummary } from './admin-api.ts';
