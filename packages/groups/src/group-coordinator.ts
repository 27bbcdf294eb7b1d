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
import { GroupTable, VersionConflict, type CommittedOffset } from './group-table.ts';

export interface GroupCoordinatorOptions {
  store: CoordinationStore;
  settings?: Partial<GroupSettings>;
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
  protocolType: string;
  state: Group['state'] | 'Dead';
}

export type OffsetCommitOutcome = GroupErrorKind | null;

export class GroupCoordinator {
  readonly settings: GroupSettings;
  private readonly table: GroupTable;
  private readonly watch: BarrierWatch;
  private readonly now: () => number;
  /** Serializes this node's changes to a group: its own requests never race each other's CAS. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(opts: GroupCoordinatorOptions) {
    this.settings = { ...DEFAULT_GROUP_SETTINGS, ...opts.settings };
    this.table = new GroupTable(opts.store);
    this.now = opts.now ?? Date.now;
    this.watch = new BarrierWatch({
      pollMs: opts.pollMs ?? 200,
      now: this.now,
      read: async (groupId) => {
        const stored = await this.table.read(groupId);
        return { group: stored?.group, version: stored?.version ?? 0 };
      },
      tick: async (groupId) => {
        await this.mutate(groupId, false, (g, now) => tick(g, now));
      },
      onError: opts.onError ?? (() => undefined),
    });
  }

  /**
   * Reads the group, applies `step` to a copy and writes it back if it changed, retrying on a
   * lost compare-and-swap. A group that does not exist is created only when `create` says so.
   */
  private mutate<R>(
    groupId: string,
    create: boolean | ((result: R) => boolean),
    step: (g: Group, now: number, exists: boolean) => R,
  ): Promise<{ result: R; group: Group | undefined; version: number }> {
    const previous = this.queues.get(groupId) ?? Promise.resolve();
    const run = previous.then(async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const stored = await this.table.read(groupId);
        const now = this.now();
        const draft = stored ? cloneGroup(stored.group) : newGroup(groupId, now);
        const before = stored ? JSON.stringify(stored.group, bytesAsHex) : undefined;
        const result = step(draft, now, stored !== undefined);
        const write = stored
          ? JSON.stringify(draft, bytesAsHex) !== before
          : typeof create === 'function'
            ? create(result)
            : create;
        if (!write) {
          this.watch.publish(groupId, stored?.group, stored?.version ?? 0);
          return { result, group: stored?.group, version: stored?.version ?? 0 };
        }
        try {
          const version = await this.table.write(draft, stored?.version);
          this.watch.publish(groupId, draft, version);
          return { result, group: draft, version };
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

  async join(req: JoinRequest, signal?: AbortSignal): Promise<Exclude<JoinStep, { kind: 'wait' }>> {
    if (req.groupId === '') return { kind: 'error', error: 'invalid-group-id', memberId: req.memberId };
    const { result, group, version } = await this.mutate(
      req.groupId,
      (r: JoinStep) => r.kind !== 'error' || r.error === 'member-id-required',
      (g, now) => join(g, req, this.settings, now),
    );
    if (result.kind !== 'wait') return result;
    const { memberId, generation } = result;
    const m = group && findMember(group, memberId);
    const rebalanceMs = Math.max(req.rebalanceMs, group?.rebalanceDeadline ? group.rebalanceDeadline - this.now() : 0);
    return this.watch.wait(
      req.groupId,
      group,
      version,
      {
        check: (g) => joinWaitResult(g, memberId, generation) as Exclude<JoinStep, { kind: 'wait' }> | undefined,
        deadline: this.now() + Math.max(rebalanceMs, m?.rebalanceMs ?? 0) + WAIT_MARGIN_MS,
        onTimeout: () => ({ kind: 'error', error: 'rebalance-in-progress', memberId }),
      },
      signal,
    );
  }

  async sync(req: SyncRequest, signal?: AbortSignal): Promise<Exclude<SyncStep, { kind: 'wait' }>> {
    if (req.groupId === '') return { kind: 'error', error: 'invalid-group-id' };
    const { result, group, version } = await this.mutate(req.groupId, false, (g, now, exists) =>
      sync(exists ? g : undefined, req, now),
    );
    if (result.kind !== 'wait') return result;
    const m = group && findMember(group, req.memberId);
    const patience = Math.max(m?.rebalanceMs ?? 0, Math.ceil((m?.sessionMs ?? 0) * 1.25));
    return this.watch.wait(
      req.groupId,
      group,
      version,
      {
        check: (g) => syncWaitResult(g, req.memberId, result.generation) as Exclude<SyncStep, { kind: 'wait' }> | undefined,
        deadline: this.now() + patience + WAIT_MARGIN_MS,
        onTimeout: () => ({ kind: 'error', error: 'rebalance-in-progress' }),
      },
      signal,
    );
  }

  async heartbeat(req: HeartbeatRequest): Promise<GroupErrorKind | null> {
    if (req.groupId === '') return 'invalid-group-id';
    const { result } = await this.mutate(req.groupId, false, (g, now, exists) => heartbeat(exists ? g : undefined, req, now).error);
    return result;
  }

  /** Members leaving (LeaveGroup): one answer per member, or a group-level error. */
  async leave(groupId: string, members: readonly LeavingMember[]): Promise<{ error: GroupErrorKind | null; members: (GroupErrorKind | null)[] }> {
    if (groupId === '') return { error: 'invalid-group-id', members: [] };
    const { result } = await this.mutate(groupId, false, (g, now, exists) =>
      exists ? { error: null, members: leave(g, members, now) } : { error: 'unknown-member-id' as const, members: [] },
    );
    return result;
  }

  /** The group as it stands (due expiries applied), or undefined if there is none. */
  async describe(groupId: string): Promise<Group | undefined> {
    const { group } = await this.mutate(groupId, false, (g, now, exists) => exists && tick(g, now));
    return group;
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
          out[i] = g && { groupId: g.groupId, protocolType: g.protocolType, state: g.state };
        }
      }),
    );
    return out.filter((s): s is GroupSummary => s !== undefined);
  }

  /** Deletes an empty group and its offsets. */
  async deleteGroup(groupId: string): Promise<GroupErrorKind | null> {
    if (groupId === '') return 'invalid-group-id';
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const { group, version } = await this.mutate(groupId, false, (g, now, exists) => exists && tick(g, now));
      if (!group) return 'group-id-not-found';
      if (group.state !== 'Empty') return 'non-empty-group';
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
      const { result, version } = await this.mutate(
        groupId,
        (r: GroupErrorKind | null) => r === null,
        (g, now, exists) => checkCommit(exists ? g : undefined, member.generation, member.memberId, member.instanceId, now),
      );
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
  fetchOffsets(groupId: string): Promise<CommittedOffset[]> {
    return this.table.readOffsets(groupId);
  }

  /**
   * OffsetDelete: removes the offsets of the given partitions. A group with members keeps the
   * offsets of topics it is subscribed to (`subscribedTopics` reads them from the members'
   * protocol metadata; undefined: this protocol type carries no subscription).
   */
  async deleteOffsets(
    groupId: string,
    partitions: readonly { topic: string; partition: number }[],
    subscribedTopics: (g: Group) => Set<string> | undefined,
  ): Promise<{ error: GroupErrorKind | null; subscribed: Set<string> }> {
    const group = await this.describe(groupId);
    if (!group) return { error: 'group-id-not-found', subscribed: new Set() };
    let subscribed = new Set<string>();
    if (group.state !== 'Empty') {
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

  /** Answers every waiting request (they retry elsewhere) and stops waiting. */
  close(): void {
    this.watch.close();
  }
}

/** JSON.stringify replacer that keeps byte arrays comparable (a change of assignment is a change). */
function bytesAsHex(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  // Buffers reach the replacer already turned into { type: 'Buffer', data } by their toJSON.
  const b = value as { type?: unknown; data?: unknown } | null;
  if (b && typeof b === 'object' && b.type === 'Buffer' && Array.isArray(b.data)) return Buffer.from(b.data as number[]).toString('hex');
  return value;
}
