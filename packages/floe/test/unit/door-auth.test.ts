// The gRPC and HTTP doors' authenticator over real parts: SCRAM credentials in the embedded
// coordination store, a JWKS file and tokens signed with jose, a certificate made by openssl.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { AdminError } from '@floe/admin-api';
import { FailedLogins, JwtValidator, principalMappingOf, ScramCredentialStore, type ScramMechanism } from '@floe/auth';
import { EmbeddedCoordinationStore } from '@floe/coordination';
import { doorAuthenticator, parseAuthorization, type DoorAuthOptions } from '../../src/door-auth.ts';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const host = '10.0.0.7';

describe('parseAuthorization', () => {
  it('reads Basic and Bearer, schemes in any case', () => {
    expect(parseAuthorization(basic('alice', 'pw:with:colons'))).toEqual({ scheme: 'basic', user: 'alice', password: 'pw:with:colons' });
    expect(parseAuthorization(`basic ${Buffer.from('bö:ü').toString('base64')}`)).toEqual({ scheme: 'basic', user: 'bö', password: 'ü' });
    expect(parseAuthorization('Bearer a.b.c')).toEqual({ scheme: 'bearer', token: 'a.b.c' });
    expect(parseAuthorization('BEARER  a.b.c')).toEqual({ scheme: 'bearer', token: 'a.b.c' });
  });

  it('refuses malformed headers as unauthenticated', () => {
    for (const [header, message] of [
      ['Basic', /not "Basic/],
      ['Digest abc', /unsupported authorization scheme "Digest"/],
      ['Basic !!!', /not base64/],
      [`Basic ${Buffer.from('no-colon').toString('base64')}`, /user:password/],
      [`Basic ${Buffer.from(':pw').toString('base64')}`, /user:password/],
      [`Basic ${Buffer.from('alice:').toString('base64')}`, /no password/],
      ['Bearer a b', /not "Basic/],
    ] as const) {
      let caught: unknown;
      try {
        parseAuthorization(header);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(AdminError);
      expect(caught).toMatchObject({ kind: 'unauthenticated', message: expect.stringMatching(message) });
    }
  });
});

describe('doorAuthenticator', () => {
  let dir: string;
  let store: EmbeddedCoordinationStore;
  let credentials: ScramCredentialStore;
  let lookups: number;
  let jwt: JwtValidator;
  let sign: (claims: Record<string, unknown>, exp: number, key?: CryptoKey) => Promise<string>;
  let otherKey: CryptoKey;
  let certificate: Buffer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-door-auth-'));
    store = await EmbeddedCoordinationStore.open(join(dir, 'metadata'));
    credentials = new ScramCredentialStore(store);
    await credentials.setPassword('alice', 'SCRAM-SHA-512', 'alice-secret', 4096);
    await credentials.setPassword('bob', 'SCRAM-SHA-256', 'bob-secret', 4096);
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    otherKey = (await generateKeyPair('RS256')).privateKey;
    await writeFile(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' }] }));
    jwt = new JwtValidator({ jwks: join(dir, 'jwks.json'), issuer: 'floe-test', audience: 'floe' });
    sign = (claims, exp, key = privateKey) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer('floe-test').setAudience('floe').setExpirationTime(exp).sign(key);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-subj', '/O=Floe Test/CN=app-1'], { stdio: 'ignore' });
    certificate = new X509Certificate(await readFile(join(dir, 'c.pem'))).raw;
  });
  afterAll(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** An authenticator whose delays and credential lookups are recorded. */
  const make = (over: Partial<DoorAuthOptions> = {}) => {
    const delays: number[] = [];
    lookups = 0;
    let now = 1_000_000;
    const authenticate = doorAuthenticator({
      mode: 'anonymous',
      credentials: {
        keys: (u: string, m: ScramMechanism) => {
          lookups++;
          return credentials.keys(u, m);
        },
      },
      jwt,
      failedLogins: new FailedLogins({ baseDelayMs: 100, maxDelayMs: 5_000 }),
      now: () => now,
      delay: async (ms) => void delays.push(ms),
      ...over,
    });
    return { authenticate, delays, advance: (ms: number) => (now += ms) };
  };
  const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (e: unknown) => (e instanceof AdminError ? `${e.kind}: ${e.message}` : `other: ${String(e)}`));

  it('takes a Basic user whose password matches its SCRAM credential (either mechanism)', async () => {
    const { authenticate, delays } = make();
    await expect(authenticate({ authorization: basic('alice', 'alice-secret'), host })).resolves.toEqual({ principal: 'User:alice', host });
    await expect(authenticate({ authorization: basic('bob', 'bob-secret'), host })).resolves.toEqual({ principal: 'User:bob', host });
    expect(delays).toEqual([]);
  });

  it('refuses a wrong password and an unknown user alike, each after a longer failed-login delay', async () => {
    const { authenticate, delays } = make();
    expect(await refusal(authenticate({ authorization: basic('alice', 'nope'), host }))).toBe('unauthenticated: Authentication failed: Invalid username or password');
    expect(await refusal(authenticate({ authorization: basic('mallory', 'nope'), host }))).toBe('unauthenticated: Authentication failed: Invalid username or password');
    expect(await refusal(authenticate({ authorization: 'Digest x', host }))).toMatch(/^unauthenticated: unsupported/);
    expect(delays).toEqual([100, 200, 400]);
  });

  it('takes a valid Bearer token and refuses an expired, foreign or token-less one', async () => {
    const { authenticate, delays } = make();
    const now = Math.floor(Date.now() / 1000);
    await expect(authenticate({ authorization: `Bearer ${await sign({ sub: 'carol' }, now + 600)}`, host })).resolves.toEqual({ principal: 'User:carol', host });
    expect(await refusal(authenticate({ authorization: `Bearer ${await sign({ sub: 'carol' }, now - 3600)}`, host }))).toMatch(/^unauthenticated: .*expired/);
    expect(await refusal(authenticate({ authorization: `Bearer ${await sign({ sub: 'carol' }, now + 600, otherKey)}`, host }))).toMatch(/^unauthenticated: .*invalid OAUTHBEARER token/);
    expect(delays).toHaveLength(2);
    const noJwks = make({ jwt: undefined });
    expect(await refusal(noJwks.authenticate({ authorization: `Bearer ${await sign({ sub: 'carol' }, now + 600)}`, host }))).toMatch(/no JWKS/);
  });

  it('takes a certificate subject as the principal, and a header over a certificate', async () => {
    const { authenticate } = make({ mode: 'required' });
    await expect(authenticate({ certificate, host })).resolves.toEqual({ principal: 'User:CN=app-1,O=Floe Test', host });
    await expect(authenticate({ certificate, authorization: basic('alice', 'alice-secret'), host })).resolves.toEqual({ principal: 'User:alice', host });
    // A wrong header is refused even with a good certificate.
    expect(await refusal(authenticate({ certificate, authorization: basic('alice', 'nope'), host }))).toMatch(/^unauthenticated/);
  });

  it('maps a certificate subject with the Kafka port\'s principal mapping rules, and refuses one no rule maps', async () => {
    const mapped = make({ principalMapping: principalMappingOf('RULE:^CN=(.*?),O=Floe Test$/$1/U') });
    await expect(mapped.authenticate({ certificate, host })).resolves.toEqual({ principal: 'User:APP-1', host });
    const unmapped = make({ principalMapping: principalMappingOf('RULE:^CN=(.*?),OU=Other$/$1/') });
    expect(await refusal(unmapped.authenticate({ certificate, host }))).toMatch(/^unauthenticated: .*CN=app-1/);
  });

  it('lets callers without credentials in as User:ANONYMOUS only in anonymous mode, and answers their refusal at once', async () => {
    await expect(make().authenticate({ host })).resolves.toEqual({ principal: 'User:ANONYMOUS', host });
    await expect(make().authenticate({ authorization: '', host })).resolves.toEqual({ principal: 'User:ANONYMOUS', host });
    const required = make({ mode: 'required' });
    expect(await refusal(required.authenticate({ host }))).toMatch(/^unauthenticated: credentials required/);
    expect(required.delays).toEqual([]);
  });

  it('remembers a successful check for the cache time, by header, and never a failed one', async () => {
    const { authenticate, advance } = make({ cacheMs: 30_000 });
    const header = basic('alice', 'alice-secret');
    await authenticate({ authorization: header, host });
    const afterFirst = lookups;
    expect(afterFirst).toBeGreaterThan(0);
    await authenticate({ authorization: header, host });
    expect(lookups).toBe(afterFirst);
    advance(29_000);
    await authenticate({ authorization: header, host });
    expect(lookups).toBe(afterFirst);
    advance(2_000);
    await authenticate({ authorization: header, host });
    expect(lookups).toBe(2 * afterFirst);
    // A wrong password is checked every time.
    await refusal(authenticate({ authorization: basic('alice', 'nope'), host }));
    await refusal(authenticate({ authorization: basic('alice', 'nope'), host }));
    expect(lookups).toBe(4 * afterFirst);
    // A changed password applies once the cached check expires.
    const uncached = make({ cacheMs: 0 });
    await uncached.authenticate({ authorization: header, host });
    await uncached.authenticate({ authorization: header, host });
    expect(lookups).toBe(2 * afterFirst);
  });

  it('remembers a token no longer than it is valid', async () => {
    let shift = 0;
    let validations = 0;
    const counted = { validate: (t: string) => (validations++, jwt.validate(t)) };
    const { authenticate } = make({ cacheMs: 30_000, jwt: counted, now: () => Date.now() + shift });
    const token = await sign({ sub: 'dave' }, Math.floor(Date.now() / 1000) + 5);
    await expect(authenticate({ authorization: `Bearer ${token}`, host })).resolves.toMatchObject({ principal: 'User:dave' });
    await authenticate({ authorization: `Bearer ${token}`, host });
    expect(validations).toBe(1);
    // Past the token's expiry, well within the cache time: validated again (jose's own clock
    // still allows it 30 s of skew, so it passes, but it was checked).
    shift = 6_000;
    await authenticate({ authorization: `Bearer ${token}`, host });
    expect(validations).toBe(2);
  });
});
