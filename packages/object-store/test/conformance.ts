// The behaviour every ObjectStore must have, as one suite each implementation runs: the fs store
// in the unit project, the S3 store against MinIO and moto in the integration project.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import {
  ObjectExistsError,
  ObjectNotFoundError,
  ObjectStoreError,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStoreStats,
} from '../src/object-store.ts';

export interface ConformanceOptions {
  /**
   * Whether concurrent creates of one key are decided atomically by the store. False skips the
   * test that races ten creators (moto: its conditional checks are not atomic).
   */
  atomicCreate?: boolean;
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export async function collect(it: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const info of it) out.push(info);
  return out;
}

/** The error a promise rejects with; fails the test if it resolves. */
async function rejection(p: Promise<unknown>): Promise<ObjectStoreError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ObjectStoreError);
    return e as ObjectStoreError;
  }
  throw new Error('expected the promise to reject');
}

function delta(after: ObjectStoreStats, before: ObjectStoreStats): ObjectStoreStats {
  const d = { ...after };
  for (const k of Object.keys(d) as (keyof ObjectStoreStats)[]) d[k] = after[k] - before[k];
  return d;
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Declares a `describe` block proving an ObjectStore conforms. `open` must return a store over
 * an empty namespace (a fresh directory, bucket or prefix); it is called once for the suite and
 * again by tests that need several stores over the same namespace. `cleanup` runs at the end.
 */
export function objectStoreConformance(
  name: string,
  open: () => Promise<ObjectStore>,
  cleanup?: () => Promise<void>,
  options: ConformanceOptions = {},
): void {
  describe(name, () => {
    let store: ObjectStore;

    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store?.close();
      await cleanup?.();
    });

    describe('putIfAbsent', () => {
      it('creates an object once and keeps the first content', async () => {
        const first = Buffer.from('first content');
        await store.putIfAbsent('once/a', first);
        const err = await rejection(store.putIfAbsent('once/a', Buffer.from('second, other content')));
        expect(err).toBeInstanceOf(ObjectExistsError);
        expect(err.kind).toBe('exists');
        expect(err.key).toBe('once/a');
        expect(err.retriable).toBe(false);
        expect((await store.get('once/a')).equals(first)).toBe(true);
      });

      it('refuses other content of the same size', async () => {
        await store.putIfAbsent('once/same-size', Buffer.from('aaaa'));
        const err = await rejection(store.putIfAbsent('once/same-size', Buffer.from('bbbb')));
        expect(err.kind).toBe('exists');
        expect((await store.get('once/same-size')).toString()).toBe('aaaa');
      });

      it('resolves a repeated create of the same bytes', async () => {
        const body = randomBytes(3000);
        await store.putIfAbsent('once/same', body);
        await store.putIfAbsent('once/same', Buffer.from(body));
        expect((await store.get('once/same')).equals(body)).toBe(true);
      });

      it('creates a key again after it was deleted', async () => {
        await store.putIfAbsent('once/again', Buffer.from('one'));
        await store.delete('once/again');
        await store.putIfAbsent('once/again', Buffer.from('two'));
        expect((await store.get('once/again')).toString()).toBe('two');
      });

      it('frees a directory-like name once the keys below it are deleted', async () => {
        await store.putIfAbsent('free/a/b/c', Buffer.from('below'));
        await store.delete('free/a/b/c');
        await store.putIfAbsent('free/a', Buffer.from('now a key'));
        expect((await store.get('free/a')).toString()).toBe('now a key');
        expect((await collect(store.list('free/'))).map((o) => o.key)).toEqual(['free/a']);
      });

      it('round-trips a 5 MiB body', async () => {
        const body = randomBytes(5 * 1024 * 1024 + 17);
        await store.putIfAbsent('big/5mib', body);
        expect(await store.head('big/5mib')).toEqual({ size: body.length });
        // Buffer.equals, not toEqual: jest's deep equality walks a buffer byte by byte.
        expect((await store.get('big/5mib')).equals(body)).toBe(true);
        const mid = { start: 2 * 1024 * 1024 - 3, end: 4 * 1024 * 1024 + 5 };
        expect((await store.get('big/5mib', mid)).equals(body.subarray(mid.start, mid.end))).toBe(true);
      });

      it('lets exactly one of ten concurrent creators win', async () => {
        if (options.atomicCreate === false) return; // see ConformanceOptions.atomicCreate
        // Ten stores over the same namespace, as ten brokers would be.
        const stores = await Promise.all(Array.from({ length: 10 }, () => open()));
        try {
          const bodies = stores.map((_, i) => Buffer.from(`creator ${i} `.repeat(i + 1)));
          const results = await Promise.allSettled(
            stores.map((s, i) => s.putIfAbsent('race/key', bodies[i]!)),
          );
          const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
          expect(won).toHaveLength(1);
          for (const r of results) {
            if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ObjectExistsError);
          }
          expect((await store.get('race/key')).equals(bodies[won[0]!]!)).toBe(true);
        } finally {
          await Promise.all(stores.map((s) => s.close()));
        }
      });

      it('resolves all of ten concurrent creators of the same bytes', async () => {
        const stores = await Promise.all(Array.from({ length: 10 }, () => open()));
        try {
          const body = randomBytes(10_000);
          await Promise.all(stores.map((s) => s.putIfAbsent('race/same', body)));
          expect((await store.get('race/same')).equals(body)).toBe(true);
        } finally {
          await Promise.all(stores.map((s) => s.close()));
        }
      });
    });

    describe('get', () => {
      const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
      beforeAll(async () => {
        await store.putIfAbsent('ranged/obj', body);
        await store.putIfAbsent('ranged/empty', Buffer.alloc(0));
      });

      it.each([
        ['the start', 0, 10],
        ['the middle', 100, 357],
        ['the end', 990, 1000],
        ['everything', 0, 1000],
        ['one byte', 500, 501],
        ['a range running past the end', 995, 2000],
      ])('reads %s of an object', async (_what, start, end) => {
        const got = await store.get('ranged/obj', { start, end });
        expect(got.equals(body.subarray(start, end))).toBe(true);
      });

      it.each([
        ['at the end', 1000, 1010],
        ['after the end', 5000, 6000],
        ['empty, inside', 10, 10],
        ['empty, at the end', 1000, 1000],
      ])('reads nothing for a range starting %s', async (_what, start, end) => {
        expect((await store.get('ranged/obj', { start, end })).length).toBe(0);
      });

      it('reads a whole object', async () => {
        expect((await store.get('ranged/obj')).equals(body)).toBe(true);
      });

      it('reads an empty object, whole and ranged', async () => {
        expect((await store.get('ranged/empty')).length).toBe(0);
        expect((await store.get('ranged/empty', { start: 0, end: 10 })).length).toBe(0);
        expect((await store.get('ranged/empty', { start: 0, end: 0 })).length).toBe(0);
        expect(await store.head('ranged/empty')).toEqual({ size: 0 });
      });

      it('throws ObjectNotFoundError for a missing key, ranged or not', async () => {
        for (const range of [undefined, { start: 0, end: 10 }, { start: 5, end: 5 }]) {
          const err = await rejection(store.get('ranged/missing', range));
          expect(err).toBeInstanceOf(ObjectNotFoundError);
          expect(err.kind).toBe('not-found');
          expect(err.key).toBe('ranged/missing');
          expect(err.retriable).toBe(false);
        }
      });

      it.each([
        ['a negative start', -1, 10],
        ['an end before the start', 10, 5],
        ['a fractional bound', 0.5, 10],
      ])('rejects %s as invalid', async (_what, start, end) => {
        expect((await rejection(store.get('ranged/obj', { start, end }))).kind).toBe('invalid');
      });
    });

    describe('head and delete', () => {
      it('heads the size of an object, undefined for a missing one', async () => {
        await store.putIfAbsent('head/x', randomBytes(1234));
        expect(await store.head('head/x')).toEqual({ size: 1234 });
        expect(await store.head('head/missing')).toBeUndefined();
        expect(await store.head('head')).toBeUndefined(); // only a prefix of a key
      });

      it('deletes idempotently', async () => {
        await store.putIfAbsent('del/x', Buffer.from('x'));
        await store.delete('del/x');
        expect(await store.head('del/x')).toBeUndefined();
        expect((await rejection(store.get('del/x'))).kind).toBe('not-found');
        await store.delete('del/x');
        await store.delete('del/never-was');
        expect(await collect(store.list('del/'))).toEqual([]);
      });
    });

    describe('list', () => {
      // 1,100 keys, more than one S3 page, spread over nested prefixes and names whose byte
      // order differs from a naive path order ('-' < '.' < '/' < '0' < 'D' < '_' < 'd').
      const keys: string[] = [];
      for (let i = 0; i < 1060; i++) keys.push(`list/n/${String(i).padStart(5, '0')}`);
      for (const k of ['d/x', 'd/y/z', 'd-x', 'd.x', 'd0', 'D', '_', 'p=1/a', 'p=1/b', 'n-', 'n.', 'n0', 'o', 'p=2']) {
        keys.push(`list/${k}`);
      }
      for (let i = 0; i < 26; i++) keys.push(`list/n/sub/${String.fromCharCode(97 + i)}`);
      const sorted = [...keys].sort(byteOrder);
      const sizes = new Map(keys.map((k, i) => [k, i % 7]));

      beforeAll(async () => {
        await forEachLimit(keys, 32, (k) => store.putIfAbsent(k, Buffer.alloc(sizes.get(k)!, 1)));
        await store.putIfAbsent('lisz', Buffer.from('outside the prefix'));
        await store.putIfAbsent('lis', Buffer.from('outside the prefix'));
      }, 120_000);

      it('lists every key under a prefix in ascending byte order, with sizes', async () => {
        const before = store.stats();
        const got = await collect(store.list('list/'));
        expect(got.map((o) => o.key)).toEqual(sorted);
        for (const o of got) {
          expect(o.size).toBe(sizes.get(o.key));
          expect(o.lastModified).toBeInstanceOf(Date);
          expect(Number.isNaN(o.lastModified.getTime())).toBe(false);
        }
        expect(store.stats().lists - before.lists).toBeGreaterThanOrEqual(1);
      });

      it('matches a prefix that ends inside a segment', async () => {
        const got = (await collect(store.list('list/d'))).map((o) => o.key);
        expect(got).toEqual(sorted.filter((k) => k.startsWith('list/d')));
        expect(got).toEqual(['list/d-x', 'list/d.x', 'list/d/x', 'list/d/y/z', 'list/d0']);
        const n = (await collect(store.list('list/n/0100'))).map((o) => o.key);
        expect(n).toEqual(sorted.filter((k) => k.startsWith('list/n/0100')));
        expect(n).toHaveLength(10);
      });

      it('lists everything with an empty prefix', async () => {
        const all = (await collect(store.list(''))).map((o) => o.key);
        expect(all).toEqual([...all].sort(byteOrder));
        expect(all.filter((k) => k.startsWith('list/'))).toEqual(sorted);
        expect(all).toContain('lis');
        expect(all).toContain('lisz');
      });

      it.each([
        ['a listed key', sorted[500]!],
        ['a key of the last page', sorted[1050]!],
        ['a key that does not exist', 'list/n/00499x'],
        ['a prefix of keys', 'list/d'],
        ['a directory-like prefix', 'list/d/'],
        ['a string before the prefix', 'l'],
        ['a string after every key', 'list/zzz'],
        ['a string with a . segment', 'list/d/./'],
        ['a string with a .. segment', 'list/../x'],
      ])('starts after %s', async (_what, startAfter) => {
        const got = (await collect(store.list('list/', { startAfter }))).map((o) => o.key);
        expect(got).toEqual(sorted.filter((k) => k > startAfter));
      });

      it('combines a prefix with startAfter', async () => {
        const got = (await collect(store.list('list/n/', { startAfter: 'list/n/00900' }))).map((o) => o.key);
        expect(got).toEqual(sorted.filter((k) => k.startsWith('list/n/') && k > 'list/n/00900'));
      });

      it('lists nothing for a prefix no key has', async () => {
        expect(await collect(store.list('list/nothing-here/'))).toEqual([]);
        expect(await collect(store.list('no such prefix'))).toEqual([]);
        for (const prefix of ['../', 'list/../', 'list/./', 'list//', 'a b', 'ä']) {
          expect(await collect(store.list(prefix))).toEqual([]);
        }
      });

      it('stops early when the consumer stops', async () => {
        const got: string[] = [];
        for await (const o of store.list('list/')) {
          got.push(o.key);
          if (got.length === 3) break;
        }
        expect(got).toEqual(sorted.slice(0, 3));
      });
    });

    describe('keys', () => {
      const invalid: [string, string][] = [
        ['a .. segment', '../x'],
        ['an empty segment', 'a//b'],
        ['the empty key', ''],
        ['a space', 'a b'],
        ['a leading slash', '/a'],
        ['a trailing slash', 'a/'],
        ['a . segment', './a'],
        ['a trailing ..', 'a/..'],
        ['a non-ASCII letter', 'ä'],
        ['a backslash', 'a\\b'],
        ['a 256-byte segment', 'x'.repeat(256)],
        ['a 513-byte key', `${'x/'.repeat(256)}x`],
      ];

      it.each(invalid)('rejects %s in every operation', async (_what, key) => {
        const ops: (() => Promise<unknown>)[] = [
          () => store.putIfAbsent(key, Buffer.from('x')),
          () => store.get(key),
          () => store.head(key),
          () => store.delete(key),
        ];
        for (const op of ops) {
          // Thrown or rejected: a caller awaiting the call sees the same.
          const err = await rejection(Promise.resolve().then(op));
          expect(err.kind).toBe('invalid');
          expect(err.retriable).toBe(false);
        }
      });

      it('accepts every key character, a 255-byte segment and a 512-byte key', async () => {
        const keys = [
          'keys/Az09._=-',
          `keys/long/${'s'.repeat(255)}`,
          `keys/deep/${'u'.repeat(255)}/${'t'.repeat(246)}`,
          'keys/.hidden',
          'keys/...',
        ];
        expect(keys[2]).toHaveLength(512);
        for (const key of keys) {
          await store.putIfAbsent(key, Buffer.from(key));
          expect((await store.get(key)).toString()).toBe(key);
        }
        expect((await collect(store.list('keys/'))).map((o) => o.key)).toEqual([...keys].sort(byteOrder));
        // A partial segment of dots is a prefix like any other.
        expect((await collect(store.list('keys/.'))).map((o) => o.key)).toEqual(['keys/...', 'keys/.hidden']);
      });
    });

    describe('stats', () => {
      it('counts requests, bytes and errors', async () => {
        let before = store.stats();
        const step = async (fn: () => Promise<unknown>): Promise<ObjectStoreStats> => {
          await fn();
          const after = store.stats();
          const d = delta(after, before);
          before = after;
          return d;
        };
        const body = randomBytes(100);
        expect(await step(() => store.putIfAbsent('stats/x', body))).toEqual(
          expect.objectContaining({ puts: 1, bytesWritten: 100, errors: 0 }),
        );
        expect(await step(() => store.get('stats/x'))).toEqual(
          expect.objectContaining({ gets: 1, bytesRead: 100, errors: 0 }),
        );
        expect(await step(() => store.get('stats/x', { start: 10, end: 30 }))).toEqual(
          expect.objectContaining({ gets: 1, bytesRead: 20, errors: 0 }),
        );
        expect(await step(() => store.head('stats/x'))).toEqual(
          expect.objectContaining({ heads: 1, errors: 0 }),
        );
        expect(await step(() => store.head('stats/missing'))).toEqual(
          expect.objectContaining({ heads: 1, errors: 0 }),
        );
        expect(await step(() => store.get('stats/missing').catch(() => undefined))).toEqual(
          expect.objectContaining({ gets: 1, bytesRead: 0, errors: 1 }),
        );
        expect(await step(() => collect(store.list('stats/')))).toEqual(
          expect.objectContaining({ lists: expect.any(Number), errors: 0 }),
        );
        expect(store.stats().lists).toBeGreaterThan(0);
        const conflict = await step(() =>
          store.putIfAbsent('stats/x', Buffer.alloc(7)).catch(() => undefined),
        );
        expect(conflict).toEqual(expect.objectContaining({ puts: 1, bytesWritten: 7, errors: 1 }));
        expect(await step(() => store.delete('stats/x'))).toEqual(
          expect.objectContaining({ deletes: 1, errors: 0 }),
        );
        // A snapshot, not a live view.
        const snap = store.stats();
        await store.head('stats/x');
        expect(store.stats().heads).toBe(snap.heads + 1);
      });
    });
  });
}
