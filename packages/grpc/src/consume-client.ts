// The client side of Records.Consume for programs (the `floe consume --group` command, tests):
// records are handed over one message at a time; what the handler has finished with is committed
// every commit interval, when partitions are revoked (then the revocation is acknowledged), and
// at the end. At-least-once: a record is committed only after its handler returned.
import type { ServiceError } from '@grpc/grpc-js';
import type { floe } from './protos.ts';
import type { RecordsClient } from './client.ts';

export interface GroupConsumeOptions {
  subscribe: floe.v1.IConsumeSubscribe;
  /**
   * Each message's records, in order. Resolves to how many of them were processed (default:
   * all); the rest are not committed and are delivered again to whoever owns the partition next.
   */
  onRecords(m: floe.v1.IConsumedRecords): number | void | Promise<number | void>;
  onAssignment?(a: floe.v1.IConsumeAssignment): void;
  /** Processed positions are committed at least this often. Default 1000 ms. */
  commitIntervalMs?: number;
  /** Aborting commits what was processed, leaves the group and resolves. */
  signal: AbortSignal;
}

const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** Consumes as a group member until `signal` aborts; rejects with the call's error if it fails. */
export function consumeGroup(client: RecordsClient, opts: GroupConsumeOptions): Promise<void> {
  const stream = client.consume();
  /** Next offset to commit, per partition, of processed records; `dirty` once it moved. */
  const positions = new Map<string, { topic: string; partition: number; offset: number; dirty: boolean }>();
  const commit = (only?: Set<string>, acknowledgedAssignmentId?: number) => {
    const offsets = [];
    for (const [k, p] of positions) {
      if (only ? !only.has(k) : !p.dirty) continue;
      offsets.push({ topic: p.topic, partition: p.partition, offset: p.offset });
      p.dirty = false;
    }
    if (offsets.length === 0 && acknowledgedAssignmentId === undefined) return;
    stream.write({ commit: { offsets, ...(acknowledgedAssignmentId !== undefined ? { acknowledgedAssignmentId } : {}) } });
  };
  return new Promise<void>((resolve, reject) => {
    let stopping = false;
    let failed = false;
    const timer = setInterval(() => {
      if (!stopping) commit();
    }, opts.commitIntervalMs ?? 1_000);
    const stop = () => {
      if (stopping) return;
      stopping = true;
      clearInterval(timer);
      void turn.then(() => {
        if (failed) return;
        commit();
        stream.end();
      });
    };
    let turn: Promise<void> = Promise.resolve();
    stream.on('data', (m: floe.v1.ConsumeResponse) => {
      stream.pause();
      turn = turn
        .then(async () => {
          if (m.records) {
            const records = m.records.records ?? [];
            const done = (await opts.onRecords(m.records)) ?? records.length;
            const last = records[Math.min(done, records.length) - 1];
            if (last) {
              const topic = m.records.topic ?? '';
              const partition = m.records.partition ?? 0;
              positions.set(partitionKey(topic, partition), { topic, partition, offset: Number(last.offset) + 1, dirty: true });
            }
            if (done < records.length) stop();
          } else if (m.assignment) {
            opts.onAssignment?.(m.assignment);
            const revoked = new Set((m.assignment.revoked ?? []).flatMap((t) => (t.partitions ?? []).map((p) => partitionKey(t.topic ?? '', p))));
            if (revoked.size > 0 && !stopping) commit(revoked, Number(m.assignment.assignmentId));
            const owned = new Set((m.assignment.owned ?? []).flatMap((t) => (t.partitions ?? []).map((p) => partitionKey(t.topic ?? '', p))));
            for (const k of positions.keys()) if (!owned.has(k) && !revoked.has(k)) positions.delete(k);
          }
        })
        .then(
          () => void stream.resume(),
          (err: unknown) => {
            failed = true;
            stream.cancel();
            clearInterval(timer);
            reject(err);
          },
        );
    });
    stream.on('error', (err: ServiceError) => {
      clearInterval(timer);
      opts.signal.removeEventListener('abort', stop);
      if (!failed) reject(err);
      failed = true;
    });
    stream.on('end', () => {
      clearInterval(timer);
      opts.signal.removeEventListener('abort', stop);
      if (!failed) resolve();
    });
    if (opts.signal.aborted) stop();
    else opts.signal.addEventListener('abort', stop, { once: true });
    stream.write({ subscribe: opts.subscribe });
  });
}
