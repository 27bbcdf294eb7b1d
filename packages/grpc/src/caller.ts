// Who made a gRPC call, as ACL checks see it: the authentication interceptor (authentication.ts)
// settles the caller before the handler runs and leaves it with the call's metadata.
import type { Metadata } from '@grpc/grpc-js';
import { ANONYMOUS_CALLER_PRINCIPAL, type Caller } from '@floe/admin-api';

/** "ip:port", "[v6]:port" or "ipv4:ip:port" (grpc-js's peer forms): the IP address alone. */
export function peerHost(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const at = bare.lastIndexOf(':');
  const host = (at > 0 ? bare.slice(0, at) : bare).replace(/^\[(.*)\]$/, '$1');
  return host.startsWith('::ffff:') && host.includes('.') ? host.slice(7) : host;
}

/** Callers the interceptor authenticated, by the metadata object the handler's call carries. */
const authenticated = new WeakMap<Metadata, Caller>();

export function rememberCaller(metadata: Metadata, caller: Caller): void {
  authenticated.set(metadata, caller);
}

/**
 * The caller of a call: the one the authentication interceptor settled, else (a server without
 * an authenticator) anonymous from the peer's address.
 */
export function callerOf(call: { getPeer(): string; metadata?: Metadata }): Caller {
  return (call.metadata && authenticated.get(call.metadata)) ?? { principal: ANONYMOUS_CALLER_PRINCIPAL, host: peerHost(call.getPeer()) };
}
