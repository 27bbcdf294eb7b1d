// The admin routes' contract: schemas refuse bad input with 400 and a message before the node is
// asked anything; the node's typed errors become 404, 409, 400 and 503.
import { describe, expect, test } from '@jest/globals';
import { AdminError, type AdminApi, type Caller } from '@floe/admin-api';
import { scriptedAdminApi } from '@floe/testkit';
import { buildHttpServer } from '../../src/http-server.ts';

function fakeAdmin(calls: string[]): AdminApi {
  return scriptedAdminApi({
    cluster: async () => ({ clusterId: 'c1', nodes: [{ nodeId: 1, host: '127.0.0.1', port: 9092, rack: null }] }),
    listTopics: async () => [{ name: 't', id: 'id-t', partitions: 3 }],
    describeTopic: async (name) =>
      name === 't' ? { name: 't', id: 'id-t', partitions: 1, configs: { 'retention.ms': '1000' }, partitionOffsets: [{ partition: 0, logStartOffset: 0, highWatermark: 5 }] } : undefined,
    createTopic: async (name, partitions, configs) => {
      calls.push(`create ${name} ${partitions} ${JSON.stringify(configs)}`);
      if (name === 'exists') throw new AdminError('exists', 'topic "exists" already exists');
      if (configs['bad.config']) throw new AdminError('invalid', 'unknown topic config "bad.config"');
      if (name === 'down') throw new Error('table unreachable');
      return { name, id: 'new-id', partitions: partitions ?? 1 };
    },
    deleteTopic: async (name) => {
      calls.push(`delete ${name}`);
      if (name !== 't') throw new AdminError('not-found', `no topic "${name}"`);
    },
    listGroups: async () => [{ groupId: 'g', type: 'classic', protocolType: 'consumer', state: 'Stable' }],
    describeGroup: async () => undefined,
    readRecords: async (name, partition, offset, limit) => {
      calls.push(`read ${name} ${partition} ${offset} ${limit}`);
      if (name !== 't') return undefined;
      if (partition > 0) throw new AdminError('not-found', 'topic "t" has no partition 1 (it has 1)');
      const from = offset ?? 2;
      if (from > 5) return { logStartOffset: 2, highWatermark: 5, nextOffset: 5, records: [] };
      return {
        logStartOffset: 2,
        highWatermark: 5,
        nextOffset: from + 2,
        records: [
          { offset: from, timestamp: 1700000000000, key: Buffer.from('k'), value: Buffer.from('héllo'), headers: [{ key: 'h', value: Buffer.from([0xff, 0x00]) }] },
          { offset: from + 1, timestamp: 1700000000001, key: null, value: Buffer.from([0xc3, 0x28]), headers: [{ key: 'n', value: null }] },
        ],
      };
    },
  }).admin;
}

const metrics = async () => ({ contentType: 'text/plain', body: '' });

describe('the admin API', () => {
  test('reads: cluster, topics, a topic, groups; unknown ones are 404', async () => {
    const app = await buildHttpServer({ host: '127.0.0.1', port: 0, readiness: {}, metrics, admin: fakeAdmin([]) });
    expect((await app.inject({ url: '/api/v1/cluster' })).json()).toEqual({ clusterId: 'c1', nodes: [{ nodeId: 1, host: '127.0.0.1', port: 9092, rack: null }] });
    expect((await app.inject({ url: '/api/v1/topics' })).json()).toEqual([{ name: 't', id: 'id-t', partitions: 3 }]);
    const t = await app.inject({ url: '/api/v1/topics/t' });
    expect(t.json()).toMatchObject({ name: 't', configs: { 'retention.ms': '1000' }, partitionOffsets: [{ partition: 0, highWatermark: 5 }] });
    expect((await app.inject({ url: '/api/v1/topics/nope' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/api/v1/groups' })).json()).toEqual([{ groupId: 'g', type: 'classic', protocolType: 'consumer', state: 'Stable' }]);
    const g = await app.inject({ url: '/api/v1/groups/none' });
    expect(g.statusCode).toBe(404);
    expect(g.json()).toEqual({ error: 'no group "none"' });
    await app.close();
  });

  test('bad input is refused with 400 and a message, and the node is never asked', async () => {
    const calls: string[] = [];
    const app = await buildHttpServer({ host: '127.0.0.1', port: 0, readiness: {}, metrics, admin: fakeAdmin(calls) });
    const post = (payload: unknown) => app.inject({ method: 'POST', url: '/api/v1/topics', payload: payload as object });
    for (const [payload, message] of [
      [{}, /name/],
      [{ name: 'bad name!' }, /name/],
      [{ name: 'x'.repeat(250) }, /name/],
      [{ name: 't', partitions: 0 }, /partitions/],
      [{ name: 't', partitions: 'three' }, /partitions/],
      [{ name: 't', partitions: 1.5 }, /partitions/],
      [{ name: 't', configs: { 'retention.ms': 5 } }, /configs/],
      [{ name: 't', surprise: true }, /additional/],
    ] as const) {
      const r = await post(payload);
      expect({ payload, status: r.statusCode }).toEqual({ payload, status: 400 });
      expect(r.json().error).toMatch(message);
    }
    const notJson = await app.inject({ method: 'POST', url: '/api/v1/topics', headers: { 'content-type': 'application/json' }, payload: '{"name":' });
    expect(notJson.statusCode).toBe(400);
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/topics/bad%20name' })).statusCode).toBe(400);
    expect(calls).toEqual([]);
    await app.close();
  });

  test("the node's errors: 201 created, 409 conflict, 400 invalid config, 503 unavailable, 204 and 404 on delete", async () => {
    const calls: string[] = [];
    const app = await buildHttpServer({ host: '127.0.0.1', port: 0, readiness: {}, metrics, admin: fakeAdmin(calls) });
    const post = (payload: object) => app.inject({ method: 'POST', url: '/api/v1/topics', payload });
    const created = await post({ name: 'fresh', partitions: 4, configs: { 'cleanup.policy': 'compact' } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ name: 'fresh', id: 'new-id', partitions: 4 });
    expect((await post({ name: 'exists' })).statusCode).toBe(409);
    const invalid = await post({ name: 'x', configs: { 'bad.config': '1' } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toEqual({ error: 'unknown topic config "bad.config"' });
    const down = await post({ name: 'down' });
    expect(down.statusCode).toBe(503);
    expect(down.json().error).toMatch(/table unreachable/);
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/topics/t' })).statusCode).toBe(204);
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/topics/other' })).statusCode).toBe(404);
    await app.close();
  });

  test('records of a partition: text when valid UTF-8, else base64 and said so; bad numbers are 400 before the node is asked', async () => {
    const calls: string[] = [];
    const app = await buildHttpServer({ host: '127.0.0.1', port: 0, readiness: {}, metrics, admin: fakeAdmin(calls) });
    const get = (url: string) => app.inject({ url: `/api/v1/topics/${url}` });
    const page = await get('t/partitions/0/records?offset=3&limit=2');
    expect(page.statusCode).toBe(200);
    expect(page.json()).toEqual({
      topic: 't',
      partition: 0,
      logStartOffset: 2,
      highWatermark: 5,
      nextOffset: 5,
      records: [
        { offset: 3, timestamp: 1700000000000, key: 'k', keyEncoding: 'utf8', value: 'héllo', valueEncoding: 'utf8', headers: [{ key: 'h', value: '/wA=', valueEncoding: 'base64' }] },
        { offset: 4, timestamp: 1700000000001, key: null, keyEncoding: 'utf8', value: 'wyg=', valueEncoding: 'base64', headers: [{ key: 'n', value: null, valueEncoding: 'utf8' }] },
      ],
    });
    // Defaults: from the log start, 50 records.
    expect((await get('t/partitions/0/records')).json()).toMatchObject({ records: [{ offset: 2 }, { offset: 3 }] });
    // Outside the log: no records, with the offsets to go by.
    expect((await get('t/partitions/0/records?offset=9')).json()).toEqual({ topic: 't', partition: 0, logStartOffset: 2, highWatermark: 5, nextOffset: 5, records: [] });
    expect(calls).toEqual(['read t 0 3 2', 'read t 0 undefined 50', 'read t 0 9 50']);
    calls.length = 0;
    for (const url of [
      't/partitions/-1/records',
      't/partitions/x/records',
      't/partitions/01/records',
      't/partitions/0/records?offset=-1',
      't/partitions/0/records?offset=1.5',
      't/partitions/0/records?offset=99999999999999999',
      't/partitions/0/records?limit=0',
      't/partitions/0/records?limit=501',
      't/partitions/0/records?surprise=1',
      'bad%20name/partitions/0/records',
    ]) {
      const r = await get(url);
      expect({ url, status: r.statusCode }).toEqual({ url, status: 400 });
      expect(typeof r.json().error).toBe('string');
    }
    expect(calls).toEqual([]);
    expect((await get('t/partitions/0/records?limit=500')).statusCode).toBe(200);
    expect((await get('nope/partitions/0/records')).statusCode).toBe(404);
    expect((await get('t/partitions/1/records')).json()).toEqual({ error: 'topic "t" has no partition 1 (it has 1)' });
    await app.close();
  });

  test('the web console: the page at / and its assets, loading nothing from elsewhere', async () => {
    const app = await buildHttpServer({ host: '127.0.0.1', port: 0, readiness: {}, metrics, admin: fakeAdmin([]) });
    const page = await app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.sort()).toEqual(['/console/console.css', '/console/console.js', '/console/favicon.svg']);
    for (const asset of [...assets, '/console/charts.js']) {
      const r = await app.inject({ url: asset });
      expect({ asset, status: r.statusCode }).toEqual({ asset, status: 200 });
      expect(r.headers['content-type']).toMatch(asset.endsWith('.css') ? /^text\/css/ : asset.endsWith('.svg') ? /^image\/svg/ : /^text\/javascript/);
      if (!asset.endsWith('.svg')) expect(r.body).not.toMatch(/https?:\/\//);
    }
    expect((await app.inject({ url: '/console/../package.json' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/console/nothing.js' })).statusCode).toBe(404);
    // Without an admin API there is nothing for the console to show: not served.
    const bare = await buildHttpServer({ host: '127.0.0.1', port: 0, readiness: {}, metrics });
    expect((await bare.inject({ url: '/' })).statusCode).toBe(404);
    await bare.close();
    await app.close();
  });

  test('/openapi.json describes every admin route', async () => {
    const app = await buildHttpServer({ host: '127.0.0.1', port: 0, readiness: {}, metrics, admin: fakeAdmin([]) });
    const doc = (await app.inject({ url: '/openapi.json' })).json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(
      expect.arrayContaining(['/api/v1/cluster', '/api/v1/groups', '/api/v1/groups/{groupId}', '/api/v1/topics', '/api/v1/topics/{name}', '/api/v1/topics/{name}/partitions/{partition}/records']),
    );
    expect(Object.keys(doc.paths['/api/v1/topics']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths)).not.toContain('/');
    await app.close();
  });

  test('per-caller admin API: each request asks for the API of its caller; forbidden is 403 with the message', async () => {
    const callers: Caller[] = [];
    const admin = (caller: Caller) => {
      callers.push(caller);
      return scriptedAdminApi({
        listTopics: async () => [],
        describeTopic: async (name) => {
          throw new AdminError('forbidden', `${caller.principal} is not authorized to Describe topic "${name}"`);
        },
      }).admin;
    };
    const app = await buildHttpServer({ host: '127.0.0.1', port: 0, readiness: {}, metrics, admin });
    expect((await app.inject({ url: '/api/v1/topics' })).statusCode).toBe(200);
    const refused = await app.inject({ url: '/api/v1/topics/secret' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({ error: 'User:ANONYMOUS is not authorized to Describe topic "secret"' });
    expect(callers).toEqual([
      { principal: 'User:ANONYMOUS', host: '127.0.0.1' },
      { principal: 'User:ANONYMOUS', host: '127.0.0.1' },
    ]);
    // Probes never ask the admin API.
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect(callers).toHaveLength(2);
    await app.close();
  });
});
