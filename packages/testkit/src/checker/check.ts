// A Jepsen-style check of a queue history (history.ts): every anomaly kind counted, with a few
// examples of each. An empty report (all counts zero) is what Kafka promises.
import type { History, Read, Send } from './history.ts';

export const ANOMALY_KINDS = [
  /** Acknowledged, but absent from the final read. */
  'lostAcknowledged',
  /** One value at two positions (partition/offset) of the log. */
  'duplicated',
  /** One position read with two different values, or read with a value other than the one acknowledged there. */
  'offsetConflict',
  /** Within a partition, a producer's records in an order other than its send order. */
  'outOfOrder',
  /** A value read that no producer sent. */
  'phantomRead',
  /** A send recorded as failed for sure that was read. */
  'failedButRead',
  /** A follower that never reached a partition's end though records remained and it had time. */
  'stuckConsumer',
  /** A partition owned by two members of one group at once (or in one generation). */
  'doubleOwnership',
  /** A group's committed offset of a partition moving backwards. */
  'commitBackwards',
  /** A consumer that read a partition's offsets out of order without a rebalance in between. */
  'readOrder',
] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

export interface CheckReport {
  counts: Record<AnomalyKind, number>;
  /** Up to `maxExamples` per kind. */
  examples: Record<AnomalyKind, string[]>;
  /** Figures behind the check. */
  totals: { sent: number; acknowledged: number; failed: number; unknown: number; unknownFound: number; read: number; finalRead: number };
}

export function anomalyTotal(report: CheckReport): number {
  return ANOMALY_KINDS.reduce((n, k) => n + report.counts[k], 0);
}

const pos = (partition: number, offset: number) => `${partition}:${offset}`;

export function checkHistory(h: History, maxExamples = 10): CheckReport {
  const counts = Object.fromEntries(ANOMALY_KINDS.map((k) => [k, 0])) as Record<AnomalyKind, number>;
  const examples = Object.fromEntries(ANOMALY_KINDS.map((k) => [k, [] as string[]])) as Record<AnomalyKind, string[]>;
  const note = (kind: AnomalyKind, what: string) => {
    counts[kind]++;
    if (examples[kind].length < maxExamples) examples[kind].push(what);
  };

  const sent = new Map<string, Send>();
  for (const s of h.sends) sent.set(s.value, s);
  const allReads: Read[] = [...h.events.filter((e) => e.type === 'read'), ...h.finalRead];

  // What each position held, over every read and every acknowledgement.
  const atPos = new Map<string, string>();
  const conflicted = new Set<string>();
  const place = (at: string, value: string, source: string) => {
    const before = atPos.get(at);
    if (before === undefined) atPos.set(at, value);
    else if (before !== value && !conflicted.has(at)) {
      conflicted.add(at);
      note('offsetConflict', `${at}: ${before} and ${value} (${source})`);
    }
  };
  for (const s of h.sends) if (s.outcome === 'acknowledged' && s.partition !== undefined && s.offset !== undefined) place(pos(s.partition, s.offset), s.value, `acknowledged to ${s.producer}`);
  for (const r of allReads) place(pos(r.partition, r.offset), r.value, `read by ${r.consumer}`);

  // Where each value was found.
  const positions = new Map<string, Set<string>>();
  for (const r of allReads) {
    let set = positions.get(r.value);
    if (!set) positions.set(r.value, (set = new Set()));
    set.add(pos(r.partition, r.offset));
  }
  for (const [value, set] of positions) if (set.size > 1) note('duplicated', `${value} at ${[...set].sort().join(', ')}`);
  for (const [value] of positions) {
    const s = sent.get(value);
    if (!s) note('phantomRead', `${value} was never sent`);
    else if (s.outcome === 'failed') note('failedButRead', `${value} (${s.producer}) failed for sure, yet read`);
  }

  const finalValues = new Set(h.finalRead.map((r) => r.value));
  let unknownFound = 0;
  for (const s of h.sends) {
    if (s.outcome === 'acknowledged' && !finalValues.has(s.value)) note('lostAcknowledged', `${s.value} (${s.producer}) acknowledged at ${s.partition}:${s.offset}`);
    if (s.outcome === 'unknown' && finalValues.has(s.value)) unknownFound++;
  }

  // Per partition, in log order (the final read sorted by offset), each producer's sequence grows.
  const byPartition = new Map<number, Read[]>();
  for (const r of h.finalRead) {
    let list = byPartition.get(r.partition);
    if (!list) byPartition.set(r.partition, (list = []));
    list.push(r);
  }
  for (const [p, list] of byPartition) {
    list.sort((a, b) => a.offset - b.offset);
    const last = new Map<string, { seq: number; offset: number }>();
    for (const r of list) {
      const s = sent.get(r.value);
      if (!s) continue;
      const before = last.get(s.producer);
      if (before && s.seq <= before.seq) note('outOfOrder', `partition ${p}: ${s.producer} #${s.seq} at ${r.offset} after #${before.seq} at ${before.offset}`);
      last.set(s.producer, { seq: s.seq, offset: r.offset });
    }
  }

  checkGroups(h, note);
  checkFollowers(h, note);
  return {
    counts,
    examples,
    totals: {
      sent: h.sends.length,
      acknowledged: h.sends.filter((s) => s.outcome === 'acknowledged').length,
      failed: h.sends.filter((s) => s.outcome === 'failed').length,
      unknown: h.sends.filter((s) => s.outcome === 'unknown').length,
      unknownFound,
      read: allReads.length - h.finalRead.length,
      finalRead: h.finalRead.length,
    },
  };
}

type Note = (kind: AnomalyKind, what: string) => void;

/**
 * Ownership, commits and read order, replayed in observed order. A member owns a partition from
 * its `assigned` to its `revoked` (or `gone`); a second member of the group assigned a partition
 * someone still owns is double ownership. With generations known, two members given one
 * partition in one generation is double ownership too.
 */
function checkGroups(h: History, note: Note): void {
  const owner = new Map<string, string>(); // group/partition -> consumer
  const byGeneration = new Map<string, string>(); // group/generation/partition -> consumer
  const committed = new Map<string, number>(); // group/partition -> offset
  const lastRead = new Map<string, number>(); // consumer/partition -> offset
  for (const e of h.events) {
    if (e.type === 'assignment') {
      for (const p of e.partitions) {
        const k = `${e.group}/${p}`;
        if (e.event === 'assigned') {
          const o = owner.get(k);
          if (o !== undefined && o !== e.consumer) note('doubleOwnership', `group ${e.group} partition ${p}: assigned to ${e.consumer} while ${o} owned it`);
          owner.set(k, e.consumer);
          if (e.generation !== undefined) {
            const g = `${e.group}/${e.generation}/${p}`;
            const other = byGeneration.get(g);
            if (other !== undefined && other !== e.consumer) note('doubleOwnership', `group ${e.group} generation ${e.generation} partition ${p}: ${other} and ${e.consumer}`);
            byGeneration.set(g, e.consumer);
          }
        } else if (owner.get(k) === e.consumer) owner.delete(k);
        // A new assignment may restart reading anywhere (its committed offset).
        lastRead.delete(`${e.consumer}/${p}`);
      }
      if (e.event === 'gone') for (const [k, c] of owner) if (c === e.consumer) owner.delete(k);
    } else if (e.type === 'commit') {
      const k = `${e.group}/${e.partition}`;
      const before = committed.get(k);
      if (before !== undefined && e.offset < before) note('commitBackwards', `group ${e.group} partition ${e.partition}: ${before} -> ${e.offset} by ${e.consumer}`);
      committed.set(k, Math.max(before ?? e.offset, e.offset));
    } else {
      const k = `${e.consumer}/${e.partition}`;
      const before = lastRead.get(k);
      if (before !== undefined && e.offset <= before) note('readOrder', `${e.consumer} partition ${e.partition}: offset ${e.offset} after ${before}`);
      lastRead.set(k, e.offset);
    }
  }
}

/** Each follower must have read up to every partition's end (the final read's) that it had to read. */
function checkFollowers(h: History, note: Note): void {
  for (const f of h.followers) {
    const reached = new Map<number, number>();
    const groupMembers = new Set<string>();
    if (f.group !== undefined) for (const e of h.events) if (e.type === 'assignment' && e.group === f.group) groupMembers.add(e.consumer);
    for (const e of h.events) {
      if (e.type !== 'read') continue;
      const mine = f.consumer !== undefined ? e.consumer === f.consumer : groupMembers.has(e.consumer);
      if (mine) reached.set(e.partition, Math.max(reached.get(e.partition) ?? -1, e.offset + 1));
    }
    const name = f.group !== undefined ? `group ${f.group}` : `reader ${f.consumer}`;
    for (const [p, end] of Object.entries(h.ends)) {
      const at = reached.get(Number(p)) ?? 0;
      const start = Math.min(...h.finalRead.filter((r) => r.partition === Number(p)).map((r) => r.offset), end);
      if (at < end && end > start) note('stuckConsumer', `${name} partition ${p}: reached ${at}, end ${end}`);
    }
  }
}
