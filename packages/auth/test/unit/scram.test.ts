import { describe, expect, it } from '@jest/globals';
import { EmbeddedCoordinationStore } from '@floe/coordination';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuthenticationError,
  CredentialError,
  NonceRegistry,
  ScramCredentialStore,
  ScramServerExchange,
  digest,
  hmac,
  keysFromSaltedPassword,
  saltedPassword,
  xor,
  type ScramKeys,
  type ScramMechanism,
} from '../../src/index.ts';

// RFC 7677 section 3: user "user", password "pencil".
const RFC = {
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

function rfcKeys(): ScramKeys {
  const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
  return keysFromSaltedPassword('SCRAM-SHA-256', saltedPassword('SCRAM-SHA-256', 'pencil', salt, 4096), salt, 4096);
}

/** A client's side of SCRAM, written from RFC 5802 for the tests. */
function clientFinal(mechanism: ScramMechanism, password: string, clientFirstBare: string, serverFirst: string): { message: string; serverSignature: string } {
  const attrs = Object.fromEntries(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
  const salt = Buffer.from(attrs.s!, 'base64');
  const salted = saltedPassword(mechanism, password, salt, Number(attrs.i));
  const clientKey = hmac(mechanism, salted, 'Client Key');
  const withoutProof = `c=biws,r=${attrs.r}`;
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const proof = xor(clientKey, hmac(mechanism, digest(mechanism, clientKey), authMessage));
  const serverSignature = hmac(mechanism, hmac(mechanism, salted, 'Server Key'), authMessage).toString('base64');
  return { message: `${withoutProof},p=${proof.toString('base64')}`, serverSignature };
}

describe('SCRAM server', () => {
  it('follows the RFC 7677 SCRAM-SHA-256 test vector byte for byte', async () => {
    const ex = new ScramServerExchange('SCRAM-SHA-256', async (u) => (u === 'user' ? rfcKeys() : undefined), new NonceRegistry(), () => RFC.serverNonce);
    const first = await ex.step(Buffer.from(RFC.clientFirst));
    expect(first.challenge.toString()).toBe(RFC.serverFirst);
    expect(first.done).toBe(false);
    const final = await ex.step(Buffer.from(RFC.clientFinal));
    expect(final.challenge.toString()).toBe(RFC.serverFinal);
    expect(final).toMatchObject({ done: true, principal: 'User:user' });
  });

  it('refuses a tampered proof, a forged nonce and a replayed client nonce', async () => {
    const lookup = async (u: string) => (u === 'user' ? rfcKeys() : undefined);
    const nonces = new NonceRegistry();
    const tampered = new ScramServerExchange('SCRAM-SHA-256', lookup, nonces, () => RFC.serverNonce);
    await tampered.step(Buffer.from(RFC.clientFirst));
    const badProof = RFC.clientFinal.replace('p=dHzb', 'p=dHzc');
    await expect(tampered.step(Buffer.from(badProof))).rejects.toThrow(AuthenticationError);

    // The same client nonce again: a replay of the whole exchange is refused at its first message.
    const replay = new ScramServerExchange('SCRAM-SHA-256', lookup, nonces, () => RFC.serverNonce);
    await expect(replay.step(Buffer.from(RFC.clientFirst))).rejects.toThrow(AuthenticationError);

    // A fresh exchange answered with a final message carrying another nonce (the one of an earlier exchange).
    const fresh = new ScramServerExchange('SCRAM-SHA-256', lookup, nonces);
    const sf = (await fresh.step(Buffer.from('n,,n=user,r=fresh-client-nonce'))).challenge.toString();
    expect(sf.startsWith('r=fresh-client-nonce')).toBe(true);
    await expect(fresh.step(Buffer.from(RFC.clientFinal))).rejects.toThrow(/invalid credentials/);
  });

  it('authenticates SCRAM-SHA-512 against credentials stored in the coordination table, and refuses a wrong password or an unknown user alike', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'floe-scram-'));
    const store = await EmbeddedCoordinationStore.open(dir);
    try {
      const creds = new ScramCredentialStore(store);
      await creds.setPassword('alice', 'SCRAM-SHA-512', 'alice-secret', 8192);
      const items = await store.query('scram-credentials');
      expect(items).toHaveLength(1);
      expect(JSON.stringify(items)).not.toContain('alice-secret');
      expect(await creds.list()).toEqual([{ user: 'alice', mechanism: 'SCRAM-SHA-512', iterations: 8192 }]);

      const login = async (user: string, password: string) => {
        const ex = new ScramServerExchange('SCRAM-SHA-512', (u, m) => creds.keys(u, m), new NonceRegistry());
        const bare = `n=${user},r=${Math.random().toString(36).slice(2)}`;
        const sf = (await ex.step(Buffer.from(`n,,${bare}`))).challenge.toString();
        const { message, serverSignature } = clientFinal('SCRAM-SHA-512', password, bare, sf);
        const end = await ex.step(Buffer.from(message));
        expect(end.challenge.toString()).toBe(`v=${serverSignature}`);
        return end.principal;
      };
      expect(await login('alice', 'alice-secret')).toBe('User:alice');
      const wrong = await login('alice', 'nope').catch((e: Error) => e.message);
      const unknown = await login('mallory', 'nope').catch((e: Error) => e.message);
      expect(wrong).toMatch(/invalid credentials/);
      expect(unknown).toBe(wrong);

      await expect(creds.apply([{ kind: 'delete', user: 'bob', mechanism: 'SCRAM-SHA-256' }])).rejects.toThrow(CredentialError);
      await expect(creds.setPassword('bob', 'SCRAM-SHA-256', 'x', 1000)).rejects.toThrow(/Too few iterations/);
      await creds.apply([{ kind: 'delete', user: 'alice', mechanism: 'SCRAM-SHA-512' }]);
      expect(await creds.list()).toEqual([]);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('parses user names with RFC 5802 escapes and refuses a mismatched authzid', async () => {
    const keys: ScramKeys[] = [];
    const ex = new ScramServerExchange('SCRAM-SHA-256', async (u) => {
      expect(u).toBe('a,b=c');
      keys.push(rfcKeys());
      return keys[0];
    }, new NonceRegistry());
    await ex.step(Buffer.from('n,,n=a=2Cb=3Dc,r=abc'));
    const other = new ScramServerExchange('SCRAM-SHA-256', async () => undefined, new NonceRegistry());
    await expect(other.step(Buffer.from('n,a=admin,n=user,r=abc'))).rejects.toThrow(/authorization id/);
    await expect(other.step(Buffer.from('p=tls-unique,,n=user,r=abc'))).rejects.toThrow(AuthenticationError);
  });
});
