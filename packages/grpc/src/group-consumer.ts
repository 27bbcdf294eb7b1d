// Records.Consume: a gRPC client consuming as a member of a consumer group. The node is the
// member's client side of the consumer group protocol (KIP-848): it heartbeats for the stream,
// takes the partitions the coordinator assigns, streams their records from the group's committed
// offsets, and commits what the client reports processed, with the member's epoch, so commits are
// checked exactly like a Kafka consumer's. Kafka consumers with group.protocol=consumer in the
// same group share the partitions with it.
//
// Revocation follows the protocol's order: records of a revoked partition stop at once, the
// client hears of it (a ConsumeAssignment listing it), commits and acknowledges; only then (or
// when the rebalance timeout runs out) does the next heartbeat report the partition released, so
// its next owner starts from what this member committed.
import { randomUUID } from 'node:crypto';
import type { AssignorTopic, CommittedOffset, ConsumerHeartbeatRequest, ConsumerHeartbeatResponse, GroupErrorKind } from '@floe/groups';
import type { FloeLog, PartitionRef } from '@floe/log';
import { LogError } from '@floe/log';
import { status } from '@grpc/grpc-js';
import { floe } from './protos.ts';
import { TAIL_WAIT_MS, unknownFields, type RecordsService } from './records-service.ts';
import { GrpcStatusError, invalidArgument } from './status.ts';

/** What Consume needs of the group coordinator (@floe/groups' GroupCoordinator fits). */
export interface GroupMembership {
  consumerHeartbeat(req: ConsumerHeartbeatRequest, topics: ReadonlyMap<string, AssignorTopic>): Promise<ConsumerHeartbeatResponse>;
  commitOffsets(groupId: string, member: { generation: number; memberId: string; instanceId: string | null }, offsets: readonly CommittedOffset[]): Promise<GroupErrorKind | null>;
  fetchOffsets(groupId: string): Promise<CommittedOffset[]>;
}

export const DEFAULT_REBALANCE_TIMEOUT_MS = 30_000;
export const MAX_REBALANCE_TIMEOUT_MS = 300_000;
/** Until the coordinator says otherwise (its first answer carries the interval). */
const FIRST_HEARTBEAT_INTERVAL_MS = 1_000;
/** A heartbeat the table refused (unreachable) is tried again this soon. */
const HEARTBEAT_RETRY_MS = 1_000;

interface OwnedPartition {
  topic: string;
  ref: PartitionRef;
  /** The next offset to send; undefined until read from the group's committed offsets. */
  position: number | undefined;
  /** Revoked: no more records are sent; held until the client acknowledges or time runs out. */
  revoking: boolean;
}

export interface ConsumeSession {
  /** A ConsumeCommit from the client; handled in arrival order. */
  commit(c: floe.v1.IConsumeCommit): Promise<void>;
  /** Runs until `signal` aborts (client gone, server closing), then leaves the group. */
  run(signal: AbortSignal): Promise<void>;
}

export interface ConsumeDeps {
  log: FloeLog;
  records: RecordsService;
  groups: GroupMembership;
  /** The client's address, shown in the group's description. */
  clientHost: string;
}

const key = (topicId: string, partition: number) => `${topicId}:${partition}`;

/** Checks a ConsumeSubscribe; INVALID_ARGUMENT / NOT_FOUND for a bad one. */
export async function openConsumeSession(
  deps: ConsumeDeps,
  sub: floe.v1.IConsumeSubscribe & { $unknowns?: Uint8Array[] },
  send: (m: floe.v1.IConsumeResponse, signal: AbortSignal) => Promise<void>,
): Promise<ConsumeSession> {
  unknownFields(sub, 'ConsumeSubscribe');
  const groupId = sub.groupId ?? '';
  if (groupId === '') throw invalidArgument('ConsumeSubscribe needs a group_id');
  const topicNames = [...new Set(sub.topics ?? [])];
  if (topicNames.length === 0) throw invalidArgument('ConsumeSubscribe needs at least one topic');
  // A name no topic has is refused (NOT_FOUND) rather than waited for: a typo would otherwise
  // consume nothing, silently.
  for (const t of topicNames) await deps.records.topic(t);
  const maxBytes = deps.records.maxBytesOf(sub.maxBytes);
  const reset = sub.reset ?? floe.v1.StartPosition.START_POSITION_UNSPECIFIED;
  if (!(reset in floe.v1.StartPosition)) throw invalidArgument(`reset must be EARLIEST or LATEST, not ${reset}`);
  const rebalanceTimeoutMs = sub.rebalanceTimeoutMs ?? 0;
  if (!Number.isInteger(rebalanceTimeoutMs) || rebalanceTimeoutMs < 0 || rebalanceTimeoutMs > MAX_REBALANCE_TIMEOUT_MS) {
    throw invalidArgument(`rebalance_timeout_ms must be 0 to ${MAX_REBALANCE_TIMEOUT_MS}, not ${rebalanceTimeoutMs}`);
  }
  return new GroupConsumer(deps, {
    groupId,
    topicNames,
    maxBytes,
    earliest: reset === floe.v1.StartPosition.START_POSITION_EARLIEST,
    assignor: sub.assignor ? sub.assignor : null,
    rebalanceTimeoutMs: rebalanceTimeoutMs === 0 ? DEFAULT_REBALANCE_TIMEOUT_MS : rebalanceTimeoutMs,
  }, send);
}

interface Settings {
  groupId: string;
  topicNames: string[];
  maxBytes: number;
  earliest: boolean;
  assignor: string | null;
  rebalanceTimeoutMs: number;
}

/** The consumer protocol's errors as gRPC statuses (those a rejoin does not cure). */
function heartbeatFailure(r: ConsumerHeartbeatResponse): GrpcStatusError {
  const message = r.message ?? r.error ?? 'refused';
  switch (r.error) {
    case 'group-id-not-found':
      return new GrpcStatusError(status.FAILED_PRECONDITION, message);
    case 'group-max-size-reached':
      return new GrpcStatusError(status.RESOURCE_EXHAUSTED, message);
    default:
      return new GrpcStatusError(status.INVALID_ARGUMENT, message);
  }
}

class GroupConsumer implements ConsumeSession {
  private readonly memberId = randomUUID();
  private memberEpoch = 0;
  private heartbeatIntervalMs = FIRST_HEARTBEAT_INTERVAL_MS;
  private readonly owned = new Map<string, OwnedPartition>();
  private assignmentId = 0;
  /** The assignment that revoked partitions, and when they are released without an answer. */
  private revocation: { id: number; deadline: number } | undefined;
  /** Aborted to wake the fetch loop (assignment changed) or the heartbeat loop (heartbeat now). */
  private fetchWake = new AbortController();
  private heartbeatWake = new AbortController();
  /** Set when a loop fails: the stream ends with it. */
  private failure: unknown;
  /** Aborted when the session ends, for whatever reason. */
  private readonly stop = new AbortController();

  private readonly deps: ConsumeDeps;
  private readonly s: Settings;
  private readonly send: (m: floe.v1.IConsumeResponse, signal: AbortSignal) => Promise<void>;

  constructor(deps: ConsumeDeps, s: Settings, send: (m: floe.v1.IConsumeResponse, signal: AbortSignal) => Promise<void>) {
    this.deps = deps;
    this.s = s;
    this.send = send;
  }

  async run(signal: AbortSignal): Promise<void> {
    const onAbort = () => this.stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const fail = (err: unknown) => {
      this.failure ??= err;
      this.stop.abort();
    };
    try {
      await Promise.all([this.heartbeatLoop(this.stop.signal).catch(fail), this.fetchLoop(this.stop.signal).catch(fail)]);
    } finally {
      signal.removeEventListener('abort', onAbort);
      await this.leave();
    }
    if (this.failure !== undefined) throw this.failure;
  }

  /**
   * Writes a message; resolves when the stream may take the next (flow control) or the session
   * stops. The write itself happens now, so messages keep the order of the calls.
   */
  private write(m: floe.v1.IConsumeResponse): Promise<void> {
    if (this.stop.signal.aborted) return Promise.resolve();
    return this.send(m, this.stop.signal);
  }

  async commit(c: floe.v1.IConsumeCommit & { $unknowns?: Uint8Array[] }): Promise<void> {
    unknownFields(c, 'ConsumeCommit');
    const accepted: CommittedOffset[] = [];
    const answer: floe.v1.IConsumeCommitted = { offsets: [], refused: [] };
    const now = Date.now();
    for (const o of c.offsets ?? []) {
      const offset = Number(o.offset ?? 0);
      if (!Number.isSafeInteger(offset) || offset < 0) throw invalidArgument(`commit offset must be 0 to 2^53-1, not ${o.offset}`);
      const held = [...this.owned.values()].find((p) => p.topic === o.topic && p.ref.partition === o.partition);
      if (!held) {
        answer.refused!.push(o);
        continue;
      }
      accepted.push({ topic: held.topic, partition: held.ref.partition, offset: BigInt(offset), leaderEpoch: -1, metadata: null, commitTimestamp: now, topicId: held.ref.topicId });
      answer.offsets!.push(o);
    }
    if (accepted.length > 0) {
      const outcome = await this.deps.groups.commitOffsets(this.s.groupId, { generation: this.memberEpoch, memberId: this.memberId, instanceId: null }, accepted);
      if (outcome === 'coordinator-not-available' || outcome === 'not-coordinator') {
        throw new GrpcStatusError(status.UNAVAILABLE, `the commit to group "${this.s.groupId}" could not be written; commit again`);
      }
      if (outcome !== null) {
        // Fenced or stale: the member lost the partitions (the heartbeat loop rejoins).
        answer.refused!.push(...answer.offsets!);
        answer.offsets = [];
      }
    }
    const ack = Number(c.acknowledgedAssignmentId ?? 0);
    if (this.revocation && ack >= this.revocation.id) this.release();
    await this.write({ committed: answer });
  }

  /** Drops the revoked partitions and tells the coordinator at once. */
  private release(): void {
    for (const [k, p] of this.owned) if (p.revoking) this.owned.delete(k);
    this.revocation = undefined;
    this.heartbeatWake.abort();
  }

  private ownedAssignment(): Record<string, number[]> {
    const a: Record<string, number[]> = {};
    for (const p of this.owned.values()) (a[p.ref.topicId] ??= []).push(p.ref.partition);
    return a;
  }

  private async topicsByName(): Promise<Map<string, AssignorTopic>> {
    const all = await this.deps.log.topics.list();
    return new Map(all.map((t) => [t.name, { id: t.id, name: t.name, partitions: t.partitions }]));
  }

  private async heartbeatLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let wait = this.heartbeatIntervalMs;
      try {
        await this.heartbeat();
      } catch (err) {
        if (err instanceof GrpcStatusError) throw err;
        wait = HEARTBEAT_RETRY_MS; // the table was unreachable: the session timeout allows retries
      }
      if (this.revocation) {
        if (Date.now() >= this.revocation.deadline) {
          this.release();
          continue;
        }
        wait = Math.min(wait, this.revocation.deadline - Date.now());
      }
      if (this.heartbeatWake.signal.aborted) this.heartbeatWake = new AbortController();
      await sleep(wait, AbortSignal.any([signal, this.heartbeatWake.signal]));
    }
  }

  private async heartbeat(): Promise<void> {
    const joining = this.memberEpoch === 0;
    const topics = await this.topicsByName();
    const r = await this.deps.groups.consumerHeartbeat(
      {
        groupId: this.s.groupId,
        memberId: this.memberId,
        memberEpoch: this.memberEpoch,
        instanceId: null,
        rackId: null,
        rebalanceTimeoutMs: joining ? this.s.rebalanceTimeoutMs : -1,
        subscribedTopicNames: joining ? this.s.topicNames : null,
        subscribedTopicRegex: null,
        serverAssignor: joining ? this.s.assignor : null,
        ownedPartitions: this.ownedAssignment(),
        clientId: 'floe-grpc',
        clientHost: this.deps.clientHost,
      },
      topics,
    );
    if (r.error === 'unknown-member-id' || r.error === 'fenced-member-epoch') {
      // The coordinator dropped the member (it missed its session, say): its partitions may be
      // another member's already. Lose them without waiting and join again.
      this.lose();
      this.memberEpoch = 0;
      this.heartbeatWake.abort();
      return;
    }
    if (r.error !== null) throw heartbeatFailure(r);
    this.memberEpoch = r.memberEpoch;
    if (r.heartbeatIntervalMs > 0) this.heartbeatIntervalMs = r.heartbeatIntervalMs;
    if (r.assignment !== undefined) this.reconcile(r.assignment, topics);
  }

  /** Moves to the coordinator's assignment for this member: new partitions start, removed ones are revoked. */
  private reconcile(target: Record<string, number[]>, topics: Map<string, AssignorTopic>): void {
    const names = new Map([...topics.values()].map((t) => [t.id, t.name]));
    const wanted = new Set<string>();
    let changed = false;
    for (const [topicId, partitions] of Object.entries(target)) {
      const name = names.get(topicId);
      if (name === undefined) continue; // deleted since the assignment was made
      for (const partition of partitions) {
        const k = key(topicId, partition);
        wanted.add(k);
        const held = this.owned.get(k);
        if (held?.revoking) {
          held.revoking = false; // given back before it was released: keep reading it
          changed = true;
        } else if (!held) {
          this.owned.set(k, { topic: name, ref: { topicId, partition }, position: undefined, revoking: false });
          changed = true;
        }
      }
    }
    let revoked = false;
    for (const [k, p] of this.owned) {
      if (!wanted.has(k) && !p.revoking) {
        p.revoking = true;
        revoked = true;
        changed = true;
      }
    }
    if (!changed) return;
    const id = ++this.assignmentId;
    if (revoked || this.revocation) this.revocation = { id, deadline: Date.now() + this.s.rebalanceTimeoutMs };
    if (![...this.owned.values()].some((p) => p.revoking)) this.revocation = undefined;
    this.fetchWake.abort();
    this.sendAssignment(id);
  }

  private lose(): void {
    if (this.owned.size === 0) return;
    this.owned.clear();
    this.revocation = undefined;
    this.fetchWake.abort();
    this.sendAssignment(++this.assignmentId);
  }

  /** Written without waiting for flow control: heartbeats must not stall behind a slow reader. */
  private sendAssignment(id: number): void {
    const group = (revoking: boolean) => {
      const byTopic = new Map<string, number[]>();
      for (const p of this.owned.values()) if (p.revoking === revoking) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.ref.partition]);
      return [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
    };
    void this.write({ assignment: { assignmentId: id, memberId: this.memberId, memberEpoch: this.memberEpoch, owned: group(false), revoked: group(true) } });
  }

  /**
   * Positions the newly owned partitions (one read of the group's offsets for all): the
   * committed offset if it is inside the log, else the reset position.
   */
  private async positionNew(): Promise<void> {
    const fresh = [...this.owned.values()].filter((p) => p.position === undefined && !p.revoking);
    if (fresh.length === 0) return;
    const committed = await this.deps.groups.fetchOffsets(this.s.groupId);
    for (const p of fresh) {
      const c = committed.find((x) => x.topicId === p.ref.topicId && x.partition === p.ref.partition);
      const { logStartOffset, highWatermark } = await this.deps.log.offsets(p.ref);
      const at = c === undefined ? -1 : Number(c.offset);
      p.position = at >= logStartOffset && at <= highWatermark ? at : this.s.earliest ? logStartOffset : highWatermark;
    }
  }

  private async fetchLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (this.fetchWake.signal.aborted) this.fetchWake = new AbortController();
      const wake = this.fetchWake.signal;
      let progressed = false;
      const watches: { ref: PartitionRef; offset: number }[] = [];
      await this.positionNew();
      for (const [k, p] of [...this.owned]) {
        if (signal.aborted) return;
        if (p.revoking || this.owned.get(k) !== p || p.position === undefined) continue;
        let got;
        try {
          got = await this.deps.records.readFrom(p.ref, p.position, this.s.maxBytes);
        } catch (err) {
          // Deleted records (DeleteRecords, retention) under the position: reset as Kafka does.
          if (err instanceof GrpcStatusError && err.code === status.OUT_OF_RANGE) {
            p.position = undefined;
            continue;
          }
          if (err instanceof LogError && err.kind === 'unknown-topic-or-partition') continue;
          throw err;
        }
        // Revoked (or lost) while reading: its records are not this member's to send.
        if (p.revoking || this.owned.get(k) !== p || signal.aborted) continue;
        if (got.records.length > 0) {
          await this.write({ records: { topic: p.topic, partition: p.ref.partition, records: got.records, highWatermark: got.highWatermark } });
        }
        if (got.nextOffset > p.position) {
          p.position = got.nextOffset;
          progressed = true;
        }
        watches.push({ ref: p.ref, offset: p.position });
      }
      if (!progressed) {
        const until = AbortSignal.any([signal, wake]);
        if (watches.length === 0) await sleep(TAIL_WAIT_MS, until);
        else await this.deps.log.waitForData(watches, TAIL_WAIT_MS, until);
      }
    }
  }

  /** Leaves the group (member epoch -1) so the partitions move at once. */
  private async leave(): Promise<void> {
    if (this.memberEpoch === 0) return;
    try {
      await this.deps.groups.consumerHeartbeat(
        {
          groupId: this.s.groupId,
          memberId: this.memberId,
          memberEpoch: -1,
          instanceId: null,
          rackId: null,
          rebalanceTimeoutMs: -1,
          subscribedTopicNames: null,
          subscribedTopicRegex: null,
          serverAssignor: null,
          ownedPartitions: null,
          clientId: 'floe-grpc',
          clientHost: this.deps.clientHost,
        },
        await this.topicsByName(),
      );
    } catch {
      // The session timeout removes the member instead.
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
