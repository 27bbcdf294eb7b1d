// SASL OAUTHBEARER (RFC 7628): the client's first message carries a bearer token, here a JWT
// checked against a JSON Web Key Set (signature, issuer, audience, expiry) with `jose`.
//
//   n,[a=<authzid>],^Aauth=Bearer <token>^A[<key>=<value>^A]*^A      (^A is 0x01)
import { readFile, stat } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { AuthenticationError } from './errors.ts';
import type { SaslExchange, SaslStep } from './sasl.ts';

export interface OAuthBearerMessage {
  authzid: string;
  token: string;
  extensions: Record<string, string>;
}

export function parseOAuthBearer(message: Buffer): OAuthBearerMessage {
  const text = message.toString('utf8');
  const m = /^([ny]),(?:a=([^,]*))?,\x01(.*)\x01\x01$/s.exec(text);
  if (!m) throw new AuthenticationError('Invalid OAUTHBEARER client first message', 'bad framing');
  let token: string | undefined;
  const extensions: Record<string, string> = {};
  for (const kv of m[3]!.split('\x01')) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new AuthenticationError('Invalid OAUTHBEARER client first message', 'bad key=value pair');
    const key = kv.slice(0, eq);
    const value = kv.slice(eq + 1);
    if (key === 'auth') {
      const b = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(value);
      if (!b) throw new AuthenticationError('Invalid OAUTHBEARER client first message', 'auth is not a bearer token');
      token = b[1]!;
    } else {
      if (!/^[A-Za-z]+$/.test(key)) throw new AuthenticationError('Invalid OAUTHBEARER extension name');
      extensions[key] = value;
    }
  }
  if (token === undefined) throw new AuthenticationError('Invalid OAUTHBEARER client first message', 'no auth');
  return { authzid: m[2] ?? '', token, extensions };
}

export interface OAuthBearerOptions {
  /** An http(s) URL serving the JWKS, or a file holding it (re-read when it changes). */
  jwks: string;
  /** Required `iss`, when set. */
  issuer?: string | undefined;
  /** Required `aud` (one of), when set. */
  audience?: string | undefined;
  /** The claim naming the principal (default `sub`). */
  principalClaim?: string | undefined;
  /** Leeway for exp/nbf/iat, in seconds (default 30). */
  clockToleranceS?: number | undefined;
}

/** Checks JWTs against the configured key set. */
export class JwtValidator {
  private readonly options: OAuthBearerOptions;
  private readonly remote: JWTVerifyGetKey | undefined;
  private local: { mtimeMs: number; keys: JWTVerifyGetKey } | undefined;

  constructor(options: OAuthBearerOptions) {
    this.options = options;
    this.remote = /^https?:\/\//.test(options.jwks) ? createRemoteJWKSet(new URL(options.jwks), { cooldownDuration: 30_000 }) : undefined;
  }

  private async keys(): Promise<JWTVerifyGetKey> {
    if (this.remote) return this.remote;
    const path = this.options.jwks.replace(/^file:\/\//, '');
    const { mtimeMs } = await stat(path);
    if (this.local?.mtimeMs !== mtimeMs) this.local = { mtimeMs, keys: createLocalJWKSet(JSON.parse(await readFile(path, 'utf8'))) };
    return this.local.keys;
  }

  /** The principal and expiry of a valid token; AuthenticationError otherwise. */
  async validate(token: string): Promise<{ principal: string; expiresAtMs: number }> {
    const claim = this.options.principalClaim ?? 'sub';
    let payload;
    try {
      ({ payload } = await jwtVerify(token, await this.keys(), {
        ...(this.options.issuer ? { issuer: this.options.issuer } : {}),
        ...(this.options.audience ? { audience: this.options.audience } : {}),
        requiredClaims: ['exp'],
        clockTolerance: this.options.clockToleranceS ?? 30,
      }));
    } catch (err) {
      const reason = err instanceof joseErrors.JWTExpired ? 'the token has expired' : err instanceof joseErrors.JOSEError ? err.code : String(err);
      throw new AuthenticationError(`Authentication failed: invalid OAUTHBEARER token (${reason})`, String(err));
    }
    const name = payload[claim];
    if (typeof name !== 'string' || name === '') {
      throw new AuthenticationError(`Authentication failed: the token has no "${claim}" claim`);
    }
    return { principal: `User:${name}`, expiresAtMs: payload.exp! * 1000 };
  }
}

export class OAuthBearerServerExchange implements SaslExchange {
  readonly mechanism = 'OAUTHBEARER';
  private readonly validator: JwtValidator;
  private used = false;
  constructor(validator: JwtValidator) {
    this.validator = validator;
  }

  async step(response: Buffer): Promise<SaslStep> {
    if (this.used) throw new AuthenticationError('OAUTHBEARER exchange is already complete');
    this.used = true;
    const message = parseOAuthBearer(response);
    const { principal, expiresAtMs } = await this.validator.validate(message.token);
    if (message.authzid !== '' && `User:${message.authzid}` !== principal) {
      throw new AuthenticationError('Authentication failed: the authorization id is not the token\'s principal');
    }
    return { challenge: Buffer.alloc(0), done: true, principal, expiresAtMs };
  }
}
