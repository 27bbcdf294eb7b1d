// A Records.Consume client for tests: keeps what the server said (assignments, records, commit
// answers) and, unless told not to, commits and acknowledges each revocation as a careful client
// would (the next offset of each revoked partition, then the assignment's id).
import type { ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import type { floe } from '../../src/index.ts';
import type { RecordsClient } from '../../src/client.ts';

export interface ReceivedRecord {
  topic: string;
  partition: number;
  offset: number;
  value: string;
  /** Whether the member owned the partition (not revoked) when the record arrived. */
  owned: boolean;
}

export class ConsumeMember {
  readonly stream: ClientDuplexStream<floe.v1.IConsumeRequest, floe.v1.ConsumeResponse>;
  readonly assignments: (floe.v1.IConsumeAssignment & { at: number })[] = [];
  readonly records: ReceivedRecord[] = [];
  readonly committed: floe.v1.IConsumeCommitted[] = [];
  error: ServiceError | undefined;
  ended = false;
  /** Next offset per "topic:partition" (what a commit of everything received would say). */
  readonly positions = new Map<string, number>();

  private readonly opts: { ackRevocations?: boolean };

  constructor(client: RecordsClient, subscribe: floe.v1.IConsumeSubscribe, opts: { ackRevocations?: boolean } = {}) {
    this.opts = opts;
    this.stream = client.consume();
    this.stream.on('data', (m: floe.v1.ConsumeResponse) => this.onMessage(m));
    this.stream.on('error', (err: ServiceError) => {
      this.error = err;
    });
    this.stream.on('end', () => {
      this.ended = true;
    });
    this.stream.write({ subscribe });
  }

  /** Partitions owned now, as "topic:partition". */
  owned(): Set<string> {
    const last = this.assignments.at(-1);
    return new Set((last?.owned ?? []).flatMap((t) => (t.partitions ?? []).map((p) => `${t.topic}:${p}`)));
  }

  private onMessage(m: floe.v1.ConsumeResponse): void {
    if (m.assignment) {
      this.assignments.push(Object.assign(m.assignment, { at: Date.now() }));
      const revoked = (m.assignment.revoked ?? []).flatMap((t) => (t.partitions ?? []).map((p) => ({ topic: t.topic!, partition: p })));
      if (revoked.length > 0 && this.opts.ackRevocations !== false) {
        const offsets = revoked.filter((r) => this.positions.has(`${r.topic}:${r.partition}`)).map((r) => ({ ...r, offset: this.positions.get(`${r.topic}:${r.partition}`)! }));
        this.stream.write({ commit: { offsets, acknowledgedAssignmentId: m.assignment.assignmentId } });
      }
    } else if (m.records) {
      const owned = this.owned();
      const k = `${m.records.topic}:${m.records.partition}`;
      for (const r of m.records.records ?? []) {
        this.records.push({ topic: m.records.topic!, partition: m.records.partition!, offset: Number(r.offset), value: Buffer.from(r.value ?? []).toString(), owned: owned.has(k) });
        this.positions.set(k, Number(r.offset) + 1);
      }
    } else if (m.committed) {
      this.committed.push(m.committed);
    }
  }

  /** Commits the next offset of every partition received from. */
  commitAll(): void {
    const offsets = [...this.positions].map(([k, offset]) => {
      const at = k.lastIndexOf(':');
      return { topic: k.slice(0, at), partition: Number(k.slice(at + 1)), offset };
    });
    this.stream.write({ commit: { offsets } });
  }

  /** Half-closes: the server answers pending commits, leaves the group and ends the stream. */
  async close(ms = 5_000): Promise<void> {
    this.stream.end();
    await waitFor(() => this.ended || this.error !== undefined, ms);
  }
}

/** Resolves once `cond` holds (checked every 10 ms); rejects after `ms`. */
export async function waitFor(cond: () => boolean, ms: number, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
