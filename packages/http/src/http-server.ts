// The HTTP door of a Floe node (fastify): liveness, readiness and Prometheus metrics
// (docs/observability.md). It knows nothing of Floe's internals: the composition root hands it
// the checks and the metrics to serve.
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerAdminRoutes, type AdminApi } from './admin-api.ts';

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
  /** The JSON admin API under /api/v1 (described at /openapi.json); absent: not served. */
  admin?: AdminApi;
}

export interface RunningHttpServer {
  port: number;
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
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, ajv: { customOptions: { removeAdditional: false, coerceTypes: false } } });
  await app.register(swagger, {
    openapi: { info: { title: 'Floe admin API', version: '1' } },
    hideUntagged: false,
  });
  const timeoutMs = opts.readyTimeoutMs ?? 2_000;

  // Liveness: the process answers. Nothing else is checked, so an orchestrator does not restart
  // a node because S3 or DynamoDB is slow.
  app.get('/healthz', async () => ({ status: 'ok' }));

  // Readiness: every dependency answered within the timeout; 503 with the failing ones if not.
  app.get('/readyz', async (_req, reply) => {
    const entries = await Promise.all(Object.entries(opts.readiness).map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const));
    const checks = Object.fromEntries(entries);
    const ready = entries.every(([, r]) => r.ok);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  app.get('/metrics', async (_req, reply) => {
    const { contentType, body } = await opts.metrics();
    return reply.type(contentType).send(body);
  });

  if (opts.admin) registerAdminRoutes(app, opts.admin);
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
  return { port, close: () => app.close() };
}
