import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsObjectStore } from '../../src/fs-object-store.ts';
import { ObjectStoreError } from '../../src/object-store.ts';
import { collect, objectStoreConformance } from '../conformance.ts';

const parent = await mkdtemp(join(tmpdir(), 'floe-fs-store-'));
afterAll(() => rm(parent, { recursive: true, force: true }));

// The root does not exist yet: open() creates it.
const root = join(parent, 'conformance', 'root');
objectStoreConformance('FsObjectStore', () => FsObjectStore.open(root));

describe('FsObjectStore on disk', () => {
  it('creates a missing root and lays keys out as directories and files', async () => {
    const dir = join(parent, 'layout');
    const store = await FsObjectStore.open(dir);
    await store.putIfAbsent('segments/orders/0/000.seg', Buffer.from('x'));
    expect(await readdir(dir)).toEqual(['segments']);
    expect(await readdir(join(dir, 'segments', 'orders', '0'))).toEqual(['000.seg']);
  });

  it('leaves no temporary file after creates, successful or refused', async () => {
    const dir = join(parent, 'no-temp');
    const store = await FsObjectStore.open(dir);
    await store.putIfAbsent('a/b', Buffer.from('1'));
    await store.putIfAbsent('a/b', Buffer.from('1'));
    await expect(store.putIfAbsent('a/b', Buffer.from('2'))).rejects.toThrow('already exists');
    expect(await readdir(join(dir, 'a'))).toEqual(['b']);
  });

  it('removes the directories a delete empties, and only those', async () => {
    const dir = join(parent, 'rmdir');
    const store = await FsObjectStore.open(dir);
    await store.putIfAbsent('x/y/z/1', Buffer.from('1'));
    await store.putIfAbsent('x/2', Buffer.from('2'));
    await store.delete('x/y/z/1');
    expect(await readdir(join(dir, 'x'))).toEqual(['2']);
    await store.delete('x/2');
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a key named like another key\'s directory, and the other way round', async () => {
    const store = await FsObjectStore.open(join(parent, 'conflict'));
    await store.putIfAbsent('c/a/b', Buffer.from('below'));
    const a = (await store.putIfAbsent('c/a', Buffer.from('x')).catch((e: unknown) => e)) as ObjectStoreError;
    expect(a).toBeInstanceOf(ObjectStoreError);
    expect(a.kind).toBe('invalid');
    await store.putIfAbsent('c/f', Buffer.from('file'));
    const f = (await store.putIfAbsent('c/f/g', Buffer.from('x')).catch((e: unknown) => e)) as ObjectStoreError;
    expect(f.kind).toBe('invalid');
    // Neither is an object: reads say so, deletes do nothing.
    expect(await store.head('c/a')).toBeUndefined();
    await expect(store.get('c/a')).rejects.toMatchObject({ kind: 'not-found' });
    await expect(store.get('c/f/g')).rejects.toMatchObject({ kind: 'not-found' });
    await store.delete('c/a');
    await store.delete('c/f/g');
    expect((await collect(store.list('c/'))).map((o) => o.key)).toEqual(['c/a/b', 'c/f']);
  });

  it('takes over an empty directory left where a key goes', async () => {
    const dir = join(parent, 'leftover');
    const store = await FsObjectStore.open(dir);
    await mkdir(join(dir, 'k', 'empty'), { recursive: true });
    await store.putIfAbsent('k/empty', Buffer.from('now a key'));
    expect((await store.get('k/empty')).toString()).toBe('now a key');
  });

  it('never lists temporary files or stray names', async () => {
    const dir = join(parent, 'stray');
    const store = await FsObjectStore.open(dir);
    await store.putIfAbsent('s/ok', Buffer.from('ok'));
    await writeFile(join(dir, 's', '#123.abcdef.tmp'), 'partial');
    await writeFile(join(dir, 's', 'has space'), 'not a key');
    await mkdir(join(dir, 's', 'dir#x'));
    await writeFile(join(dir, 's', 'dir#x', 'y'), 'below a name that is no key');
    expect((await collect(store.list(''))).map((o) => o.key)).toEqual(['s/ok']);
  });

  it('refuses operations after close', async () => {
    const store = await FsObjectStore.open(join(parent, 'closed'));
    await store.close();
    await expect(store.head('x')).rejects.toMatchObject({ kind: 'invalid' });
  });
});
