// The node's Kafka listeners, one per entry of FLOE_KAFKA_LISTEN, each with its security
// protocol: TLS for SSL and SASL_SSL (one certificate for all, reloaded when its files change),
// SASL for SASL_PLAINTEXT and SASL_SSL (one authenticator and one failed-login record for all).
import { startKafkaListener, type HandlerRegistry, type KafkaListener, type KafkaListenerOptions, type Logger, type SaslSettings } from '@floe/broker';
import { Authenticator, FailedLogins, type ScramCredentialStore } from '@floe/auth';
import type { FloeConfig, HostPort } from './config.ts';
import { usesSasl, usesTls, type ListenerConfig } from './listeners-config.ts';
import { readTlsContext, watchTlsFiles } from './tls-files.ts';

export interface RunningListener {
  config: ListenerConfig;
  listener: KafkaListener;
}

export interface KafkaListeners {
  all: RunningListener[];
  connectionCount(): number;
  /** Each listener's bound address (the configured host, the real port). */
  bound(): Record<string, HostPort>;
  close(drainMs: number): Promise<void>;
}

export async function startKafkaListeners(
  config: FloeConfig,
  credentials: Pick<ScramCredentialStore, 'keys'>,
  base: Omit<KafkaListenerOptions, 'host' | 'port' | 'name' | 'tls' | 'sasl'> & { registry: HandlerRegistry; logger: Logger },
): Promise<KafkaListeners> {
  const tls =
    config.listeners.some((l) => usesTls(l.protocol)) && config.tlsCertFile && config.tlsKeyFile
      ? { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile, caFile: config.tlsCaFile }
      : undefined;
  const context = tls && readTlsContext(tls);
  // Checked when the configuration was loaded; Kafka's default (DEFAULT alone) needs no mapping.
  const principalMapping = config.principalMapping;
  const sasl: Omit<SaslSettings, 'maxRequestsBeforeAuth' | 'authTimeoutMs'> | undefined = config.listeners.some((l) => usesSasl(l.protocol))
    ? {
        authenticator: new Authenticator({
          mechanisms: config.saslMechanisms,
          credentials,
          oauthBearer: config.jwks
            ? { jwks: config.jwks, issuer: config.jwtIssuer, audience: config.jwtAudience, principalClaim: config.jwtPrincipalClaim }
            : undefined,
        }),
        sessionLifetimeMs: config.saslSessionLifetimeMs,
        failedLogins: new FailedLogins({ baseDelayMs: config.saslFailureDelayMs, maxDelayMs: 50 * config.saslFailureDelayMs }),
      }
    : undefined;
  const all: RunningListener[] = [];
  let stopWatching = () => {};
  try {
    for (const l of config.listeners) {
      const listener = await startKafkaListener({
        ...base,
        name: l.name,
        host: l.host,
        port: l.port,
        ...(usesTls(l.protocol) && context ? { tls: { context, clientAuth: config.clientCertificates, ...(principalMapping ? { principalMapping } : {}) } } : {}),
        ...(usesSasl(l.protocol) && sasl ? { sasl } : {}),
      });
      base.logger.info({ listener: l.name, protocol: l.protocol, host: l.host, port: listener.port }, 'Kafka listener ready');
      all.push({ config: l, listener });
    }
    if (tls) {
      const tlsListeners = all.filter((r) => usesTls(r.config.protocol));
      stopWatching = watchTlsFiles(tls, (c) => tlsListeners.forEach((r) => r.listener.setSecureContext(c)), base.logger);
    }
  } catch (err) {
    await Promise.all(all.map((r) => r.listener.close({ drainMs: 0 })));
    throw err;
  }
  return {
    all,
    connectionCount: () => all.reduce((n, r) => n + r.listener.connectionCount, 0),
    bound: () => Object.fromEntries(all.map((r) => [r.config.name, { host: r.config.host, port: r.listener.port }])),
    async close(drainMs) {
      stopWatching();
      await Promise.all(all.map((r) => r.listener.close({ drainMs })));
    },
  };
}
