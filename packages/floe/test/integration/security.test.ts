// Authentication on the Kafka port (MinIO + DynamoDB Local, `floe start` processes): a node with a
// PLAINTEXT listener on loopback and a SASL_SSL listener (a CA and certificate made here with
// openssl), SCRAM users created with `floe user create` and Kafka's Admin client
// (AlterUserScramCredentials), a JWKS served over HTTP for OAUTHBEARER. Kafka's Java client,
// confluent-kafka and kcat log in with PLAIN, SCRAM and OAUTHBEARER and produce and consume;
// wrong passwords, tampered proofs, replayed nonces and expired tokens are refused with
// SASL_AUTHENTICATION_FAILED; connections that have not authenticated are cut off; ACLs apply to
// the SASL principal; a second node with a short session lifetime shows KIP-368.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { digest, hmac, saltedPassword, xor, type ScramMechanism } from '@floe/auth';
import {
  ApiKey,
  ErrorCode,
  FrameSplitter,
  decodeResponse,
  defaultApiVersionsRequest,
  defaultMetadataRequest,
  defaultSaslAuthenticateRequest,
  defaultSaslHandshakeRequest,
  encodeRequest,
  type RequestTypes,
  type ResponseTypes,
} from '@floe/protocol';
import { javaTool, loadTestEnv, runTool, type ToolResult } from '@floe/testkit';
import { runFloeCli, startNodeProcess, stopNodeProcess, type NodeProcess } from '../support/node-process.ts';

const env = loadTestEnv();
const CLUSTER = `floe-sec-${randomBytes(4).toString('hex')}`;
// This file's ports (19450-19499): the main node and the short-session node.
const PLAIN_PORT = 19460;
const SSL_PORT = 19461;
const REAUTH_PLAIN_PORT = 19462;
const REAUTH_SSL_PORT = 19463;
const REAUTH_LIFETIME_MS = 3_000;
const ADMIN_PASSWORD = 'admin-secret';
const ALICE_PASSWORD = 'alice-secret';
const BOB_PASSWORD = 'bob-secret';

let dir = '';
let node: NodeProcess;
let reauthNode: NodeProcess;
let jwksServer: Server;
let signingKey: CryptoKey;
const file = (name: string) => join(dir, name);

function expectRan(what: string, r: ToolResult): void {
  if (r.timedOut || r.code !== 0) throw new Error(`${what} failed (code ${r.code}, timed out ${r.timedOut}):\n${r.stdout}\n${r.stderr}`);
}

function java(main: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ToolResult> {
  const { command, args: a } = javaTool(env.java, env.kafkaClasspath, main, args);
  return runTool(command, a, { timeoutMs: opts.timeoutMs ?? 90_000, ...(opts.input !== undefined ? { input: opts.input } : {}), ...(opts.env ? { env: opts.env } : {}) });
}

/** A Java client properties file for SASL_SSL with `mechanism`. */
function javaProps(name: string, mechanism: string, user: string, password: string): string {
  const module = mechanism === 'PLAIN' ? 'plain.PlainLoginModule' : 'scram.ScramLoginModule';
  const path = file(`${name}.properties`);
  writeFileSync(
    path,
    [
      'security.protocol=SASL_SSL',
      `sasl.mechanism=${mechanism}`,
      `sasl.jaas.config=org.apache.kafka.common.security.${module} required username="${user}" password="${password}";`,
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${file('ca.pem')}`,
      `bootstrap.servers=127.0.0.1:${SSL_PORT}`,
    ].join('\n'),
  );
  return path;
}

const SCRAM_ADMIN = fileURLToPath(new URL('../support/java/ScramAdmin.java', import.meta.url));

/** Kafka's Admin client: AlterUserScramCredentials / DescribeUserScramCredentials (support/java/ScramAdmin.java). */
async function scramAdmin(props: string, args: string[]): Promise<ToolResult> {
  const r = await runTool(env.java, ['-Xmx256m', '-cp', env.kafkaClasspath, SCRAM_ADMIN, props, ...args], { timeoutMs: 90_000 });
  expectRan(`ScramAdmin ${args.join(' ')}`, r);
  return r;
}

function floeCli(args: string[]): Promise<ToolResult> {
  return runFloeCli(CLUSTER, args);
}

async function token(subject: string, expiresInS: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: 'kafka' })
    .setProtectedHeader({ alg: 'RS256', kid: 'floe-test' })
    .setSubject(subject)
    .setIssuer('floe-security-test')
    .setAudience('floe')
    .setIssuedAt(now - 60)
    .setExpirationTime(now + expiresInS)
    .sign(signingKey);
}

/** Resolves `value` after `ms` without holding the process open. */
function timeout<T>(ms: number, value: T): Promise<T> {
  return new Promise((r) => setTimeout(() => r(value), ms).unref());
}

/** A bare Kafka client over TLS: one request at a time, the answer decoded, or 'closed'. */
class RawClient {
  readonly socket: TLSSocket;
  closed = false;
  private readonly splitter = new FrameSplitter({ maxFrameSize: 16 << 20 });
  private readonly waiting: ((frame: Buffer | undefined) => void)[] = [];
  private correlationId = 0;
  private readonly whenClosed: Promise<void>;

  private constructor(socket: TLSSocket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      for (const f of this.splitter.push(d)) this.waiting.shift()?.(f);
    });
    socket.on('error', () => undefined);
    this.whenClosed = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        for (const w of this.waiting.splice(0)) w(undefined);
        resolve();
      }),
    );
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(file('ca.pem')), servername: 'localhost' }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  async send<K extends keyof RequestTypes & keyof ResponseTypes>(apiKey: K, apiVersion: number, body: RequestTypes[K]): Promise<ResponseTypes[K] | 'closed'> {
    const answer = new Promise<Buffer | undefined>((resolve) => this.waiting.push(resolve));
    this.socket.write(encodeRequest({ apiKey, apiVersion, correlationId: ++this.correlationId, clientId: 'raw' }, body));
    const frame = await Promise.race([answer, timeout(15_000, undefined)]);
    if (frame === undefined) return 'closed';
    return decodeResponse(apiKey, apiVersion, frame).body as ResponseTypes[K];
  }

  /** Resolves true when the server closes the connection within `ms`. */
  async closedWithin(ms: number): Promise<boolean> {
    return Promise.race([this.whenClosed.then(() => true), timeout(ms, false)]);
  }

  end(): void {
    this.socket.destroy();
  }
}

const saslAuth = (bytes: Buffer | string) => ({ ...defaultSaslAuthenticateRequest(), authBytes: Buffer.from(bytes) });

interface ScramRun {
  clientFirst: string;
  serverFirst: string;
  clientFinal: string;
  final: ResponseTypes[36] | 'closed';
}

/** A SCRAM exchange written from RFC 5802; `tamper` changes the client-final before it is sent. */
async function scram(c: RawClient, mechanism: ScramMechanism, user: string, password: string, tamper: (m: string) => string = (m) => m): Promise<ScramRun> {
  const hs = await c.send(ApiKey.SaslHandshake, 1, { ...defaultSaslHandshakeRequest(), mechanism });
  expect(hs !== 'closed' && hs.errorCode).toBe(0);
  const clientFirst = `n,,n=${user},r=${randomBytes(18).toString('base64')}`;
  const first = await c.send(ApiKey.SaslAuthenticate, 2, saslAuth(clientFirst));
  if (first === 'closed') throw new Error('closed after client-first');
  expect(first.errorCode).toBe(0);
  const serverFirst = first.authBytes.toString();
  const attrs = Object.fromEntries(serverFirst.split(',').map((p) => [p[0]!, p.slice(2)]));
  const salted = saltedPassword(mechanism, password, Buffer.from(attrs.s!, 'base64'), Number(attrs.i));
  const clientKey = hmac(mechanism, salted, 'Client Key');
  const withoutProof = `c=biws,r=${attrs.r}`;
  const proof = xor(clientKey, hmac(mechanism, digest(mechanism, clientKey), `${clientFirst.slice(3)},${serverFirst},${withoutProof}`));
  const clientFinal = tamper(`${withoutProof},p=${proof.toString('base64')}`);
  return { clientFirst, serverFirst, clientFinal, final: await c.send(ApiKey.SaslAuthenticate, 2, saslAuth(clientFinal)) };
}

function expectRefused(answer: ResponseTypes[36] | 'closed'): void {
  expect(answer !== 'closed' && { errorCode: answer.errorCode, hasMessage: (answer.errorMessage ?? '').length > 0 }).toEqual({
    errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
    hasMessage: true,
  });
}

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

const CONFLUENT = `
import json, sys, time
from confluent_kafka import Producer, Consumer
cfg = json.loads(sys.stdin.read())
common = {'bootstrap.servers': cfg['bootstrap'], 'security.protocol': 'SASL_SSL', 'ssl.ca.location': cfg['ca'], 'sasl.mechanism': cfg['mechanism']}
errors = []
common['error_cb'] = lambda e: errors.append(str(e))
if cfg['mechanism'] == 'OAUTHBEARER':
    common['oauth_cb'] = lambda _: (open(cfg['tokenFile']).read().strip(), time.time() + 3600)
else:
    common['sasl.username'] = cfg['user']
    common['sasl.password'] = cfg['password']
if cfg.get('metadataOnly'):
    try:
        probe = Producer(common)
        probe.list_topics(timeout=8)
        print(json.dumps({'errors': errors, 'ok': True}))
    except Exception as e:
        errors.append(str(e))
        probe.poll(1)
        print(json.dumps({'errors': errors, 'ok': False}))
    sys.exit(0)
acked = []
p = Producer({**common, 'acks': 'all'})
def done(err, msg):
    if err is not None: errors.append(str(err))
    else: acked.append(msg.offset())
for i in range(cfg['count']):
    p.produce(cfg['topic'], value=('%s-%d' % (cfg['mechanism'], i)).encode(), on_delivery=done)
left = p.flush(30)
c = Consumer({**common, 'group.id': cfg['group'], 'auto.offset.reset': 'earliest'})
c.subscribe([cfg['topic']])
got = []
deadline = time.time() + 40
while len(got) < cfg['count'] and time.time() < deadline:
    m = c.poll(0.5)
    if m is None: continue
    if m.error(): errors.append(str(m.error())); continue
    got.append(m.value().decode())
c.close()
print(json.dumps({'left': left, 'acked': len(acked), 'got': got, 'errors': errors}))
`;

async function confluent(cfg: Record<string, unknown>): Promise<{ left?: number; acked?: number; got?: string[]; errors: string[]; ok?: boolean }> {
  const r = await runTool(env.python, ['-c', CONFLUENT], { timeoutMs: 90_000, input: JSON.stringify({ bootstrap: `127.0.0.1:${SSL_PORT}`, ca: file('ca.pem'), ...cfg }) });
  expectRan('confluent-kafka', r);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { errors: string[] };
}

function kcat(args: string[], mechanism: string, user: string, password: string, input?: string): Promise<ToolResult> {
  const sasl = ['-X', 'security.protocol=SASL_SSL', '-X', `sasl.mechanisms=${mechanism}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`, '-X', `ssl.ca.location=${file('ca.pem')}`];
  return runTool(env.kcat, ['-b', `127.0.0.1:${SSL_PORT}`, ...sasl, ...args], { timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) });
}

const stopNode = stopNodeProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'floe-security-'));
  // A CA, and a server certificate it signs for 127.0.0.1 and localhost.
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=Floe Security Test CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(file('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', 'server.pem', '-extfile', 'ext.cnf');
  // The identity provider's signing key; the JWKS is served over HTTP (main node) and from a file (the other).
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'floe-test', alg: 'RS256', use: 'sig' }] });
  writeFileSync(file('jwks.json'), jwks);
  jwksServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(jwks));
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', () => r()));
  const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;

  // The first administrator exists before any login: straight into the table.
  expectRan('floe user create admin', await floeCli(['user', 'create', 'admin', '--password', ADMIN_PASSWORD, '--mechanism', 'SCRAM-SHA-512']));

  const common = {
    FLOE_TLS_CERT_FILE: file('server.pem'),
    FLOE_TLS_KEY_FILE: file('server.key'),
    FLOE_AUTHORIZER: 'acl',
    FLOE_ACL_REFRESH_MS: '200',
    FLOE_SUPER_USERS: 'User:admin;User:alice;User:carol',
    FLOE_AUTO_CREATE_TOPICS: 'true',
    FLOE_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    FLOE_SASL_FAILURE_DELAY_MS: '50',
    FLOE_SASL_OAUTHBEARER_ISSUER: 'floe-security-test',
    FLOE_SASL_OAUTHBEARER_AUDIENCE: 'floe',
  };
  // Each node advertises only itself (load-balancer mode, each listener at its own address), so a
  // client of one is never sent to the other.
  node = startNodeProcess(PLAIN_PORT, CLUSTER, {
    ...common,
    FLOE_KAFKA_LISTEN: `PLAINTEXT://127.0.0.1:${PLAIN_PORT},SASL_SSL://127.0.0.1:${SSL_PORT}`,
    FLOE_LOAD_BALANCER: `PLAINTEXT://127.0.0.1:${PLAIN_PORT},SASL_SSL://127.0.0.1:${SSL_PORT}`,
    FLOE_SASL_OAUTHBEARER_JWKS: jwksUrl,
  });
  reauthNode = startNodeProcess(REAUTH_PLAIN_PORT, CLUSTER, {
    ...common,
    FLOE_KAFKA_LISTEN: `LOCAL:PLAINTEXT://127.0.0.1:${REAUTH_PLAIN_PORT},CLIENTS:SASL_SSL://127.0.0.1:${REAUTH_SSL_PORT}`,
    FLOE_LOAD_BALANCER: `LOCAL://127.0.0.1:${REAUTH_PLAIN_PORT},CLIENTS://127.0.0.1:${REAUTH_SSL_PORT}`,
    FLOE_SASL_OAUTHBEARER_JWKS: file('jwks.json'),
    FLOE_SASL_SESSION_LIFETIME_MS: String(REAUTH_LIFETIME_MS),
  });
  await Promise.all([node.ready, reauthNode.ready]);
}, 90_000);

afterAll(async () => {
  await Promise.all([stopNode(node), stopNode(reauthNode)]);
  await new Promise<void>((r) => (jwksServer ? jwksServer.close(() => r()) : r()));
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('authentication on the Kafka port', () => {
  it('creates SCRAM users with floe user and with Kafka\'s Admin client (AlterUserScramCredentials), never storing a password', async () => {
    const admin = javaProps('admin', 'SCRAM-SHA-512', 'admin', ADMIN_PASSWORD);
    for (const [user, password] of [['alice', ALICE_PASSWORD], ['bob', BOB_PASSWORD]] as const) {
      for (const [mechanism, iterations] of [['SCRAM-SHA-512', '8192'], ['SCRAM-SHA-256', '4096']] as const) {
        const r = await scramAdmin(admin, ['alter', user, mechanism, iterations, password]);
        expect(r.stdout.trim()).toBe(`ok ${user}`);
      }
    }
    const described = await scramAdmin(admin, ['describe', 'alice']);
    expect(described.stdout.trim()).toBe('alice SCRAM-SHA-256=4096 SCRAM-SHA-512=8192');
    // Too few iterations: Kafka's rule, UNACCEPTABLE_CREDENTIAL.
    expect((await scramAdmin(admin, ['alter', 'carl', 'SCRAM-SHA-256', '1000', 'x'])).stdout).toMatch(/error carl UnacceptableCredentialException: Too few iterations/);

    const list = await floeCli(['user', 'list']);
    expectRan('floe user list', list);
    expect(list.stdout).toMatch(/admin\s+SCRAM-SHA-512\s+4096/);
    expect(list.stdout).toMatch(/alice\s+SCRAM-SHA-512\s+8192/);
    expect(list.stdout).toMatch(/bob\s+SCRAM-SHA-256\s+4096/);
    expect(list.stdout).not.toMatch(/carl/);

    // A user without Alter on the cluster is refused.
    const asBob = javaProps('bob-scram', 'SCRAM-SHA-512', 'bob', BOB_PASSWORD);
    expect((await scramAdmin(asBob, ['alter', 'mallory', 'SCRAM-SHA-512', '4096', 'x'])).stdout).toMatch(/error mallory ClusterAuthorizationException/);
  }, 120_000);

  it('lets the Java client produce with SCRAM-SHA-512 and consume with PLAIN over SASL_SSL', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => `java-${i}`);
    const produce = await java(
      'org.apache.kafka.tools.ConsoleProducer',
      ['--bootstrap-server', `127.0.0.1:${SSL_PORT}`, '--topic', 'sec-java', '--command-config', javaProps('alice-scram', 'SCRAM-SHA-512', 'alice', ALICE_PASSWORD)],
      { input: `${lines.join('\n')}\n` },
    );
    expectRan('ConsoleProducer', produce);
    const consume = await java('org.apache.kafka.tools.consumer.ConsoleConsumer', [
      '--bootstrap-server', `127.0.0.1:${SSL_PORT}`, '--topic', 'sec-java', '--from-beginning', '--max-messages', '200', '--timeout-ms', '30000',
      '--command-config', javaProps('alice-plain', 'PLAIN', 'alice', ALICE_PASSWORD),
    ]);
    expectRan('ConsoleConsumer', consume);
    expect(consume.stdout.trim().split('\n')).toEqual(lines);
  }, 120_000);

  it('lets kcat produce with SCRAM-SHA-256 and consume with PLAIN, and the Java client consume with an OAUTHBEARER token', async () => {
    const produce = await kcat(['-P', '-t', 'sec-kcat'], 'SCRAM-SHA-256', 'alice', ALICE_PASSWORD, 'k1\nk2\nk3\n');
    expectRan('kcat -P', produce);
    const consume = await kcat(['-C', '-t', 'sec-kcat', '-o', 'beginning', '-e', '-q'], 'PLAIN', 'alice', ALICE_PASSWORD);
    expectRan('kcat -C', consume);
    expect(consume.stdout.trim().split('\n')).toEqual(['k1', 'k2', 'k3']);

    // Kafka's OAuthBearerLoginCallbackHandler reads the token from a file: URL (allowed by a system property).
    writeFileSync(file('carol.jwt'), await token('carol', 600));
    const props = file('carol-oauth.properties');
    writeFileSync(props, [
      'security.protocol=SASL_SSL',
      'sasl.mechanism=OAUTHBEARER',
      'sasl.login.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler',
      `sasl.oauthbearer.token.endpoint.url=file://${file('carol.jwt')}`,
      'sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;',
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${file('ca.pem')}`,
    ].join('\n'));
    const oauth = await java(
      'org.apache.kafka.tools.consumer.ConsoleConsumer',
      ['--bootstrap-server', `127.0.0.1:${SSL_PORT}`, '--topic', 'sec-kcat', '--from-beginning', '--max-messages', '3', '--timeout-ms', '30000', '--command-config', props],
      { env: { JAVA_TOOL_OPTIONS: `-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=file://${file('carol.jwt')}` } },
    );
    expectRan('ConsoleConsumer OAUTHBEARER', oauth);
    expect(oauth.stdout.trim().split('\n')).toEqual(['k1', 'k2', 'k3']);
    expect(node.stdout()).toMatch(/"mechanism":"OAUTHBEARER","principal":"User:carol"/);
  }, 120_000);

  it('lets franz-go (floe-franz) create a topic, produce with SCRAM-SHA-512 and consume with PLAIN over SASL_SSL, and refuses a wrong password', async () => {
    const franz = (args: string[], mechanism: string, password: string, input?: string) =>
      runTool(env.franz, [...args, '-timeout', '30s'], {
        timeoutMs: 45_000,
        env: {
          FLOE_BROKERS: `127.0.0.1:${SSL_PORT}`,
          FLOE_TLS_CA_FILE: file('ca.pem'),
          FLOE_SASL_MECHANISM: mechanism,
          FLOE_SASL_USERNAME: 'alice',
          FLOE_SASL_PASSWORD: password,
        },
        ...(input !== undefined ? { input } : {}),
      });
    const created = await franz(['create-topic', '-topic', 'sec-franz'], 'SCRAM-SHA-512', ALICE_PASSWORD);
    expectRan('floe-franz create-topic', created);
    expect(JSON.parse(created.stdout.trim())).toEqual({ topic: 'sec-franz', error: '' });
    const values = ['f1', 'f2', 'f3'];
    const input = values.map((v) => JSON.stringify({ value: Buffer.from(v).toString('base64'), partition: 0 })).join('\n') + '\n';
    const produced = await franz(['produce', '-topic', 'sec-franz'], 'SCRAM-SHA-512', ALICE_PASSWORD, input);
    expectRan('floe-franz produce', produced);
    expect(produced.stdout.trim().split('\n').map((l) => JSON.parse(l) as { offset: number }).map((r) => r.offset)).toEqual([0, 1, 2]);
    const consumed = await franz(['consume', '-topic', 'sec-franz', '-count', '3'], 'PLAIN', ALICE_PASSWORD);
    expectRan('floe-franz consume', consumed);
    expect(consumed.stdout.trim().split('\n').map((l) => Buffer.from((JSON.parse(l) as { value: string }).value, 'base64').toString())).toEqual(values);
    const refused = await franz(['metadata'], 'SCRAM-SHA-512', 'not-her-password');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/SASL_AUTHENTICATION_FAILED|Authentication failed/i);
  });

  it('lets confluent-kafka produce and consume with PLAIN, SCRAM-SHA-512 and OAUTHBEARER (oauth_cb with a token signed here)', async () => {
    writeFileSync(file('carol-py.jwt'), await token('carol', 600));
    for (const [mechanism, extra] of [
      ['PLAIN', { user: 'alice', password: ALICE_PASSWORD }],
      ['SCRAM-SHA-512', { user: 'alice', password: ALICE_PASSWORD }],
      ['OAUTHBEARER', { tokenFile: file('carol-py.jwt') }],
    ] as const) {
      const topic = `sec-py-${mechanism.toLowerCase()}`;
      const out = await confluent({ mechanism, topic, group: `g-${topic}`, count: 20, ...extra });
      expect({ mechanism, left: out.left, acked: out.acked, errors: out.errors }).toEqual({ mechanism, left: 0, acked: 20, errors: [] });
      expect(out.got).toEqual(Array.from({ length: 20 }, (_, i) => `${mechanism}-${i}`));
    }
  }, 180_000);

  it('refuses a wrong password, a tampered SCRAM proof, a replayed nonce and an expired token with SASL_AUTHENTICATION_FAILED and closes the connection', async () => {
    // Kafka's own clients report the refusal.
    const wrong = await java('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', `127.0.0.1:${SSL_PORT}`, '--list', '--command-config', javaProps('alice-wrong', 'PLAIN', 'alice', 'not-her-password')]);
    expect(`${wrong.stdout}${wrong.stderr}`).toMatch(/SaslAuthenticationException: Authentication failed: Invalid username or password/);
    const kcatWrong = await kcat(['-L', '-m', '5'], 'SCRAM-SHA-512', 'alice', 'not-her-password');
    expect(kcatWrong.stderr).toMatch(/SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512/);

    // On the wire: the exact code, a message, then the connection closes.
    const plain = await RawClient.connect(SSL_PORT);
    expect(await plain.send(ApiKey.SaslHandshake, 1, { ...defaultSaslHandshakeRequest(), mechanism: 'PLAIN' })).toMatchObject({ errorCode: 0 });
    const started = Date.now();
    expectRefused(await plain.send(ApiKey.SaslAuthenticate, 2, saslAuth('\u0000alice\u0000guess')));
    expect(Date.now() - started).toBeGreaterThanOrEqual(45); // the failed-login delay (50 ms, doubling per failure)
    expect(await plain.closedWithin(5_000)).toBe(true);

    const tampered = await RawClient.connect(SSL_PORT);
    const t = await scram(tampered, 'SCRAM-SHA-512', 'alice', ALICE_PASSWORD, (m) => m.replace(/p=(.)/, (_x, c: string) => `p=${c === 'A' ? 'B' : 'A'}`));
    expectRefused(t.final);
    expect(await tampered.closedWithin(5_000)).toBe(true);

    // A good exchange, then the same client-first again (a replay) and its client-final on a fresh exchange.
    const good = await RawClient.connect(SSL_PORT);
    const g = await scram(good, 'SCRAM-SHA-512', 'alice', ALICE_PASSWORD);
    expect(g.final !== 'closed' && g.final.errorCode).toBe(0);
    expect(g.final !== 'closed' && g.final.authBytes.toString()).toMatch(/^v=/);
    good.end();
    const replay = await RawClient.connect(SSL_PORT);
    await replay.send(ApiKey.SaslHandshake, 1, { ...defaultSaslHandshakeRequest(), mechanism: 'SCRAM-SHA-512' });
    expectRefused(await replay.send(ApiKey.SaslAuthenticate, 2, saslAuth(g.clientFirst)));
    expect(await replay.closedWithin(5_000)).toBe(true);
    const oldFinal = await RawClient.connect(SSL_PORT);
    const o = await scram(oldFinal, 'SCRAM-SHA-512', 'alice', ALICE_PASSWORD, () => g.clientFinal);
    expectRefused(o.final);

    // An expired token, and one signed by another key.
    const expired = await RawClient.connect(SSL_PORT);
    await expired.send(ApiKey.SaslHandshake, 1, { ...defaultSaslHandshakeRequest(), mechanism: 'OAUTHBEARER' });
    const expiredAnswer = await expired.send(ApiKey.SaslAuthenticate, 2, saslAuth(`n,,\u0001auth=Bearer ${await token('carol', -600)}\u0001\u0001`));
    expectRefused(expiredAnswer);
    expect(expiredAnswer !== 'closed' && expiredAnswer.errorMessage).toMatch(/expired/);
    expect(await expired.closedWithin(5_000)).toBe(true);
    writeFileSync(file('expired.jwt'), await token('carol', -600));
    const py = await confluent({ mechanism: 'OAUTHBEARER', tokenFile: file('expired.jwt'), metadataOnly: true });
    expect(py.ok).toBe(false);
    expect(py.errors.join('\n')).toMatch(/expired/);
  }, 180_000);

  it('cuts off connections that have not authenticated, whatever they send, without the node growing', async () => {
    // Anything but ApiVersions and the SASL requests: closed without an answer.
    const early = await RawClient.connect(SSL_PORT);
    expect(await early.send(ApiKey.Metadata, 12, { ...defaultMetadataRequest(), topics: null })).toBe('closed');
    // A frame over the 64 KiB limit: closed when its size arrives.
    const big = await RawClient.connect(SSL_PORT);
    const header = Buffer.alloc(4);
    header.writeInt32BE(1 << 20);
    big.socket.write(header);
    expect(await big.closedWithin(5_000)).toBe(true);
    // Many small requests: at most 16 before authenticating.
    const chatty = await RawClient.connect(SSL_PORT);
    const answers: string[] = [];
    for (let i = 0; i < 20 && !chatty.closed; i++) {
      const a = await chatty.send(ApiKey.ApiVersions, 3, { ...defaultApiVersionsRequest(), clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
      answers.push(a === 'closed' ? 'closed' : 'answer');
    }
    expect(answers.filter((a) => a === 'answer')).toHaveLength(16);
    expect(answers.at(-1)).toBe('closed');

    // Rounds of 100 connections at once, each declaring 8 MiB and pushing 1 MiB: every one cut off,
    // and after the first round (which warms up TLS and the heap) the node does not grow.
    const pid = node.child.pid!;
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    chunk.writeInt32BE(8 << 20, 0);
    const rss: number[] = [];
    for (let round = 0; round < 3; round++) {
      const flood = await Promise.all(Array.from({ length: 100 }, () => RawClient.connect(SSL_PORT)));
      for (const c of flood) for (let i = 0; i < 16; i++) c.socket.write(chunk);
      const closed = await Promise.all(flood.map((c) => c.closedWithin(20_000)));
      expect(closed.every((x) => x)).toBe(true);
      rss.push(rssMiB(pid));
    }
    expect(rss[2]! - rss[0]!).toBeLessThan(32);
    // And the node still serves logins.
    const ok = await RawClient.connect(SSL_PORT);
    const s = await scram(ok, 'SCRAM-SHA-256', 'alice', ALICE_PASSWORD);
    expect(s.final !== 'closed' && s.final.errorCode).toBe(0);
    ok.end();
  }, 120_000);

  it('answers Metadata with the addresses of the listener the request came in on', async () => {
    const c = await RawClient.connect(SSL_PORT);
    await scram(c, 'SCRAM-SHA-512', 'alice', ALICE_PASSWORD);
    const viaSsl = await c.send(ApiKey.Metadata, 12, { ...defaultMetadataRequest(), topics: null });
    c.end();
    expect(viaSsl !== 'closed' && viaSsl.brokers.map((b) => `${b.host}:${b.port}`)).toEqual([`127.0.0.1:${SSL_PORT}`]);
    // The PLAINTEXT listener (User:ANONYMOUS, which the ACLs allow nothing) lists its own port.
    const meta = await runTool(env.kcat, ['-b', `127.0.0.1:${PLAIN_PORT}`, '-L', '-J', '-m', '10'], { timeoutMs: 30_000 });
    expectRan('kcat -L over PLAINTEXT', meta);
    expect((JSON.parse(meta.stdout) as { brokers: { name: string }[] }).brokers.map((b) => b.name)).toEqual([`127.0.0.1:${PLAIN_PORT}`]);
  }, 60_000);

  it('applies ACLs to the SASL principal: a SCRAM user without ACLs is denied, with them allowed', async () => {
    const asBob = javaProps('bob-plain', 'PLAIN', 'bob', BOB_PASSWORD);
    const send = () =>
      java('org.apache.kafka.tools.ConsoleProducer', ['--bootstrap-server', `127.0.0.1:${SSL_PORT}`, '--topic', 'sec-acl', '--command-config', asBob, '--producer-property', 'delivery.timeout.ms=10000', '--producer-property', 'request.timeout.ms=5000'], {
        input: 'from-bob\n',
      });
    const denied = await send();
    expect(`${denied.stdout}${denied.stderr}`).toMatch(/TopicAuthorizationException|Not authorized to access topics/);

    const admin = javaProps('admin2', 'SCRAM-SHA-512', 'admin', ADMIN_PASSWORD);
    const add = await java('org.apache.kafka.tools.AclCommand', [
      '--bootstrap-server', `127.0.0.1:${SSL_PORT}`, '--command-config', admin,
      '--add', '--allow-principal', 'User:bob', '--operation', 'Write', '--operation', 'Describe', '--operation', 'Create', '--topic', 'sec-acl',
    ]);
    expectRan('AclCommand --add', add);
    await new Promise((r) => setTimeout(r, 1_000)); // the ACL refresh period is 200 ms
    const allowed = await send();
    expectRan('ConsoleProducer as bob', allowed);
    expect(`${allowed.stdout}${allowed.stderr}`).not.toMatch(/AuthorizationException/);
    const read = await kcat(['-C', '-t', 'sec-acl', '-o', 'beginning', '-e', '-q'], 'SCRAM-SHA-512', 'alice', ALICE_PASSWORD);
    expectRan('kcat -C sec-acl', read);
    expect(read.stdout.trim()).toBe('from-bob');
  }, 120_000);

  it('KIP-368: tells the session lifetime, closes a connection past it, and the Java client re-authenticates in time', async () => {
    const c = await RawClient.connect(REAUTH_SSL_PORT);
    const s = await scram(c, 'SCRAM-SHA-512', 'alice', ALICE_PASSWORD);
    const lifetime = s.final !== 'closed' ? Number(s.final.sessionLifetimeMs) : -1;
    expect(lifetime).toBeGreaterThan(REAUTH_LIFETIME_MS - 1_000);
    expect(lifetime).toBeLessThanOrEqual(REAUTH_LIFETIME_MS);
    expect(await c.send(ApiKey.Metadata, 12, { ...defaultMetadataRequest(), topics: null })).not.toBe('closed');
    await new Promise((r) => setTimeout(r, REAUTH_LIFETIME_MS + 300));
    expect(await c.send(ApiKey.Metadata, 12, { ...defaultMetadataRequest(), topics: null })).toBe('closed');

    // An OAUTHBEARER session ends with its token even when that comes first.
    const o = await RawClient.connect(REAUTH_SSL_PORT);
    await o.send(ApiKey.SaslHandshake, 1, { ...defaultSaslHandshakeRequest(), mechanism: 'OAUTHBEARER' });
    const short = await o.send(ApiKey.SaslAuthenticate, 1, saslAuth(`n,,\u0001auth=Bearer ${await token('carol', 2)}\u0001\u0001`));
    expect(short !== 'closed' && Number(short.sessionLifetimeMs)).toBeLessThanOrEqual(2_000);
    o.end();

    // A producer sending for about 8 s re-authenticates on its open connections.
    const perf = await java('org.apache.kafka.tools.ProducerPerformance', [
      '--topic', 'sec-reauth', '--num-records', '40', '--record-size', '100', '--throughput', '5',
      '--producer.config', javaProps('alice-reauth', 'SCRAM-SHA-512', 'alice', ALICE_PASSWORD),
      '--producer-props', `bootstrap.servers=127.0.0.1:${REAUTH_SSL_PORT}`, 'acks=all',
    ]);
    expectRan('ProducerPerformance', perf);
    expect(perf.stdout).toMatch(/40 records sent/);
    const logins = reauthNode
      .stdout()
      .split('\n')
      .filter((l) => l.includes('SASL authentication succeeded'));
    const perConnection = new Map<number, number>();
    for (const l of logins) {
      const id = (JSON.parse(l) as { connectionId: number }).connectionId;
      perConnection.set(id, (perConnection.get(id) ?? 0) + 1);
    }
    expect(Math.max(0, ...perConnection.values())).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
