// Who sent an HTTP request, as the admin API's ACL checks see it.
import type { FastifyRequest } from 'fastify';
import { ANONYMOUS_CALLER_PRINCIPAL, type Caller } from '@floe/admin-api';

/**
 * The caller of a request: its principal (anonymous: this door does not authenticate yet) and the
 * client's IP address, in the form ACL hosts use.
 */
export function callerOf(req: FastifyRequest): Caller {
  const ip = req.socket.remoteAddress ?? req.ip;
  return { principal: ANONYMOUS_CALLER_PRINCIPAL, host: ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip };
}
