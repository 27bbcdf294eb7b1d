// `floe acl` against DynamoDB Local (its own table), run as its own process as an operator runs
// it, next to `floe start` nodes with the authorizer on (ports 19480-19489): the node enforces
// what the command adds and removes within its refresh period, and Kafka's AclCommand, through the
// node, lists what the command wrote. The node's PLAINTEXT listener makes every client
// User:ANONYMOUS, and no one is a super user: the node allows exactly what `floe acl` granted.
// A second node serves SSL with client certificates and FLOE_TLS_PRINCIPAL_MAPPING_RULES: ACLs
// added for the mapped names apply, and a certificate no rule maps is refused.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { javaTool, loadTestEnv, runTool, type ToolResult } from '@floe/testkit';
import { runFloeCommand, startNodeProcess, stopNodeProcess, type NodeProcess } from '../support/node-process.ts';

const PORT = 19480;
const TLS_PORT = 19481;
const CLUSTER = `floe-aclcli-${randomBytes(4).toString('hex')}`;
const BOOTSTRAP = `127.0.0.1:${PORT}`;
const REFRESH_MS = 500;
const env = loadTestEnv();

async function floe(...args: string[]): Promise<ToolResult> {
  const r = await runFloeCommand(CLUSTER, ['acl', ...args]);
  if (r.code !== 0) throw new Error(`floe acl ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return r;
}

const kafka = new Kafka({ brokers: [BOOTSTRAP], clientId: 'acl-cli-test', logLevel: logLevel.NOTHING, retry: { retries: 0 } });

/** Produces one record to `topic`: '' when it was written, else the Kafka error type. */
async function produce(topic: string, client = kafka): Promise<string> {
  const p = client.producer({ allowAutoTopicCreation: false });
  try {
    await p.connect();
    await p.send({ topic, messages: [{ value: 'v' }], acks: -1 });
    return '';
  } catch (err) {
    // kafkajs's producer rewraps code 29 in a message naming it by its description.
    if (/Topic authorization failed/.test(String(err))) return 'TOPIC_AUTHORIZATION_FAILED';
    const e = err as { type?: string; originalError?: { type?: string } };
    return e.type ?? e.originalError?.type ?? String(err);
  } finally {
    await p.disconnect();
  }
}

async function createTopic(client: Kafka, topic: string): Promise<void> {
  const admin = client.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic }], waitForLeaders: false });
  } finally {
    await admin.disconnect();
  }
}

/** How long until producing to `topic` gives `outcome` (polled every 100 ms, at most 10 s). */
async function msUntil(topic: string, outcome: string): Promise<number> {
  const start = Date.now();
  let last = '';
  while (Date.now() - start < 10_000) {
    last = await produce(topic);
    if (last === outcome) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`producing to ${topic} still gives "${last}", not "${outcome}", after 10 s`);
}

describe('floe acl', () => {
  let node: NodeProcess;

  beforeAll(async () => {
    // Before the node exists: the first grants go straight to the (new) table.
    const r = await floe('add', '--allow-principal', 'User:ANONYMOUS', '--operation', 'Create', '--operation', 'Describe', '--topic', 'cli-orders');
    expect(r.stdout).toContain('added 2 ACLs');
    node = startNodeProcess(PORT, CLUSTER, { FLOE_AUTHORIZER: 'acl', FLOE_ACL_REFRESH_MS: String(REFRESH_MS), FLOE_AUTO_CREATE_TOPICS: 'false' });
    await node.ready;
    await createTopic(kafka, 'cli-orders');
  }, 90_000);
  afterAll(async () => {
    await stopNodeProcess(node);
  }, 30_000);

  it('adds, lists and removes ACLs in the table; the node enforces each change within its refresh period', async () => {
    // Create and Describe only: the write is refused.
    expect(await produce('cli-orders')).toBe('TOPIC_AUTHORIZATION_FAILED');

    await floe('add', '--allow-principal', 'User:ANONYMOUS', '--operation', 'Write', '--topic', 'cli-', '--resource-pattern-type', 'prefixed');
    expect(await msUntil('cli-orders', '')).toBeLessThan(REFRESH_MS + 3_000);

    const listed = JSON.parse((await floe('list', '--json')).stdout) as unknown[];
    const anonymous = { principal: 'User:ANONYMOUS', host: '*', permission: 'ALLOW' };
    expect(listed).toEqual([
      { resourceType: 'Topic', resourceName: 'cli-', patternType: 'PREFIXED', ...anonymous, operation: 'Write' },
      { resourceType: 'Topic', resourceName: 'cli-orders', patternType: 'LITERAL', ...anonymous, operation: 'Create' },
      { resourceType: 'Topic', resourceName: 'cli-orders', patternType: 'LITERAL', ...anonymous, operation: 'Describe' },
    ]);
    // MATCH: every ACL that applies to the topic, PREFIXED included; LITERAL (the default): only its own.
    expect((await floe('list', '--topic', 'cli-orders', '--resource-pattern-type', 'match')).stdout.trim().split('\n')).toHaveLength(4);
    expect((await floe('list', '--topic', 'cli-orders')).stdout).not.toContain('PREFIXED');

    // A DENY beats the ALLOW.
    await floe('add', '--deny-principal', 'User:ANONYMOUS', '--operation', 'Write', '--topic', 'cli-orders');
    expect(await msUntil('cli-orders', 'TOPIC_AUTHORIZATION_FAILED')).toBeLessThan(REFRESH_MS + 3_000);

    // remove without --force changes nothing; with it, the DENY is gone and the write allowed again.
    const dry = await floe('remove', '--deny-principal', 'User:ANONYMOUS', '--topic', 'cli-orders');
    expect(dry.stdout).toContain('would remove 1 ACL (nothing removed; run again with --force to remove them):');
    expect(dry.stdout).toContain('Topic:cli-orders  LITERAL  User:ANONYMOUS  *  Write  DENY');
    expect(await produce('cli-orders')).toBe('TOPIC_AUTHORIZATION_FAILED');
    const removed = await floe('remove', '--deny-principal', 'User:ANONYMOUS', '--topic', 'cli-orders', '--force');
    expect(removed.stdout).toContain('removed 1 ACL:');
    expect(await msUntil('cli-orders', '')).toBeLessThan(REFRESH_MS + 3_000);
  }, 120_000);

  it("Kafka's AclCommand, through the node, lists what floe acl wrote", async () => {
    // AclCommand's DescribeAcls needs Describe on the cluster: granted with floe acl too.
    await floe('add', '--allow-principal', 'User:ANONYMOUS', '--operation', 'Describe', '--cluster');
    const aclCommand = async () => {
      const { command, args } = javaTool(env.java, env.kafkaClasspath, 'org.apache.kafka.tools.AclCommand', ['--bootstrap-server', BOOTSTRAP, '--list']);
      return runTool(command, args, { timeoutMs: 60_000 });
    };
    let list = await aclCommand();
    for (let i = 0; i < 20 && /ClusterAuthorizationException/.test(list.stdout + list.stderr); i++) {
      await new Promise((r) => setTimeout(r, REFRESH_MS));
      list = await aclCommand();
    }
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/ResourcePattern\(resourceType=TOPIC, name=cli-, patternType=PREFIXED\)[^\n]*\n\s*\(principal=User:ANONYMOUS, host=\*, operation=WRITE, permissionType=ALLOW\)/);
    expect(list.stdout).toMatch(/ResourcePattern\(resourceType=TOPIC, name=cli-orders, patternType=LITERAL\)/);
    expect(list.stdout).toMatch(/\(principal=User:ANONYMOUS, host=\*, operation=CREATE, permissionType=ALLOW\)/);
    expect(list.stdout).toMatch(/ResourcePattern\(resourceType=CLUSTER, name=kafka-cluster, patternType=LITERAL\)[^\n]*\n\s*\(principal=User:ANONYMOUS, host=\*, operation=DESCRIBE, permissionType=ALLOW\)/);
    expect(list.stdout).not.toMatch(/DENY/);
  }, 180_000);

  it('refuses an invalid ACL with a clear message and exit code 2, writing nothing', async () => {
    const bad = await runFloeCommand(CLUSTER, ['acl', 'add', '--allow-principal', 'User:ANONYMOUS', '--operation', 'Write', '--topic', '*', '--resource-pattern-type', 'prefixed']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/floe acl: --topic '\*' with --resource-pattern-type prefixed would match only names starting with "\*"/);
    const unknown = await runFloeCommand(CLUSTER, ['acl', 'add', '--allow-principal', 'User:ANONYMOUS', '--operation', 'Publish', '--topic', 't']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown operation "Publish"/);
    expect((await floe('list', '--topic', '*', '--resource-pattern-type', 'any')).stdout.trim().split('\n')).toHaveLength(1);
  }, 60_000);
});

describe('certificate principals mapped by FLOE_TLS_PRINCIPAL_MAPPING_RULES', () => {
  let node: NodeProcess;
  let dir = '';
  const pem = (n: string) => readFileSync(join(dir, n));
  /** A client of the SSL listener presenting the certificate `name`. */
  const client = (name: string, extra: Partial<KafkaConfig> = {}) =>
    new Kafka({
      brokers: [`127.0.0.1:${TLS_PORT}`],
      clientId: 'acl-cli-mtls',
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      ssl: { ca: [pem('ca.pem')], cert: pem(`${name}.pem`), key: pem(`${name}.key`) },
      ...extra,
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'floe-acl-mtls-'));
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=Floe mTLS Test CA');
    const issue = (name: string, subject: string, ext?: string) => {
      openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
      if (ext) writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
      openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', `${name}.pem`, ...(ext ? ['-extfile', `${name}.ext`] : []));
    };
    issue('server', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
    issue('app1', '/C=DE/O=Floe Test/OU=Apps/CN=App-1');
    issue('app2', '/C=DE/O=Floe Test/OU=Apps/CN=App-2');
    issue('other', '/C=DE/O=Floe Test/OU=Others/CN=App-1');
    // The mapped name, not the subject, is the principal the ACL names.
    await floe('add', '--allow-principal', 'User:app-1', '--operation', 'All', '--topic', 'mtls-', '--resource-pattern-type', 'prefixed');
    node = startNodeProcess(TLS_PORT, CLUSTER, {
      FLOE_KAFKA_LISTEN: `SSL://127.0.0.1:${TLS_PORT}`,
      FLOE_TLS_CERT_FILE: join(dir, 'server.pem'),
      FLOE_TLS_KEY_FILE: join(dir, 'server.key'),
      FLOE_TLS_CA_FILE: join(dir, 'ca.pem'),
      FLOE_TLS_CLIENT_AUTH: 'required',
      FLOE_TLS_PRINCIPAL_MAPPING_RULES: 'RULE:^CN=(.*?),OU=Apps,.*$/$1/L',
      FLOE_AUTHORIZER: 'acl',
      FLOE_ACL_REFRESH_MS: String(REFRESH_MS),
      FLOE_AUTO_CREATE_TOPICS: 'false',
    });
    await node.ready;
  }, 90_000);
  afterAll(async () => {
    await stopNodeProcess(node);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('CN=App-1,OU=Apps is User:app-1 and gets its ACLs; App-2 gets none; OU=Others is refused', async () => {
    const app1 = client('app1');
    await createTopic(app1, 'mtls-orders');
    expect(await produce('mtls-orders', app1)).toBe('');
    expect(await produce('mtls-orders', client('app2'))).toBe('TOPIC_AUTHORIZATION_FAILED');
    // No rule maps OU=Others and there is no DEFAULT: the node closes the connection (as Kafka
    // fails its authentication), so the client never gets an answer.
    const refused = await produce('mtls-orders', client('other', { connectionTimeout: 3_000, requestTimeout: 3_000 }));
    expect(refused).toMatch(/Closed connection/);
    // The node's log says why (the line may reach its stdout a moment later).
    for (let i = 0; i < 50 && !/client certificate refused/.test(node.stdout()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(node.stdout()).toMatch(/client certificate refused/);
    expect(node.stdout()).toContain('no principal mapping rule applies to the certificate subject \\"CN=App-1,OU=Others,O=Floe Test,C=DE\\"');
  }, 90_000);
});
