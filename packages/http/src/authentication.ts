// Authentication of HTTP requests: an onRequest hook hands the `Authorization` header, the client
// certificate the TLS handshake verified and the client's address to the door's authenticator
// (@floe/admin-api's DoorAuthenticator, handed in by the composition root) before the body is
// read, and answers 401 with a challenge when it refuses. Routes marked open (the probes, the
// console's static files) are answered without credentials.
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AdminError, type DoorAuthenticator } from '@floe/admin-api';
import { clientHost, rememberCaller } from './caller.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Answered without credentials (probes, the console's static files). */
    open?: boolean;
  }
}

/** Route config of routes answered without credentials. */
export const OPEN_ROUTE = { open: true } as const;

/**
 * The challenge of a 401. The web console's requests (they carry `x-requested-with`) get the
 * Bearer scheme only, so that the browser shows the console's own sign-in form rather than its
 * Basic dialog; every other client is told both schemes.
 */
export function challenge(req: FastifyRequest): string {
  return req.headers['x-requested-with'] ? 'Bearer realm="floe"' : 'Basic realm="floe", charset="UTF-8", Bearer realm="floe"';
}

function verifiedCertificate(req: FastifyRequest): Buffer | undefined {
  const socket = req.socket as Partial<TLSSocket>;
  if (!socket.encrypted || !socket.authorized || typeof socket.getPeerCertificate !== 'function') return undefined;
  const raw = socket.getPeerCertificate().raw;
  return raw && raw.length > 0 ? raw : undefined;
}

export function registerAuthentication(app: FastifyInstance, authenticate: DoorAuthenticator): void {
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.routeOptions.config?.open) return;
    const header = req.headers.authorization;
    try {
      rememberCaller(req, await authenticate({ authorization: header, certificate: verifiedCertificate(req), host: clientHost(req) }));
    } catch (err) {
      if (err instanceof AdminError && err.kind === 'unauthenticated') {
        return reply.code(401).header('www-authenticate', challenge(req)).send({ error: err.message });
      }
      return reply.code(503).send({ error: `the credentials could not be checked: ${err instanceof Error ? err.message : String(err)}` });
    }
  });
}
