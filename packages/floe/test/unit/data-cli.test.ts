// `floe produce` and `floe consume` against a gRPC door on the embedded default.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { EmbeddedCoordinationStore } from '@floe/coordination';
import { startGrpcServer, type RunningGrpcServer } from '@floe/grpc';
import { FloeLog } from '@floe/log';
import { FsObjectStore } from '@floe/object-store';
import { GroupCoordinator } from '@floe/groups';
import { makeTestCertificates, scriptedDoorAuthenticator } from '@floe/testkit';
import { runDataCommand } from '../../src/data-cli.ts';

let dir: string;
let log: FloeLog;
let objects: FsObjectStore;
let coordination: EmbeddedCoordinationStore;
let server: RunningGrpcServer;
let groups: GroupCoordinator;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'floe-data-cli-'));
  objects = await FsObjectStore.open(join(dir, 'objects'));
  coordination = await EmbeddedCoordinationStore.open(join(dir, 'metadata'));
  log = await FloeLog.open({ objects, coordination, node: 'test', lingerMs: 2, pollIntervalMs: 20 });
  await log.topics.create('lines', 1, {});
  await log.topics.create('grouped', 3, {});
  groups = new GroupCoordinator({ store: coordination, pollMs: 20, consumerSettings: { heartbeatIntervalMs: 100 } });
  server = await startGrpcServer({ log, topics: log.topics, host: '127.0.0.1', port: 0, groups });
});
afterAll(async () => {
  await server.close();
  groups.close();
  await log.close();
  await objects.close();
  await coordination.close();
  rmSync(dir, { recursive: true, force: true });
});

async function floe(command: 'produce' | 'consume', argv: string[], stdin = ''): Promise<{ code: number; out: string[]; err: string }> {
  const out: string[] = [];
  let err = '';
  const code = await runDataCommand(command, argv, {
    out: (l) => out.push(l),
    err: (t) => (err += t),
    env: { FLOE_GRPC_ADDRESS: `127.0.0.1:${server.port}` },
    stdin: Readable.from([stdin]),
    progress: false,
  });
  return { code, out, err };
}

describe('floe produce and floe consume', () => {
  test('lines from stdin become records (keys split off), read back in order as values or JSON', async () => {
    const input = Array.from({ length: 1200 }, (_, i) => `key${i}|value ${i}`).join('\n') + '\n';
    expect(await floe('produce', ['lines', '--key-separator', '|'], input)).toEqual({ code: 0, out: ['produced 1200 records to lines (partition:records 0:1200)'], err: '' });
    const values = await floe('consume', ['lines', '--count', '3']);
    expect(values).toEqual({ code: 0, out: ['value 0', 'value 1', 'value 2'], err: '' });
    const json = await floe('consume', ['lines', '--from', '1199', '--count', '1', '--format', 'json']);
    expect(JSON.parse(json.out[0]!)).toMatchObject({ offset: 1199, key: 'key1199', value: 'value 1199', headers: {} });
  });

  test('a file is read whole; an unknown topic or partition is exit 1 with the node message; bad usage is exit 2', async () => {
    const file = join(dir, 'input.txt');
    writeFileSync(file, 'a\nb\nc\n');
    expect((await floe('produce', ['lines', '--file', file])).out).toEqual(['produced 3 records to lines (partition:records 0:3)']);
    const missing = await floe('produce', ['nope'], 'x\n');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nope/);
    const badPartition = await floe('consume', ['lines', '--partition', '7', '--count', '1']);
    expect(badPartition.code).toBe(1);
    for (const argv of [[], ['a', 'b'], ['lines', '--count', 'x'], ['lines', '--from', 'yesterday'], ['lines', '--format', 'xml'], ['lines', '--bogus']]) {
      expect((await floe('consume', argv)).code).toBe(2);
    }
    expect((await floe('produce', ['lines', '--file', join(dir, 'absent.txt')])).code).toBe(2);
  });

  test('--group consumes as a group member from the committed offsets and commits what it printed', async () => {
    const input = Array.from({ length: 30 }, (_, i) => `k${i}|v${i}`).join('\n') + '\n';
    expect((await floe('produce', ['grouped', '--key-separator', '|'], input)).code).toBe(0);
    const first = await floe('consume', ['grouped', '--group', 'cli', '--from', 'earliest', '--count', '12', '--format', 'json']);
    expect(first.code).toBe(0);
    expect(first.out).toHaveLength(12);
    const seen = first.out.map((l) => JSON.parse(l) as { topic: string; partition: number; value: string });
    expect(seen.every((r) => r.topic === 'grouped' && r.partition >= 0 && r.partition < 3)).toBe(true);
    const committed = (await groups.fetchOffsets('cli')).reduce((n, c) => n + Number(c.offset), 0);
    expect(committed).toBe(12);
    // The next run starts where the first stopped: the other 18, none again (--from earliest for
    // a partition the first run printed nothing of, so has no commit for).
    const second = await floe('consume', ['grouped', '--group', 'cli', '--from', 'earliest', '--count', '18']);
    expect(second.code).toBe(0);
    expect(new Set([...seen.map((r) => r.value), ...second.out]).size).toBe(30);
    for (const argv of [['grouped', '--group', 'cli', '--partition', '1'], ['grouped', '--group', 'cli', '--from', '5'], ['grouped', '--group', '']]) {
      expect((await floe('consume', argv)).code).toBe(2);
    }
    const unknown = await floe('consume', ['absent', '--group', 'cli']);
    expect(unknown).toMatchObject({ code: 1, err: expect.stringContaining('absent') });
  });
});

describe('floe produce and floe consume against a node serving TLS that wants credentials', () => {
  const auth = scriptedDoorAuthenticator(true);
  let guarded: RunningGrpcServer;
  let caFile: string;
  beforeAll(async () => {
    const certs = makeTestCertificates(mkdtempSync(join(dir, 'certs-')));
    caFile = certs.caFile;
    const context = { cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile) };
    guarded = await startGrpcServer({ log, topics: log.topics, host: '127.0.0.1', port: 0, groups, authenticate: auth.authenticate, tls: { context, clientAuth: 'none' } });
  });
  afterAll(async () => {
    await guarded.close();
  });
  const run = async (command: 'produce' | 'consume', argv: string[], env: NodeJS.ProcessEnv = {}, stdin = '') => {
    let err = '';
    const out: string[] = [];
    const code = await runDataCommand(command, argv, {
      out: (l) => out.push(l),
      err: (t) => (err += t),
      env: { FLOE_GRPC_ADDRESS: `127.0.0.1:${guarded.port}`, ...env },
      stdin: Readable.from([stdin]),
      progress: false,
    });
    return { code, out, err };
  };

  test('trusts the CA file, sends the credentials; refusals are exit 1 with the node message, bad options exit 2', async () => {
    expect(await run('produce', ['lines', '--ca-file', caFile, '--token', 'good'], {}, 'secured\n')).toMatchObject({ code: 0 });
    expect(await run('consume', ['lines', '--count', '1'], { FLOE_GRPC_CA_FILE: caFile, FLOE_GRPC_TOKEN: 'good' })).toMatchObject({ code: 0, out: ['value 0'] });
    const refused = await run('produce', ['lines', '--ca-file', caFile], {}, 'x\n');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/credentials required/);
    const sent = auth.presented.map((p) => p.authorization);
    expect(sent.at(-1)).toBeUndefined();
    expect(new Set(sent.slice(0, -1))).toEqual(new Set(['Bearer good']));
    // Plaintext against the TLS port: no connection, exit 1.
    expect(await run('produce', ['lines', '--token', 'good'], {}, 'x\n')).toMatchObject({ code: 1, err: expect.stringContaining('No connection established') });
    expect((await run('produce', ['lines', '--username', 'alice'], {}, 'x\n')).code).toBe(2);
    const noCa = await run('produce', ['lines', '--ca-file', join(dir, 'absent-ca.pem')], {}, 'x\n');
    expect([noCa.code, noCa.err]).toEqual([1, expect.stringMatching(/^floe: --ca-file: ENOENT/)]);
  }, 30_000);
});
