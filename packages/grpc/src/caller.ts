// Who made a gRPC call, as ACL checks see it.
import { ANONYMOUS_CALLER_PRINCIPAL, type Caller } from '@floe/admin-api';

/** "ip:port", "[v6]:port" or "ipv4:ip:port" (grpc-js's peer forms): the IP address alone. */
export function peerHost(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const at = bare.lastIndexOf(':');
  const host = (at > 0 ? bare.slice(0, at) : bare).replace(/^\[(.*)\]$/, '$1');
  return host.startsWith('::ffff:') && host.includes('.') ? host.slice(7) : host;
}

/** The caller of a call: anonymous (this door does not authenticate yet) from the peer's address. */
export function callerOf(call: { getPeer(): string }): Caller {
  return { principal: ANONYMOUS_CALLER_PRINCIPAL, host: peerHost(call.getPeer()) };
}
