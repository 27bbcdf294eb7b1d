// ACL storage over the embedded coordination table: create/delete with filters, concurrent
// changes losing nothing, and two nodes' caches: a change made through one is seen by the other
// within its refresh period; a failing refresh keeps the last good set; never loaded denies.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedCoordinationStore } from '@floe/coordination';
import { AclCache, AclTable, InvalidAclError, type AclBinding, type AclFilter } from '@floe/authz';
import { acl } from './support/acls.ts';

const alice = { principal: 'User:alice', host: '127.0.0.1' };
const read = (name: string, p: Partial<AclBinding> = {}): AclBinding => acl({ resourceName: name, ...p });
const ANY: AclFilter = { resourceType: 'Any', resourceName: null, patternType: 'Any', principal: null, host: null, operation: 'Any', permission: 'Any' };

describe('AclTable and AclCache', () => {
  let dir: string;
  let store: EmbeddedCoordinationStore;
  let table: AclTable;
  const caches: AclCache[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-acl-'));
    store = await EmbeddedCoordinationStore.open(dir);
    table = new AclTable(store);
  });
  afterEach(async () => {
    for (const c of caches.splice(0)) c.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores, lists and deletes ACLs by filter, bumping the version on each change', async () => {
    expect(await table.read()).toEqual({ version: 0, acls: [] });
    await table.create(read('a'));
    await table.create(read('a')); // again: no error, no second copy, no change
    await table.create(read('b', { patternType: 'PREFIXED' }));
    const set = await table.read();
    expect(set.version).toBe(2);
    expect(set.acls).toHaveLength(2);
    const deleted = await table.delete([{ ...ANY, patternType: 'Match', resourceType: 'Topic', resourceName: 'bcd' }]);
    expect(deleted).toEqual([[read('b', { patternType: 'PREFIXED' })]]);
    expect((await table.read()).acls).toEqual([read('a')]);
    expect(await table.delete([{ ...ANY, principal: 'User:bob' }])).toEqual([[]]);
    expect(await table.version()).toBe(3);
  });

  it('refuses ACLs Kafka refuses', async () => {
    await expect(table.create(read(''))).rejects.toThrow(InvalidAclError);
    await expect(table.create(read('x', { resourceType: 'Cluster' }))).rejects.toThrow(InvalidAclError);
    await expect(table.create(read('x', { principal: 'alice' }))).rejects.toThrow(InvalidAclError);
    expect((await table.read()).acls).toEqual([]);
  });

  it('loses no ACL when many are created and deleted concurrently', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `t${i}`);
    await Promise.all(names.map((n) => table.create(read(n))));
    expect((await table.read()).acls).toHaveLength(20);
    // Deletes of half and creates of new ones at the same time, through separate tables ("nodes").
    const other = new AclTable(store);
    await Promise.all([
      ...names.slice(0, 10).map((n) => other.delete([{ ...ANY, resourceName: n }])),
      ...names.map((n) => table.create(read(`${n}-new`))),
    ]);
    const left = (await table.read()).acls.map((a) => a.resourceName).sort();
    expect(left).toEqual([...names.slice(10), ...names.map((n) => `${n}-new`)].sort());
  });

  it('shows a change made through one node to the other node within its refresh period', async () => {
    const node1 = new AclCache({ table: new AclTable(store), superUsers: [], refreshMs: 100 });
    const node2 = new AclCache({ table: new AclTable(store), superUsers: [], refreshMs: 100 });
    caches.push(node1, node2);
    await node1.start();
    await node2.start();
    expect(node2.authorize(alice, 'Read', { type: 'Topic', name: 'a' })).toBe(false);
    await table.create(read('a'));
    const changedAt = Date.now();
    while (!node2.authorize(alice, 'Read', { type: 'Topic', name: 'a' })) {
      expect(Date.now() - changedAt).toBeLessThan(2000);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(Date.now() - changedAt).toBeLessThan(400);
    await table.delete([{ ...ANY, resourceName: 'a' }]);
    const deletedAt = Date.now();
    while (node1.authorize(alice, 'Read', { type: 'Topic', name: 'a' })) {
      expect(Date.now() - deletedAt).toBeLessThan(2000);
      await new Promise((r) => setTimeout(r, 10));
    }
  });

  it('reads the full set only when the version moved', async () => {
    await table.create(read('a'));
    let reads = 0;
    const counting = { version: () => table.version(), read: () => (reads++, table.read()) };
    const cache = new AclCache({ table: counting, superUsers: [] });
    await cache.refresh();
    await cache.refresh();
    await cache.refresh();
    expect(reads).toBe(1);
    await table.create(read('b'));
    await cache.refresh();
    expect(reads).toBe(2);
    expect(cache.acls()).toHaveLength(2);
  });

  it('keeps the last good set when a refresh fails, and reports it', async () => {
    await table.create(read('a'));
    let failing = false;
    const errors: unknown[] = [];
    const flaky = {
      version: async () => {
        if (failing) throw new Error('table unavailable');
        return table.version();
      },
      read: () => table.read(),
    };
    const cache = new AclCache({ table: flaky, superUsers: [], onRefreshError: (e) => errors.push(e) });
    await cache.refresh();
    failing = true;
    await expect(cache.refresh()).rejects.toThrow('table unavailable');
    expect(errors).toHaveLength(1);
    expect(cache.authorize(alice, 'Read', { type: 'Topic', name: 'a' })).toBe(true);
  });

  it('denies everyone but super users while it has never loaded the ACLs', async () => {
    await table.create(read('a'));
    const down = { version: async () => Promise.reject(new Error('down')), read: async () => Promise.reject(new Error('down')) };
    const cache = new AclCache({ table: down, superUsers: ['User:admin'], onRefreshError: () => undefined });
    caches.push(cache);
    await cache.start(); // does not throw: the node runs, closed
    expect(cache.loaded).toBe(false);
    expect(cache.authorize(alice, 'Read', { type: 'Topic', name: 'a' })).toBe(false);
    expect(cache.authorize({ principal: 'User:admin', host: 'h' }, 'Read', { type: 'Topic', name: 'a' })).toBe(true);
  });
});
