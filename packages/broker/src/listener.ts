// The Kafka listener: a TCP server whose connections speak the Kafka protocol to the handlers of
// a registry. See docs/broker-listener.md for the rules it follows.

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type SecureContextOptions, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { NoMatchingPrincipalRuleError, certificatePrincipal, type PrincipalMappingRules } from '@floe/auth';
import { DEFAULT_AUTH_TIMEOUT_MS, DEFAULT_MAX_REQUESTS_BEFORE_AUTH, type SaslSettings } from './sasl-session.ts';
import { LogLimiter } from './log-limiter.ts';
import { Connection, type ConnectionInfo, type ConnectionSettings, type RequestEvent } from './connection.ts';
import { silentLogger, type Logger } from './logger.ts';
import type { HandlerRegistry } from './registry.ts';

export interface KafkaListenerOptions {
  /** The handlers served. Build it with createRegistry(), which includes ApiVersions. */
  registry: HandlerRegistry;
  /** Address to bind. Default 0.0.0.0. */
  host?: string;
  /** Port to bind; 0 picks a free one. Default 9092. */
  port?: number;
  /** Largest request accepted (size prefix excluded). Default 100 MiB, Kafka's socket.request.max.bytes. */
  maxRequestBytes?: number;
  /** Largest request accepted before the connection has sent one valid request. Default 64 KiB. */
  maxFirstRequestBytes?: number;
  /** A connection with no traffic and nothing pending for this long is closed. Default 10 min (connections.max.idle.ms). */
  idleTimeoutMs?: number;
  /** Pending requests per connection before reading from it pauses. Default 100. */
  maxInFlightPerConnection?: number;
  /** Open connections above which new ones are closed at once. Default unlimited. */
  maxConnections?: number;
  /** How long a closing connection waits for the client to close after Floe's FIN. Default 5 s. */
  lingerMs?: number;
  /** Where the listener, its connections and their requests log. Default: nowhere. */
  logger?: Logger;
  /** A request answered later than this is logged at warn (Fetch: beyond its max wait). Default 2 s. */
  slowRequestMs?: number;
  /** Called for every request frame, with what was done with it (metrics, tests). */
  onRequest?: (event: RequestEvent) => void;
  /** The listener's name (Kafka's listener name: PLAINTEXT, SASL_SSL, INTERNAL…), told to handlers. */
  name?: string;
  /** Serve TLS (SSL and SASL_SSL listeners). */
  tls?: ListenerTls;
  /** Require SASL authentication (SASL_PLAINTEXT and SASL_SSL listeners). */
  sasl?: Omit<SaslSettings, 'maxRequestsBeforeAuth' | 'authTimeoutMs'> & Partial<Pick<SaslSettings, 'maxRequestsBeforeAuth' | 'authTimeoutMs'>>;
}

export interface ListenerTls {
  /** Certificate chain, key and (for client certificates) the CA, as node:tls takes them. */
  context: SecureContextOptions;
  /**
   * Client certificates (Kafka's ssl.client.auth): `none`; `requested` (a valid one, when sent,
   * names the principal); `required` (the handshake fails without a valid one).
   */
  clientAuth?: 'none' | 'requested' | 'required';
  /** How long a TLS handshake may take. Default 10 s. */
  handshakeTimeoutMs?: number;
  /**
   * Kafka's ssl.principal.mapping.rules: the principal's name made of a client certificate's
   * subject (absent: the whole subject). A certificate no rule applies to closes the connection.
   */
  principalMapping?: PrincipalMappingRules;
}

export interface CloseOptions {
  /** How long pending requests may take to finish and be written. Default 30 s. */
  drainMs?: number;
}

export const DEFAULT_MAX_REQUEST_BYTES = 100 * 1024 * 1024;
export const DEFAULT_MAX_FIRST_REQUEST_BYTES = 64 * 1024;
export const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60 * 1000;
export const DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION = 100;
export const DEFAULT_LINGER_MS = 5_000;
export const DEFAULT_DRAIN_MS = 30_000;
export const DEFAULT_SLOW_REQUEST_MS = 2_000;

function positiveInt(name: string, value: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v <= 0 || v > max) throw new RangeError(`${name} must be an integer in 1..${max}, got ${v}`);
  return v;
}

export class KafkaListener {
  private readonly options: KafkaListenerOptions;
  private readonly logger: Logger;
  private readonly server: Server | TlsServer;
  private readonly connections = new Set<Connection>();
  private readonly maxConnections: number;
  private readonly settings: ConnectionSettings;
  private nextConnectionId = 1;
  private closing: Promise<void> | undefined;
  private bound: AddressInfo | undefined;

  constructor(options: KafkaListenerOptions) {
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    const maxRequestBytes = positiveInt('maxRequestBytes', options.maxRequestBytes, DEFAULT_MAX_REQUEST_BYTES, 0x7fffffff);
    this.settings = {
      registry: options.registry,
      logger: this.logger,
      maxRequestBytes,
      maxFirstRequestBytes: positiveInt(
        'maxFirstRequestBytes',
        options.maxFirstRequestBytes,
        Math.min(DEFAULT_MAX_FIRST_REQUEST_BYTES, maxRequestBytes),
        maxRequestBytes,
      ),
      // Node's socket timeouts take at most 2^31-1 ms.
      idleTimeoutMs: positiveInt('idleTimeoutMs', options.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS, 0x7fffffff),
      maxInFlight: positiveInt('maxInFlightPerConnection', options.maxInFlightPerConnection, DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION),
      lingerMs: positiveInt('lingerMs', options.lingerMs, DEFAULT_LINGER_MS, 0x7fffffff),
      onRequest: options.onRequest,
      listenerName: options.name,
      sasl: options.sasl && {
        ...options.sasl,
        maxRequestsBeforeAuth: options.sasl.maxRequestsBeforeAuth ?? DEFAULT_MAX_REQUESTS_BEFORE_AUTH,
        authTimeoutMs: options.sasl.authTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS,
      },
      clientFaultLog: new LogLimiter(),
      slowRequestMs: positiveInt('slowRequestMs', options.slowRequestMs, DEFAULT_SLOW_REQUEST_MS),
    };
    this.maxConnections = options.maxConnections === undefined ? Infinity : positiveInt('maxConnections', options.maxConnections, 0);
    // Like Kafka: TCP_NODELAY and SO_KEEPALIVE on accepted sockets.
    if (options.tls) {
      const clientAuth = options.tls.clientAuth ?? 'none';
      const server = createTlsServer({
        ...options.tls.context,
        requestCert: clientAuth !== 'none',
        rejectUnauthorized: clientAuth === 'required',
        handshakeTimeout: options.tls.handshakeTimeoutMs ?? 10_000,
        noDelay: true,
        keepAlive: true,
        allowHalfOpen: false,
      });
      const mapping = options.tls.principalMapping;
      server.on('secureConnection', (socket: TLSSocket) => {
        let principal: string | undefined;
        try {
          principal = clientAuth === 'none' ? undefined : peerPrincipal(socket, mapping);
        } catch (e) {
          if (!(e instanceof NoMatchingPrincipalRuleError)) throw e;
          // Kafka fails the connection's authentication when no mapping rule applies.
          this.logger.warn({ error: e.message, peer: `${socket.remoteAddress}:${socket.remotePort}` }, 'client certificate refused');
          socket.destroy();
          return;
        }
        this.accept(socket, principal);
      });
      server.on('tlsClientError', (e, socket) => this.logger.debug({ error: e.message, peer: `${socket.remoteAddress}:${socket.remotePort}` }, 'TLS handshake failed'));
      this.server = server;
    } else {
      this.server = createServer({ noDelay: true, keepAlive: true, allowHalfOpen: false }, (socket) => this.accept(socket));
    }
    this.server.on('error', (e) => this.logger.error({ error: e }, 'listener error'));
  }

  /** Binds and starts accepting. Resolves with the bound address. */
  async listen(): Promise<AddressInfo> {
    if (this.closing !== undefined) throw new Error('listener is closed');
    if (this.bound !== undefined) return this.bound;
    const host = this.options.host ?? '0.0.0.0';
    const port = this.options.port ?? 9092;
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.server.once('error', onError);
      this.server.listen({ host, port }, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.bound = this.server.address() as AddressInfo;
    this.logger.info({ host: this.bound.address, port: this.bound.port }, 'Kafka listener started');
    return this.bound;
  }

  /** New TLS connections use this certificate and key from now on (certificate rotation). */
  setSecureContext(context: SecureContextOptions): void {
    if (!('setSecureContext' in this.server)) throw new Error('not a TLS listener');
    this.server.setSecureContext(context);
  }

  /** The bound port (after listen()). */
  get port(): number {
    if (this.bound === undefined) throw new Error('listener is not listening');
    return this.bound.port;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** A snapshot of every open connection. */
  connectionInfo(): ConnectionInfo[] {
    return [...this.connections].map((c) => c.info());
  }

  /**
   * Graceful shutdown: stops accepting; each connection takes no new request, finishes the pending
   * ones and writes their answers, then closes. Connections still open after `drainMs` are
   * destroyed (their pending requests aborted). Resolves when every socket is closed.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.closing ??= this.shutdown(options.drainMs ?? DEFAULT_DRAIN_MS);
    return this.closing;
  }

  private async shutdown(drainMs: number): Promise<void> {
    const stopped = new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
    const open = [...this.connections];
    this.logger.info({ connections: open.length, drainMs }, 'Kafka listener closing');
    for (const c of open) c.drain();
    const all = Promise.all(open.map((c) => c.closed));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), drainMs);
    });
    if ((await Promise.race([all, deadline])) === 'deadline') {
      const left = [...this.connections];
      if (left.length > 0) this.logger.warn({ connections: left.length, drainMs }, 'drain time over, closing connections');
      for (const c of left) c.destroy();
      await all;
    }
    clearTimeout(timer);
    await stopped;
    this.logger.info({}, 'Kafka listener closed');
  }

  private accept(socket: Socket, principal?: string): void {
    if (this.closing !== undefined) {
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.maxConnections) {
      this.logger.warn(
        { peer: `${socket.remoteAddress}:${socket.remotePort}`, maxConnections: this.maxConnections },
        'connection limit reached, closing new connection',
      );
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    const id = this.nextConnectionId++;
    try {
      const connection = new Connection(socket, id, this.settings, (c) => this.connections.delete(c), principal);
      this.connections.add(connection);
    } catch (e) {
      this.logger.error({ error: e }, 'could not set up a connection');
      socket.destroy();
    }
  }
}

/** The principal of a verified client certificate (mTLS), or undefined; throws NoMatchingPrincipalRuleError. */
function peerPrincipal(socket: TLSSocket, mapping: PrincipalMappingRules | undefined): string | undefined {
  if (!socket.authorized) return undefined;
  const raw = socket.getPeerCertificate(false)?.raw;
  return raw && raw.length > 0 ? certificatePrincipal(raw, mapping) : undefined;
}

/** Creates a listener and binds it. */
export async function startKafkaListener(options: KafkaListenerOptions): Promise<KafkaListener> {
  const listener = new KafkaListener(options);
  await listener.listen();
  return listener;
}
