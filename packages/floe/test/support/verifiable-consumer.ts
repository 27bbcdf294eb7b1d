// Kafka's VerifiableConsumer as a group member under a test's control: it prints one JSON event
// per line (partitions_assigned, partitions_revoked, records_consumed, offsets_committed, ...);
// this keeps them, stamped with their arrival, for the checks of group behaviour. With `verbose`
// it also prints every record it consumes (record_data: partition, offset, key, value), kept apart
// in `records`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { javaTool, loadTestEnv } from '@floe/testkit';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface ConsumerEvent {
  name: string;
  /** Arrival order across every member of a test (a global counter), and time. */
  seq: number;
  at: number;
  member: string;
  partitions?: (TopicPartition & { count?: number; minOffset?: number; maxOffset?: number })[];
  offsets?: (TopicPartition & { offset: number })[];
  success?: boolean;
  error?: string;
  count?: number;
}

/** One record a member consumed (a record_data event of `--verbose`). */
export interface ConsumedRecord {
  seq: number;
  member: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string;
}

let seq = 0;

const COORDINATOR_LOG4J = [
  'status = error',
  'appender.err.type = Console',
  'appender.err.name = err',
  'appender.err.target = SYSTEM_ERR',
  'appender.err.layout.type = PatternLayout',
  'appender.err.layout.pattern = %d{HH:mm:ss.SSS} %-5p %c{1} %m%n',
  'rootLogger.level = error',
  'rootLogger.appenderRef.err.ref = err',
  'logger.coordinator.name = org.apache.kafka.clients.consumer.internals',
  'logger.coordinator.level = info',
  // Why a member's view of the cluster changed: rebootstrapping, disconnections.
  'logger.metadata.name = org.apache.kafka.clients.Metadata',
  'logger.metadata.level = info',
  'logger.network.name = org.apache.kafka.clients.NetworkClient',
  'logger.network.level = info',
  '',
].join('\n');

/** Client log lines that explain a rebalance or a lost coordinator. */
const GROUP_LOG_LINE = /joining group due to|ebootstrap|Attempt to heartbeat failed|coordinator .* is unavailable|Requesting disconnect from last known coordinator|Lost previously assigned|Revoke previously assigned|Member .* sending LeaveGroup|failed with error|rebalance/i;

export interface MemberOptions {
  bootstrap: string;
  topic: string;
  group: string;
  /** Names the member in events and, for a static member, is its group.instance.id. */
  name: string;
  instanceId?: string;
  sessionTimeoutMs?: number;
  assignmentStrategy?: string;
  /** "consumer" for the KIP-848 protocol (the session timeout is then the broker's). */
  groupProtocol?: 'classic' | 'consumer';
  /** Extra consumer properties. */
  config?: Record<string, string>;
  /** `--verbose`: every consumed record, in `records`. */
  verbose?: boolean;
}

export class VerifiableMember {
  readonly name: string;
  readonly events: ConsumerEvent[] = [];
  /** With `verbose`: every record consumed, in the order consumed. */
  readonly records: ConsumedRecord[] = [];
  readonly child: ChildProcess;
  private stderr = '';
  private readonly exited: Promise<number | null>;

  constructor(opts: MemberOptions) {
    const env = loadTestEnv();
    this.name = opts.name;
    const dir = mkdtempSync(join(tmpdir(), 'floe-vc-'));
    const props = { 'metadata.max.age.ms': '5000', ...opts.config };
    writeFileSync(join(dir, 'consumer.properties'), Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    const args = [
      '--bootstrap-server', opts.bootstrap,
      '--topic', opts.topic,
      '--group-id', opts.group,
      '--reset-policy', 'earliest',
      '--command-config', join(dir, 'consumer.properties'),
    ];
    if (opts.instanceId) args.push('--group-instance-id', opts.instanceId);
    if (opts.sessionTimeoutMs) args.push('--session-timeout', String(opts.sessionTimeoutMs));
    if (opts.assignmentStrategy) args.push('--assignment-strategy', opts.assignmentStrategy);
    if (opts.groupProtocol) args.push('--group-protocol', opts.groupProtocol);
    if (opts.verbose) args.push('--verbose');
    // The client's group coordinator logs at INFO on stderr: why it joined or lost the group.
    const log4j = join(dir, 'log4j2.properties');
    writeFileSync(log4j, COORDINATOR_LOG4J);
    const { command, args: a } = javaTool(env.java, env.kafkaClasspath, 'org.apache.kafka.tools.VerifiableConsumer', args, log4j);
    this.child = spawn(command, a, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let pending = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      pending += d.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        try {
          const e = JSON.parse(line) as Omit<ConsumerEvent, 'seq' | 'at' | 'member'> & Partial<ConsumedRecord>;
          if (e.name === 'record_data') {
            this.records.push({ seq: seq++, member: this.name, partition: e.partition!, offset: e.offset!, key: e.key ?? null, value: e.value! });
          } else {
            this.events.push({ ...e, seq: seq++, at: Date.now(), member: this.name });
          }
        } catch {
          // not an event
        }
      }
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      if (this.stderr.length > 200_000) this.stderr = this.stderr.slice(-100_000);
    });
    // 'close', not 'exit': every line it printed has been read by then.
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  /** The partitions this member holds now (from its assigned and revoked events). */
  owned(): Set<number> {
    const owned = new Set<number>();
    for (const e of this.events) {
      if (e.name === 'partitions_assigned') for (const p of e.partitions ?? []) owned.add(p.partition);
      if (e.name === 'partitions_revoked') for (const p of e.partitions ?? []) owned.delete(p.partition);
    }
    return owned;
  }

  count(name: string): number {
    return this.events.filter((e) => e.name === name).length;
  }

  /** SIGTERM: the consumer closes (commits, leaves the group unless static) and prints shutdown_complete. */
  async stop(timeoutMs = 30_000): Promise<void> {
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer); // else it keeps jest waiting after the last test
    this.kill();
  }

  /** SIGKILL: the member vanishes without a word to the group. */
  kill(): void {
    if (this.child.exitCode === null && this.child.pid) {
      this.events.push({ name: 'killed', seq: seq++, at: Date.now(), member: this.name });
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /** The client's own log lines about joining, heartbeats and its coordinator (for diagnosis). */
  groupLog(): string[] {
    // Lines start with HH:mm:ss.SSS: sorted together, members' lines interleave in time order.
    return this.stderr.split('\n').filter((l) => GROUP_LOG_LINE.test(l)).map((l) => `${l.slice(0, 12)} ${this.name} ${l.slice(13)}`);
  }

  stderrTail(): string {
    return this.stderr.slice(-4000);
  }
}

/** Waits (bounded) until `ok()` holds, polling every 200 ms. */
export async function until(ok: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!ok()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return Date.now() - start;
}

/**
 * The checks every group run must pass, over all members' events in arrival order:
 * - no partition is held by two members at once (assigned/revoked intervals);
 * - committed offsets of a partition never move back;
 * - returns, per partition, the offsets consumed (as a coverage set) for the caller's totals.
 */
export function checkGroupRun(members: readonly VerifiableMember[]): {
  overlaps: string[];
  backwardCommits: string[];
  consumed: Map<number, Set<number>>;
  committed: Map<number, number>;
} {
  const all = members.flatMap((m) => m.events).sort((a, b) => a.seq - b.seq);
  const holder = new Map<number, string>();
  const overlaps: string[] = [];
  const backwardCommits: string[] = [];
  const committed = new Map<number, number>();
  const consumed = new Map<number, Set<number>>();
  for (const e of all) {
    if (e.name === 'partitions_assigned') {
      for (const p of e.partitions ?? []) {
        const h = holder.get(p.partition);
        if (h !== undefined && h !== e.member) overlaps.push(`partition ${p.partition} assigned to ${e.member} while ${h} held it`);
        holder.set(p.partition, e.member);
      }
    } else if (e.name === 'partitions_revoked') {
      for (const p of e.partitions ?? []) if (holder.get(p.partition) === e.member) holder.delete(p.partition);
    } else if (e.name === 'offsets_committed' && e.success) {
      for (const o of e.offsets ?? []) {
        const before = committed.get(o.partition) ?? -1;
        if (o.offset < before) backwardCommits.push(`partition ${o.partition}: ${before} -> ${o.offset} by ${e.member}`);
        committed.set(o.partition, Math.max(before, o.offset));
      }
    } else if (e.name === 'records_consumed') {
      for (const p of e.partitions ?? []) {
        let set = consumed.get(p.partition);
        if (!set) consumed.set(p.partition, (set = new Set()));
        for (let o = p.minOffset!; o <= p.maxOffset!; o++) set.add(o);
      }
    } else if (e.name === 'shutdown_complete' || e.name === 'killed') {
      for (const [p, h] of holder) if (h === e.member) holder.delete(p);
    }
  }
  return { overlaps, backwardCommits, consumed, committed };
}

/** Whether the members' successful commits reached `ends` on every partition (so they consumed everything below). */
export function committedUpTo(members: readonly VerifiableMember[], ends: ReadonlyMap<number, number>): boolean {
  const committed = new Map<number, number>();
  for (const m of members) {
    for (const e of m.events) {
      if (e.name !== 'offsets_committed' || !e.success) continue;
      for (const o of e.offsets ?? []) committed.set(o.partition, Math.max(committed.get(o.partition) ?? 0, o.offset));
    }
  }
  for (const [p, end] of ends) if ((committed.get(p) ?? 0) < end) return false;
  return true;
}

/** The partitions the members hold now, sorted (a partition held twice appears twice). */
export function heldPartitions(members: readonly VerifiableMember[]): number[] {
  return members.flatMap((m) => [...m.owned()]).sort((a, b) => a - b);
}

/** The last event's sequence number so far (for counting what came after). */
export function lastSeq(members: readonly VerifiableMember[]): number {
  return Math.max(-1, ...members.flatMap((m) => m.events.map((e) => e.seq)));
}

/** partitions_assigned and partitions_revoked events after `seq`: rebalances the members went through. */
export function rebalanceEventsAfter(members: readonly VerifiableMember[], seq: number): number {
  return members.reduce((n, m) => n + m.events.filter((e) => e.seq > seq && (e.name === 'partitions_assigned' || e.name === 'partitions_revoked')).length, 0);
}

/** Commits the members saw fail (offsets_committed with success false), with their errors. */
export function failedCommits(members: readonly VerifiableMember[]): string[] {
  return members.flatMap((m) => m.events.filter((e) => e.name === 'offsets_committed' && !e.success).map((e) => `${m.name}: ${e.error ?? 'failed'}`));
}
