// The server side of one SASL exchange, mechanism-neutral: the broker feeds it the client's
// bytes (SaslAuthenticate's authBytes) and sends back what it answers.

/** What one step of an exchange answers. */
export interface SaslStep {
  /** The server's next message (empty when the mechanism has none). */
  challenge: Buffer;
  /** The exchange is over and the client is who `principal` says. */
  done: boolean;
  /** `User:name`, once done. */
  principal?: string;
  /** Epoch ms after which the credential no longer holds (OAUTHBEARER: the token's `exp`). */
  expiresAtMs?: number;
}

export interface SaslExchange {
  readonly mechanism: string;
  /** One client message. Throws AuthenticationError to refuse the login. */
  step(response: Buffer): Promise<SaslStep>;
}

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export function isSaslMechanism(m: string): m is SaslMechanism {
  return (SASL_MECHANISMS as readonly string[]).includes(m);
}
