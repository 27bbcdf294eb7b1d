// The embedded coordination store: the default for a single local broker. The table lives in memory
// (a sorted index per partition key) and on disk as a write-ahead log plus a snapshot, so it
// survives kill -9 and power loss. Every mutation is evaluated and applied in memory at once (so
// conditions are atomic), appended to the log as one record, and acknowledged only after fsync;
// concurrent mutations share one fsync. Reads and condition failures also wait until what they saw
// is durable, so nothing ever observed can be lost by a crash.
//
// Files in the directory (docs/coordination-store.md has the byte layout):
//   LOCK                  the pid of the process that has the store open
//   snapshot              every item as of the end of log generation G (the generation in its header)
//   log-<generation>      mutations after the snapshot, oldest generation first
//   snapshot.tmp          a snapshot being written (removed on open)
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readFile, readdir, realpath, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { TRANSACTION_FACTOR, queryPages, readUnits, writeUnits } from './billing.ts';
import {
  ConditionFailedError,
  CoordinationError,
  TransactionCancelledError,
  type Condition,
  type CoordinationStats,
  type CoordinationStore,
  type Item,
  type QueryOptions,
  type ReadOptions,
  type TransactAction,
} from './coordination-store.ts';
import {
  FILE_HEADER_BYTES,
  FormatError,
  LOG_MAGIC,
  MAX_BATCH_BYTES,
  SNAPSHOT_FILE,
  SNAPSHOT_MAGIC,
  SNAPSHOT_TMP_FILE,
  decodeFileHeader,
  decodeRecord,
  encodeFileHeader,
  encodeFrame,
  encodeMutation,
  encodeSnapshotEnd,
  logFileName,
  parseLogFileName,
  scanFrames,
  splitRecords,
  type Op,
} from './embedded-format.ts';
import { SortedIndex, type Entry } from './embedded-index.ts';
import { acquireLock, type DirectoryLock } from './embedded-lock.ts';
import {
  TTL_ATTRIBUTE,
  conditionHolds,
  copyItem,
  invalid,
  planQuery,
  validateCondition,
  validateItem,
  validateKey,
  validateTransact,
} from './validation.ts';

export interface EmbeddedStoreOptions {
  /**
   * Write a snapshot and start a new log once the log reaches this many bytes, and is at least as
   * big as the last snapshot (so snapshots never cost more disk writes than the log). Default 64 MiB.
   */
  snapshotBytes?: number;
  /** Called with problems the store survives (a failed snapshot, a torn log tail cut away). */
  onWarning?: (message: string, cause?: unknown) => void;
}

const DEFAULT_SNAPSHOT_BYTES = 64 * 1024 * 1024;
/** Items per snapshot record. */
const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;

interface Pending {
  seq: number;
  record: Buffer;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function corrupt(message: string, cause?: unknown): CoordinationError {
  return new CoordinationError('invalid', `embedded coordination store is corrupt: ${message}`, { cause });
}

function applyOps(index: SortedIndex, ops: readonly Op[]): void {
  for (const op of ops) {
    if ('put' in op) index.put(op.put);
    else index.delete(op.delete.pk, op.delete.sk);
  }
}

async function createLog(dir: string, generation: number): Promise<FileHandle> {
  const fh = await open(join(dir, logFileName(generation)), 'wx');
  try {
    await fh.write(encodeFileHeader(LOG_MAGIC, generation), 0, FILE_HEADER_BYTES, 0);
    await fh.sync();
    await fsyncDir(dir);
    return fh;
  } catch (err) {
    await fh.close();
    throw err;
  }
}

export class EmbeddedCoordinationStore implements CoordinationStore {
  readonly dir: string;
  private readonly index: SortedIndex;
  private readonly lock: DirectoryLock;
  private readonly snapshotBytes: number;
  private readonly warn: (message: string, cause?: unknown) => void;
  private readonly counters: CoordinationStats = { calls: 0, writeUnits: 0, readUnits: 0, conditionFailures: 0 };

  private log: FileHandle;
  private logGeneration: number;
  private logSize: number;
  /** Size of the newest snapshot file: the log must outgrow it too before the next one. */
  private snapshotFileBytes: number;
  /** After a failed attempt to start a new log: the log size at which to try again. */
  private retryCompactionAt = 0;

  private pending: Pending[] = [];
  private appendedSeq = 0;
  private syncedSeq = 0;
  private waiters: Waiter[] = [];
  private flushing = false;
  private flushScheduled = false;
  private compaction: Promise<void> | undefined;
  private failure: CoordinationError | undefined;
  private closed = false;

  private constructor(
    dir: string,
    index: SortedIndex,
    lock: DirectoryLock,
    log: { fh: FileHandle; generation: number; size: number; snapshotBytes: number },
    options: EmbeddedStoreOptions,
  ) {
    this.dir = dir;
    this.index = index;
    this.lock = lock;
    this.log = log.fh;
    this.logGeneration = log.generation;
    this.logSize = log.size;
    this.snapshotFileBytes = log.snapshotBytes;
    this.snapshotBytes = options.snapshotBytes ?? DEFAULT_SNAPSHOT_BYTES;
    this.warn = options.onWarning ?? (() => undefined);
  }

  /**
   * Opens (creating if needed) the store in `dir`: takes the directory's lock, loads the snapshot,
   * replays the logs after it and cuts away a torn last record left by a crash.
   */
  static async open(dir: string, options: EmbeddedStoreOptions = {}): Promise<EmbeddedCoordinationStore> {
    if (options.snapshotBytes !== undefined && !(options.snapshotBytes > 0)) throw invalid('snapshotBytes must be positive');
    await mkdir(dir, { recursive: true });
    const real = await realpath(dir);
    const lock = await acquireLock(real);
    try {
      const warn = options.onWarning ?? (() => undefined);
      const index = new SortedIndex();
      const log = await EmbeddedCoordinationStore.recover(real, index, warn);
      return new EmbeddedCoordinationStore(real, index, lock, log, options);
    } catch (err) {
      await lock.release();
      if (err instanceof CoordinationError) throw err;
      if (err instanceof FormatError) throw corrupt(err.message, err);
      throw new CoordinationError('unavailable', `cannot open embedded coordination store in ${dir}: ${String(err)}`, { cause: err });
    }
  }

  private static async recover(
    dir: string,
    index: SortedIndex,
    warn: (message: string, cause?: unknown) => void,
  ): Promise<{ fh: FileHandle; generation: number; size: number; snapshotBytes: number }> {
    await unlink(join(dir, SNAPSHOT_TMP_FILE)).catch(() => undefined);
    let covered = 0;
    let snapshot: Buffer | undefined;
    try {
      snapshot = await readFile(join(dir, SNAPSHOT_FILE));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (snapshot !== undefined) covered = EmbeddedCoordinationStore.loadSnapshot(snapshot, index);
    const snapshotBytes = snapshot?.length ?? 0;

    const names = await readdir(dir);
    const generations = names
      .map(parseLogFileName)
      .filter((g): g is number => g !== undefined)
      .sort((a, b) => a - b);
    // Logs the snapshot covers are left over from a compaction cut short: remove them.
    for (const g of generations.filter((g) => g <= covered)) await unlink(join(dir, logFileName(g)));
    const live = generations.filter((g) => g > covered);
    for (const [i, g] of live.entries()) {
      const expected = covered + 1 + i;
      if (g !== expected) throw corrupt(`log ${logFileName(expected)} is missing (found ${logFileName(g)})`);
    }

    for (const [i, g] of live.entries()) {
      const last = i === live.length - 1;
      const path = join(dir, logFileName(g));
      const buf = await readFile(path);
      const headerGeneration = decodeFileHeader(buf, LOG_MAGIC);
      if (headerGeneration === undefined) {
        // A log whose header never reached the disk: only the newest can be one (crash while
        // creating it), and then it holds nothing.
        if (last && buf.length <= FILE_HEADER_BYTES) {
          warn(`${logFileName(g)} has no header (crash while creating it): starting it afresh`);
          await unlink(path);
          const fh = await createLog(dir, g);
          return { fh, generation: g, size: FILE_HEADER_BYTES, snapshotBytes };
        }
        throw corrupt(`${logFileName(g)} has no valid header`);
      }
      if (headerGeneration !== g) throw corrupt(`${logFileName(g)} says it is generation ${headerGeneration}`);
      const scan = scanFrames(buf, FILE_HEADER_BYTES);
      if (scan.status === 'corrupt') throw corrupt(`${logFileName(g)}: ${scan.reason}`);
      if (scan.status === 'torn' && !last) throw corrupt(`${logFileName(g)} is cut short but is not the newest log`);
      for (const frame of scan.frames) {
        for (const raw of splitRecords(frame)) {
          const record = decodeRecord(raw);
          if (record.kind !== 'mutation') throw corrupt(`${logFileName(g)} holds a snapshot record`);
          applyOps(index, record.ops);
        }
      }
      if (last) {
        const fh = await open(path, 'r+');
        try {
          if (scan.status === 'torn') {
            warn(`${logFileName(g)}: cut ${buf.length - scan.end} bytes of an unfinished write (${scan.reason})`);
            await fh.truncate(scan.end);
            await fh.sync();
          }
          return { fh, generation: g, size: scan.end, snapshotBytes };
        } catch (err) {
          await fh.close();
          throw err;
        }
      }
    }
    const fh = await createLog(dir, covered + 1);
    return { fh, generation: covered + 1, size: FILE_HEADER_BYTES, snapshotBytes };
  }

  /** Loads a snapshot into `index`; returns the last log generation it covers. */
  private static loadSnapshot(buf: Buffer, index: SortedIndex): number {
    const covered = decodeFileHeader(buf, SNAPSHOT_MAGIC);
    if (covered === undefined) throw corrupt('snapshot has no valid header');
    // A snapshot is renamed into place only when complete, so any damage is corruption.
    const scan = scanFrames(buf, FILE_HEADER_BYTES);
    if (scan.status !== 'ok') throw corrupt(`snapshot: ${scan.reason}`);
    let count = 0;
    let ended = false;
    for (const frame of scan.frames) {
      for (const raw of splitRecords(frame)) {
        if (ended) throw corrupt('snapshot has records after its end');
        const record = decodeRecord(raw);
        if (record.kind === 'snapshot-end') {
          if (record.count !== count) throw corrupt(`snapshot says ${record.count} items, holds ${count}`);
          ended = true;
          continue;
        }
        for (const op of record.ops) {
          if (!('put' in op)) throw corrupt('snapshot holds a delete');
          index.put(op.put);
          count++;
        }
      }
    }
    if (!ended) throw corrupt('snapshot has no end record');
    return covered;
  }

  // ---- the write path -------------------------------------------------------------------------

  private check(): void {
    if (this.closed) throw invalid('the coordination store is closed');
    if (this.failure) throw this.failure;
  }

  /** Queues a record for the log; returns its sequence number for `durable`. */
  private append(record: Buffer): number {
    const seq = ++this.appendedSeq;
    this.pending.push({ seq, record });
    if (!this.flushing && !this.flushScheduled) {
      // Wait for the rest of this tick: writes issued together share one frame and one fsync.
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        void this.flush();
      });
    }
    return seq;
  }

  /** Resolves once every record up to `seq` is on disk. */
  private durable(seq: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (seq <= this.syncedSeq) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ seq, resolve, reject }));
  }

  /** Writes pending records, one frame and one fsync per batch, until none are left. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length > 0 && this.failure === undefined) {
        let n = 0;
        let bytes = 0;
        while (n < this.pending.length && (n === 0 || bytes + this.pending[n]!.record.length + 4 <= MAX_BATCH_BYTES)) {
          bytes += this.pending[n]!.record.length + 4;
          n++;
        }
        const batch = this.pending.splice(0, n);
        const parts = encodeFrame(batch.map((p) => p.record));
        const length = parts.reduce((sum, p) => sum + p.length, 0);
        try {
          const { bytesWritten } = await this.log.writev(parts, this.logSize);
          if (bytesWritten !== length) throw new Error(`short write: ${bytesWritten} of ${length} bytes`);
          await this.log.datasync();
        } catch (err) {
          // The log's end is now unknown; in-memory state is ahead of the disk. Stop: a reopen
          // recovers from what is durable.
          this.fail(err);
          return;
        }
        this.logSize += length;
        this.syncedSeq = batch[batch.length - 1]!.seq;
        while (this.waiters.length > 0 && this.waiters[0]!.seq <= this.syncedSeq) this.waiters.shift()!.resolve();
        const due = this.logSize >= Math.max(this.snapshotBytes, this.snapshotFileBytes, this.retryCompactionAt);
        if (due && this.compaction === undefined && !this.closed) await this.startCompaction();
      }
    } finally {
      this.flushing = false;
    }
    if (this.pending.length > 0 && this.failure === undefined) void this.flush();
  }

  private fail(err: unknown): void {
    this.failure = new CoordinationError(
      'unavailable',
      `embedded coordination store in ${this.dir} failed to write its log (${String(err)}); close and reopen it`,
      { cause: err },
    );
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
  }

  /**
   * Starts a new log and, in the background, writes a snapshot of everything before it. Runs
   * between two frames, so no record reaches the old log afterwards; records applied in memory but
   * still pending are in the snapshot and will also be in the new log, where replaying them again
   * changes nothing (each holds whole items or deletes).
   */
  private async startCompaction(): Promise<void> {
    const covered = this.logGeneration;
    let fh: FileHandle;
    try {
      fh = await createLog(this.dir, covered + 1);
    } catch (err) {
      // Keep appending to the current log, which is intact; try again once it has grown more.
      this.warn(`cannot start ${logFileName(covered + 1)} in ${this.dir}; snapshot postponed`, err);
      await unlink(join(this.dir, logFileName(covered + 1))).catch(() => undefined);
      this.retryCompactionAt = this.logSize + this.snapshotBytes;
      return;
    }
    const old = this.log;
    this.log = fh;
    this.logGeneration = covered + 1;
    this.logSize = FILE_HEADER_BYTES;
    this.retryCompactionAt = 0;
    await old.close().catch(() => undefined);
    const items = this.index.items();
    this.compaction = this.writeSnapshot(items, covered)
      .catch((err: unknown) => {
        this.warn(`snapshot of ${this.dir} failed; the logs are kept and replayed instead`, err);
        return unlink(join(this.dir, SNAPSHOT_TMP_FILE)).catch(() => undefined);
      })
      .finally(() => {
        this.compaction = undefined;
      });
  }

  private async writeSnapshot(items: readonly Item[], covered: number): Promise<void> {
    const tmp = join(this.dir, SNAPSHOT_TMP_FILE);
    const now = Date.now() / 1000;
    const fh = await open(tmp, 'w');
    try {
      let pos = 0;
      const write = async (parts: Buffer[]) => {
        const length = parts.reduce((sum, p) => sum + p.length, 0);
        const { bytesWritten } = await fh.writev(parts, pos);
        if (bytesWritten !== length) throw new Error(`short write: ${bytesWritten} of ${length} bytes`);
        pos += length;
      };
      await write([encodeFileHeader(SNAPSHOT_MAGIC, covered)]);
      let count = 0;
      let chunk: Op[] = [];
      let chunkBytes = 0;
      for (const item of items) {
        const ttl = item[TTL_ATTRIBUTE];
        if (typeof ttl === 'number' && ttl < now) continue; // expired: DynamoDB would delete it too
        chunk.push({ put: item });
        count++;
        chunkBytes += 64;
        for (const v of Object.values(item)) chunkBytes += typeof v === 'string' ? v.length * 3 : v instanceof Uint8Array ? v.length : 8;
        if (chunkBytes >= SNAPSHOT_CHUNK_BYTES) {
          await write(encodeFrame([encodeMutation(chunk)]));
          chunk = [];
          chunkBytes = 0;
        }
      }
      await write(encodeFrame([...(chunk.length > 0 ? [encodeMutation(chunk)] : []), encodeSnapshotEnd(count)]));
      await fh.sync();
      this.snapshotFileBytes = pos;
    } finally {
      await fh.close();
    }
    await rename(tmp, join(this.dir, SNAPSHOT_FILE));
    await fsyncDir(this.dir);
    for (const name of await readdir(this.dir)) {
      const g = parseLogFileName(name);
      if (g !== undefined && g <= covered) await unlink(join(this.dir, name));
    }
    await fsyncDir(this.dir);
  }

  // ---- operations -------------------------------------------------------------------------------

  async get(pk: string, sk: string, opts?: ReadOptions): Promise<Item | undefined> {
    this.check();
    validateKey(pk, sk);
    const entry = this.index.get(pk, sk);
    this.counters.calls++;
    this.counters.readUnits += readUnits(entry?.size ?? 0, opts?.consistent === true);
    const out = entry ? copyItem(entry.item) : undefined;
    await this.durable(this.appendedSeq);
    return out;
  }

  async query(pk: string, opts?: QueryOptions): Promise<Item[]> {
    this.check();
    const plan = planQuery(pk, opts);
    if (plan.empty) return [];
    const entries = this.index.range(pk, plan);
    // Billed as DynamoDB pages it: a call per 1 MB page, each page's bytes rounded up to 4 KB.
    for (const bytes of queryPages(entries.map((e) => e.size))) {
      this.counters.calls++;
      this.counters.readUnits += readUnits(bytes, plan.consistent);
    }
    const out = entries.map((e) => copyItem(e.item));
    await this.durable(this.appendedSeq);
    return out;
  }

  async put(item: Item, condition?: Condition): Promise<void> {
    this.check();
    const size = validateItem(item);
    validateCondition(condition);
    const existing = this.index.get(item.pk, item.sk);
    this.counters.calls++;
    if (!conditionHolds(condition, existing?.item)) {
      await this.conditionFailed(existing, `put ${item.pk}/${item.sk}`);
    }
    const stored = copyItem(item);
    const seq = this.append(encodeMutation([{ put: stored }]));
    this.index.put(stored, size);
    this.counters.writeUnits += writeUnits(Math.max(size, existing?.size ?? 0));
    await this.durable(seq);
  }

  async delete(pk: string, sk: string, condition?: Condition): Promise<void> {
    this.check();
    validateKey(pk, sk);
    validateCondition(condition);
    const existing = this.index.get(pk, sk);
    this.counters.calls++;
    if (!conditionHolds(condition, existing?.item)) await this.conditionFailed(existing, `delete ${pk}/${sk}`);
    this.counters.writeUnits += writeUnits(existing?.size ?? 0);
    if (existing === undefined) {
      await this.durable(this.appendedSeq);
      return;
    }
    const seq = this.append(encodeMutation([{ delete: { pk, sk } }]));
    this.index.delete(pk, sk);
    await this.durable(seq);
  }

  /** Bills and throws a failed condition, once what it saw is durable. */
  private async conditionFailed(existing: Entry | undefined, what: string): Promise<never> {
    this.counters.conditionFailures++;
    this.counters.writeUnits += writeUnits(existing?.size ?? 0);
    const copy = existing ? copyItem(existing.item) : undefined;
    await this.durable(this.appendedSeq);
    throw new ConditionFailedError(`${what}: condition failed`, copy);
  }

  async transact(actions: readonly TransactAction[]): Promise<void> {
    this.check();
    const plan = validateTransact(actions);
    this.counters.calls++;
    const existing = plan.map((a) => this.index.get(a.pk, a.sk));
    const reasons = plan.map((a, i) => (conditionHolds(a.condition, existing[i]?.item) ? 'none' : 'condition-failed') as 'none' | 'condition-failed');
    if (reasons.includes('condition-failed')) {
      this.counters.conditionFailures++;
      this.counters.writeUnits += TRANSACTION_FACTOR * existing.reduce((sum, e) => sum + writeUnits(e?.size ?? 0), 0);
      await this.durable(this.appendedSeq);
      throw new TransactionCancelledError(reasons);
    }
    const ops: Op[] = [];
    let units = 0;
    for (const [i, a] of plan.entries()) {
      const before = existing[i]?.size ?? 0;
      if (a.kind === 'put') {
        ops.push({ put: copyItem(a.item!) });
        units += writeUnits(Math.max(a.size, before));
      } else {
        if (a.kind === 'delete' && existing[i] !== undefined) ops.push({ delete: { pk: a.pk, sk: a.sk } });
        units += writeUnits(before);
      }
    }
    this.counters.writeUnits += TRANSACTION_FACTOR * units;
    if (ops.length === 0) {
      await this.durable(this.appendedSeq);
      return;
    }
    const seq = this.append(encodeMutation(ops));
    applyOps(this.index, ops);
    await this.durable(seq);
  }

  stats(): CoordinationStats {
    return { ...this.counters };
  }

  /** Waits for pending writes and any snapshot in progress, then releases the directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.durable(this.appendedSeq).catch(() => undefined);
      while (this.flushing || this.flushScheduled) await new Promise((r) => setImmediate(r));
      await this.compaction;
      await this.log.close();
    } finally {
      await this.lock.release();
    }
  }
}
