// The HTTP door of a Floe node (fastify): liveness, readiness, Prometheus metrics, the admin API
// and the web console over them (docs/observability.md). It knows nothing of Floe's internals:
// the composition root hands it the checks and the metrics to serve.
import { readFileSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { AdminApi, AdminFor, DoorAuthenticator } from '@floe/admin-api';
import { registerAdminRoutes } from './admin-routes.ts';
import { OPEN_ROUTE, registerAuthentication } from './authentication.ts';
import { registerRequestLogging, requestIdOptions, type HttpLogger } from './request-logging.ts';

/** One readiness check: resolves when the dependency answered, rejects (or times out) when not. */
export type ReadinessCheck = () => Promise<void>;

export interface HttpServerOptions {
  host: string;
  port: number;
  /** Named checks run by /readyz, each bounded by `readyTimeoutMs`. */
  readiness: Record<string, ReadinessCheck>;
  readyTimeoutMs?: number;
  /** The Prometheus exposition served at /metrics. */
  metrics: () => Promise<{ contentType: string; body: string }>;
  /** The JSON admin API under /api/v1 (described at /openapi.json) and the web console at /; absent: neither is served. */
  admin?: AdminApi | AdminFor;
  /** Where requests are logged, each with its id (see request-logging.ts). Default: nowhere. */
  logger?: HttpLogger;
  /** A request answered later than this is logged at warn. Default 2 s. */
  slowRequestMs?: number;
  /**
   * Who calls: every route but the probes (/healthz, /readyz, /metrics) and the console's static
   * files is answered only once this settles the caller; refusals are 401 with a challenge.
   * Absent: every caller is User:ANONYMOUS.
   */
  authenticate?: DoorAuthenticator;
  /** Serve HTTPS with this certificate (replaced by `setSecureContext`); absent: plain HTTP. */
  tls?: HttpTlsOptions;
}

export interface HttpTlsOptions {
  /** PEM certificate chain, key and (for client certificates) CA bundle. */
  context: Pick<SecureContextOptions, 'cert' | 'key' | 'ca'>;
  /** Kafka's ssl.client.auth: client certificates not asked for, asked for, or required. */
  clientAuth: 'none' | 'requested' | 'required';
}

/** The web console's files (packages/http/console), read once: the page and its assets. */
const CONSOLE_DIR = new URL('../console/', import.meta.url);
const CONSOLE_TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};
// The page loads nothing but this node's own files and API.
const CONSOLE_CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

function registerConsole(app: FastifyInstance): void {
  const files = new Map(Object.entries(CONSOLE_TYPES).map(([name, type]) => [name, { type, body: readFileSync(new URL(name, CONSOLE_DIR)) }]));
  const send = (name: string) => {
    const file = files.get(name)!;
    return (_req: unknown, reply: FastifyReply) => reply.type(file.type).header('cache-control', 'no-cache').header('content-security-policy', CONSOLE_CSP).send(file.body);
  };
  app.get('/', { schema: { hide: true }, config: OPEN_ROUTE }, send('index.html'));
  for (const name of files.keys()) if (name !== 'index.html') app.get(`/console/${name}`, { schema: { hide: true }, config: OPEN_ROUTE }, send(name));
}

export interface RunningHttpServer {
  port: number;
  /** A new certificate (and CA) for new connections; open ones keep theirs. Only with `tls`. */
  setSecureContext(context: HttpTlsOptions['context']): void;
  close(): Promise<void>;
}

interface CheckResult {
  ok: boolean;
  ms: number;
  error?: string;
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, ms: Math.round(performance.now() - started), error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

export async function buildHttpServer(opts: HttpServerOptions): Promise<FastifyInstance> {
  // Unknown fields and wrong types in a body are refused (400), not dropped or coerced.
  const https = opts.tls && {
    ...opts.tls.context,
    requestCert: opts.tls.clientAuth !== 'none',
    rejectUnauthorized: opts.tls.clientAuth === 'required',
  };
  const app = Fastify({
    logger: false,
    ...requestIdOptions,
    ...(https ? { https } : {}),
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  }) as unknown as FastifyInstance;
  registerRequestLogging(app, opts.logger, opts.slowRequestMs);
  if (opts.authenticate) registerAuthentication(app, opts.authenticate);
  await app.register(swagger, {
    openapi: { info: { title: 'Floe admin API', version: '1' } },
    hideUntagged: false,
  });
  const timeoutMs = opts.readyTimeoutMs ?? 2_000;

  // Liveness: the process answers. Nothing else is checked, so an orchestrator does not restart
  // a node because S3 or DynamoDB is slow.
  app.get('/healthz', { config: OPEN_ROUTE }, async () => ({ status: 'ok' }));

  // Readiness: every dependency answered within the timeout; 503 with the failing ones if not.
  app.get('/readyz', { config: OPEN_ROUTE }, async (_req, reply) => {
    const entries = await Promise.all(Object.entries(opts.readiness).map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const));
    const checks = Object.fromEntries(entries);
    const ready = entries.every(([, r]) => r.ok);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  app.get('/metrics', { config: OPEN_ROUTE }, async (_req, reply) => {
    const { contentType, body } = await opts.metrics();
    return reply.type(contentType).send(body);
  });

  if (opts.admin) {
    const admin = opts.admin;
    // One API for everyone, or the API as each caller may use it (ACL-checked).
    registerAdminRoutes(app, typeof admin === 'function' ? admin : () => admin);
    registerConsole(app);
  }
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not found', path: req.url }));
  await app.ready();
  return app;
}

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const app = await buildHttpServer(opts);
  await app.listen({ host: opts.host, port: opts.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    port,
    setSecureContext: (context) => {
      if (!opts.tls) throw new Error('this HTTP server serves no TLS');
      (app.server as HttpsServer).setSecureContext(context);
    },
    close: () => app.close(),
  };
}
