export { buildHttpServer, startHttpServer, type HttpServerOptions, type ReadinessCheck, type RunningHttpServer } from './http-server.ts';
export { registerAdminRoutes } from './admin-routes.ts';
