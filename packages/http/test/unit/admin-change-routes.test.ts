// The routes that change topics and groups: what reaches the node from a good request, 400 with a
// message (and the node never asked) for bad ones, and the node's typed errors as statuses.
import { describe, expect, test } from '@jest/globals';
import { AdminError } from '@floe/admin-api';
import { scriptedAdminApi } from '@floe/testkit';
import { buildHttpServer } from '../../src/http-server.ts';

const metrics = async () => ({ contentType: 'text/plain', body: '' });
const topic = { name: 't', id: 'id-t', partitions: 2, configs: { 'retention.ms': '1000' }, partitionOffsets: [] };

function node() {
  return scriptedAdminApi({
    alterTopicConfigs: async (name, changes) => {
      if (changes.set['no.such']) throw new AdminError('invalid', 'unknown topic config "no.such"');
      return { ...topic, name };
    },
    addPartitions: async (name, count) => {
      if (count <= 2) throw new AdminError('invalid', `topic "${name}" has 2 partitions, more than the requested ${count}`);
      return { name, id: 'id-t', partitions: count };
    },
    groupOffsets: async (id) => (id === 'g' ? { groupId: 'g', state: 'Empty', offsets: [{ topic: 't', partition: 0, committedOffset: 3, highWatermark: 5, lag: 2 }] } : undefined),
    deleteGroup: async (id) => {
      if (id === 'busy') throw new AdminError('conflict', 'group "busy" has members: it must be inactive (Empty) to be deleted');
      if (id !== 'g') throw new AdminError('not-found', `no group "${id}"`);
    },
    resetGroupOffsets: async (groupId, reset) => {
      if (groupId === 'busy') throw new AdminError('conflict', 'group "busy" is Stable with 1 member(s): it must be inactive (Empty) to reset its offsets');
      return { groupId, topic: reset.topic, executed: reset.execute, partitions: [{ partition: 0, previousOffset: 3, newOffset: 0 }] };
    },
  });
}

async function app() {
  const n = node();
  return { n, http: await buildHttpServer({ host: '127.0.0.1', port: 0, readiness: {}, metrics, admin: n.admin }) };
}

describe('admin routes that change things', () => {
  test('configs: set and delete reach the node; bad bodies are 400 before it is asked', async () => {
    const { n, http } = await app();
    const patch = (payload: unknown, name = 't') => http.inject({ method: 'PATCH', url: `/api/v1/topics/${name}/configs`, payload: payload as object });
    const ok = await patch({ set: { 'retention.ms': '1000' }, delete: ['cleanup.policy'] });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ name: 't', configs: { 'retention.ms': '1000' } });
    expect(n.calls).toEqual([['alterTopicConfigs', 't', { set: { 'retention.ms': '1000' }, delete: ['cleanup.policy'] }]]);
    const refused = await patch({ set: { 'no.such': '1' } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({ error: 'unknown topic config "no.such"' });
    n.calls.length = 0;
    for (const [payload, message] of [
      [{ set: { 'retention.ms': 1000 } }, /set/],
      [{ delete: 'cleanup.policy' }, /delete/],
      [{ delete: ['a', 'a'] }, /duplicate/],
      [{ set: {}, surprise: 1 }, /additional/],
    ] as const) {
      const r = await patch(payload);
      expect({ payload, status: r.statusCode }).toEqual({ payload, status: 400 });
      expect(r.json().error).toMatch(message);
    }
    expect((await patch({ set: {} }, 'bad%20name')).statusCode).toBe(400);
    expect(n.calls).toEqual([]);
    await http.close();
  });

  test('partitions: a count reaches the node; wrong types, unknown fields and counts below 1 are 400; a shrink is the node’s 400', async () => {
    const { n, http } = await app();
    const post = (payload: unknown) => http.inject({ method: 'POST', url: '/api/v1/topics/t/partitions', payload: payload as object });
    const ok = await post({ count: 4 });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ name: 't', id: 'id-t', partitions: 4 });
    for (const payload of [{}, { count: '4' }, { count: 4.5 }, { count: 0 }, { count: 4, partitions: 4 }]) {
      const r = await post(payload);
      expect({ payload, status: r.statusCode }).toEqual({ payload, status: 400 });
      expect(typeof r.json().error).toBe('string');
    }
    const shrink = await post({ count: 1 });
    expect(shrink.statusCode).toBe(400);
    expect(shrink.json()).toEqual({ error: 'topic "t" has 2 partitions, more than the requested 1' });
    expect(n.calls).toEqual([['addPartitions', 't', 4], ['addPartitions', 't', 1]]);
    await http.close();
  });

  test('group offsets and delete: 200, 404, 204 and 409 with the node’s message', async () => {
    const { http } = await app();
    expect((await http.inject({ url: '/api/v1/groups/g/offsets' })).json()).toEqual({
      groupId: 'g',
      state: 'Empty',
      offsets: [{ topic: 't', partition: 0, committedOffset: 3, highWatermark: 5, lag: 2 }],
    });
    expect((await http.inject({ url: '/api/v1/groups/nobody/offsets' })).statusCode).toBe(404);
    expect((await http.inject({ method: 'DELETE', url: '/api/v1/groups/g' })).statusCode).toBe(204);
    expect((await http.inject({ method: 'DELETE', url: '/api/v1/groups/nobody' })).statusCode).toBe(404);
    const busy = await http.inject({ method: 'DELETE', url: '/api/v1/groups/busy' });
    expect(busy.statusCode).toBe(409);
    expect(busy.json().error).toMatch(/must be inactive/);
    await http.close();
  });

  test('reset: a dry run unless execute is true; targets and their numbers are checked; an active group is 409', async () => {
    const { n, http } = await app();
    const post = (payload: unknown, group = 'g') => http.inject({ method: 'POST', url: `/api/v1/groups/${group}/offsets/reset`, payload: payload as object });
    const dry = await post({ topic: 't', to: 'earliest' });
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toEqual({ groupId: 'g', topic: 't', executed: false, partitions: [{ partition: 0, previousOffset: 3, newOffset: 0 }] });
    await post({ topic: 't', partitions: [1, 0], to: 'offset', offset: 7, execute: true });
    await post({ topic: 't', to: 'timestamp', timestamp: 1_700_000_000_000 });
    await post({ topic: 't', to: 'latest' });
    expect(n.calls).toEqual([
      ['resetGroupOffsets', 'g', { topic: 't', to: { kind: 'earliest' }, execute: false }],
      ['resetGroupOffsets', 'g', { topic: 't', partitions: [1, 0], to: { kind: 'offset', offset: 7 }, execute: true }],
      ['resetGroupOffsets', 'g', { topic: 't', to: { kind: 'timestamp', timestampMs: 1_700_000_000_000 }, execute: false }],
      ['resetGroupOffsets', 'g', { topic: 't', to: { kind: 'latest' }, execute: false }],
    ]);
    n.calls.length = 0;
    for (const [payload, message] of [
      [{ to: 'earliest' }, /topic/],
      [{ topic: 'bad name', to: 'earliest' }, /topic/],
      [{ topic: 't' }, /to/],
      [{ topic: 't', to: 'yesterday' }, /to/],
      [{ topic: 't', to: 'offset' }, /needs "offset"/],
      [{ topic: 't', to: 'offset', offset: -1 }, /offset/],
      [{ topic: 't', to: 'offset', offset: '5' }, /offset/],
      [{ topic: 't', to: 'earliest', offset: 5 }, /"offset" goes with/],
      [{ topic: 't', to: 'timestamp' }, /needs "timestamp"/],
      [{ topic: 't', to: 'timestamp', timestamp: 1.5 }, /timestamp/],
      [{ topic: 't', to: 'earliest', partitions: [] }, /partitions/],
      [{ topic: 't', to: 'earliest', partitions: [0, 0] }, /duplicate/],
      [{ topic: 't', to: 'earliest', partitions: [-1] }, /partitions/],
      [{ topic: 't', to: 'earliest', execute: 'yes' }, /execute/],
      [{ topic: 't', to: 'earliest', dryRun: true }, /additional/],
    ] as const) {
      const r = await post(payload);
      expect({ payload, status: r.statusCode }).toEqual({ payload, status: 400 });
      expect(r.json().error).toMatch(message);
    }
    expect(n.calls).toEqual([]);
    const busy = await post({ topic: 't', to: 'earliest' }, 'busy');
    expect(busy.statusCode).toBe(409);
    expect(busy.json().error).toMatch(/must be inactive/);
    await http.close();
  });

  test('/openapi.json lists the new routes', async () => {
    const { http } = await app();
    const doc = (await http.inject({ url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/api/v1/topics/{name}/configs']!)).toEqual(['patch']);
    expect(Object.keys(doc.paths['/api/v1/topics/{name}/partitions']!)).toEqual(['post']);
    expect(Object.keys(doc.paths['/api/v1/groups/{groupId}/offsets']!)).toEqual(['get']);
    expect(Object.keys(doc.paths['/api/v1/groups/{groupId}/offsets/reset']!)).toEqual(['post']);
    expect(Object.keys(doc.paths['/api/v1/groups/{groupId}']!).sort()).toEqual(['delete', 'get']);
    await http.close();
  });
});
