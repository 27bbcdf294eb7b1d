import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import {
  AuthenticationError,
  FailedLogins,
  JwtValidator,
  NoMatchingPrincipalRuleError,
  OAuthBearerServerExchange,
  PlainServerExchange,
  certificatePrincipal,
  escapeDnValue,
  formatDn,
  keysFromSaltedPassword,
  parseOAuthBearer,
  parsePrincipalMappingRules,
  parsePlain,
  saltedPassword,
  type ScramMechanism,
} from '../../src/index.ts';

describe('PLAIN', () => {
  it('parses authzid, user and password, and refuses malformed messages', () => {
    expect(parsePlain(Buffer.from('\u0000alice\u0000pw'))).toEqual({ authzid: '', user: 'alice', password: 'pw' });
    expect(parsePlain(Buffer.from('alice\u0000alice\u0000pw')).user).toBe('alice');
    expect(() => parsePlain(Buffer.from('bob\u0000alice\u0000pw'))).toThrow(/authorization id/);
    expect(() => parsePlain(Buffer.from('alice\u0000pw'))).toThrow(/3 tokens/);
    expect(() => parsePlain(Buffer.from('\u0000\u0000pw'))).toThrow(/username/);
    expect(() => parsePlain(Buffer.from('\u0000alice\u0000'))).toThrow(/password/);
  });

  it('checks the password against the SCRAM credentials', async () => {
    const salt = Buffer.from('salt-of-alice');
    const stored = keysFromSaltedPassword('SCRAM-SHA-256', saltedPassword('SCRAM-SHA-256', 'right', salt, 4096), salt, 4096);
    const lookup = async (u: string, m: ScramMechanism) => (u === 'alice' && m === 'SCRAM-SHA-256' ? stored : undefined);
    await expect(new PlainServerExchange(lookup).step(Buffer.from('\u0000alice\u0000right'))).resolves.toMatchObject({ done: true, principal: 'User:alice' });
    await expect(new PlainServerExchange(lookup).step(Buffer.from('\u0000alice\u0000wrong'))).rejects.toThrow(AuthenticationError);
    await expect(new PlainServerExchange(lookup).step(Buffer.from('\u0000bob\u0000right'))).rejects.toThrow(AuthenticationError);
  });
});

describe('OAUTHBEARER', () => {
  it('parses the RFC 7628 client first message', () => {
    expect(parseOAuthBearer(Buffer.from('n,,\u0001auth=Bearer abc.def.ghi\u0001\u0001'))).toEqual({ authzid: '', token: 'abc.def.ghi', extensions: {} });
    expect(parseOAuthBearer(Buffer.from('n,a=alice,\u0001auth=bearer a.b.c\u0001traceId=42\u0001\u0001'))).toEqual({
      authzid: 'alice',
      token: 'a.b.c',
      extensions: { traceId: '42' },
    });
    expect(() => parseOAuthBearer(Buffer.from('n,,\u0001auth=Basic abc\u0001\u0001'))).toThrow(AuthenticationError);
    expect(() => parseOAuthBearer(Buffer.from('n,,auth=Bearer abc'))).toThrow(AuthenticationError);
    expect(() => parseOAuthBearer(Buffer.from('n,,\u0001\u0001'))).toThrow(AuthenticationError);
  });

  it('validates signature, issuer, audience and expiry against a JWKS file, with a configurable principal claim', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'floe-jwks-'));
    try {
      const { privateKey, publicKey } = await generateKeyPair('RS256');
      const other = await generateKeyPair('RS256');
      const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' };
      const jwksFile = join(dir, 'jwks.json');
      await writeFile(jwksFile, JSON.stringify({ keys: [jwk] }));
      const sign = (claims: Record<string, unknown>, exp: number | string, key = privateKey) =>
        new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer('floe-test').setAudience('floe').setExpirationTime(exp).sign(key);
      const validator = new JwtValidator({ jwks: jwksFile, issuer: 'floe-test', audience: 'floe', principalClaim: 'preferred_username' });
      const now = Math.floor(Date.now() / 1000);
      const good = await sign({ sub: 'id-1', preferred_username: 'carol' }, now + 600);
      const message = (t: string) => Buffer.from(`n,,\u0001auth=Bearer ${t}\u0001\u0001`);
      const ok = await new OAuthBearerServerExchange(validator).step(message(good));
      expect(ok).toMatchObject({ done: true, principal: 'User:carol', expiresAtMs: (now + 600) * 1000 });

      const refused = async (t: string) => new OAuthBearerServerExchange(validator).step(message(t)).then(() => 'accepted', (e: Error) => e.message);
      expect(await refused(await sign({ preferred_username: 'carol' }, now - 3600))).toMatch(/expired/);
      expect(await refused(await sign({ preferred_username: 'carol' }, now + 600, other.privateKey))).toMatch(/invalid OAUTHBEARER token/);
      expect(await refused(await sign({ sub: 'id-1' }, now + 600))).toMatch(/preferred_username/);
      const wrongIssuer = await new SignJWT({ preferred_username: 'carol' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer('someone').setAudience('floe').setExpirationTime(now + 600).sign(privateKey);
      expect(await refused(wrongIssuer)).toMatch(/invalid OAUTHBEARER token/);
      const tampered = good.replace(/\.([^.]+)\./, (_m, p: string) => `.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), preferred_username: 'root' })).toString('base64url')}.`);
      expect(await refused(tampered)).toMatch(/invalid OAUTHBEARER token/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('distinguished names', () => {
  it('formats a subject as Kafka does (most specific first, RFC 2253 escapes)', () => {
    expect(formatDn([['C', 'US'], ['O', 'Floe'], ['OU', 'Eng'], ['CN', 'alice']])).toBe('CN=alice,OU=Eng,O=Floe,C=US');
    expect(escapeDnValue('Smith, John')).toBe('Smith\\, John');
    expect(escapeDnValue('#1 a+b')).toBe('\\#1 a\\+b');
    expect(escapeDnValue(' x ')).toBe('\\ x\\ ');
  });

  it('names the principal of a real certificate made by openssl', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'floe-dn-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-subj', '/C=DE/O=Floe Test/OU=Clients/CN=app-1'], { stdio: 'ignore' });
      const der = new X509Certificate(execFileSync('cat', [join(dir, 'c.pem')])).raw;
      expect(certificatePrincipal(der)).toBe('User:CN=app-1,OU=Clients,O=Floe Test,C=DE');
      // With ssl.principal.mapping.rules: the name the first matching rule makes of the subject.
      expect(certificatePrincipal(der, parsePrincipalMappingRules('RULE:^CN=(.*?),OU=Clients.*$/$1/U,DEFAULT'))).toBe('User:APP-1');
      expect(() => certificatePrincipal(der, parsePrincipalMappingRules('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/'))).toThrow(NoMatchingPrincipalRuleError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('failed logins', () => {
  it('delays each failure from an address more, up to a cap, and forgets a quiet address', () => {
    const f = new FailedLogins({ baseDelayMs: 100, maxDelayMs: 1000, forgetAfterMs: 60_000 });
    expect([1, 2, 3, 4, 5, 6].map(() => f.fail('10.0.0.1', 1000))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(f.fail('10.0.0.2', 1000)).toBe(100);
    expect(f.fail('10.0.0.1', 1000 + 61_000)).toBe(100);
  });
});
