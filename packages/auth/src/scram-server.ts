// The server side of SCRAM (RFC 5802, RFC 7677): two round trips.
//
//   client-first  n,,n=<user>,r=<client nonce>
//   server-first  r=<client nonce><server nonce>,s=<salt>,i=<iterations>
//   client-final  c=biws,r=<the same combined nonce>,p=<proof>
//   server-final  v=<server signature>
//
// The combined nonce must come back byte for byte and the proof must match the stored key;
// anything else is refused. An unknown user gets a server-first made from made-up keys, so it
// fails at the proof like a wrong password and the answer does not tell whether the user exists.
import { createHmac, randomBytes } from 'node:crypto';
import { AuthenticationError } from './errors.ts';
import { digest, hashBytes, hmac, sameBytes, xor, type ScramKeys, type ScramMechanism, MIN_SCRAM_ITERATIONS } from './scram-crypto.ts';
import type { SaslExchange, SaslStep } from './sasl.ts';

const FAILED = 'Authentication failed during authentication due to invalid credentials with SASL mechanism';

/** Looks up a user's stored keys. */
export type ScramKeyLookup = (user: string, mechanism: ScramMechanism) => Promise<ScramKeys | undefined>;

/**
 * Client nonces seen lately on this node: a client-first that repeats one is refused (a replay),
 * as is any client-final whose nonce is not the one this exchange handed out. Bounded in count
 * and age.
 */
export class NonceRegistry {
  private readonly seen = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;
  constructor(maxEntries = 100_000, maxAgeMs = 15 * 60_000) {
    this.maxEntries = maxEntries;
    this.maxAgeMs = maxAgeMs;
  }

  /** Records a nonce; false when it was seen within the window. */
  claim(nonce: string, now = Date.now()): boolean {
    const at = this.seen.get(nonce);
    if (at !== undefined && now - at < this.maxAgeMs) return false;
    this.seen.delete(nonce);
    this.seen.set(nonce, now);
    // Oldest first in a Map: evict from the front.
    for (const [k, t] of this.seen) {
      if (this.seen.size <= this.maxEntries && now - t < this.maxAgeMs) break;
      this.seen.delete(k);
    }
    return true;
  }
}

/** RFC 5802 saslname: "=2C" is ",", "=3D" is "="; any other "=" is malformed. */
export function decodeSaslName(s: string): string {
  if (/=(?!2C|3D)/.test(s)) throw new AuthenticationError('Invalid SCRAM user name', `bad escape in "${s}"`);
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** Splits "k=v,k=v" into ordered pairs; a part without "=" is malformed. */
function attributes(s: string): [string, string][] {
  return s.split(',').map((part) => {
    const m = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/s.exec(part);
    if (!m) throw new AuthenticationError('Invalid SCRAM message', `malformed attribute "${part}"`);
    return [m[1]!, m[2]!];
  });
}

interface ClientFirst {
  gs2Header: string;
  user: string;
  nonce: string;
  bare: string;
}

export function parseClientFirst(text: string): ClientFirst {
  // gs2-header: "n," | "y," then an optional "a=authzid", then ","; "p=" (channel binding) is not offered.
  const m = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(text);
  if (!m) throw new AuthenticationError('Invalid SCRAM client first message', 'bad gs2 header');
  const bare = m[3]!;
  const attrs = attributes(bare);
  if (attrs[0]?.[0] === 'm') throw new AuthenticationError('Invalid SCRAM client first message', 'mandatory extension');
  if (attrs[0]?.[0] !== 'n' || attrs[1]?.[0] !== 'r') throw new AuthenticationError('Invalid SCRAM client first message', 'expected n= then r=');
  const user = decodeSaslName(attrs[0][1]);
  const nonce = attrs[1][1];
  if (user === '' || !/^[\x21-\x2b\x2d-\x7e]+$/.test(nonce)) throw new AuthenticationError('Invalid SCRAM client first message', 'empty user or bad nonce');
  for (const [k, v] of attrs.slice(2)) {
    // Kafka's delegation tokens ride on this extension; Floe has none.
    if (k === 'tokenauth' && v === 'true') throw new AuthenticationError('Delegation tokens are not supported');
  }
  if (m[2] !== undefined) {
    const authzid = decodeSaslName(m[2].slice(2));
    if (authzid !== '' && authzid !== user) {
      throw new AuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    }
  }
  return { gs2Header: `${m[1]},${m[2] ?? ''},`, user, nonce, bare };
}

/** Made-up but stable keys for a user without a credential, so the exchange proceeds and fails at the proof. */
function decoyKeys(mechanism: ScramMechanism, user: string, secret: Buffer): ScramKeys {
  const salt = createHmac('sha256', secret).update(`salt:${mechanism}:${user}`).digest();
  return { salt, iterations: MIN_SCRAM_ITERATIONS, storedKey: randomBytes(hashBytes(mechanism)), serverKey: randomBytes(hashBytes(mechanism)) };
}

const DECOY_SECRET = randomBytes(32);

export class ScramServerExchange implements SaslExchange {
  readonly mechanism: ScramMechanism;
  private readonly lookup: ScramKeyLookup;
  private readonly nonces: NonceRegistry;
  private state: 'first' | 'final' | 'done' = 'first';
  private first: ClientFirst | undefined;
  private serverFirst = '';
  private combinedNonce = '';
  private keys: ScramKeys | undefined;
  private known = false;

  private readonly serverNonce: () => string;

  /** `serverNonce`: the random part the server adds (tests pass a fixed one, e.g. RFC 7677's). */
  constructor(mechanism: ScramMechanism, lookup: ScramKeyLookup, nonces: NonceRegistry, serverNonce = () => randomBytes(24).toString('base64')) {
    this.mechanism = mechanism;
    this.lookup = lookup;
    this.nonces = nonces;
    this.serverNonce = serverNonce;
  }

  async step(response: Buffer): Promise<SaslStep> {
    const text = response.toString('utf8');
    if (this.state === 'first') return this.onClientFirst(text);
    if (this.state === 'final') return this.onClientFinal(text);
    throw new AuthenticationError('SCRAM exchange is already complete');
  }

  private async onClientFirst(text: string): Promise<SaslStep> {
    const first = parseClientFirst(text);
    if (!this.nonces.claim(first.nonce)) throw new AuthenticationError(`${FAILED} ${this.mechanism}`, 'client nonce reused');
    const stored = await this.lookup(first.user, this.mechanism);
    this.known = stored !== undefined;
    this.keys = stored ?? decoyKeys(this.mechanism, first.user, DECOY_SECRET);
    this.first = first;
    this.combinedNonce = first.nonce + this.serverNonce();
    this.serverFirst = `r=${this.combinedNonce},s=${this.keys.salt.toString('base64')},i=${this.keys.iterations}`;
    this.state = 'final';
    return { challenge: Buffer.from(this.serverFirst, 'utf8'), done: false };
  }

  private async onClientFinal(text: string): Promise<SaslStep> {
    this.state = 'done';
    const first = this.first!;
    const keys = this.keys!;
    const proofAt = text.lastIndexOf(',p=');
    if (proofAt < 0) throw new AuthenticationError('Invalid SCRAM client final message', 'no proof');
    const withoutProof = text.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    const proof = Buffer.from(text.slice(proofAt + 3), 'base64');
    if (attrs[0]?.[0] !== 'c' || attrs[1]?.[0] !== 'r') throw new AuthenticationError('Invalid SCRAM client final message', 'expected c= then r=');
    if (attrs[0][1] !== Buffer.from(first.gs2Header, 'utf8').toString('base64')) {
      throw new AuthenticationError('Invalid SCRAM client final message', 'channel binding does not match the gs2 header');
    }
    // The nonce handed out, exactly; or the client nonce followed by it, which is what librdkafka
    // sends (2.0.2 here: it prefixes the server's nonce with its own; Kafka's server accepts this,
    // checking only that the nonce ends with the one it handed out).
    const nonce = attrs[1][1];
    if (nonce !== this.combinedNonce && nonce !== first.nonce + this.combinedNonce) {
      throw new AuthenticationError(`${FAILED} ${this.mechanism}`, 'nonce does not match the one handed out');
    }
    if (proof.length !== hashBytes(this.mechanism)) throw new AuthenticationError(`${FAILED} ${this.mechanism}`, 'proof has the wrong length');
    const authMessage = `${first.bare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.mechanism, keys.storedKey, authMessage);
    const clientKey = xor(proof, clientSignature);
    if (!this.known || !sameBytes(digest(this.mechanism, clientKey), keys.storedKey)) {
      throw new AuthenticationError(`${FAILED} ${this.mechanism}`, this.known ? 'proof does not match' : 'no such user');
    }
    const serverSignature = hmac(this.mechanism, keys.serverKey, authMessage);
    return { challenge: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'), done: true, principal: `User:${first.user}` };
  }
}
