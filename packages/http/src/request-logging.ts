// Request ids and request logging for the HTTP door. Fastify's own logger stays off: its
// per-request lines would put every /metrics scrape and console poll at info. Instead each request
// gets an id (the client's `x-request-id` when acceptable, else a new one), echoed in the
// `x-request-id` response header, and one line when it ends, at the level its outcome deserves.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The logger the HTTP server reports to; @floe/broker's Logger (and pino's) fits it. */
export interface HttpLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export const REQUEST_ID_HEADER = 'x-request-id';
export const DEFAULT_SLOW_HTTP_REQUEST_MS = 2_000;

/** Ids of other systems pass through (UUIDs, trace ids); anything longer or odder is replaced. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._~:/+=@-]{1,128}$/;

/**
 * Fastify's request id settings. Fastify would take the header as it comes (`requestIdHeader`);
 * reading it in the generator instead lets an overlong or odd id be replaced before it reaches a
 * log line or the response header.
 */
export const requestIdOptions = {
  requestIdHeader: false,
  genReqId: (req: IncomingMessage): string => {
    const incoming = req.headers[REQUEST_ID_HEADER];
    return typeof incoming === 'string' && ACCEPTABLE_ID.test(incoming) ? incoming : randomUUID();
  },
} as const;

/**
 * Echoes the id and, given a logger, logs each request once it is answered: 5xx at error, 4xx
 * and slow requests at warn, the rest at debug.
 */
export function registerRequestLogging(app: FastifyInstance, logger: HttpLogger | undefined, slowMs = DEFAULT_SLOW_HTTP_REQUEST_MS): void {
  app.addHook('onSend', async (req, reply) => {
    reply.header(REQUEST_ID_HEADER, req.id);
  });
  if (logger === undefined) return;
  const failures = new WeakMap<FastifyRequest, string>();
  app.addHook('onError', async (req, _reply, err) => {
    failures.set(req, err.message);
  });
  app.addHook('onResponse', async (req, reply) => {
    const durationMs = Math.round(reply.elapsedTime);
    const status = reply.statusCode;
    const error = failures.get(req);
    const fields = { requestId: req.id, method: req.method, url: req.url, status, durationMs, peer: req.ip, ...(error === undefined ? {} : { error }) };
    try {
      if (status >= 500) logger.error(fields, 'HTTP request failed');
      else if (status >= 400) logger.warn(fields, 'HTTP request refused');
      else if (durationMs > slowMs) logger.warn(fields, 'slow HTTP request');
      else logger.debug(fields, 'HTTP request');
    } catch {
      // a broken logger must not break the server
    }
  });
}
