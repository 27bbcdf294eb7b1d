export { buildHttpServer, startHttpServer, type HttpServerOptions, type HttpTlsOptions, type ReadinessCheck, type RunningHttpServer } from './http-server.ts';
export { registerAdminRoutes } from './admin-routes.ts';
export { REQUEST_ID_HEADER, type HttpLogger } from './request-logging.ts';
export { challenge } from './authentication.ts';
