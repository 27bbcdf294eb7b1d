// Who sent an HTTP request, as the admin API's ACL checks see it: the authentication hook
// (authentication.ts) settles the caller before the route's handler runs.
import type { FastifyRequest } from 'fastify';
import { ANONYMOUS_CALLER_PRINCIPAL, type Caller } from '@floe/admin-api';

/** The client's IP address, in the form ACL hosts use. */
export function clientHost(req: FastifyRequest): string {
  const ip = req.socket.remoteAddress ?? req.ip;
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

const authenticated = new WeakMap<FastifyRequest, Caller>();

export function rememberCaller(req: FastifyRequest, caller: Caller): void {
  authenticated.set(req, caller);
}

/** The caller the authentication hook settled, else (a server without an authenticator) anonymous. */
export function callerOf(req: FastifyRequest): Caller {
  return authenticated.get(req) ?? { principal: ANONYMOUS_CALLER_PRINCIPAL, host: clientHost(req) };
}
