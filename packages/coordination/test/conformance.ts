// The behaviour every CoordinationStore must have, as one jest suite that each implementation runs:
// the embedded store in the unit project, DynamoDB Local and moto in the integration project.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  ConditionFailedError,
  CoordinationError,
  MAX_ITEM_BYTES,
  TransactionCancelledError,
  itemSize,
  type CoordinationStore,
  type Item,
  type TransactAction,
} from '../src/index.ts';

export interface ConformanceOptions {
  /**
   * The store evaluates a condition and applies the write as one step, so that of concurrent
   * conditional writes exactly the right ones succeed. False for moto.
   */
  atomicConditions?: boolean;
  /**
   * The store's capacity figures follow DynamoDB's billing rules exactly. Default true; false for
   * moto, which reports a flat 1 unit per call.
   */
  exactBilling?: boolean;
}

/** An item of exactly `size` bytes as itemSize counts them. */
export function sizedItem(pk: string, sk: string, size: number, extra: Record<string, string> = {}): Item {
  const base: Item = { pk, sk, ...extra, data: '' };
  const pad = size - itemSize(base);
  if (pad < 0) throw new Error(`keys alone are over ${size} bytes`);
  return { ...base, data: 'x'.repeat(pad) };
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail, it succeeded');
}

async function expectInvalid(p: Promise<unknown>): Promise<void> {
  const err = await failure(p);
  expect(err).toBeInstanceOf(CoordinationError);
  expect((err as CoordinationError).kind).toBe('invalid');
}

/** Asserts a ConditionFailedError whose `existing` is undefined or equal to `stored`. */
async function expectConditionFailed(p: Promise<unknown>, stored: Item | undefined): Promise<ConditionFailedError> {
  const err = await failure(p);
  expect(err).toBeInstanceOf(ConditionFailedError);
  const e = err as ConditionFailedError;
  expect(e.kind).toBe('condition-failed');
  expect(e.retriable).toBe(false);
  if (e.existing !== undefined) expect(e.existing).toEqual(stored);
  return e;
}

async function expectCancelled(p: Promise<unknown>, reasons: string[]): Promise<void> {
  const err = await failure(p);
  expect(err).toBeInstanceOf(TransactionCancelledError);
  expect((err as TransactionCancelledError).kind).toBe('transaction-cancelled');
  expect((err as TransactionCancelledError).reasons).toEqual(reasons);
}

function bytes(u: unknown): Buffer {
  expect(u).toBeInstanceOf(Uint8Array);
  return Buffer.from(u as Uint8Array);
}

export function coordinationConformance(
  name: string,
  open: () => Promise<CoordinationStore>,
  opts: ConformanceOptions = {},
): void {
  const exact = opts.exactBilling !== false;

  describe(`CoordinationStore conformance: ${name}`, () => {
    let store: CoordinationStore;
    // Every test writes under its own partition keys: a table may be shared with other runs.
    const run = randomUUID().slice(0, 8);
    let n = 0;
    const newPk = (label: string) => `${run}/${label}/${n++}`;

    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store?.close();
    });

    describe('get, put, delete', () => {
      it('reads back what it wrote, whole, and nothing once deleted', async () => {
        const pk = newPk('basic');
        expect(await store.get(pk, 'a', { consistent: true })).toBeUndefined();
        await store.put({ pk, sk: 'a', v: 'one', n: 1, extra: true });
        expect(await store.get(pk, 'a', { consistent: true })).toEqual({ pk, sk: 'a', v: 'one', n: 1, extra: true });
        // A put replaces the whole item: `extra` goes away.
        await store.put({ pk, sk: 'a', v: 'two', n: 2 });
        expect(await store.get(pk, 'a', { consistent: true })).toEqual({ pk, sk: 'a', v: 'two', n: 2 });
        // Same pk, other sk: a different item.
        expect(await store.get(pk, 'b', { consistent: true })).toBeUndefined();
        await store.delete(pk, 'a');
        expect(await store.get(pk, 'a', { consistent: true })).toBeUndefined();
      });

      it('deletes a missing item without a condition', async () => {
        const pk = newPk('del-missing');
        await store.delete(pk, 'nothing');
        expect(await store.get(pk, 'nothing', { consistent: true })).toBeUndefined();
      });

      it('serves eventually consistent reads', async () => {
        const pk = newPk('eventual');
        await store.put({ pk, sk: 'a', v: 1 });
        // DynamoDB Local and moto are consistent anyway; DynamoDB may lag briefly, so retry.
        let got: Item | undefined;
        for (let i = 0; i < 50 && got === undefined; i++) got = await store.get(pk, 'a');
        expect(got).toEqual({ pk, sk: 'a', v: 1 });
      });
    });

    describe('conditions', () => {
      it('absent: creates only when there is no item', async () => {
        const pk = newPk('absent');
        await store.put({ pk, sk: 's', v: 'first' }, { absent: true });
        await expectConditionFailed(store.put({ pk, sk: 's', v: 'second' }, { absent: true }), { pk, sk: 's', v: 'first' });
        expect(await store.get(pk, 's', { consistent: true })).toEqual({ pk, sk: 's', v: 'first' });
        // A delete with absent on an existing item fails too; on a missing one it passes.
        await expectConditionFailed(store.delete(pk, 's', { absent: true }), { pk, sk: 's', v: 'first' });
        await store.delete(pk, 'missing', { absent: true });
      });

      it('exists: writes only over an item', async () => {
        const pk = newPk('exists');
        const e = await expectConditionFailed(store.put({ pk, sk: 's', v: 1 }, { exists: true }), undefined);
        expect(e.existing).toBeUndefined();
        expect(await store.get(pk, 's', { consistent: true })).toBeUndefined();
        await expectConditionFailed(store.delete(pk, 's', { exists: true }), undefined);
        await store.put({ pk, sk: 's', v: 1 });
        await store.put({ pk, sk: 's', v: 2 }, { exists: true });
        expect(await store.get(pk, 's', { consistent: true })).toEqual({ pk, sk: 's', v: 2 });
        await store.delete(pk, 's', { exists: true });
        expect(await store.get(pk, 's', { consistent: true })).toBeUndefined();
      });

      it('version: compares the number attribute `version`', async () => {
        const pk = newPk('version');
        // No item: not equal.
        await expectConditionFailed(store.put({ pk, sk: 's', version: 1 }, { version: 0 }), undefined);
        // An item without `version`, or with a string `version`: not equal.
        await store.put({ pk, sk: 's', other: 1 });
        await expectConditionFailed(store.put({ pk, sk: 's', version: 1 }, { version: 0 }), { pk, sk: 's', other: 1 });
        await store.put({ pk, sk: 's', version: '3' });
        await expectConditionFailed(store.put({ pk, sk: 's', version: 4 }, { version: 3 }), { pk, sk: 's', version: '3' });
        await store.put({ pk, sk: 's', version: 3 });
        await store.put({ pk, sk: 's', version: 4, v: 'x' }, { version: 3 });
        expect(await store.get(pk, 's', { consistent: true })).toEqual({ pk, sk: 's', version: 4, v: 'x' });
        await expectConditionFailed(store.delete(pk, 's', { version: 3 }), { pk, sk: 's', version: 4, v: 'x' });
        await store.delete(pk, 's', { version: 4 });
        expect(await store.get(pk, 's', { consistent: true })).toBeUndefined();
      });

      it('runs a compare-and-swap sequence: each step succeeds once, stale versions fail', async () => {
        const pk = newPk('cas');
        await store.put({ pk, sk: 'counter', version: 1, value: 'v1' }, { absent: true });
        for (let v = 1; v < 10; v++) {
          await store.put({ pk, sk: 'counter', version: v + 1, value: `v${v + 1}` }, { version: v });
          const stored = { pk, sk: 'counter', version: v + 1, value: `v${v + 1}` };
          // Replaying the same step, or an older one, fails and reports the current item.
          await expectConditionFailed(store.put({ pk, sk: 'counter', version: v + 1, value: 'stale' }, { version: v }), stored);
          if (v > 1) await expectConditionFailed(store.put({ pk, sk: 'counter', version: v, value: 'older' }, { version: v - 1 }), stored);
        }
        expect(await store.get(pk, 'counter', { consistent: true })).toEqual({ pk, sk: 'counter', version: 10, value: 'v10' });
      });

      it('counts condition failures', async () => {
        const pk = newPk('failures');
        const before = store.stats().conditionFailures;
        await store.put({ pk, sk: 's' });
        await failure(store.put({ pk, sk: 's' }, { absent: true }));
        await failure(store.delete(pk, 'missing', { exists: true }));
        expect(store.stats().conditionFailures - before).toBe(2);
      });

      it('refuses malformed conditions', async () => {
        const pk = newPk('bad-cond');
        await expectInvalid(store.put({ pk, sk: 's' }, { version: 1.5 }));
        await expectInvalid(store.put({ pk, sk: 's' }, { absent: false } as never));
        await expectInvalid(store.put({ pk, sk: 's' }, { absent: true, exists: true } as never));
      });
    });

    describe('query', () => {
      const keys = ['a', 'b', 'ba', 'bb', 'c', 'd'];
      let pk: string;
      beforeAll(async () => {
        pk = newPk('query');
        // Written out of order.
        for (const sk of [...keys].reverse()) await store.put({ pk, sk, v: sk });
        await store.put({ pk: `${pk}x`, sk: 'b', v: 'other partition' });
      });
      const sks = (items: Item[]) => items.map((i) => i.sk);

      it('returns the whole partition in sort-key order', async () => {
        const items = await store.query(pk, { consistent: true });
        expect(sks(items)).toEqual(keys);
        expect(items[0]).toEqual({ pk, sk: 'a', v: 'a' });
      });
      it('from (inclusive), after (exclusive), before (exclusive)', async () => {
        expect(sks(await store.query(pk, { from: 'b', consistent: true }))).toEqual(['b', 'ba', 'bb', 'c', 'd']);
        expect(sks(await store.query(pk, { after: 'b', consistent: true }))).toEqual(['ba', 'bb', 'c', 'd']);
        expect(sks(await store.query(pk, { before: 'c', consistent: true }))).toEqual(['a', 'b', 'ba', 'bb']);
        expect(sks(await store.query(pk, { from: 'bz', consistent: true }))).toEqual(['c', 'd']);
        expect(sks(await store.query(pk, { after: 'd' }))).toEqual([]);
        expect(sks(await store.query(pk, { before: 'a' }))).toEqual([]);
      });
      it('two bounds', async () => {
        expect(sks(await store.query(pk, { from: 'b', before: 'c' }))).toEqual(['b', 'ba', 'bb']);
        expect(sks(await store.query(pk, { after: 'b', before: 'c' }))).toEqual(['ba', 'bb']);
        expect(sks(await store.query(pk, { after: 'a', before: 'd' }))).toEqual(['b', 'ba', 'bb', 'c']);
        expect(sks(await store.query(pk, { after: 'b', before: 'ba' }))).toEqual([]);
        expect(sks(await store.query(pk, { from: 'b', before: 'b' }))).toEqual([]);
        expect(sks(await store.query(pk, { after: 'c', before: 'b' }))).toEqual([]);
        expect(sks(await store.query(pk, { from: 'b', before: 'ba' }))).toEqual(['b']);
      });
      it('prefix', async () => {
        expect(sks(await store.query(pk, { prefix: 'b' }))).toEqual(['b', 'ba', 'bb']);
        expect(sks(await store.query(pk, { prefix: 'ba' }))).toEqual(['ba']);
        expect(sks(await store.query(pk, { prefix: 'e' }))).toEqual([]);
        expect(sks(await store.query(pk, { prefix: 'b', reverse: true }))).toEqual(['bb', 'ba', 'b']);
      });
      it('limit and reverse', async () => {
        expect(sks(await store.query(pk, { limit: 2 }))).toEqual(['a', 'b']);
        expect(sks(await store.query(pk, { reverse: true }))).toEqual([...keys].reverse());
        expect(sks(await store.query(pk, { reverse: true, limit: 2 }))).toEqual(['d', 'c']);
        expect(sks(await store.query(pk, { after: 'a', before: 'd', limit: 2 }))).toEqual(['b', 'ba']);
        expect(sks(await store.query(pk, { after: 'a', before: 'd', limit: 2, reverse: true }))).toEqual(['c', 'bb']);
        expect(sks(await store.query(pk, { before: 'c', reverse: true, limit: 1 }))).toEqual(['bb']);
        expect(sks(await store.query(pk, { limit: 100 }))).toEqual(keys);
        expect(await store.query(pk, { limit: 0 })).toEqual([]);
      });
      it('consistent reads give the same answer', async () => {
        expect(sks(await store.query(pk, { consistent: true, from: 'b', limit: 3 }))).toEqual(['b', 'ba', 'bb']);
      });
      it('a missing partition is empty', async () => {
        expect(await store.query(newPk('nothing'))).toEqual([]);
      });
      it('refuses prefix with bounds, after with from, bad limits', async () => {
        await expectInvalid(store.query(pk, { prefix: 'b', after: 'a' }));
        await expectInvalid(store.query(pk, { after: 'a', from: 'a' }));
        await expectInvalid(store.query(pk, { limit: -1 }));
        await expectInvalid(store.query(pk, { limit: 1.5 }));
        await expectInvalid(store.query('', {}));
      });
    });

    it('returns more than 1 MB of results across pages, in order, and with a limit', async () => {
      const pk = newPk('big-query');
      const count = 24;
      const size = 60 * 1024; // 24 x 60 KB = 1.4 MB: two pages on DynamoDB
      for (let i = 0; i < count; i++) await store.put(sizedItem(pk, `k${String(i).padStart(3, '0')}`, size));
      const before = store.stats().calls;
      const all = await store.query(pk, { consistent: true });
      expect(all.map((i) => i.sk)).toEqual(Array.from({ length: count }, (_, i) => `k${String(i).padStart(3, '0')}`));
      expect(all.every((i) => itemSize(i) === size)).toBe(true);
      expect(store.stats().calls - before).toBeGreaterThanOrEqual(2);
      const some = await store.query(pk, { limit: 20, reverse: true });
      expect(some.map((i) => i.sk)).toEqual(Array.from({ length: 20 }, (_, i) => `k${String(count - 1 - i).padStart(3, '0')}`));
      const bounded = await store.query(pk, { after: 'k000', before: `k${String(count - 1).padStart(3, '0')}` });
      expect(bounded).toHaveLength(count - 2);
    });

    it('sorts sort keys by UTF-8 bytes', async () => {
      const pk = newPk('bytes');
      // Byte order: digits < upper case < lower case < é (C3 A9) < U+E000 (EE 80 80)
      //   < U+FFFD (EF BF BD) < U+1F600 (F0 9F 98 80). JavaScript's < puts U+1F600 (a surrogate
      //   pair, D83D DE00) before U+E000; localeCompare puts é right after e.
      const order = ['0009', '0010', 'Z', 'a', 'b', 'e', 'f', 'é', '\uE000', '\uFFFD', '\u{1F600}'];
      const shuffled = [...order].sort(() => Math.random() - 0.5);
      for (const sk of shuffled) await store.put({ pk, sk });
      expect((await store.query(pk, { consistent: true })).map((i) => i.sk)).toEqual(order);
      expect((await store.query(pk, { reverse: true })).map((i) => i.sk)).toEqual([...order].reverse());
      expect((await store.query(pk, { after: 'f', before: '\u{1F600}' })).map((i) => i.sk)).toEqual(['é', '\uE000', '\uFFFD']);
      expect((await store.query(pk, { from: '\uE000' })).map((i) => i.sk)).toEqual(['\uE000', '\uFFFD', '\u{1F600}']);
      expect((await store.query(pk, { before: '\uE000' })).map((i) => i.sk)).toEqual(order.slice(0, 8));
    });

    describe('values', () => {
      it('round-trips binary, numbers, booleans and strings', async () => {
        const pk = newPk('values');
        const all = new Uint8Array(256).map((_, i) => i);
        const item: Item = {
          pk,
          sk: 'v',
          bin: all,
          empty: new Uint8Array(0),
          buf: Buffer.from('a buffer'),
          zero: 0,
          neg: -42,
          max: Number.MAX_SAFE_INTEGER,
          min: Number.MIN_SAFE_INTEGER,
          t: true,
          f: false,
          s: 'héllo \u{1F600} \u0000 end',
          blank: '',
        };
        await store.put(item);
        const got = (await store.get(pk, 'v', { consistent: true }))!;
        expect(Object.keys(got).sort()).toEqual(Object.keys(item).sort());
        expect(bytes(got.bin).equals(Buffer.from(all))).toBe(true);
        expect(bytes(got.empty).length).toBe(0);
        expect(bytes(got.buf).toString()).toBe('a buffer');
        expect([got.zero, got.neg, got.max, got.min]).toEqual([0, -42, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);
        expect(typeof got.zero).toBe('number');
        expect([got.t, got.f]).toEqual([true, false]);
        expect(got.s).toBe(item.s);
        expect(got.blank).toBe('');
        const [queried] = await store.query(pk, { consistent: true });
        expect(bytes(queried!.bin).equals(Buffer.from(all))).toBe(true);
      });

      it('copies values in and out: callers cannot change what is stored', async () => {
        const pk = newPk('copies');
        const bin = new Uint8Array([1, 2, 3]);
        const item: Item = { pk, sk: 'c', bin, v: 1 };
        await store.put(item);
        bin[0] = 99;
        item.v = 2;
        const got = (await store.get(pk, 'c', { consistent: true }))!;
        expect(Array.from(got.bin as Uint8Array)).toEqual([1, 2, 3]);
        expect(got.v).toBe(1);
        (got.bin as Uint8Array)[1] = 99;
        got.v = 3;
        const again = (await store.get(pk, 'c', { consistent: true }))!;
        expect(Array.from(again.bin as Uint8Array)).toEqual([1, 2, 3]);
        expect(again.v).toBe(1);
        const [q] = await store.query(pk);
        (q!.bin as Uint8Array)[2] = 99;
        expect(Array.from((await store.get(pk, 'c', { consistent: true }))!.bin as Uint8Array)).toEqual([1, 2, 3]);
      });

      it('refuses values and keys DynamoDB refuses, before sending', async () => {
        const pk = newPk('invalid');
        const calls = store.stats().calls;
        await expectInvalid(store.put({ pk, sk: 's', n: 1.5 }));
        await expectInvalid(store.put({ pk, sk: 's', n: Number.MAX_SAFE_INTEGER + 1 }));
        await expectInvalid(store.put({ pk, sk: 's', n: Number.NaN }));
        await expectInvalid(store.put({ pk, sk: 's', n: Infinity }));
        await expectInvalid(store.put({ pk, sk: 's', x: null } as never));
        await expectInvalid(store.put({ pk, sk: 's', x: { nested: 1 } } as never));
        await expectInvalid(store.put({ pk, sk: 's', '': 'empty name' }));
        await expectInvalid(store.put({ pk, sk: 's', bad: 'lone \uD800 surrogate' }));
        await expectInvalid(store.put({ pk: '', sk: 's' }));
        await expectInvalid(store.put({ pk, sk: '' }));
        await expectInvalid(store.put({ pk, sk: 'x'.repeat(1025) }));
        await expectInvalid(store.put({ pk: 'p'.repeat(2049), sk: 's' }));
        await expectInvalid(store.get(pk, ''));
        await expectInvalid(store.delete('', 's'));
        expect(store.stats().calls).toBe(calls);
        // The limits themselves are allowed.
        await store.put({ pk: `${pk}${'p'.repeat(2048 - pk.length)}`, sk: 'x'.repeat(1024) });
      });

      it(`refuses items over ${MAX_ITEM_BYTES} bytes and stores large ones`, async () => {
        const pk = newPk('size');
        const calls = store.stats().calls;
        await expectInvalid(store.put(sizedItem(pk, 'big', MAX_ITEM_BYTES + 1)));
        await expectInvalid(store.transact([{ put: sizedItem(pk, 'big', MAX_ITEM_BYTES + 1) }]));
        expect(store.stats().calls).toBe(calls);
        expect(await store.get(pk, 'big', { consistent: true })).toBeUndefined();
        // 400 000 bytes: under every server's limit (moto refuses items over 405 000 bytes).
        await store.put(sizedItem(pk, 'near', 400_000));
        const got = await store.get(pk, 'near', { consistent: true });
        expect(got !== undefined && itemSize(got)).toBe(400_000);
      });
    });

    describe('transact', () => {
      it('applies puts, deletes and checks together', async () => {
        const pk = newPk('tx');
        await store.put({ pk, sk: 'gone', v: 1 });
        await store.put({ pk, sk: 'checked', version: 7 });
        await store.transact([
          { put: { pk, sk: 'new', v: 'n' }, condition: { absent: true } },
          { delete: { pk, sk: 'gone' }, condition: { exists: true } },
          { check: { pk, sk: 'checked' }, condition: { version: 7 } },
          { put: { pk: `${pk}/other`, sk: 'p', v: 'other partition' } },
        ]);
        expect(await store.get(pk, 'new', { consistent: true })).toEqual({ pk, sk: 'new', v: 'n' });
        expect(await store.get(pk, 'gone', { consistent: true })).toBeUndefined();
        expect(await store.get(pk, 'checked', { consistent: true })).toEqual({ pk, sk: 'checked', version: 7 });
        expect(await store.get(`${pk}/other`, 'p', { consistent: true })).toEqual({ pk: `${pk}/other`, sk: 'p', v: 'other partition' });
      });

      it('cancels with one reason per action and applies nothing', async () => {
        const pk = newPk('tx-cancel');
        await store.put({ pk, sk: 'taken', v: 'first' });
        await store.put({ pk, sk: 'versioned', version: 2 });
        const failures = store.stats().conditionFailures;
        await expectCancelled(
          store.transact([
            { put: { pk, sk: 'fresh', v: 1 }, condition: { absent: true } },
            { put: { pk, sk: 'taken', v: 'second' }, condition: { absent: true } },
            { delete: { pk, sk: 'versioned' }, condition: { version: 2 } },
            { check: { pk, sk: 'missing' }, condition: { exists: true } },
          ]),
          ['none', 'condition-failed', 'none', 'condition-failed'],
        );
        expect(store.stats().conditionFailures).toBeGreaterThan(failures);
        expect(await store.get(pk, 'fresh', { consistent: true })).toBeUndefined();
        expect(await store.get(pk, 'taken', { consistent: true })).toEqual({ pk, sk: 'taken', v: 'first' });
        expect(await store.get(pk, 'versioned', { consistent: true })).toEqual({ pk, sk: 'versioned', version: 2 });
        await expectCancelled(
          store.transact([
            { check: { pk, sk: 'versioned' }, condition: { version: 1 } },
            { put: { pk, sk: 'fresh', v: 1 } },
          ]),
          ['condition-failed', 'none'],
        );
        expect(await store.get(pk, 'fresh', { consistent: true })).toBeUndefined();
      });

      it('runs 100 actions and refuses 101, duplicates, empty and over 4 MB, before sending', async () => {
        const pk = newPk('tx-limits');
        const actions = (count: number): TransactAction[] =>
          Array.from({ length: count }, (_, i) => ({ put: { pk, sk: `k${String(i).padStart(3, '0')}` } }));
        const calls = store.stats().calls;
        await expectInvalid(store.transact(actions(101)));
        await expectInvalid(store.transact([]));
        await expectInvalid(store.transact([{ put: { pk, sk: 'a' } }, { put: { pk, sk: 'a', v: 2 } }]));
        await expectInvalid(store.transact([{ put: { pk, sk: 'a' } }, { check: { pk, sk: 'a' }, condition: { exists: true } }]));
        await expectInvalid(store.transact([{ delete: { pk, sk: 'a' } }, { check: { pk, sk: 'a' }, condition: { exists: true } }]));
        await expectInvalid(store.transact([{ check: { pk, sk: 'a' } } as never]));
        await expectInvalid(
          store.transact(Array.from({ length: 11 }, (_, i) => ({ put: sizedItem(pk, `big${i}`, 400_000) }))),
        );
        expect(store.stats().calls).toBe(calls);
        expect(await store.query(pk, { consistent: true })).toEqual([]);
        await store.transact(actions(100));
        expect(await store.query(pk, { consistent: true })).toHaveLength(100);
      });
    });

    describe('stats', () => {
      it('counts calls and capacity units as DynamoDB bills them', async () => {
        const pk = newPk('stats');
        const item = sizedItem(pk, 'a', 3584); // 3.5 KB
        let s0 = store.stats();
        await store.put(item);
        let s1 = store.stats();
        expect(s1.calls - s0.calls).toBe(1);
        if (exact) expect(s1.writeUnits - s0.writeUnits).toBe(4);
        else expect(s1.writeUnits).toBeGreaterThan(s0.writeUnits);

        s0 = store.stats();
        await store.transact([{ put: sizedItem(pk, 'b', 3584) }]);
        s1 = store.stats();
        expect(s1.calls - s0.calls).toBe(1);
        if (exact) expect(s1.writeUnits - s0.writeUnits).toBe(8);
        else expect(s1.writeUnits).toBeGreaterThan(s0.writeUnits);

        s0 = store.stats();
        await store.put(sizedItem(pk, 'c', 1024)); // exactly 1 KB: 1 unit
        await store.put(sizedItem(pk, 'd', 1025)); // just over: 2 units
        s1 = store.stats();
        if (exact) expect(s1.writeUnits - s0.writeUnits).toBe(3);

        s0 = store.stats();
        await store.get(pk, 'a', { consistent: true }); // 3.5 KB strongly consistent: 1
        await store.get(pk, 'a'); // eventually consistent: 0.5
        s1 = store.stats();
        expect(s1.calls - s0.calls).toBe(2);
        if (exact) expect(s1.readUnits - s0.readUnits).toBe(1.5);
        else expect(s1.readUnits).toBeGreaterThan(s0.readUnits);

        s0 = store.stats();
        // 3584 + 3584 + 1024 + 1025 bytes in one page: 9217 bytes, three 4 KB units.
        await store.query(pk, { consistent: true });
        s1 = store.stats();
        expect(s1.calls - s0.calls).toBe(1);
        if (exact) expect(s1.readUnits - s0.readUnits).toBe(3);
        else expect(s1.readUnits).toBeGreaterThan(s0.readUnits);
        expect(s1.writeUnits).toBe(s0.writeUnits);
      });
    });

    if (opts.atomicConditions) {
      describe('atomic conditions', () => {
        it('of 20 concurrent creates of one item, exactly one succeeds', async () => {
          const pk = newPk('race-create');
          const results = await Promise.allSettled(
            Array.from({ length: 20 }, (_, i) => store.put({ pk, sk: 'leader', owner: `w${i}` }, { absent: true })),
          );
          const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
          expect(won).toHaveLength(1);
          for (const r of results) {
            if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConditionFailedError);
          }
          expect(await store.get(pk, 'leader', { consistent: true })).toEqual({ pk, sk: 'leader', owner: `w${won[0]}` });
        });

        it('of 20 concurrent increments from one version, exactly one succeeds', async () => {
          const pk = newPk('race-cas');
          await store.put({ pk, sk: 'counter', version: 5, by: 'init' });
          const results = await Promise.allSettled(
            Array.from({ length: 20 }, (_, i) => store.put({ pk, sk: 'counter', version: 6, by: `w${i}` }, { version: 5 })),
          );
          const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
          expect(won).toHaveLength(1);
          for (const r of results) {
            if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConditionFailedError);
          }
          expect(await store.get(pk, 'counter', { consistent: true })).toEqual({ pk, sk: 'counter', version: 6, by: `w${won[0]}` });
        });

        it('of 20 concurrent transactions claiming one item, exactly one commits', async () => {
          const pk = newPk('race-tx');
          // A transaction may lose to a concurrent one with a retriable conflict ('unavailable'):
          // it retries, as callers do, until it commits or its condition fails.
          const claim = async (i: number) => {
            for (let attempt = 0; ; attempt++) {
              try {
                return await store.transact([
                  { put: { pk, sk: 'claim', by: `w${i}` }, condition: { absent: true } },
                  { put: { pk, sk: `mine-${i}` } },
                ]);
              } catch (err) {
                if (!(err instanceof CoordinationError) || !err.retriable || attempt >= 20) throw err;
                await new Promise((r) => setTimeout(r, Math.random() * 20));
              }
            }
          };
          const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => claim(i)));
          const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
          expect(won).toHaveLength(1);
          for (const r of results) {
            if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(TransactionCancelledError);
          }
          const items = await store.query(pk, { consistent: true });
          expect(items.map((i) => i.sk).sort()).toEqual(['claim', `mine-${won[0]}`]);
        });
      });
    }
  });
}
