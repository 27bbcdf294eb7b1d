// The group coordinator of one node. Any node coordinates any group: the group lives in the
// coordination table, every change is a compare-and-swap on its version, and requests that wait
// on a barrier wait in a BarrierWatch. Nothing here knows the Kafka wire format; the broker's
// handlers translate requests and map GroupErrorKind to Kafka error codes.
import { setTimeout as sleep } from 'node:timers/promises';
import type { CoordinationStore } from '@floe/coordination';
import { BarrierWatch } from './barrier-watch.ts';
import {
  checkCommit,
  heartbeat,
  join,
  joinWaitResult,
  leave,
  sync,
  syncWaitResult,
  tick,
  type HeartbeatRequest,
  type JoinRequest,
  type JoinStep,
  type LeavingMember,
  type SyncRequest,
  type SyncStep,
} from './classic-protocol.ts';
import { GroupError } from './errors.ts';
import { cloneGroup, DEFAULT_GROUP_SETTINGS, findMember, newGroup, type Group, type GroupErrorKind, type GroupSettings } from './group-model.ts';
import { GroupTable, isConsumerGroup, VersionConflict, type AnyGroup, type CommittedOffset } from './group-table.ts';
import type { AssignorTopic } from './assignors.ts';
import {
  checkConsumerCommit,
  consumerHeartbeat,
  consumerGroupState,
  DEFAULT_CONSUMER_GROUP_SETTINGS,
  expireConsumers,
  newConsumerGroup,
  type ConsumerGroupSettings,
  type ConsumerHeartbeatRequest,
  type ConsumerHeartbeatResponse,
} from './consumer-group.ts';

export interface GroupCoordinatorOptions {
  store: CoordinationStore;
  settings?: Partial<GroupSettings>;
  consumerSettings?: Partial<ConsumerGroupSettings>;
  /** How often a node re-reads a group while requests wait on a barrier another node may close. */
  pollMs?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

/** Attempts of one compare-and-swap before giving up with coordinator-not-available. */
const MAX_ATTEMPTS = 40;
/** Margin past a barrier's own deadline before a waiter is told to retry: the barrier normally answers first. */
const WAIT_MARGIN_MS = 2_000;

export interface GroupSummary {
  groupId: string;
  /** "classic" (JoinGroup/SyncGroup) or "consumer" (KIP-848). */
  type: 'classic' | 'consumer';
  protocolType: string;
  state: string;
}

export type OffsetCommitOutcome = GroupErrorKind | null;

export class GroupCoordinator {
  readonly settings: GroupSettings;
  readonly consumerSettings: ConsumerGroupSettings;
  private readonly table: GroupTable;
  private readonly watch: BarrierWatch;
  private readonly now: () => number;
  /** Serializes this node's changes to a group: its own requests never race each other's CAS. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(opts: GroupCoordinatorOptions) {
    this.settings = { ...DEFAULT_GROUP_SETTINGS, ...opts.settings };
    this.consumerSettings = { ...DEFAULT_CONSUMER_GROUP_SETTINGS, ...opts.consumerSettings };
    this.table = new GroupTable(opts.store);
    this.now = opts.now ?? Date.now;
    this.watch = new BarrierWatch({
      pollMs: opts.pollMs ?? 200,
      now: this.now,
      read: async (groupId) => {
        const stored = await this.table.read(groupId);
        return { group: classicOnly(stored?.group), version: stored?.version ?? 0 };
      },
      tick: async (groupId) => {
        await this.mutate(groupId, false, (g, now) => tick(g, now), () => undefined);
      },
      onError: opts.onError ?? (() => undefined),
    });
  }

  /**
   * Reads the group, lets `step` decide on a copy what to answer and which group to write, and
   * writes it if it differs from what was read, retrying on a lost compare-and-swap.
   */
  private mutateAny<R>(
    groupId: string,
    step: (current: AnyGroup | undefined, now: number) => { result: R; write: AnyGroup | undefined },
  ): Promise<{ result: R; group: AnyGroup | undefined; version: number }> {
    const previous = this.queues.get(groupId) ?? Promise.resolve();
    const run = previous.then(async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const stored = await this.table.read(groupId);
        const now = this.now();
        const before = stored ? JSON.stringify(stored.group, bytesAsHex) : undefined;
        const draft = stored ? (isConsumerGroup(stored.group) ? structuredClone(stored.group) : cloneGroup(stored.group)) : undefined;
        const { result, write } = step(draft, now);
        if (write === undefined || JSON.stringify(write, bytesAsHex) === before) {
          this.watch.publish(groupId, classicOnly(stored?.group), stored?.version ?? 0);
          return { result, group: stored?.group, version: stored?.version ?? 0 };
        }
        try {
          const version = await this.table.write(write, stored?.version);
          this.watch.publish(groupId, classicOnly(write), version);
          return { result, group: write, version };
        } catch (err) {
          if (!(err instanceof VersionConflict)) throw err;
          await sleep(2 + Math.random() * 10 * Math.min(attempt + 1, 5));
        }
      }
      throw new GroupError('coordinator-not-available', `group "${groupId}": too many concurrent changes`);
    });
    const tail = run.catch(() => undefined);
    this.queues.set(groupId, tail);
    void tail.then(() => {
      if (this.queues.get(groupId) === tail) this.queues.delete(groupId);
    });
    return run;
  }

  /**
   * A classic-protocol step: the group is created only when `create` says so; a consumer-protocol
   * group with members answers `otherProtocol()`, an empty one is treated as absent (a step that
   * creates the group converts it, keeping its offsets).
   */
  private async mutate<R>(
    groupId: string,
    create: boolean | ((result: R) => boolean),
    step: (g: Group, now: number, exists: boolean) => R,
    otherProtocol: () => R | undefined,
  ): Promise<{ result: R; group: Group | undefined; version: number }> {
    const out = await this.mutateAny(groupId, (current, now) => {
      if (isConsumerGroup(current)) {
        expireConsumers(current, this.consumerSettings, now);
        if (current.members.length > 0) return { result: otherProtocol() ?? step(newGroup(groupId, now), now, false), write: undefined };
        current = undefined; // an empty consumer group becomes a classic one, keeping its offsets
      }
      const draft = current ?? newGroup(groupId, now);
      const result = step(draft, now, current !== undefined);
      const shouldCreate = typeof create === 'function' ? create(result) : create;
      return { result, write: current !== undefined || shouldCreate ? draft : undefined };
    });
    return { ...out, group: classicOnly(out.group) };
  }

  async join(req: JoinRequest, signal?: AbortSignal): Promise<Exclude<JoinStep, { kind: 'wait' }>> {
    if (req.groupId === '') return { kind: 'error', error: 'invalid-group-id', memberId: req.memberId };
    const { result, group, version } = await this.mutate(
      req.groupId,
      (r: JoinStep) => r.kind !== 'error' || r.error === 'member-id-required',
      (g, now) => join(g, req, this.settings, now),
      () => ({ kind: 'error', error: 'inconsistent-group-protocol', memberId: req.memberId }) as JoinStep,
    );
    if (result.kind !== 'wait') return result;
    const { memberId, generation } = result;
    const m = group && findMember(group, memberId);
    const rebalanceMs = Math.max(req.rebalanceMs, group?.rebalanceDeadline ? group.rebalanceDeadline - this.now() : 0);
    return this.watch.wait<Exclude<JoinStep, { kind: 'wait' }>>(
      req.groupId,
      group,
      version,
      {
        check: (g) => joinWaitResult(g, memberId, generation) as Exclude<JoinStep, { kind: 'wait' }> | undefined,
        deadline: this.now() + Math.max(rebalanceMs, m?.rebalanceMs ?? 0) + WAIT_MARGIN_MS,
        // Past the barrier's own deadline (a safety net): find the coordinator and rejoin, which
        // every client does silently (librdkafka reports REBALANCE_IN_PROGRESS on a JoinGroup to
        // the application).
        onTimeout: () => ({ kind: 'error', error: 'coordinator-not-available', memberId }),
        onClose: () => ({ kind: 'error', error: 'not-coordinator', memberId }),
      },
      signal,
    );
  }

  async sync(req: SyncRequest, signal?: AbortSignal): Promise<Exclude<SyncStep, { kind: 'wait' }>> {
    if (req.groupId === '') return { kind: 'error', error: 'invalid-group-id' };
    const { result, group, version } = await this.mutate(
      req.groupId,
      false,
      (g, now, exists) => sync(exists ? g : undefined, req, now),
      () => ({ kind: 'error', error: 'unknown-member-id' }) as SyncStep,
    );
    if (result.kind !== 'wait') return result;
    const m = group && findMember(group, req.memberId);
    const patience = Math.max(m?.rebalanceMs ?? 0, Math.ceil((m?.sessionMs ?? 0) * 1.25));
    return this.watch.wait<Exclude<SyncStep, { kind: 'wait' }>>(
      req.groupId,
      group,
      version,
      {
        check: (g) => syncWaitResult(g, req.memberId, result.generation) as Exclude<SyncStep, { kind: 'wait' }> | undefined,
        deadline: this.now() + patience + WAIT_MARGIN_MS,
        onTimeout: () => ({ kind: 'error', error: 'rebalance-in-progress' }),
        onClose: () => ({ kind: 'error', error: 'not-coordinator' }),
      },
      signal,
    );
  }

  async heartbeat(req: HeartbeatRequest): Promise<GroupErrorKind | null> {
    if (req.groupId === '') return 'invalid-group-id';
    const { result } = await this.mutate(
      req.groupId,
      false,
      (g, now, exists) => heartbeat(exists ? g : undefined, req, now).error,
      () => 'unknown-member-id' as const,
    );
    return result;
  }

  /** Members leaving (LeaveGroup): one answer per member, or a group-level error. */
  async leave(groupId: string, members: readonly LeavingMember[]): Promise<{ error: GroupErrorKind | null; members: (GroupErrorKind | null)[] }> {
    if (groupId === '') return { error: 'invalid-group-id', members: [] };
    type Outcome = { error: GroupErrorKind | null; members: (GroupErrorKind | null)[] };
    const { result } = await this.mutate<Outcome>(
      groupId,
      false,
      (g, now, exists): Outcome =>
        exists ? { error: null, members: leave(g, members, now) } : { error: 'unknown-member-id', members: [] },
      () => ({ error: 'unknown-member-id', members: [] }),
    );
    return result;
  }

  /** The group as it stands (due expiries applied), of either protocol, or undefined if there is none. */
  async describe(groupId: string): Promise<AnyGroup | undefined> {
    return (await this.describeVersioned(groupId)).group;
  }

  private async describeVersioned(groupId: string): Promise<{ group: AnyGroup | undefined; version: number }> {
    const { group, version } = await this.mutateAny(groupId, (g, now) => {
      if (g === undefined) return { result: undefined, write: undefined };
      if (isConsumerGroup(g)) expireConsumers(g, this.consumerSettings, now);
      else tick(g, now);
      return { result: undefined, write: g };
    });
    return { group, version };
  }

  async list(): Promise<GroupSummary[]> {
    const ids = await this.table.list();
    const out: (GroupSummary | undefined)[] = new Array(ids.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(16, ids.length) }, async () => {
        while (next < ids.length) {
          const i = next++;
          const g = await this.describe(ids[i]!);
          out[i] = g && summarize(g);
        }
      }),
    );
    return out.filter((s): s is GroupSummary => s !== undefined);
  }

  /** Deletes an empty group and its offsets. */
  async deleteGroup(groupId: string): Promise<GroupErrorKind | null> {
    if (groupId === '') return 'invalid-group-id';
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      // One read: the group as it stands (expiries applied) with the version to delete at.
      const { group, version } = await this.describeVersioned(groupId);
      if (!group) return 'group-id-not-found';
      if (isConsumerGroup(group) ? group.members.length > 0 : group.state !== 'Empty') return 'non-empty-group';
      try {
        await this.table.deleteGroup(groupId, version);
        this.watch.publish(groupId, undefined, version + 1);
        return null;
      } catch (err) {
        if (!(err instanceof VersionConflict)) throw err;
      }
    }
    return 'coordinator-not-available';
  }

  /**
   * Commits offsets for a group member (or for no member: an admin or standalone commit, which
   * creates the group if needed). The write carries a check of the group's version, so a commit
   * never lands after a rebalance it did not see.
   */
  async commitOffsets(
    groupId: string,
    member: { generation: number; memberId: string; instanceId: string | null },
    offsets: readonly CommittedOffset[],
  ): Promise<OffsetCommitOutcome> {
    if (groupId === '') return 'invalid-group-id';
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const { result, version } = await this.mutateAny(groupId, (current, now) => {
        if (isConsumerGroup(current)) {
          expireConsumers(current, this.consumerSettings, now);
          return { result: checkConsumerCommit(current, member.memberId, member.generation), write: current };
        }
        const draft = current ?? newGroup(groupId, now);
        const r = checkCommit(current, member.generation, member.memberId, member.instanceId, now);
        return { result: r, write: current !== undefined || r === null ? draft : undefined };
      });
      if (result !== null) return result;
      if (offsets.length === 0) return null;
      try {
        await this.table.commitOffsets(groupId, version, offsets);
        return null;
      } catch (err) {
        if (!(err instanceof VersionConflict)) throw err;
      }
    }
    return 'coordinator-not-available';
  }

  /** Every committed offset of the group (none if there is no group). */
  async fetchOffsets(groupId: string): Promise<CommittedOffset[]> {
    return this.table.readOffsets(groupId);
  }

  /**
   * Whether a consumer-protocol member may fetch the group's offsets (OffsetFetch v9 names the
   * member and its epoch): the same check as its commits. Classic groups and requests without a
   * member are not checked.
   */
  async checkOffsetFetch(groupId: string, memberId: string, memberEpoch: number): Promise<GroupErrorKind | null> {
    const stored = await this.table.read(groupId);
    if (!isConsumerGroup(stored?.group)) return null;
    const g = structuredClone(stored.group);
    expireConsumers(g, this.consumerSettings, this.now());
    return checkConsumerCommit(g, memberId, memberEpoch);
  }

  /**
   * OffsetDelete: removes the offsets of the given partitions. A group with members keeps the
   * offsets of topics it is subscribed to (`subscribedTopics` reads them from the members'
   * protocol metadata; undefined: this protocol type carries no subscription).
   */
  async deleteOffsets(
    groupId: string,
    partitions: readonly { topic: string; partition: number }[],
    subscribedTopics: (g: AnyGroup) => Set<string> | undefined,
  ): Promise<{ error: GroupErrorKind | null; subscribed: Set<string> }> {
    const group = await this.describe(groupId);
    if (!group) return { error: 'group-id-not-found', subscribed: new Set() };
    let subscribed = new Set<string>();
    if (isConsumerGroup(group) ? group.members.length > 0 : group.state !== 'Empty') {
      const topics = subscribedTopics(group);
      if (topics === undefined) return { error: 'non-empty-group', subscribed };
      subscribed = topics;
    }
    await this.table.deleteOffsets(
      groupId,
      partitions.filter((p) => !subscribed.has(p.topic)),
    );
    return { error: null, subscribed };
  }

  /**
   * ConsumerGroupHeartbeat (KIP-848). `topics` are the cluster's topics by name (the assignor
   * and regex subscriptions need them). An empty classic group (one that only holds offsets)
   * becomes a consumer group; a classic group with members refuses.
   */
  async consumerHeartbeat(req: ConsumerHeartbeatRequest, topics: ReadonlyMap<string, AssignorTopic>): Promise<ConsumerHeartbeatResponse> {
    if (req.groupId === '') return { error: 'invalid-request', message: 'empty group id', memberId: null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: undefined };
    const { result } = await this.mutateAny(req.groupId, (current, now) => {
      if (current !== undefined && !isConsumerGroup(current)) {
        tick(current, now);
        if (current.members.length > 0 || current.pending.length > 0) {
          const failure: ConsumerHeartbeatResponse = {
            error: 'group-id-not-found',
            message: `group "${req.groupId}" is a classic group with members`,
            memberId: req.memberId || null,
            memberEpoch: -1,
            heartbeatIntervalMs: 0,
            assignment: undefined,
          };
          return { result: failure, write: current };
        }
        current = undefined;
      }
      if (current === undefined && req.memberEpoch !== 0) {
        const unknown: ConsumerHeartbeatResponse = {
          error: 'unknown-member-id',
          message: `group "${req.groupId}" has no member "${req.memberId}"`,
          memberId: req.memberId || null,
          memberEpoch: -1,
          heartbeatIntervalMs: 0,
          assignment: undefined,
        };
        return { result: unknown, write: undefined };
      }
      const draft = current ?? newConsumerGroup(req.groupId, now);
      const result = consumerHeartbeat(draft, req, topics, this.consumerSettings, now);
      return { result, write: current !== undefined || result.error === null ? draft : undefined };
    });
    return result;
  }

  /** Answers every waiting request NOT_COORDINATOR (they find the coordinator again) and stops waiting. */
  close(): void {
    this.watch.close();
  }
}

/** What classic-group waiters may see: a group that turned into a consumer group is gone for them. */
function classicOnly(g: AnyGroup | undefined): Group | undefined {
  return isConsumerGroup(g) ? undefined : g;
}

function summarize(g: AnyGroup): GroupSummary {
  if (isConsumerGroup(g)) return { groupId: g.groupId, type: 'consumer', protocolType: 'consumer', state: consumerGroupState(g) };
  return { groupId: g.groupId, type: 'classic', protocolType: g.protocolType, state: g.state };
}

/** JSON.stringify replacer that keeps byte arrays comparable (a change of assignment is a change). */
function bytesAsHex(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  // Buffers reach the replacer already turned into { type: 'Buffer', data } by their toJSON.
  const b = value as { type?: unknown; data?: unknown } | null;
  if (b && typeof b === 'object' && b.type === 'Buffer' && Array.isArray(b.data)) return Buffer.from(b.data as number[]).toString('hex');
  return value;
}
