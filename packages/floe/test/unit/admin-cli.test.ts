// `floe topic|group ...` against an HTTP door with a scripted admin API: requests, tables, exit codes.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { AdminError } from '@floe/admin-api';
import { startHttpServer, type RunningHttpServer } from '@floe/http';
import { scriptedAdminApi, scriptedDoorAuthenticator } from '@floe/testkit';
import { parseAdminArgs, parseDatetime } from '../../src/admin-cli-args.ts';
import { runAdminCommand } from '../../src/admin-cli.ts';

const created: unknown[] = [];
const { admin, calls } = scriptedAdminApi({
  cluster: async () => ({ clusterId: 'c', nodes: [] }),
  listTopics: async () => [{ name: 'orders', id: 'id1', partitions: 12 }],
  describeTopic: async (name) => (name === 'orders' ? { name, id: 'id1', partitions: 1, configs: {}, partitionOffsets: [{ partition: 0, logStartOffset: 2, highWatermark: 9 }] } : undefined),
  createTopic: async (name, partitions, configs) => {
    if (name === 'orders') throw new AdminError('exists', 'topic "orders" already exists');
    created.push({ name, partitions, configs });
    return { name, id: 'id2', partitions: partitions ?? 1 };
  },
  deleteTopic: async () => {},
  listGroups: async () => [{ groupId: 'billing', type: 'consumer', protocolType: 'consumer', state: 'Stable' }],
  describeGroup: async (id) =>
    id === 'billing'
      ? {
          groupId: id,
          type: 'consumer',
          protocolType: 'consumer',
          state: 'Stable',
          members: [{ memberId: 'm1', instanceId: null, clientId: 'app', clientHost: '/10.0.0.1' }],
          offsets: [{ topic: 'orders', partition: 0, committedOffset: 5, highWatermark: 9, lag: 4 }],
        }
      : undefined,
  readRecords: async () => undefined,
  alterTopicConfigs: async (name, changes) => ({ name, id: 'id1', partitions: 1, configs: changes.set, partitionOffsets: [{ partition: 0, logStartOffset: 0, highWatermark: 9 }] }),
  addPartitions: async (name, count) => {
    if (count <= 12) throw new AdminError('invalid', `topic "${name}" has 12 partitions, more than the requested ${count}`);
    return { name, id: 'id1', partitions: count };
  },
  groupOffsets: async (id) => (id === 'billing' ? { groupId: id, state: 'Empty', offsets: [{ topic: 'orders', partition: 0, committedOffset: 5, highWatermark: 9, lag: 4 }] } : undefined),
  deleteGroup: async (id) => {
    if (id === 'billing') throw new AdminError('conflict', 'group "billing" has members: it must be inactive (Empty) to be deleted');
  },
  resetGroupOffsets: async (groupId, reset) => ({
    groupId,
    topic: reset.topic,
    executed: reset.execute,
    partitions: (reset.partitions ?? [0, 1]).map((partition) => ({ partition, previousOffset: partition === 0 ? 5 : null, newOffset: 2 })),
  }),
});

let server: RunningHttpServer;
beforeAll(async () => {
  server = await startHttpServer({ host: '127.0.0.1', port: 0, readiness: {}, metrics: async () => ({ contentType: 'text/plain', body: '' }), admin });
});
afterAll(async () => {
  await server.close();
});

async function floe(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdminCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: { FLOE_ADMIN_URL: `http://127.0.0.1:${server.port}` } });
  return { code, out, err };
}

describe('floe topic and floe group', () => {
  test('list and describe print tables', async () => {
    expect(await floe('topic', 'list')).toEqual({ code: 0, out: ['TOPIC   PARTITIONS  ID', 'orders  12          id1'], err: [] });
    const d = await floe('topic', 'describe', 'orders');
    expect(d.out).toEqual(['topic orders (id id1) configs: (defaults)', 'PARTITION  LOG-START  HIGH-WATERMARK', '0          2          9']);
    const g = await floe('group', 'describe', 'billing');
    expect(g.out[0]).toBe('group billing (consumer) Stable, 1 member(s)');
    expect(g.out.at(-1)).toBe('orders  0          5          9               4');
    expect((await floe('group', 'list', '--json')).out.join('\n')).toContain('"groupId": "billing"');
  });

  test('create sends partitions and configs; the node refusing is exit 1 with its message', async () => {
    expect((await floe('topic', 'create', 'fresh', '--partitions', '3', '--config', 'retention.ms=60000', '--config', 'cleanup.policy=compact')).out).toEqual([
      'created topic fresh with 3 partitions',
    ]);
    expect(created).toEqual([{ name: 'fresh', partitions: 3, configs: { 'retention.ms': '60000', 'cleanup.policy': 'compact' } }]);
    expect(await floe('topic', 'create', 'orders')).toEqual({ code: 1, out: [], err: ['floe: topic "orders" already exists'] });
    const missing = await floe('topic', 'describe', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.err).toEqual(['floe: no topic "nope"']);
  });

  test('usage errors are exit 2 and name the problem; an unreachable node is exit 1', async () => {
    for (const argv of [['topic'], ['topic', 'frob'], ['topic', 'create'], ['topic', 'create', 'a', 'b'], ['topic', 'create', 'a', '--partitions', 'x'], ['topic', 'create', 'a', '--config', 'novalue'], ['topic', 'list', '--bogus']]) {
      const r = await floe(...argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.err[0]).toMatch(/^floe: /);
    }
    const out: string[] = [];
    const err: string[] = [];
    const code = await runAdminCommand(['topic', 'list', '--server', 'http://127.0.0.1:1'], { out: (l) => out.push(l), err: (l) => err.push(l), env: {} });
    expect(code).toBe(1);
    expect(err[0]).toMatch(/^floe: no answer from http:\/\/127\.0\.0\.1:1/);
  });

  test('topic alter sets and deletes configs, then raises the partition count; a refusal is exit 1 with the message', async () => {
    calls.length = 0;
    const r = await floe('topic', 'alter', 'orders', '--config', 'retention.ms=1000', '--delete-config', 'cleanup.policy', '--partitions', '16');
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe('altered the configs of topic orders');
    expect(r.out.at(-1)).toBe('topic orders now has 16 partitions');
    expect(calls).toEqual([
      ['alterTopicConfigs', 'orders', { set: { 'retention.ms': '1000' }, delete: ['cleanup.policy'] }],
      ['addPartitions', 'orders', 16],
    ]);
    expect(await floe('topic', 'alter', 'orders', '--partitions', '3')).toEqual({ code: 1, out: [], err: ['floe: topic "orders" has 12 partitions, more than the requested 3'] });
    const json = await floe('topic', 'alter', 'orders', '--partitions', '20', '--json');
    expect(JSON.parse(json.out.join('\n'))).toEqual({ name: 'orders', id: 'id1', partitions: 20 });
  });

  test('group offsets, delete and reset-offsets (a dry run unless --execute)', async () => {
    calls.length = 0;
    expect((await floe('group', 'offsets', 'billing')).out).toEqual(['group billing Empty', 'TOPIC   PARTITION  COMMITTED  HIGH-WATERMARK  LAG', 'orders  0          5          9               4']);
    expect(await floe('group', 'delete', 'billing')).toEqual({ code: 1, out: [], err: ['floe: group "billing" has members: it must be inactive (Empty) to be deleted'] });
    expect((await floe('group', 'delete', 'idle')).out).toEqual(['deleted group idle']);
    const dry = await floe('group', 'reset-offsets', 'idle', '--topic', 'orders', '--to-earliest');
    expect(dry.out).toEqual([
      'TOPIC   PARTITION  PREVIOUS  NEW',
      'orders  0          5         2',
      'orders  1          -         2',
      'dry run: nothing committed (add --execute to commit these offsets)',
    ]);
    const done = await floe('group', 'reset-offsets', 'idle', '--topic', 'orders', '--partitions', '1', '--to-offset', '7', '--execute');
    expect(done.out.at(-1)).toBe('committed the new offsets of group idle');
    await floe('group', 'reset-offsets', 'idle', '--topic', 'orders', '--to-datetime', '2023-11-14T22:13:20Z');
    await floe('group', 'reset-offsets', 'idle', '--topic', 'orders', '--to-latest');
    expect(calls.filter((c) => c[0] === 'resetGroupOffsets')).toEqual([
      ['resetGroupOffsets', 'idle', { topic: 'orders', to: { kind: 'earliest' }, execute: false }],
      ['resetGroupOffsets', 'idle', { topic: 'orders', partitions: [1], to: { kind: 'offset', offset: 7 }, execute: true }],
      ['resetGroupOffsets', 'idle', { topic: 'orders', to: { kind: 'timestamp', timestampMs: 1_700_000_000_000 }, execute: false }],
      ['resetGroupOffsets', 'idle', { topic: 'orders', to: { kind: 'latest' }, execute: false }],
    ]);
  });

  test('argument parsing: the new commands’ usage errors are exit 2 and reach no node', async () => {
    calls.length = 0;
    for (const argv of [
      ['topic', 'alter', 'orders'],
      ['topic', 'alter', 'orders', '--partitions', 'many'],
      ['topic', 'alter', 'orders', '--delete-config', 'a=b'],
      ['topic', 'alter', 'orders', '--execute'],
      ['topic', 'list', '--partitions', '3'],
      ['group', 'delete'],
      ['group', 'offsets', 'a', 'b'],
      ['group', 'reset-offsets', 'g', '--to-earliest'],
      ['group', 'reset-offsets', 'g', '--topic', 'orders'],
      ['group', 'reset-offsets', 'g', '--topic', 'orders', '--to-earliest', '--to-latest'],
      ['group', 'reset-offsets', 'g', '--topic', 'orders', '--to-offset', '-1'],
      ['group', 'reset-offsets', 'g', '--topic', 'orders', '--to-offset', '1.5'],
      ['group', 'reset-offsets', 'g', '--topic', 'orders', '--to-datetime', 'yesterday'],
      ['group', 'reset-offsets', 'g', '--topic', 'orders', '--to-datetime', '2026-02-30'],
      ['group', 'reset-offsets', 'g', '--topic', 'orders', '--to-earliest', '--partitions', '0,,1'],
      ['group', 'reset-offsets', 'g', '--topic', 'orders', '--to-earliest', '--config', 'a=b'],
    ]) {
      const r = await floe(...argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.err[0]).toMatch(/^floe: /);
    }
    expect(calls).toEqual([]);
  });

  test('parseAdminArgs and parseDatetime', () => {
    const p = parseAdminArgs(['group', 'reset-offsets', 'g', '--topic', 't', '--partitions', '0,2', '--to-datetime', '2023-11-14T22:13:20.5+00:00', '--execute', '--json'], {});
    expect(p).toMatchObject({ positional: ['group', 'reset-offsets', 'g'], topic: 't', partitions: '0,2', to: { kind: 'timestamp', timestampMs: 1_700_000_000_500 }, execute: true, json: true });
    expect(p.server).toBe('http://127.0.0.1:8080');
    expect(parseAdminArgs(['topic', 'alter', 'x', '--delete-config', 'a', '--delete-config', 'b', '--config', 'k=v=w'], { FLOE_ADMIN_URL: 'http://n:1' })).toMatchObject({
      deleteConfigs: ['a', 'b'],
      configs: { k: 'v=w' },
      server: 'http://n:1',
    });
    expect(parseDatetime('2023-11-14T22:13:20Z')).toBe(1_700_000_000_000);
    // No zone: local time, as Kafka's tool reads it.
    expect(parseDatetime('2023-11-14T22:13:20')).toBe(new Date(2023, 10, 14, 22, 13, 20).getTime());
    expect(() => parseDatetime('1700000000000')).toThrow(/ISO 8601/);
  });
});

describe('floe topic and floe group against a node that wants credentials', () => {
  const auth = scriptedDoorAuthenticator(true);
  let guarded: RunningHttpServer;
  beforeAll(async () => {
    guarded = await startHttpServer({ host: '127.0.0.1', port: 0, readiness: {}, metrics: async () => ({ contentType: 'text/plain', body: '' }), admin, authenticate: auth.authenticate });
  });
  afterAll(async () => {
    await guarded.close();
  });
  const run = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runAdminCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: { FLOE_ADMIN_URL: `http://127.0.0.1:${guarded.port}`, ...env } });
    return { code, out, err };
  };

  test('sends Basic or Bearer from the options or the environment; a refusal is exit 1 with the node message', async () => {
    auth.presented.length = 0;
    expect(await run(['topic', 'list'])).toEqual({ code: 1, out: [], err: ['floe: credentials required'] });
    expect((await run(['topic', 'list', '--token', 'good'])).code).toBe(0);
    expect((await run(['topic', 'list'], { FLOE_ADMIN_TOKEN: 'good' })).code).toBe(0);
    expect(await run(['topic', 'list', '--username', 'alice', '--password', 'pw'])).toMatchObject({ code: 1, err: ['floe: Authentication failed: Invalid username or password'] });
    expect((await run(['topic', 'list'], { FLOE_ADMIN_USERNAME: 'bob', FLOE_ADMIN_PASSWORD: 'pw2' })).code).toBe(1);
    expect(auth.presented.map((p) => p.authorization)).toEqual([
      undefined,
      'Bearer good',
      'Bearer good',
      `Basic ${Buffer.from('alice:pw').toString('base64')}`,
      `Basic ${Buffer.from('bob:pw2').toString('base64')}`,
    ]);
  });

  test('half a user, or a user and a token, is a usage error; a CA file that does not read is exit 1', async () => {
    for (const argv of [['--username', 'alice'], ['--password', 'pw'], ['--token', 't', '--username', 'a', '--password', 'p']]) {
      const r = await run(['topic', 'list', ...argv]);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
    }
    const r = await run(['topic', 'list', '--server', 'https://127.0.0.1:1', '--ca-file', '/nonexistent/ca.pem', '--token', 'good']);
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/^floe: --ca-file: ENOENT.*nonexistent/);
  });
});
