// What a node offers for SASL: the enabled mechanisms and where their credentials come from.
import { JwtValidator, OAuthBearerServerExchange, type OAuthBearerOptions } from './oauthbearer.ts';
import { PlainServerExchange } from './plain.ts';
import { isScramMechanism } from './scram-crypto.ts';
import type { ScramCredentialStore } from './scram-credentials.ts';
import { NonceRegistry, ScramServerExchange, type ScramKeyLookup } from './scram-server.ts';
import type { SaslExchange, SaslMechanism } from './sasl.ts';

export interface AuthenticatorOptions {
  /** The mechanisms offered, in the order SaslHandshake lists them. */
  mechanisms: readonly SaslMechanism[];
  /** SCRAM (and PLAIN) credentials. */
  credentials: Pick<ScramCredentialStore, 'keys'>;
  /** Required when OAUTHBEARER is offered. */
  oauthBearer?: OAuthBearerOptions | undefined;
}

export class Authenticator {
  readonly mechanisms: readonly SaslMechanism[];
  private readonly lookup: ScramKeyLookup;
  private readonly nonces = new NonceRegistry();
  private readonly jwt: JwtValidator | undefined;

  constructor(options: AuthenticatorOptions) {
    this.mechanisms = options.mechanisms;
    this.lookup = (user, mechanism) => options.credentials.keys(user, mechanism);
    if (options.mechanisms.includes('OAUTHBEARER')) {
      if (!options.oauthBearer) throw new Error('OAUTHBEARER needs a JWKS (the oauthBearer options)');
      this.jwt = new JwtValidator(options.oauthBearer);
    }
  }

  /** A new exchange for a mechanism this node offers; undefined for any other. */
  begin(mechanism: string): SaslExchange | undefined {
    if (!(this.mechanisms as readonly string[]).includes(mechanism)) return undefined;
    if (mechanism === 'PLAIN') return new PlainServerExchange(this.lookup);
    if (mechanism === 'OAUTHBEARER') return new OAuthBearerServerExchange(this.jwt!);
    if (isScramMechanism(mechanism)) return new ScramServerExchange(mechanism, this.lookup, this.nonces);
    return undefined;
  }
}
