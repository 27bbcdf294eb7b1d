// Security of the gRPC and HTTP doors (MinIO + DynamoDB Local, a `floe start` process): one node
// with FLOE_GRPC_TLS=on, FLOE_HTTP_TLS=on, FLOE_DOOR_AUTH=required, FLOE_AUTHORIZER=acl and
// client certificates requested (a CA and certificates made with openssl), SCRAM users from
// `floe user create`, a JWKS file for Bearer tokens, ACLs written to the coordination table.
// gRPC Produce/Fetch over TLS with Basic, Bearer and a client certificate; refusals without or
// with wrong credentials (UNAUTHENTICATED) and without ACLs (PERMISSION_DENIED, Consume on a
// group included); the HTTPS admin API (200, 401, 403) and its open probes; `floe topic list`
// and `floe produce` with credentials and a CA file; the web console's sign-in in headless
// Chromium; a renewed certificate served by both doors without a restart. Ports 19470-19479.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { chromium } from 'playwright-core';
import { AclTable, type AclBinding } from '@floe/authz';
import { DynamoDbCoordinationStore } from '@floe/coordination';
import { callUnary, healthClient, recordsClient, type ClientSecurity } from '@floe/grpc';
import { loadTestEnv, makeTestCertificates, type TestCertificates, type ToolResult } from '@floe/testkit';
import { runFloeCommand, startNodeProcess, stopNodeProcess, type NodeProcess } from '../support/node-process.ts';

const env = loadTestEnv();
const CLUSTER = `floe-doors-${randomBytes(4).toString('hex')}`;
const KAFKA_PORT = 19470;
const HTTP_PORT = 19471;
const GRPC_PORT = 19472;
const GRPC = `127.0.0.1:${GRPC_PORT}`;
const HTTPS = `https://127.0.0.1:${HTTP_PORT}`;
const TOPIC = 'door-t';
const PASSWORDS = { admin: 'admin-secret', alice: 'alice-secret', bob: 'bob-secret' };
const CERT_PRINCIPAL = 'User:CN=app-1,O=Floe Door Test';

let dir = '';
let certs: TestCertificates;
let clientCert: { certFile: string; keyFile: string };
let node: NodeProcess;
let signingKey: CryptoKey;

function expectRan(what: string, r: ToolResult): void {
  if (r.timedOut || r.code !== 0) throw new Error(`${what} failed (code ${r.code}, timed out ${r.timedOut}):\n${r.stdout}\n${r.stderr}`);
}

async function token(subject: string, expiresInS: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: 'door-test' })
    .setSubject(subject)
    .setIssuer('floe-door-test')
    .setAudience('floe')
    .setIssuedAt(now - 600)
    .setExpirationTime(now + expiresInS)
    .sign(signingKey);
}

const ca = () => readFileSync(certs.caFile);
const as = (user: keyof typeof PASSWORDS, password = PASSWORDS[user]): ClientSecurity => ({ tls: { ca: ca() }, username: user, password });

/** One Produce of one record; resolves to the offsets written. */
async function produce(security: ClientSecurity, topic = TOPIC): Promise<number[]> {
  const c = recordsClient(GRPC, security);
  try {
    const res = await callUnary(c.produce, c, { topic, records: [{ value: Buffer.from(`v-${Date.now()}`) }] });
    return res.partitions.map((p) => Number(p.baseOffset));
  } finally {
    c.close();
  }
}

async function fetchCount(security: ClientSecurity): Promise<number> {
  const c = recordsClient(GRPC, security);
  try {
    return (await callUnary(c.fetch, c, { topic: TOPIC, partition: 0, offset: 0 })).records.length;
  } finally {
    c.close();
  }
}

/** A GET over HTTPS (trusting the test CA): status, body and the challenge. */
function get(path: string, authorization?: string): Promise<{ status: number; body: string; challenge: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(`${HTTPS}${path}`, { ca: ca(), agent: false, headers: authorization ? { authorization } : {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, challenge: res.headers['www-authenticate'] }));
    });
    req.on('error', reject);
    req.end();
  });
}
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'floe-door-security-'));
  certs = makeTestCertificates(dir, 'Floe Door Test CA');
  clientCert = certs.client('client', '/O=Floe Door Test/CN=app-1');
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'door-test', alg: 'RS256', use: 'sig' }] }));

  for (const [user, password] of Object.entries(PASSWORDS)) {
    expectRan(`floe user create ${user}`, await runFloeCommand(CLUSTER, ['user', 'create', user, '--password', password, '--mechanism', 'SCRAM-SHA-256']));
  }
  // What each principal may do, written where every node reads ACLs from.
  const store = await DynamoDbCoordinationStore.open({
    table: CLUSTER,
    endpoint: env.dynamodbEndpoint,
    region: env.region,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
  });
  try {
    const acls = new AclTable(store);
    const allow = (principal: string, resourceType: AclBinding['resourceType'], resourceName: string, operation: AclBinding['operation']) =>
      acls.create({ principal, resourceType, resourceName, operation, patternType: 'LITERAL', host: '*', permission: 'ALLOW' });
    for (const principal of ['User:alice', 'User:carol', CERT_PRINCIPAL]) {
      await allow(principal, 'Topic', TOPIC, 'Write');
      await allow(principal, 'Topic', TOPIC, 'Read');
    }
    await allow('User:alice', 'Group', 'g-alice', 'Read');
  } finally {
    await store.close();
  }

  node = startNodeProcess(KAFKA_PORT, CLUSTER, {
    FLOE_HTTP_LISTEN: `127.0.0.1:${HTTP_PORT}`,
    FLOE_GRPC_LISTEN: GRPC,
    FLOE_GRPC_TLS: 'on',
    FLOE_HTTP_TLS: 'on',
    FLOE_DOOR_AUTH: 'required',
    FLOE_TLS_CERT_FILE: certs.certFile,
    FLOE_TLS_KEY_FILE: certs.keyFile,
    FLOE_TLS_CA_FILE: certs.caFile,
    FLOE_TLS_CLIENT_AUTH: 'requested',
    FLOE_AUTHORIZER: 'acl',
    FLOE_SUPER_USERS: 'User:admin',
    FLOE_ACL_REFRESH_MS: '200',
    FLOE_SASL_FAILURE_DELAY_MS: '20',
    FLOE_SASL_OAUTHBEARER_JWKS: join(dir, 'jwks.json'),
    FLOE_SASL_OAUTHBEARER_ISSUER: 'floe-door-test',
    FLOE_SASL_OAUTHBEARER_AUDIENCE: 'floe',
    FLOE_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
  });
  await node.ready;
  // The administrator (a super user) creates the topic through the HTTPS admin API.
  const created = await new Promise<number>((resolve, reject) => {
    const req = request(`${HTTPS}/api/v1/topics`, { method: 'POST', ca: ca(), agent: false, headers: { authorization: basic('admin', PASSWORDS.admin), 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ name: TOPIC, partitions: 1 }));
  });
  expect(created).toBe(201);
}, 120_000);

afterAll(async () => {
  await stopNodeProcess(node);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('the gRPC door over TLS with door authentication required', () => {
  it('takes Basic (a SCRAM user): Produce and Fetch with the ACLs, PERMISSION_DENIED without them', async () => {
    expect(await produce(as('alice'))).toHaveLength(1);
    expect(await fetchCount(as('alice'))).toBeGreaterThanOrEqual(1);
    await expect(produce(as('bob'))).rejects.toMatchObject({ code: status.PERMISSION_DENIED, details: expect.stringContaining('Write on topic "door-t"') });
    await expect(fetchCount(as('bob'))).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
  }, 30_000);

  it('refuses no credentials and a wrong password with UNAUTHENTICATED; health answers without', async () => {
    await expect(produce({ tls: { ca: ca() } })).rejects.toMatchObject({ code: status.UNAUTHENTICATED, details: expect.stringContaining('credentials required') });
    const started = Date.now();
    await expect(produce(as('alice', 'wrong'))).rejects.toMatchObject({ code: status.UNAUTHENTICATED, details: 'Authentication failed: Invalid username or password' });
    await expect(produce(as('mallory' as 'alice', 'wrong'))).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    expect(Date.now() - started).toBeGreaterThanOrEqual(20); // answered after the failed-login delay
    const h = healthClient(GRPC, { tls: { ca: ca() } });
    try {
      await expect(callUnary(h.check, h, { service: '' })).resolves.toMatchObject({ status: 1 });
    } finally {
      h.close();
    }
  }, 30_000);

  it('takes a valid Bearer token and refuses an expired one', async () => {
    expect(await produce({ tls: { ca: ca() }, token: await token('carol', 600) })).toHaveLength(1);
    await expect(produce({ tls: { ca: ca() }, token: await token('carol', -300) })).rejects.toMatchObject({ code: status.UNAUTHENTICATED, details: expect.stringContaining('expired') });
  }, 30_000);

  it('takes a client certificate subject as the principal', async () => {
    const tls = { ca: ca(), cert: readFileSync(clientCert.certFile), key: readFileSync(clientCert.keyFile) };
    expect(await produce({ tls })).toHaveLength(1);
    // A header wins over the certificate: bob's rights, not the certificate's.
    await expect(produce({ tls, username: 'bob', password: PASSWORDS.bob })).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
  }, 30_000);

  it('refuses Consume with PERMISSION_DENIED when the principal lacks Read on the group', async () => {
    const c = recordsClient(GRPC, as('alice'));
    try {
      const err = await new Promise<{ code: number; details: string }>((resolve) => {
        const s = c.consume();
        s.on('error', resolve);
        s.on('data', () => undefined);
        s.write({ subscribe: { groupId: 'g-denied', topics: [TOPIC] } });
      });
      expect(err).toMatchObject({ code: status.PERMISSION_DENIED, details: expect.stringContaining('Read on group "g-denied"') });
    } finally {
      c.close();
    }
  }, 30_000);
});

describe('the HTTPS admin API with door authentication required', () => {
  it('answers 200 with the rights, 403 without, 401 with a wrong password or none; probes answer without', async () => {
    const ok = await get(`/api/v1/topics/${TOPIC}`, basic('alice', PASSWORDS.alice));
    expect([ok.status, (JSON.parse(ok.body) as { name: string }).name]).toEqual([200, TOPIC]);
    const forbidden = await get(`/api/v1/topics/${TOPIC}`, basic('bob', PASSWORDS.bob));
    expect([forbidden.status, JSON.parse(forbidden.body)]).toEqual([403, { error: 'User:bob is not authorized to Describe topic "door-t"' }]);
    const wrong = await get(`/api/v1/topics/${TOPIC}`, basic('alice', 'wrong'));
    expect([wrong.status, wrong.challenge]).toEqual([401, 'Basic realm="floe", charset="UTF-8", Bearer realm="floe"']);
    expect((await get('/api/v1/topics')).status).toBe(401);
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
  }, 30_000);

  it('floe topic list and floe produce take a CA file and credentials', async () => {
    const list = await runFloeCommand(CLUSTER, ['topic', 'list', '--server', HTTPS, '--ca-file', certs.caFile, '--username', 'alice', '--password', PASSWORDS.alice]);
    expectRan('floe topic list', list);
    expect(list.stdout).toMatch(/^door-t\s+1\s/m);
    const refused = await runFloeCommand(CLUSTER, ['topic', 'list', '--server', HTTPS, '--ca-file', certs.caFile]);
    expect([refused.code, refused.stderr.trim()]).toEqual([1, expect.stringContaining('credentials required')]);
    const produced = await runFloeCommand(CLUSTER, ['produce', TOPIC, '--grpc', GRPC, '--ca-file', certs.caFile], {
      input: 'from-the-cli\n',
      env: { FLOE_GRPC_USERNAME: 'alice', FLOE_GRPC_PASSWORD: PASSWORDS.alice },
    });
    expectRan('floe produce', produced);
    const c = recordsClient(GRPC, as('alice'));
    try {
      const page = await callUnary(c.fetch, c, { topic: TOPIC, partition: 0, offset: 0 });
      expect(page.records.map((r) => Buffer.from(r.value ?? []).toString())).toContain('from-the-cli');
    } finally {
      c.close();
    }
  }, 60_000);
});

describe('the web console with door authentication required', () => {
  it('asks for credentials on 401, shows what the user may see once signed in, and signs out', async () => {
    if (!env.chromium) throw new Error('FLOE_TEST_CHROMIUM is not set: run scripts/test-env up (it installs Debian’s chromium)');
    const browser = await chromium.launch({ executablePath: env.chromium, args: ['--no-sandbox'], timeout: 30_000 });
    try {
      // The test CA is not the browser's: its errors are ignored for this page.
      const page = await browser.newPage({ ignoreHTTPSErrors: true });
      page.setDefaultTimeout(20_000);
      const pageErrors: string[] = [];
      page.on('pageerror', (err) => pageErrors.push(err.message));
      expect((await page.goto(`${HTTPS}/`))?.status()).toBe(200);
      await page.waitForSelector('#login[open]');
      expect(await page.isVisible('#sign-out')).toBe(false);
      // A wrong password: the form stays, with the node's message.
      await page.fill('#login input[name=username]', 'alice');
      await page.fill('#login input[name=password]', 'wrong');
      await page.click('#login button[type=submit]');
      await page.waitForSelector('#login-error:has-text("Invalid username or password")');
      // Refused credentials are not kept (the page's polling does not send them again).
      expect(await page.evaluate('sessionStorage.getItem("floe-authorization")')).toBeNull();
      await page.fill('#login input[name=username]', 'alice');
      await page.fill('#login input[name=password]', PASSWORDS.alice);
      await page.click('#login button[type=submit]');
      await page.waitForSelector(`#topics tr[data-topic="${TOPIC}"]`);
      expect(await page.isVisible('#login')).toBe(false);
      expect(await page.evaluate('sessionStorage.getItem("floe-authorization")')).toBe(basic('alice', PASSWORDS.alice));
      await page.click('#sign-out');
      await page.waitForSelector('#login[open]');
      expect(await page.evaluate('sessionStorage.getItem("floe-authorization")')).toBeNull();
      expect(pageErrors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 90_000);
});

describe('certificate rotation', () => {
  /** The common name of the certificate a new TLS connection to `port` is served. */
  const servedName = (port: number) =>
    new Promise<string>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port, ca: ca(), ALPNProtocols: ['h2', 'http/1.1'], servername: 'localhost' }, () => {
        resolve(String(s.getPeerCertificate().subject.CN));
        s.destroy();
      });
      s.on('error', reject);
    });

  it('both doors serve a renewed certificate to new connections once its files change, without a restart', async () => {
    expect([await servedName(GRPC_PORT), await servedName(HTTP_PORT)]).toEqual(['localhost', 'localhost']);
    certs.renewServer('renewed');
    const deadline = Date.now() + 15_000;
    let names: string[] = [];
    while (Date.now() < deadline) {
      names = [await servedName(GRPC_PORT), await servedName(HTTP_PORT)];
      if (names.every((n) => n === 'renewed')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(names).toEqual(['renewed', 'renewed']);
    // Calls go on over the new certificate.
    expect(await produce(as('alice'))).toHaveLength(1);
    expect((await get('/healthz')).status).toBe(200);
  }, 30_000);
});
