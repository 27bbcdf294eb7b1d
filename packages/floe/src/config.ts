import { resolve } from 'node:path';
import { parseSuperUsers } from '@floe/authz';
import { AUDIT_MODES, type AuditMode } from '@floe/broker';
import {
  DEFAULT_PRINCIPAL_MAPPING_RULES,
  isSaslMechanism,
  principalMappingOf,
  PrincipalMappingRulesError,
  SASL_MECHANISMS,
  type PrincipalMappingRules,
  type SaslMechanism,
} from '@floe/auth';
import { ConfigError, parseHostPort, type HostPort } from './config-values.ts';
import { DOOR_AUTH_MODES, type DoorAuthMode } from './door-auth.ts';
import { parseListenerAddresses, parseListeners, usesSasl, usesTls, type ListenerConfig } from './listeners-config.ts';
export { ConfigError, parseHostPort, type HostPort } from './config-values.ts';

/** Broker settings. Each comes from a command-line flag, else an environment variable, else a default. */
export interface FloeConfig {
  objectStore: string;
  s3Endpoint: string | undefined;
  metadata: string;
  dynamodbEndpoint: string | undefined;
  /** The first Kafka listener's address. */
  kafkaListen: HostPort;
  /** Every Kafka listener, the first being `kafkaListen` (docs/security.md#listeners). */
  listeners: ListenerConfig[];
  /** Per-node mode: the address clients are told for this node (default: the Kafka listener). */
  advertisedListener: HostPort | undefined;
  /** The same, by listener name (the first listener's is `advertisedListener`). */
  advertisedListeners: Record<string, HostPort>;
  /** Load-balancer mode: the one address every node advertises (docs/cluster.md). */
  loadBalancer: HostPort | undefined;
  /** The same, by listener name. */
  loadBalancers: Record<string, HostPort>;
  /** TLS of SSL and SASL_SSL listeners: PEM files, re-read when they change. */
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  /** CA bundle for client certificates (mTLS). */
  tlsCaFile: string | undefined;
  /** Kafka's ssl.principal.mapping.rules as given (shown in the printed configuration). */
  tlsPrincipalMappingRules: string;
  /** Those rules, parsed once at load; undefined for DEFAULT (a certificate's whole subject). */
  principalMapping: PrincipalMappingRules | undefined;
  /** Kafka's ssl.client.auth: none, requested or required. */
  clientCertificates: ClientCertificates;
  /** Mechanisms SASL listeners offer. */
  saslMechanisms: SaslMechanism[];
  /** KIP-368 session lifetime (connections.max.reauth.ms); 0: sessions last as long as the credential. */
  saslSessionLifetimeMs: number;
  /** The answer to a failed login waits this long, doubling with each further failure of the address (up to 50 times it). */
  saslFailureDelayMs: number;
  /** OAUTHBEARER: JWKS URL or file, and the claims checked. */
  jwks: string | undefined;
  jwtIssuer: string | undefined;
  jwtAudience: string | undefined;
  jwtPrincipalClaim: string;
  httpListen: HostPort;
  grpcListen: HostPort;
  /** This node's id in the cluster; undefined: the lowest id no live node holds. */
  nodeId: number | undefined;
  /** The rack (availability zone) Metadata reports for this node in per-node mode. */
  rack: string | undefined;
  /** How often a node renews its lease and re-reads the others'. */
  nodeHeartbeatMs: number;
  /** How long a lease holds after a heartbeat: a node that stops renewing drops out after this. */
  nodeLeaseMs: number;
  /** Create unknown topics on Metadata/Produce (Kafka's auto.create.topics.enable). */
  autoCreateTopics: boolean;
  /** Partitions of a topic created without a count (Kafka's num.partitions). */
  defaultPartitions: number;
  /** Create the S3 bucket and the DynamoDB table when they are missing. */
  createStorage: boolean;
  /** group.initial.rebalance.delay.ms: how long a group that was empty waits for more members. */
  groupInitialRebalanceDelayMs: number;
  /** group.min.session.timeout.ms and group.max.session.timeout.ms. */
  groupMinSessionMs: number;
  groupMaxSessionMs: number;
  /** group.consumer.session.timeout.ms and group.consumer.heartbeat.interval.ms (KIP-848 groups). */
  consumerGroupSessionMs: number;
  consumerGroupHeartbeatMs: number;
  /** The lowest level written (pino's levels; `silent` writes nothing). */
  logLevel: LogLevel;
  /** `json`: one JSON object a line (for collectors); `pretty`: coloured lines for a terminal. */
  logFormat: LogFormat;
  /** A Kafka, gRPC or HTTP request answered later than this is logged at warn (Fetch: beyond its own wait). */
  slowRequestMs: number;
  /** `none`: no ACL checks; `acl`: every request checked against the ACLs, anything not allowed denied. */
  authorizer: AuthorizerKind;
  /** Principals allowed everything whatever the ACLs say (Kafka's super.users). */
  superUsers: string[];
  /** How often each node looks for ACL changes. */
  aclRefreshMs: number;
  /** Audit log lines of ACL decisions: none, refusals only, or every decision. */
  auditLog: AuditMode;
  /** TLS on the gRPC door (the FLOE_TLS_* files): off or on. */
  grpcTls: DoorTls;
  /** TLS on the HTTP door (the FLOE_TLS_* files): off or on. */
  httpTls: DoorTls;
  /** Callers of the gRPC and HTTP doors without credentials: User:ANONYMOUS, or refused. */
  doorAuth: DoorAuthMode;
}

export const DOOR_TLS = ['off', 'on'] as const;
export type DoorTls = (typeof DOOR_TLS)[number];

export const CLIENT_CERTIFICATES = ['none', 'requested', 'required'] as const;
export type ClientCertificates = (typeof CLIENT_CERTIFICATES)[number];

export const AUTHORIZERS = ['none', 'acl'] as const;
export type AuthorizerKind = (typeof AUTHORIZERS)[number];

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

interface Setting {
  key: keyof FloeConfig;
  flag: string;
  env: string;
  help: string;
  default?: (cwd: string) => string;
}

/** The fixed interface: names of flags and variables do not change. */
export const SETTINGS: readonly Setting[] = [
  { key: 'objectStore', flag: '--object-store', env: 'FLOE_OBJECT_STORE', help: 'file:///path or s3://bucket/prefix', default: (cwd) => `file://${resolve(cwd, '.floe/objects')}` },
  { key: 's3Endpoint', flag: '--s3-endpoint', env: 'FLOE_S3_ENDPOINT', help: 'S3 endpoint URL (MinIO, any S3-compatible store)' },
  { key: 'metadata', flag: '--metadata', env: 'FLOE_METADATA', help: 'embedded store path, or dynamodb://table', default: (cwd) => resolve(cwd, '.floe/metadata') },
  { key: 'dynamodbEndpoint', flag: '--dynamodb-endpoint', env: 'FLOE_DYNAMODB_ENDPOINT', help: 'DynamoDB endpoint URL' },
  { key: 'kafkaListen', flag: '--kafka-listen', env: 'FLOE_KAFKA_LISTEN', help: 'Kafka listeners: host:port, or a comma-separated list of [NAME:]PROTOCOL://host:port (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)', default: () => '127.0.0.1:9092' },
  { key: 'advertisedListener', flag: '--advertised-listener', env: 'FLOE_ADVERTISED_LISTENER', help: 'per-node mode: host:port clients are told for this node, or NAME://host:port,... per listener' },
  { key: 'loadBalancer', flag: '--load-balancer', env: 'FLOE_LOAD_BALANCER', help: 'load-balancer mode: host:port of the load balancer every node advertises, or NAME://host:port,... per listener' },
  { key: 'httpListen', flag: '--http-listen', env: 'FLOE_HTTP_LISTEN', help: 'HTTP listener host:port', default: () => '127.0.0.1:8080' },
  { key: 'grpcListen', flag: '--grpc-listen', env: 'FLOE_GRPC_LISTEN', help: 'gRPC listener host:port', default: () => '127.0.0.1:50051' },
  { key: 'nodeId', flag: '--node-id', env: 'FLOE_NODE_ID', help: 'node id (default: the lowest id no live node holds)' },
  { key: 'rack', flag: '--rack', env: 'FLOE_RACK', help: 'rack or zone of this node, shown to clients in per-node mode' },
  { key: 'nodeHeartbeatMs', flag: '--node-heartbeat-ms', env: 'FLOE_NODE_HEARTBEAT_MS', help: 'how often a node renews its lease (default 1000)', default: () => '1000' },
  { key: 'nodeLeaseMs', flag: '--node-lease-ms', env: 'FLOE_NODE_LEASE_MS', help: 'how long a node stays listed after its last heartbeat (default 5000)', default: () => '5000' },
  { key: 'autoCreateTopics', flag: '--auto-create-topics', env: 'FLOE_AUTO_CREATE_TOPICS', help: 'true|false (default: true on the embedded default, false otherwise)' },
  { key: 'groupInitialRebalanceDelayMs', flag: '--group-initial-rebalance-delay-ms', env: 'FLOE_GROUP_INITIAL_REBALANCE_DELAY_MS', help: 'how long a new group waits for more members before its first assignment (default 3000)', default: () => '3000' },
  { key: 'groupMinSessionMs', flag: '--group-min-session-timeout-ms', env: 'FLOE_GROUP_MIN_SESSION_TIMEOUT_MS', help: 'shortest session.timeout.ms a consumer may ask for (default 6000)', default: () => '6000' },
  { key: 'groupMaxSessionMs', flag: '--group-max-session-timeout-ms', env: 'FLOE_GROUP_MAX_SESSION_TIMEOUT_MS', help: 'longest session.timeout.ms a consumer may ask for (default 1800000)', default: () => '1800000' },
  { key: 'consumerGroupSessionMs', flag: '--group-consumer-session-timeout-ms', env: 'FLOE_GROUP_CONSUMER_SESSION_TIMEOUT_MS', help: 'session timeout of group.protocol=consumer members (default 45000)', default: () => '45000' },
  { key: 'consumerGroupHeartbeatMs', flag: '--group-consumer-heartbeat-interval-ms', env: 'FLOE_GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS', help: 'heartbeat interval asked of group.protocol=consumer members (default 5000)', default: () => '5000' },
  { key: 'defaultPartitions', flag: '--default-partitions', env: 'FLOE_DEFAULT_PARTITIONS', help: 'partitions of topics created without a count', default: () => '1' },
  { key: 'createStorage', flag: '--create-storage', env: 'FLOE_CREATE_STORAGE', help: 'true|false: create a missing bucket and table (default true)', default: () => 'true' },
  { key: 'logLevel', flag: '--log-level', env: 'FLOE_LOG_LEVEL', help: `lowest level logged: ${LOG_LEVELS.join('|')} (default info)`, default: () => 'info' },
  { key: 'logFormat', flag: '--log-format', env: 'FLOE_LOG_FORMAT', help: 'json (one object a line on stdout, the default) or pretty (for a terminal)', default: () => 'json' },
  { key: 'slowRequestMs', flag: '--slow-request-ms', env: 'FLOE_SLOW_REQUEST_MS', help: 'requests slower than this are logged at warn (default 2000)', default: () => '2000' },
  { key: 'authorizer', flag: '--authorizer', env: 'FLOE_AUTHORIZER', help: 'none (default) or acl: check every Kafka request against the ACLs, deny what is not allowed', default: () => 'none' },
  { key: 'superUsers', flag: '--super-users', env: 'FLOE_SUPER_USERS', help: 'principals allowed everything, as User:a;User:b (Kafka\'s super.users)' },
  { key: 'auditLog', flag: '--audit-log', env: 'FLOE_AUDIT_LOG', help: 'with the authorizer on, log ACL decisions (principal, operation, resource, allowed): off (default), denied or all', default: () => 'off' },
  { key: 'tlsCertFile', flag: '--tls-cert-file', env: 'FLOE_TLS_CERT_FILE', help: 'PEM certificate chain of SSL and SASL_SSL listeners (re-read when it changes)' },
  { key: 'tlsKeyFile', flag: '--tls-key-file', env: 'FLOE_TLS_KEY_FILE', help: 'PEM private key of SSL and SASL_SSL listeners (re-read when it changes)' },
  { key: 'tlsCaFile', flag: '--tls-ca-file', env: 'FLOE_TLS_CA_FILE', help: 'PEM CA bundle that client certificates must chain to (mTLS)' },
  { key: 'clientCertificates', flag: '--tls-client-auth', env: 'FLOE_TLS_CLIENT_AUTH', help: 'none (default), requested or required: client certificates, whose subject becomes the principal', default: () => 'none' },
  { key: 'tlsPrincipalMappingRules', flag: '--tls-principal-mapping-rules', env: 'FLOE_TLS_PRINCIPAL_MAPPING_RULES', help: 'Kafka\'s ssl.principal.mapping.rules: a client certificate\'s subject to its principal name, e.g. RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L,DEFAULT (default DEFAULT: the whole subject; no matching rule: the connection is refused)', default: () => DEFAULT_PRINCIPAL_MAPPING_RULES },
  { key: 'saslMechanisms', flag: '--sasl-mechanisms', env: 'FLOE_SASL_MECHANISMS', help: `mechanisms of SASL listeners, comma-separated: ${SASL_MECHANISMS.join(',')} (default: PLAIN and both SCRAMs, plus OAUTHBEARER when FLOE_SASL_OAUTHBEARER_JWKS is set)` },
  { key: 'saslSessionLifetimeMs', flag: '--sasl-session-lifetime-ms', env: 'FLOE_SASL_SESSION_LIFETIME_MS', help: 'KIP-368: clients re-authenticate within this (default 0: sessions last as long as their credential)', default: () => '0' },
  { key: 'saslFailureDelayMs', flag: '--sasl-failure-delay-ms', env: 'FLOE_SASL_FAILURE_DELAY_MS', help: 'a failed login is answered after this, doubling per further failure from the address up to 50x (default 100)', default: () => '100' },
  { key: 'jwks', flag: '--sasl-oauthbearer-jwks', env: 'FLOE_SASL_OAUTHBEARER_JWKS', help: 'OAUTHBEARER: JWKS as an http(s) URL or a file' },
  { key: 'jwtIssuer', flag: '--sasl-oauthbearer-issuer', env: 'FLOE_SASL_OAUTHBEARER_ISSUER', help: 'OAUTHBEARER: required iss claim' },
  { key: 'jwtAudience', flag: '--sasl-oauthbearer-audience', env: 'FLOE_SASL_OAUTHBEARER_AUDIENCE', help: 'OAUTHBEARER: required aud claim' },
  { key: 'jwtPrincipalClaim', flag: '--sasl-oauthbearer-principal-claim', env: 'FLOE_SASL_OAUTHBEARER_PRINCIPAL_CLAIM', help: 'OAUTHBEARER: claim naming the principal (default sub)', default: () => 'sub' },
  { key: 'grpcTls', flag: '--grpc-tls', env: 'FLOE_GRPC_TLS', help: 'off (default) or on: the gRPC door serves TLS with FLOE_TLS_CERT_FILE/KEY_FILE (client certificates per FLOE_TLS_CLIENT_AUTH)', default: () => 'off' },
  { key: 'httpTls', flag: '--http-tls', env: 'FLOE_HTTP_TLS', help: 'off (default) or on: the HTTP door serves HTTPS with FLOE_TLS_CERT_FILE/KEY_FILE (client certificates per FLOE_TLS_CLIENT_AUTH)', default: () => 'off' },
  { key: 'doorAuth', flag: '--door-auth', env: 'FLOE_DOOR_AUTH', help: 'anonymous (default: callers without credentials are User:ANONYMOUS) or required: gRPC and HTTP callers must present Basic, Bearer or a client certificate', default: () => 'anonymous' },
  { key: 'aclRefreshMs', flag: '--acl-refresh-ms', env: 'FLOE_ACL_REFRESH_MS', help: 'how often a node looks for ACL changes (default 1000)', default: () => '1000' },
];

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(`${what}: expected one of ${allowed.join(', ')}, got "${value}"`);
}

function parseBool(value: string, what: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ConfigError(`${what}: expected true or false, got "${value}"`);
}

function parseInt32(value: string, what: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || n < min || n > max) throw new ConfigError(`${what}: expected an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

function checkObjectStore(url: string): void {
  if (/^file:\/\/\/./.test(url)) return;
  if (/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(url)) return;
  throw new ConfigError(
    `FLOE_OBJECT_STORE: expected file:///absolute/path or s3://bucket[/prefix], got "${url}"`,
  );
}

function checkMetadata(value: string): void {
  if (value.startsWith('dynamodb://')) {
    if (!/^dynamodb:\/\/[A-Za-z0-9_.-]{3,255}$/.test(value)) {
      throw new ConfigError(`FLOE_METADATA: "${value}" is not a valid DynamoDB table name`);
    }
    return;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(value)) {
    throw new ConfigError(`FLOE_METADATA: expected a path or dynamodb://table, got "${value}"`);
  }
}

/** Reads flags (`--name value` or `--name=value`) over environment variables over defaults. */
export function loadConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): FloeConfig {
  const fromFlags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const setting = SETTINGS.find((s) => s.flag === flag);
    if (!setting) throw new ConfigError(`unknown option "${arg}" (see floe start --help)`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`${flag} needs a value`);
    fromFlags.set(setting.flag, value);
  }
  const raw = (s: Setting) => fromFlags.get(s.flag) ?? (env[s.env] || undefined) ?? s.default?.(cwd);
  const get = (key: keyof FloeConfig) => raw(SETTINGS.find((s) => s.key === key)!);

  const objectStore = get('objectStore')!;
  checkObjectStore(objectStore);
  const metadata = get('metadata')!;
  checkMetadata(metadata);
  const advertised = get('advertisedListener');
  const loadBalancer = get('loadBalancer');
  if (advertised && loadBalancer) {
    throw new ConfigError(
      'FLOE_ADVERTISED_LISTENER and FLOE_LOAD_BALANCER exclude each other: per-node mode advertises each node, load-balancer mode advertises the load balancer only',
    );
  }
  const nodeId = get('nodeId');
  const rack = get('rack');
  const nodeHeartbeatMs = parseInt32(get('nodeHeartbeatMs')!, 'FLOE_NODE_HEARTBEAT_MS', 10, 60_000);
  const nodeLeaseMs = parseInt32(get('nodeLeaseMs')!, 'FLOE_NODE_LEASE_MS', 20, 600_000);
  if (nodeLeaseMs < 2 * nodeHeartbeatMs) {
    throw new ConfigError(`FLOE_NODE_LEASE_MS (${nodeLeaseMs}) must be at least twice FLOE_NODE_HEARTBEAT_MS (${nodeHeartbeatMs})`);
  }
  const groupMinSessionMs = parseInt32(get('groupMinSessionMs')!, 'FLOE_GROUP_MIN_SESSION_TIMEOUT_MS', 1, 2 ** 31 - 1);
  const groupMaxSessionMs = parseInt32(get('groupMaxSessionMs')!, 'FLOE_GROUP_MAX_SESSION_TIMEOUT_MS', 1, 2 ** 31 - 1);
  if (groupMinSessionMs > groupMaxSessionMs) {
    throw new ConfigError(`FLOE_GROUP_MIN_SESSION_TIMEOUT_MS (${groupMinSessionMs}) exceeds FLOE_GROUP_MAX_SESSION_TIMEOUT_MS (${groupMaxSessionMs})`);
  }
  const consumerGroupSessionMs = parseInt32(get('consumerGroupSessionMs')!, 'FLOE_GROUP_CONSUMER_SESSION_TIMEOUT_MS', 1, 2 ** 31 - 1);
  const consumerGroupHeartbeatMs = parseInt32(get('consumerGroupHeartbeatMs')!, 'FLOE_GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS', 1, 2 ** 31 - 1);
  if (consumerGroupHeartbeatMs >= consumerGroupSessionMs) {
    throw new ConfigError(
      `FLOE_GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS (${consumerGroupHeartbeatMs}) must be below FLOE_GROUP_CONSUMER_SESSION_TIMEOUT_MS (${consumerGroupSessionMs})`,
    );
  }
  if (rack !== undefined && !/^[\x21-\x7e]{1,255}$/.test(rack)) {
    throw new ConfigError(`FLOE_RACK: expected 1 to 255 printable ASCII characters without spaces, got "${rack}"`);
  }
  let superUsers: string[];
  try {
    superUsers = parseSuperUsers(get('superUsers'));
  } catch (err) {
    throw new ConfigError(`FLOE_SUPER_USERS: ${(err as Error).message}`);
  }
  const listeners = parseListeners(get('kafkaListen')!, 'FLOE_KAFKA_LISTEN');
  const advertisedListeners = advertised ? parseListenerAddresses(advertised, listeners, 'FLOE_ADVERTISED_LISTENER') : {};
  const loadBalancers = loadBalancer ? parseListenerAddresses(loadBalancer, listeners, 'FLOE_LOAD_BALANCER') : {};
  const first = listeners[0]!.name;
  if (loadBalancer && !loadBalancers[first]) throw new ConfigError(`FLOE_LOAD_BALANCER: needs an address for the first listener, "${first}"`);
  const tlsCertFile = get('tlsCertFile');
  const tlsKeyFile = get('tlsKeyFile');
  const tlsCaFile = get('tlsCaFile');
  const clientCertificates = oneOf(get('clientCertificates')!, CLIENT_CERTIFICATES, 'FLOE_TLS_CLIENT_AUTH');
  if (listeners.some((l) => usesTls(l.protocol)) && (!tlsCertFile || !tlsKeyFile)) {
    throw new ConfigError('SSL and SASL_SSL listeners need FLOE_TLS_CERT_FILE and FLOE_TLS_KEY_FILE');
  }
  if (clientCertificates !== 'none' && !tlsCaFile) throw new ConfigError('FLOE_TLS_CLIENT_AUTH needs FLOE_TLS_CA_FILE');
  const tlsPrincipalMappingRules = get('tlsPrincipalMappingRules')!;
  let principalMapping: PrincipalMappingRules | undefined;
  try {
    principalMapping = principalMappingOf(tlsPrincipalMappingRules);
  } catch (err) {
    if (!(err instanceof PrincipalMappingRulesError)) throw err;
    throw new ConfigError(`FLOE_TLS_PRINCIPAL_MAPPING_RULES: ${err.message}`);
  }
  const grpcTls = oneOf(get('grpcTls')!, DOOR_TLS, 'FLOE_GRPC_TLS');
  const httpTls = oneOf(get('httpTls')!, DOOR_TLS, 'FLOE_HTTP_TLS');
  for (const [name, value] of [['FLOE_GRPC_TLS', grpcTls], ['FLOE_HTTP_TLS', httpTls]] as const) {
    if (value === 'on' && (!tlsCertFile || !tlsKeyFile)) throw new ConfigError(`${name}=on needs FLOE_TLS_CERT_FILE and FLOE_TLS_KEY_FILE`);
  }
  const jwks = get('jwks');
  const mechanismsValue = get('saslMechanisms') ?? ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', ...(jwks ? ['OAUTHBEARER'] : [])].join(',');
  const saslMechanisms = mechanismsValue.split(',').map((m) => m.trim()).filter((m) => m !== '');
  for (const m of saslMechanisms) if (!isSaslMechanism(m)) throw new ConfigError(`FLOE_SASL_MECHANISMS: unknown mechanism "${m}" (expected ${SASL_MECHANISMS.join(', ')})`);
  if (listeners.some((l) => usesSasl(l.protocol)) && saslMechanisms.length === 0) throw new ConfigError('SASL listeners need at least one mechanism in FLOE_SASL_MECHANISMS');
  if (saslMechanisms.includes('OAUTHBEARER') && !jwks) throw new ConfigError('OAUTHBEARER needs FLOE_SASL_OAUTHBEARER_JWKS');
  return {
    objectStore,
    s3Endpoint: get('s3Endpoint'),
    metadata,
    dynamodbEndpoint: get('dynamodbEndpoint'),
    kafkaListen: { host: listeners[0]!.host, port: listeners[0]!.port },
    listeners,
    advertisedListener: advertisedListeners[first],
    advertisedListeners,
    loadBalancer: loadBalancers[first],
    loadBalancers,
    tlsCertFile,
    tlsKeyFile,
    tlsCaFile,
    tlsPrincipalMappingRules,
    principalMapping,
    clientCertificates,
    saslMechanisms: saslMechanisms as SaslMechanism[],
    saslSessionLifetimeMs: parseInt32(get('saslSessionLifetimeMs')!, 'FLOE_SASL_SESSION_LIFETIME_MS', 0, 2 ** 31 - 1),
    saslFailureDelayMs: parseInt32(get('saslFailureDelayMs')!, 'FLOE_SASL_FAILURE_DELAY_MS', 0, 60_000),
    jwks,
    jwtIssuer: get('jwtIssuer'),
    jwtAudience: get('jwtAudience'),
    jwtPrincipalClaim: get('jwtPrincipalClaim')!,
    httpListen: parseHostPort(get('httpListen')!, 'FLOE_HTTP_LISTEN', 0),
    grpcListen: parseHostPort(get('grpcListen')!, 'FLOE_GRPC_LISTEN', 0),
    nodeId: nodeId === undefined ? undefined : parseInt32(nodeId, 'FLOE_NODE_ID', 0, 2 ** 31 - 1),
    rack,
    nodeHeartbeatMs,
    nodeLeaseMs,
    // The embedded default is for one developer: topics appear on first use, as on a laptop Kafka.
    autoCreateTopics: parseBool(get('autoCreateTopics') ?? String(objectStore.startsWith('file://') && !metadata.startsWith('dynamodb://')), 'FLOE_AUTO_CREATE_TOPICS'),
    defaultPartitions: parseInt32(get('defaultPartitions')!, 'FLOE_DEFAULT_PARTITIONS', 1, 10_000),
    createStorage: parseBool(get('createStorage')!, 'FLOE_CREATE_STORAGE'),
    groupInitialRebalanceDelayMs: parseInt32(get('groupInitialRebalanceDelayMs')!, 'FLOE_GROUP_INITIAL_REBALANCE_DELAY_MS', 0, 600_000),
    groupMinSessionMs,
    groupMaxSessionMs,
    consumerGroupSessionMs,
    consumerGroupHeartbeatMs,
    logLevel: oneOf(get('logLevel')!, LOG_LEVELS, 'FLOE_LOG_LEVEL'),
    logFormat: oneOf(get('logFormat')!, LOG_FORMATS, 'FLOE_LOG_FORMAT'),
    slowRequestMs: parseInt32(get('slowRequestMs')!, 'FLOE_SLOW_REQUEST_MS', 1, 2 ** 31 - 1),
    authorizer: oneOf(get('authorizer')!, AUTHORIZERS, 'FLOE_AUTHORIZER'),
    superUsers,
    aclRefreshMs: parseInt32(get('aclRefreshMs')!, 'FLOE_ACL_REFRESH_MS', 10, 60_000),
    auditLog: oneOf(get('auditLog')!, AUDIT_MODES, 'FLOE_AUDIT_LOG'),
    grpcTls,
    httpTls,
    doorAuth: oneOf(get('doorAuth')!, DOOR_AUTH_MODES, 'FLOE_DOOR_AUTH'),
  };
}

export function helpText(): string {
  const rows = SETTINGS.map((s) => `  ${(s.flag + ' <v>').padEnd(28)} ${s.env.padEnd(26)} ${s.help}`);
  return ['usage: floe start [options]', '', '  flag                         variable                   meaning', ...rows].join('\n');
}
