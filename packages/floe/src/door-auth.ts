// Authentication on the gRPC and HTTP doors (docs/security.md#authentication-on-the-grpc-and-http-doors):
// the DoorAuthenticator both doors are handed. A caller is who its `authorization` header says
// (Basic: a user's password checked against its SCRAM credentials, as SASL PLAIN checks it;
// Bearer: a JWT checked as OAUTHBEARER checks it), else the subject of its verified client
// certificate (as on the Kafka port), else User:ANONYMOUS when the node allows anonymous
// callers. Wrong credentials are refused after the failed-login delay of the client's address.
// A successful check is remembered for a short while (keyed by a SHA-256 of the header, never
// the header itself), because a password check is a PBKDF2 of thousands of iterations.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AdminError, ANONYMOUS_CALLER_PRINCIPAL, type Caller, type DoorAuthenticator, type PresentedCredentials } from '@floe/admin-api';
import {
  AuthenticationError,
  certificatePrincipal,
  checkPasswordAgainstScram,
  NoMatchingPrincipalRuleError,
  type FailedLogins,
  type JwtValidator,
  type PrincipalMappingRules,
  type ScramCredentialStore,
} from '@floe/auth';

export const DOOR_AUTH_MODES = ['anonymous', 'required'] as const;
export type DoorAuthMode = (typeof DOOR_AUTH_MODES)[number];

/** How long a successful password or token check is remembered. */
export const DEFAULT_DOOR_AUTH_CACHE_MS = 30_000;
const MAX_CACHED = 10_000;

export type AuthorizationHeader = { scheme: 'basic'; user: string; password: string } | { scheme: 'bearer'; token: string };

const refused = (message: string) => new AdminError('unauthenticated', message);

/** The credentials of an `authorization` header (RFC 7617 Basic, RFC 6750 Bearer); refused when malformed. */
export function parseAuthorization(header: string): AuthorizationHeader {
  const m = /^([A-Za-z]+) +(\S+) *$/.exec(header);
  if (!m) throw refused('the authorization header is not "Basic <base64>" or "Bearer <token>"');
  const scheme = m[1]!.toLowerCase();
  const value = m[2]!;
  if (scheme === 'bearer') return { scheme, token: value };
  if (scheme !== 'basic') throw refused(`unsupported authorization scheme "${m[1]}" (Basic or Bearer)`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) throw refused('the Basic credentials are not base64');
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw refused('the Basic credentials are not "user:password"');
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (password === '') throw refused('the Basic credentials have no password');
  return { scheme, user, password };
}

export interface DoorAuthOptions {
  mode: DoorAuthMode;
  /** The SCRAM credentials Basic passwords are checked against. */
  credentials: Pick<ScramCredentialStore, 'keys'>;
  /** Bearer tokens: the OAUTHBEARER validator; absent, Bearer is refused. */
  jwt?: Pick<JwtValidator, 'validate'> | undefined;
  /** Kafka's ssl.principal.mapping.rules for certificate subjects, as on the Kafka port; absent: the whole subject. */
  principalMapping?: PrincipalMappingRules | undefined;
  /** Per-address delays of failed logins, shared with nothing else. */
  failedLogins: FailedLogins;
  /** How long a successful check is remembered (0: never). Default 30 s. */
  cacheMs?: number;
  now?: () => number;
  /** How a refusal waits; tests pass a recorder. */
  delay?: (ms: number) => Promise<unknown>;
}

export function doorAuthenticator(opts: DoorAuthOptions): DoorAuthenticator {
  const cacheMs = opts.cacheMs ?? DEFAULT_DOOR_AUTH_CACHE_MS;
  const now = opts.now ?? Date.now;
  const delay = opts.delay ?? ((ms: number) => sleep(ms));
  /** SHA-256 of the header → the principal and until when it holds. */
  const cache = new Map<string, { principal: string; untilMs: number }>();

  const check = async (header: string): Promise<{ principal: string; untilMs: number }> => {
    const credentials = parseAuthorization(header);
    if (credentials.scheme === 'basic') {
      if (!(await checkPasswordAgainstScram((u, m) => opts.credentials.keys(u, m), credentials.user, credentials.password))) {
        throw refused('Authentication failed: Invalid username or password');
      }
      return { principal: `User:${credentials.user}`, untilMs: now() + cacheMs };
    }
    if (!opts.jwt) throw refused('Bearer tokens are not accepted: this node has no JWKS (FLOE_SASL_OAUTHBEARER_JWKS)');
    try {
      const { principal, expiresAtMs } = await opts.jwt.validate(credentials.token);
      return { principal, untilMs: Math.min(now() + cacheMs, expiresAtMs) };
    } catch (err) {
      if (err instanceof AuthenticationError) throw refused(err.message);
      throw err;
    }
  };

  const principalOf = async (header: string): Promise<string> => {
    const key = createHash('sha256').update(header).digest('base64');
    const hit = cache.get(key);
    if (hit && hit.untilMs > now()) return hit.principal;
    cache.delete(key);
    const found = await check(header);
    if (cacheMs > 0) {
      cache.set(key, found);
      while (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
    }
    return found.principal;
  };

  return async (presented: PresentedCredentials): Promise<Caller> => {
    const { host } = presented;
    if (presented.authorization !== undefined && presented.authorization !== '') {
      try {
        return { principal: await principalOf(presented.authorization), host };
      } catch (err) {
        // Wrong credentials wait, longer with each failure from the address; a storage failure does not.
        if (err instanceof AdminError) await delay(opts.failedLogins.fail(host));
        throw err;
      }
    }
    if (presented.certificate) {
      try {
        return { principal: certificatePrincipal(Buffer.from(presented.certificate), opts.principalMapping), host };
      } catch (err) {
        // No mapping rule applies: refused, as the Kafka port closes such a connection.
        if (err instanceof NoMatchingPrincipalRuleError) throw refused(err.message);
        throw err;
      }
    }
    if (opts.mode === 'anonymous') return { principal: ANONYMOUS_CALLER_PRINCIPAL, host };
    // No credentials is no guess: answered at once.
    throw refused('credentials required: an authorization header (Basic or Bearer) or a client certificate');
  };
}
