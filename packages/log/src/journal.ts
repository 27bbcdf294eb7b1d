import {
  ConditionFailedError,
  CoordinationError,
  type CoordinationStore,
  type Item,
} from '@floe/coordination';
import { LogError } from './errors.ts';
import { decodeDescriptors, decodeLogStarts, encodeDescriptors, encodeLogStarts, type JournalEntry } from './journal-entry.ts';

// One shard's journal in the coordination table:
//   pk "j#<shard, 4 digits>", sk "<seq, 16 digits>"; attributes cid (commit id), node, t
//   (journal time, ms), seg (segment object key, optional), d (packed descriptors), ls (packed
//   log-start moves, optional), rp (true: d describes batches rewritten by compaction).
// Sequence numbers are dense from 1. Only a conditional create can add an entry, so two writers
// can never both own a sequence number, and a writer with a stale view always loses.

const SEQ_DIGITS = 16;

export function journalPk(shard: number): string {
  return `j#${String(shard).padStart(4, '0')}`;
}

export function seqKey(seq: number): string {
  return String(seq).padStart(SEQ_DIGITS, '0');
}

export function entryToItem(shard: number, e: JournalEntry): Item {
  const item: Item = {
    pk: journalPk(shard),
    sk: seqKey(e.seq),
    cid: e.commitId,
    node: e.node,
    t: e.time,
    d: encodeDescriptors(e.batches),
  };
  if (e.segment !== undefined) item.seg = e.segment;
  if (e.logStarts && e.logStarts.length > 0) item.ls = encodeLogStarts(e.logStarts);
  if (e.replace) item.rp = true;
  return item;
}

export function itemToEntry(item: Item): JournalEntry {
  const { sk, cid, node, t, seg, d, ls, rp } = item;
  if (typeof cid !== 'string' || typeof node !== 'string' || typeof t !== 'number' || !(d instanceof Uint8Array)) {
    throw new LogError('unavailable', `malformed journal item ${item.pk}/${sk}`);
  }
  const entry: JournalEntry = { seq: Number(sk), commitId: cid, node, time: t, batches: decodeDescriptors(d) };
  if (typeof seg === 'string') entry.segment = seg;
  if (ls instanceof Uint8Array) entry.logStarts = decodeLogStarts(ls);
  if (rp === true) entry.replace = true;
  return entry;
}

export type AppendResult = 'committed' | 'lost';

export interface JournalOptions {
  /** How long to keep resolving an unknown outcome before answering "timeout". */
  resolveDeadlineMs: number;
}

export class Journal {
  readonly pk: string;
  private readonly store: CoordinationStore;
  readonly shard: number;
  private readonly opts: JournalOptions;

  constructor(store: CoordinationStore, shard: number, opts: JournalOptions = { resolveDeadlineMs: 10_000 }) {
    this.store = store;
    this.shard = shard;
    this.opts = opts;
    this.pk = journalPk(shard);
  }

  /** Entries after `seq`, in order, up to `limit`. */
  async readAfter(seq: number, consistent: boolean, limit = 100): Promise<JournalEntry[]> {
    const items = await this.store.query(this.pk, { after: seqKey(seq), consistent, limit });
    return items.map(itemToEntry);
  }

  /**
   * Creates entry `e.seq`. 'committed' when this commit owns the slot (including when an earlier
   * attempt whose answer was lost did the write), 'lost' when another commit owns it. Throws
   * LogError 'timeout' when the outcome stays unknown past the deadline: the caller must answer
   * with a retriable error, never a definite one.
   */
  async append(e: JournalEntry): Promise<AppendResult> {
    const item = entryToItem(this.shard, e);
    const deadline = Date.now() + this.opts.resolveDeadlineMs;
    let delay = 20;
    for (;;) {
      try {
        await this.store.put(item, { absent: true });
        return 'committed';
      } catch (err) {
        if (err instanceof ConditionFailedError) {
          const existing = err.existing ?? (await this.readBack(item.sk, deadline));
          if (existing === undefined) continue; // deleted under us cannot happen; read again
          return existing.cid === e.commitId ? 'committed' : 'lost';
        }
        if (!(err instanceof CoordinationError) || !err.retriable) throw err;
      }
      // Unknown outcome: the put may or may not have been applied. Read the slot back.
      if (Date.now() > deadline) throw new LogError('timeout', `commit of ${this.pk}/${item.sk} has an unknown outcome`);
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 1_000);
      const existing = await this.readBack(item.sk, deadline).catch(() => undefined);
      if (existing) return existing.cid === e.commitId ? 'committed' : 'lost';
      // Absent (or unreadable): sending the identical item again is safe.
    }
  }

  private async readBack(sk: string, deadline: number): Promise<Item | undefined> {
    let delay = 20;
    for (;;) {
      try {
        return await this.store.get(this.pk, sk, { consistent: true });
      } catch (err) {
        if (!(err instanceof CoordinationError) || !err.retriable || Date.now() > deadline) {
          throw err instanceof CoordinationError && err.retriable
            ? new LogError('timeout', `commit of ${this.pk}/${sk} has an unknown outcome`, { cause: err })
            : err;
        }
        await sleep(delay + Math.random() * delay);
        delay = Math.min(delay * 2, 1_000);
      }
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
