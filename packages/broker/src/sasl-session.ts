// The authentication state of one connection on a SASL listener (SASL_PLAINTEXT, SASL_SSL).
//
//   not authenticated ──SaslHandshake──▶ mechanism chosen ──SaslAuthenticate…──▶ authenticated
//                                                          └─ failure: answer, then close
//
// Until it has authenticated a connection may send only ApiVersions, SaslHandshake and
// SaslAuthenticate, one at a time, at most `maxRequestsBeforeAuth` of them, each under the
// first-request size limit. KIP-368: an authenticated session lasts `sessionLifetimeMs` (bounded
// by the credential's own expiry); the client re-authenticates (SaslHandshake + SaslAuthenticate
// again, the same principal) before then, or its next request closes the connection.
import { ANONYMOUS } from '@floe/authz';
import type { Authenticator, FailedLogins, SaslExchange } from '@floe/auth';
import { ApiKey } from '@floe/protocol';

/** What a SASL listener authenticates with. */
export interface SaslSettings {
  authenticator: Authenticator;
  /** KIP-368 (connections.max.reauth.ms): 0 means sessions last as long as their credential. */
  sessionLifetimeMs: number;
  /** Per client address: slows down repeated failures. Shared by every listener of the node. */
  failedLogins: FailedLogins;
  /** Requests a connection may send before it has authenticated. */
  maxRequestsBeforeAuth: number;
  /** A connection that has not authenticated within this time is closed. */
  authTimeoutMs: number;
}

export const DEFAULT_MAX_REQUESTS_BEFORE_AUTH = 16;
export const DEFAULT_AUTH_TIMEOUT_MS = 30_000;

const ALLOWED_BEFORE_AUTH: ReadonlySet<number> = new Set([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

export class SaslSession {
  readonly settings: SaslSettings;
  /** The principal of the last successful authentication; ANONYMOUS before it. */
  principal: string = ANONYMOUS;
  authenticated = false;
  /** Epoch ms when the session ends (Infinity: never). */
  expiresAtMs = Infinity;
  /** The exchange under way, after a SaslHandshake. */
  exchange: SaslExchange | undefined;
  /** Set by a failed authentication: the connection closes once the answer is written. */
  closeAfterAnswer: string | undefined;
  private requestsBeforeAuth = 0;

  constructor(settings: SaslSettings) {
    this.settings = settings;
  }

  /** Why a request may not be served now, or undefined when it may. */
  refusal(apiKey: number, now = Date.now()): string | undefined {
    if (!this.authenticated) {
      if (!ALLOWED_BEFORE_AUTH.has(apiKey)) return 'request before SASL authentication';
      if (++this.requestsBeforeAuth > this.settings.maxRequestsBeforeAuth) return 'too many requests before SASL authentication';
      return undefined;
    }
    if (now >= this.expiresAtMs && apiKey !== ApiKey.SaslHandshake && apiKey !== ApiKey.SaslAuthenticate) {
      return 'SASL session expired without re-authentication';
    }
    return undefined;
  }

  /**
   * Records a successful exchange; returns the session lifetime to tell the client (0: none), or
   * throws when a re-authentication names another principal.
   */
  succeed(principal: string, credentialExpiresAtMs: number | undefined, now = Date.now()): number {
    if (this.authenticated && principal !== this.principal) throw new Error('Cannot change principals during re-authentication');
    this.principal = principal;
    this.authenticated = true;
    this.exchange = undefined;
    const configured = this.settings.sessionLifetimeMs > 0 ? now + this.settings.sessionLifetimeMs : Infinity;
    this.expiresAtMs = Math.min(configured, credentialExpiresAtMs ?? Infinity);
    return Number.isFinite(this.expiresAtMs) ? Math.max(1, this.expiresAtMs - now) : 0;
  }
}
