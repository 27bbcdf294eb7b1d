// SASL PLAIN (RFC 4616): one message, [authzid] NUL authcid NUL passwd. The password is checked
// against the user's SCRAM credentials (SCRAM-SHA-512 first, then SCRAM-SHA-256): one user
// store for both mechanisms, and still no password kept anywhere.
import { AuthenticationError } from './errors.ts';
import { digest, hmac, sameBytes, saltedPassword, SCRAM_MECHANISMS } from './scram-crypto.ts';
import type { ScramKeyLookup } from './scram-server.ts';
import type { SaslExchange, SaslStep } from './sasl.ts';

const INVALID = 'Authentication failed: Invalid username or password';

export interface PlainMessage {
  authzid: string;
  user: string;
  password: string;
}

export function parsePlain(message: Buffer): PlainMessage {
  const text = message.toString('utf8');
  const parts = text.split('\u0000');
  if (parts.length !== 3) throw new AuthenticationError('Invalid SASL/PLAIN response: expected 3 tokens', `${parts.length} tokens`);
  const [authzid, user, password] = parts as [string, string, string];
  if (user === '') throw new AuthenticationError('Authentication failed: username not specified');
  if (password === '') throw new AuthenticationError('Authentication failed: password not specified');
  if (authzid !== '' && authzid !== user) {
    throw new AuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
  }
  return { authzid, user, password };
}

/** True when `password` matches a SCRAM credential of the user. */
export async function checkPasswordAgainstScram(lookup: ScramKeyLookup, user: string, password: string): Promise<boolean> {
  for (const mechanism of [...SCRAM_MECHANISMS].reverse()) {
    const keys = await lookup(user, mechanism);
    if (!keys) continue;
    const clientKey = hmac(mechanism, saltedPassword(mechanism, password, keys.salt, keys.iterations), 'Client Key');
    return sameBytes(digest(mechanism, clientKey), keys.storedKey);
  }
  return false;
}

export class PlainServerExchange implements SaslExchange {
  readonly mechanism = 'PLAIN';
  private readonly lookup: ScramKeyLookup;
  private used = false;
  constructor(lookup: ScramKeyLookup) {
    this.lookup = lookup;
  }

  async step(response: Buffer): Promise<SaslStep> {
    if (this.used) throw new AuthenticationError('SASL/PLAIN exchange is already complete');
    this.used = true;
    const { user, password } = parsePlain(response);
    if (!(await checkPasswordAgainstScram(this.lookup, user, password))) throw new AuthenticationError(INVALID, `wrong password or no such user: ${user}`);
    return { challenge: Buffer.alloc(0), done: true, principal: `User:${user}` };
  }
}
