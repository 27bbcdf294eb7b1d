// The two external services behind their interfaces, wrapped so every call is counted and timed.
// The wrappers are themselves an ObjectStore and a CoordinationStore: the storage core and the
// group coordinator use them unaware.
import type { CoordinationStore, Item, QueryOptions, ReadOptions, Condition, TransactAction } from '@floe/coordination';
import type { ByteRange, ObjectInfo, ObjectStore } from '@floe/object-store';
import type { FloeMetrics } from './floe-metrics.ts';

function kindOf(err: unknown): string | undefined {
  const kind = (err as { kind?: unknown } | null)?.kind;
  return typeof kind === 'string' ? kind : undefined;
}

async function timed<T>(
  op: string,
  work: () => Promise<T>,
  count: (op: string, outcome: string) => void,
  observe: (op: string, seconds: number) => void,
  outcomeOfError: (err: unknown) => string,
): Promise<T> {
  const started = performance.now();
  try {
    const out = await work();
    count(op, 'ok');
    return out;
  } catch (err) {
    count(op, outcomeOfError(err));
    throw err;
  } finally {
    observe(op, (performance.now() - started) / 1000);
  }
}

export function instrumentObjectStore(store: ObjectStore, metrics: FloeMetrics): ObjectStore {
  const count = (op: string, outcome: string) => metrics.objectStoreRequests.inc({ op, outcome });
  const observe = (op: string, s: number) => metrics.objectStoreSeconds.observe({ op }, s);
  const outcome = (err: unknown) => {
    const k = kindOf(err);
    return k === 'not-found' || k === 'exists' ? k : 'error';
  };
  const run = <T>(op: string, work: () => Promise<T>) => timed(op, work, count, observe, outcome);
  return {
    async putIfAbsent(key: string, body: Buffer) {
      await run('put', () => store.putIfAbsent(key, body));
      metrics.objectStoreBytes.inc({ direction: 'out' }, body.length);
    },
    async get(key: string, range?: ByteRange) {
      const body = await run('get', () => store.get(key, range));
      metrics.objectStoreBytes.inc({ direction: 'in' }, body.length);
      return body;
    },
    head: (key: string) => run('head', () => store.head(key)),
    delete: (key: string) => run('delete', () => store.delete(key)),
    list(prefix: string, opts?: { startAfter?: string }): AsyncIterable<ObjectInfo> {
      metrics.objectStoreRequests.inc({ op: 'list', outcome: 'ok' });
      return store.list(prefix, opts);
    },
    stats: () => store.stats(),
    close: () => store.close(),
  };
}

export function instrumentCoordinationStore(store: CoordinationStore, metrics: FloeMetrics): CoordinationStore {
  const count = (op: string, outcome: string) => metrics.coordinationCalls.inc({ op, outcome });
  const observe = (op: string, s: number) => metrics.coordinationSeconds.observe({ op }, s);
  const outcome = (err: unknown) => {
    const k = kindOf(err);
    return k === 'condition-failed' || k === 'transaction-cancelled' ? 'condition-failed' : 'error';
  };
  const run = <T>(op: string, work: () => Promise<T>) => timed(op, work, count, observe, outcome);
  metrics.billedUnits(() => store.stats());
  return {
    get: (pk: string, sk: string, opts?: ReadOptions) => run('get', () => store.get(pk, sk, opts)),
    query: (pk: string, opts?: QueryOptions) => run('query', () => store.query(pk, opts)),
    put: (item: Item, condition?: Condition) => run('put', () => store.put(item, condition)),
    delete: (pk: string, sk: string, condition?: Condition) => run('delete', () => store.delete(pk, sk, condition)),
    transact: (actions: readonly TransactAction[]) => run('transact', () => store.transact(actions)),
    stats: () => store.stats(),
    close: () => store.close(),
  };
}
