// The gRPC and HTTP doors' security from the configuration: their TLS (the Kafka listeners'
// files, re-read when they change) and their authenticator (door-auth.ts) over the node's SCRAM
// credentials and OAUTHBEARER settings.
import type { SecureContextOptions } from 'node:tls';
import type { DoorAuthenticator } from '@floe/admin-api';
import { FailedLogins, JwtValidator, type ScramCredentialStore } from '@floe/auth';
import type { Logger } from '@floe/broker';
import type { FloeConfig } from './config.ts';
import { doorAuthenticator } from './door-auth.ts';
import { readTlsContext, watchTlsFiles } from './tls-files.ts';

export interface DoorTls {
  context: SecureContextOptions;
  clientAuth: FloeConfig['clientCertificates'];
}

/** The doors' TLS when either serves it: the files read once (a bad pair fails the start). */
export function doorTls(config: FloeConfig): DoorTls | undefined {
  if ((config.grpcTls !== 'on' && config.httpTls !== 'on') || !config.tlsCertFile || !config.tlsKeyFile) return undefined;
  const context = readTlsContext({ certFile: config.tlsCertFile, keyFile: config.tlsKeyFile, caFile: config.tlsCaFile });
  return { context, clientAuth: config.clientCertificates };
}

/** Re-reads the TLS files when they change and hands each door that serves TLS the new certificate. */
export function watchDoorCertificates(config: FloeConfig, doors: { setSecureContext(c: SecureContextOptions): void }[], logger: Logger): () => void {
  if (doors.length === 0 || !config.tlsCertFile || !config.tlsKeyFile) return () => {};
  return watchTlsFiles(
    { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile, caFile: config.tlsCaFile },
    (c) => doors.forEach((d) => d.setSecureContext(c)),
    logger,
  );
}

/** The authenticator of both doors: one failed-login record and one cache for the two. */
export function doorAuthenticatorFor(config: FloeConfig, credentials: Pick<ScramCredentialStore, 'keys'>): DoorAuthenticator {
  return doorAuthenticator({
    mode: config.doorAuth,
    credentials,
    jwt: config.jwks
      ? new JwtValidator({ jwks: config.jwks, issuer: config.jwtIssuer, audience: config.jwtAudience, principalClaim: config.jwtPrincipalClaim })
      : undefined,
    failedLogins: new FailedLogins({ baseDelayMs: config.saslFailureDelayMs, maxDelayMs: 50 * config.saslFailureDelayMs }),
    principalMapping: config.principalMapping,
  });
}
