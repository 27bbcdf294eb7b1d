// `floe topic|group ...` against an HTTP door with a scripted admin API: requests, tables, exit codes.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { AdminError, type AdminApi } from '@floe/admin-api';
import { startHttpServer, type RunningHttpServer } from '@floe/http';
import { runAdminCommand } from '../../src/admin-cli.ts';

const created: unknown[] = [];
const admin: AdminApi = {
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
};

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
});
