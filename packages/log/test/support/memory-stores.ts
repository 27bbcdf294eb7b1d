// In-memory stores for unit tests of the log core, with fault injection for what real servers
// will not do on demand (answers lost after the write applied, unavailability). The proof that
// the log works on real storage is in test/integration against MinIO and DynamoDB Local.
import {
  ConditionFailedError,
  CoordinationError,
  itemSize,
  TransactionCancelledError,
  type Condition,
  type CoordinationStats,
  type CoordinationStore,
  type Item,
  type QueryOptions,
  type TransactAction,
} from '../../../coordination/src/index.ts';
import {
  ObjectExistsError,
  ObjectNotFoundError,
  ObjectStoreError,
  type ByteRange,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStoreStats,
} from '../../../object-store/src/index.ts';

const key = (pk: string, sk: string) => `${pk}\u0000${sk}`;
const copy = (item: Item): Item => structuredClone(item);
const byteCompare = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

export type PutFault = 'lose-answer' | 'unavailable';

export class MemoryCoordinationStore implements CoordinationStore {
  readonly items = new Map<string, Item>();
  private readonly counters: CoordinationStats = { calls: 0, writeUnits: 0, readUnits: 0, conditionFailures: 0 };
  /** Faults applied to the next puts whose pk starts with the given prefix, in order. */
  readonly putFaults: { pkPrefix: string; fault: PutFault }[] = [];
  /** The next this many queries fail as an unreachable table would. */
  failQueries = 0;

  private holds(existing: Item | undefined, c: Condition | undefined): boolean {
    if (!c) return true;
    if ('absent' in c) return existing === undefined;
    if ('exists' in c) return existing !== undefined;
    return existing !== undefined && existing.version === c.version;
  }

  async get(pk: string, sk: string): Promise<Item | undefined> {
    this.counters.calls++;
    const item = this.items.get(key(pk, sk));
    return item ? copy(item) : undefined;
  }

  async query(pk: string, opts: QueryOptions = {}): Promise<Item[]> {
    this.counters.calls++;
    if (this.failQueries > 0) {
      this.failQueries--;
      throw new CoordinationError('unavailable', 'injected: unavailable');
    }
    let out = [...this.items.values()].filter((i) => i.pk === pk);
    out.sort((a, b) => byteCompare(a.sk, b.sk));
    if (opts.after !== undefined) out = out.filter((i) => byteCompare(i.sk, opts.after!) > 0);
    if (opts.from !== undefined) out = out.filter((i) => byteCompare(i.sk, opts.from!) >= 0);
    if (opts.before !== undefined) out = out.filter((i) => byteCompare(i.sk, opts.before!) < 0);
    if (opts.prefix !== undefined) out = out.filter((i) => i.sk.startsWith(opts.prefix!));
    if (opts.reverse) out.reverse();
    if (opts.limit !== undefined) out = out.slice(0, opts.limit);
    return out.map(copy);
  }

  async put(item: Item, condition?: Condition): Promise<void> {
    this.counters.calls++;
    const fault = this.takeFault(item.pk);
    if (fault === 'unavailable') throw new CoordinationError('unavailable', 'injected: unavailable');
    const existing = this.items.get(key(item.pk, item.sk));
    if (!this.holds(existing, condition)) {
      this.counters.conditionFailures++;
      throw new ConditionFailedError('condition failed', existing ? copy(existing) : undefined);
    }
    this.items.set(key(item.pk, item.sk), copy(item));
    this.counters.writeUnits += Math.ceil(itemSize(item) / 1024);
    if (fault === 'lose-answer') throw new CoordinationError('unavailable', 'injected: applied, answer lost');
  }

  async delete(pk: string, sk: string, condition?: Condition): Promise<void> {
    this.counters.calls++;
    const existing = this.items.get(key(pk, sk));
    if (!this.holds(existing, condition)) throw new ConditionFailedError('condition failed', existing);
    this.items.delete(key(pk, sk));
  }

  async transact(actions: readonly TransactAction[]): Promise<void> {
    this.counters.calls++;
    const reasons = actions.map((a) => {
      const k = 'put' in a ? key(a.put.pk, a.put.sk) : 'delete' in a ? key(a.delete.pk, a.delete.sk) : key(a.check.pk, a.check.sk);
      return this.holds(this.items.get(k), a.condition) ? ('none' as const) : ('condition-failed' as const);
    });
    if (reasons.some((r) => r !== 'none')) throw new TransactionCancelledError(reasons);
    for (const a of actions) {
      if ('put' in a) this.items.set(key(a.put.pk, a.put.sk), copy(a.put));
      else if ('delete' in a) this.items.delete(key(a.delete.pk, a.delete.sk));
    }
  }

  private takeFault(pk: string): PutFault | undefined {
    const i = this.putFaults.findIndex((f) => pk.startsWith(f.pkPrefix));
    if (i < 0) return undefined;
    return this.putFaults.splice(i, 1)[0]!.fault;
  }

  stats(): CoordinationStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {}
}

export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: Buffer; at: Date }>();
  private readonly counters: ObjectStoreStats = { puts: 0, gets: 0, heads: 0, deletes: 0, lists: 0, bytesWritten: 0, bytesRead: 0, errors: 0 };
  failPuts = 0;

  async putIfAbsent(k: string, body: Buffer): Promise<void> {
    this.counters.puts++;
    if (this.failPuts > 0) {
      this.failPuts--;
      this.counters.errors++;
      throw new ObjectStoreError('unavailable', 'injected: unavailable', k);
    }
    const existing = this.objects.get(k);
    if (existing) {
      if (existing.body.equals(body)) return;
      throw new ObjectExistsError(k);
    }
    this.objects.set(k, { body: Buffer.from(body), at: new Date() });
    this.counters.bytesWritten += body.length;
  }

  async get(k: string, range?: ByteRange): Promise<Buffer> {
    this.counters.gets++;
    const o = this.objects.get(k);
    if (!o) throw new ObjectNotFoundError(k);
    const out = range ? o.body.subarray(range.start, Math.min(range.end, o.body.length)) : o.body;
    this.counters.bytesRead += out.length;
    return Buffer.from(out);
  }

  async head(k: string): Promise<{ size: number } | undefined> {
    this.counters.heads++;
    const o = this.objects.get(k);
    return o ? { size: o.body.length } : undefined;
  }

  async delete(k: string): Promise<void> {
    this.counters.deletes++;
    this.objects.delete(k);
  }

  async *list(prefix: string, opts: { startAfter?: string } = {}): AsyncIterable<ObjectInfo> {
    this.counters.lists++;
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort(byteCompare);
    for (const k of keys) {
      if (opts.startAfter !== undefined && byteCompare(k, opts.startAfter) <= 0) continue;
      const o = this.objects.get(k)!;
      yield { key: k, size: o.body.length, lastModified: o.at };
    }
  }

  stats(): ObjectStoreStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {}
}
