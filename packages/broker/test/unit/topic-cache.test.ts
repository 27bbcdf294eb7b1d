import { describe, expect, it } from '@jest/globals';
import type { TopicInfo, TopicStore } from '@floe/log';
import { TopicCache } from '../../src/topic-cache.ts';

const topic = (name: string): TopicInfo => ({ name, id: `id-${name}`, partitions: 1, configs: {}, version: 1, created: 0 });

/** A topic list whose reads can be made to fail, as when the coordination table is unreachable. */
function topicStore(names: string[]) {
  const state = { names, failing: false, reads: 0 };
  const store = {
    list: async () => {
      state.reads++;
      if (state.failing) throw new Error('query topics: connect ECONNREFUSED');
      return state.names.map(topic);
    },
  } as unknown as TopicStore;
  return { store, state };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('TopicCache', () => {
  it('serves the last list read while the table cannot be read, and reads again once it can', async () => {
    // Found by the chaos run: with DynamoDB Local killed, Metadata for all topics,
    // OffsetForLeaderEpoch and OffsetCommit failed and closed their connections.
    const { store, state } = topicStore(['a', 'b']);
    const cache = new TopicCache(store, 20);
    expect((await cache.all()).map((t) => t.name)).toEqual(['a', 'b']);
    state.failing = true;
    await sleep(30);
    expect((await cache.all()).map((t) => t.name)).toEqual(['a', 'b']);
    expect((await cache.byNameOrLoad('a'))?.id).toBe('id-a');
    // A topic it never saw cannot be answered from the stale list: that lookup still fails.
    await expect(cache.byNameOrLoad('c')).rejects.toThrow('ECONNREFUSED');
    // Stale lookups do not retry the table on every call.
    const reads = state.reads;
    await cache.byNameOrLoad('b');
    await cache.byIdOrLoad('id-a');
    expect(state.reads).toBe(reads);
    state.failing = false;
    state.names = ['a', 'b', 'c'];
    await sleep(30);
    expect((await cache.byNameOrLoad('c'))?.id).toBe('id-c');
  });

  it('fails when the table has never been read', async () => {
    const { store, state } = topicStore(['a']);
    state.failing = true;
    const cache = new TopicCache(store, 20);
    await expect(cache.all()).rejects.toThrow('ECONNREFUSED');
    await expect(cache.byNameOrLoad('a')).rejects.toThrow('ECONNREFUSED');
  });
});
