// Authentication of gRPC calls, as a server interceptor so that every method of Records and
// Admin (and reflection) is covered without its handler knowing; the health service stays open
// for probes. The interceptor hands the `authorization` metadata, the client certificate the TLS
// handshake verified and the peer's address to the door's authenticator (@floe/admin-api's
// DoorAuthenticator, handed in by the composition root), holds the call meanwhile (grpc-js keeps
// the first message until the metadata is passed on), and either passes the call on with its
// caller (caller.ts) or answers UNAUTHENTICATED without running the handler.
import { ResponderBuilder, ServerInterceptingCall, ServerListenerBuilder, status, type ServerInterceptor } from '@grpc/grpc-js';
import { AdminError, type DoorAuthenticator } from '@floe/admin-api';
import { peerHost, rememberCaller } from './caller.ts';

/** Methods answered without credentials: the health service, for probes and load balancers. */
export const OPEN_SERVICE_PREFIXES: readonly string[] = ['/grpc.health.v1.Health/'];

export function authenticationInterceptor(authenticate: DoorAuthenticator): ServerInterceptor {
  return (method, call) => {
    if (OPEN_SERVICE_PREFIXES.some((p) => method.path.startsWith(p))) return new ServerInterceptingCall(call);
    return new ServerInterceptingCall(
      call,
      new ResponderBuilder()
        .withStart((next) =>
          next(
            new ServerListenerBuilder()
              .withOnReceiveMetadata((metadata, nextMetadata) => {
                const header = metadata.get('authorization')[0];
                const certificate = call.getAuthContext()?.sslPeerCertificate?.raw;
                authenticate({
                  authorization: typeof header === 'string' ? header : undefined,
                  certificate,
                  host: peerHost(call.getPeer()),
                }).then(
                  (caller) => {
                    rememberCaller(metadata, caller);
                    nextMetadata(metadata);
                  },
                  (err: unknown) => {
                    const refused = err instanceof AdminError && err.kind === 'unauthenticated';
                    call.sendStatus({
                      code: refused ? status.UNAUTHENTICATED : status.UNAVAILABLE,
                      details: refused ? err.message : `the credentials could not be checked: ${err instanceof Error ? err.message : String(err)}`,
                    });
                  },
                );
              })
              .build(),
          ),
        )
        .build(),
    );
  };
}
