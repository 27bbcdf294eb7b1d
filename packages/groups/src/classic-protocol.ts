// The classic group protocol's requests as pure steps on a draft group: JoinGroup, SyncGroup,
// Heartbeat, LeaveGroup and the offset-commit check. Each returns what to answer now, or what to
// wait for; the coordinator writes the draft back and does the waiting.
import { randomUUID } from 'node:crypto';
import {
  completeJoin,
  expireMembers,
  findMember,
  findStatic,
  maybeCompleteJoin,
  metadataFor,
  needsRefresh,
  prepareRebalance,
  removeMembers,
  sameProtocols,
  supportsProtocols,
  type Group,
  type GroupErrorKind,
  type GroupSettings,
  type Member,
  type ProtocolOffer,
} from './group-model.ts';

export interface JoinRequest {
  groupId: string;
  memberId: string;
  instanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionMs: number;
  rebalanceMs: number;
  protocolType: string;
  protocols: ProtocolOffer[];
  /** JoinGroup v4+: an unknown member first gets an id with MEMBER_ID_REQUIRED. */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: a rejoining static leader can be told to skip the assignment. */
  canSkipAssignment: boolean;
}

export interface JoinResponse {
  generation: number;
  protocolType: string;
  protocolName: string | null;
  leader: string;
  memberId: string;
  skipAssignment: boolean;
  /** Filled for the leader only: every member with the metadata it offered for the chosen protocol. */
  members: { memberId: string; instanceId: string | null; metadata: Uint8Array }[];
}

export type JoinStep =
  | { kind: 'error'; error: GroupErrorKind; memberId?: string }
  | { kind: 'done'; response: JoinResponse }
  /** Joined the barrier of `generation`: answer once the group has moved past it. */
  | { kind: 'wait'; memberId: string; generation: number };

export function joinResponse(g: Group, memberId: string, skipAssignment = false): JoinResponse {
  const leader = g.leader ?? '';
  return {
    generation: g.generation,
    protocolType: g.protocolType,
    protocolName: g.protocolName,
    leader,
    memberId,
    skipAssignment,
    members:
      memberId === leader
        ? g.members.map((m) => ({ memberId: m.memberId, instanceId: m.instanceId, metadata: metadataFor(g, m) }))
        : [],
  };
}

/**
 * What a member waiting in JoinGroup gets once the group changes: undefined while the barrier it
 * joined is still open.
 */
export function joinWaitResult(g: Group | undefined, memberId: string, generation: number): JoinStep | undefined {
  const m = g && findMember(g, memberId);
  if (!g || !m) return { kind: 'error', error: 'unknown-member-id' };
  if (g.generation > generation) {
    if (g.state === 'CompletingRebalance' || g.state === 'Stable') return { kind: 'done', response: joinResponse(g, memberId) };
    // The barrier it joined closed and another opened before this waiter saw the group (it
    // polls another node's writes): the answer of that generation is gone. COORDINATOR_NOT_AVAILABLE
    // makes every client look the coordinator up and rejoin with its member id, silently.
    return { kind: 'error', error: 'coordinator-not-available' };
  }
  return undefined;
}

function newMember(req: JoinRequest, memberId: string, now: number): Member {
  return {
    memberId,
    instanceId: req.instanceId,
    clientId: req.clientId,
    clientHost: req.clientHost,
    sessionMs: req.sessionMs,
    rebalanceMs: req.rebalanceMs,
    protocols: req.protocols,
    assignment: new Uint8Array(0),
    joined: true,
    seenAt: now,
  };
}

function updateMember(m: Member, req: JoinRequest, now: number): void {
  m.clientId = req.clientId;
  m.clientHost = req.clientHost;
  m.sessionMs = req.sessionMs;
  m.rebalanceMs = req.rebalanceMs;
  m.protocols = req.protocols;
  m.joined = true;
  m.seenAt = now;
}

/** Adds a member that joins now, opening (or joining) a rebalance. */
function addMember(g: Group, m: Member, protocolType: string, settings: GroupSettings, now: number): JoinStep {
  if (g.state === 'Empty') {
    g.protocolType = protocolType;
    g.members.push(m);
    prepareRebalance(g, now);
    m.joined = true;
    if (settings.initialRebalanceDelayMs > 0) {
      g.initialDelay = true;
      g.rebalanceDeadline = now + Math.min(settings.initialRebalanceDelayMs, m.rebalanceMs);
    }
  } else if (g.state === 'PreparingRebalance') {
    g.members.push(m);
    if (g.initialDelay) {
      // Each new member extends the initial delay, up to the longest rebalance timeout.
      const cap = g.rebalanceStartedAt + Math.max(...g.members.map((x) => x.rebalanceMs));
      g.rebalanceDeadline = Math.min(cap, Math.max(g.rebalanceDeadline, now + settings.initialRebalanceDelayMs));
    } else {
      g.rebalanceDeadline = Math.max(g.rebalanceDeadline, g.rebalanceStartedAt + m.rebalanceMs);
    }
  } else {
    g.members.push(m);
    prepareRebalance(g, now);
    m.joined = true;
  }
  const generation = g.generation;
  maybeCompleteJoin(g, now);
  return { kind: 'wait', memberId: m.memberId, generation };
}

/** Rejoins a known member to the barrier (opening one if the group was settled). */
function rejoin(g: Group, m: Member, req: JoinRequest, now: number): JoinStep {
  const before = g.generation;
  if (g.state !== 'PreparingRebalance') prepareRebalance(g, now);
  updateMember(m, req, now);
  maybeCompleteJoin(g, now);
  return { kind: 'wait', memberId: m.memberId, generation: before };
}

export function join(g: Group, req: JoinRequest, settings: GroupSettings, now: number): JoinStep {
  if (req.sessionMs < settings.minSessionMs || req.sessionMs > settings.maxSessionMs) {
    return { kind: 'error', error: 'invalid-session-timeout', memberId: req.memberId };
  }
  expireMembers(g, now);
  if (!supportsProtocols(g, req.protocolType, req.protocols, req.memberId || undefined)) {
    return { kind: 'error', error: 'inconsistent-group-protocol', memberId: req.memberId };
  }

  if (req.memberId === '') {
    if (req.instanceId !== null) {
      const id = `${req.instanceId}-${randomUUID()}`;
      const old = findStatic(g, req.instanceId);
      return old ? replaceStatic(g, old, id, req, now) : admit(g, newMember(req, id, now), req, settings, now);
    }
    const id = `${req.clientId}-${randomUUID()}`;
    if (req.requireKnownMemberId) {
      if (g.members.length + g.pending.length >= settings.maxSize) return { kind: 'error', error: 'group-max-size-reached' };
      g.pending.push({ memberId: id, expiresAt: now + req.sessionMs });
      if (g.state === 'Empty' && g.protocolType === '') g.protocolType = req.protocolType;
      return { kind: 'error', error: 'member-id-required', memberId: id };
    }
    return admit(g, newMember(req, id, now), req, settings, now);
  }

  if (req.instanceId !== null) {
    const holder = findStatic(g, req.instanceId);
    if (holder && holder.memberId !== req.memberId) return { kind: 'error', error: 'fenced-instance-id', memberId: req.memberId };
  }
  const pendingAt = g.pending.findIndex((p) => p.memberId === req.memberId);
  if (pendingAt >= 0) {
    g.pending.splice(pendingAt, 1);
    return addMember(g, newMember(req, req.memberId, now), req.protocolType, settings, now);
  }
  const m = findMember(g, req.memberId);
  if (!m || (req.instanceId === null && m.instanceId !== null)) return { kind: 'error', error: 'unknown-member-id', memberId: req.memberId };

  switch (g.state) {
    case 'PreparingRebalance': {
      const generation = g.generation;
      updateMember(m, req, now);
      maybeCompleteJoin(g, now);
      return { kind: 'wait', memberId: m.memberId, generation };
    }
    case 'CompletingRebalance':
      // A retry of a JoinGroup whose answer was lost: same metadata, same answer.
      if (sameProtocols(m.protocols, req.protocols)) return { kind: 'done', response: joinResponse(g, m.memberId) };
      return rejoin(g, m, req, now);
    case 'Stable':
      // A follower rejoining with unchanged metadata gets the current generation; the leader or
      // a member whose subscription changed starts a rebalance.
      if (g.leader !== m.memberId && sameProtocols(m.protocols, req.protocols)) {
        return { kind: 'done', response: joinResponse(g, m.memberId) };
      }
      return rejoin(g, m, req, now);
    case 'Empty':
      return { kind: 'error', error: 'unknown-member-id', memberId: req.memberId };
  }
}

function admit(g: Group, m: Member, req: JoinRequest, settings: GroupSettings, now: number): JoinStep {
  if (g.members.length + g.pending.length >= settings.maxSize) return { kind: 'error', error: 'group-max-size-reached' };
  return addMember(g, m, req.protocolType, settings, now);
}

/**
 * A static member restarted: it takes its instance id back under a new member id. In a settled
 * group with unchanged metadata it keeps its assignment and nobody rebalances.
 */
function replaceStatic(g: Group, old: Member, memberId: string, req: JoinRequest, now: number): JoinStep {
  const unchanged = sameProtocols(old.protocols, req.protocols);
  const wasLeader = g.leader === old.memberId;
  old.memberId = memberId;
  if (wasLeader) g.leader = memberId;
  old.clientId = req.clientId;
  old.clientHost = req.clientHost;
  old.sessionMs = req.sessionMs;
  old.rebalanceMs = req.rebalanceMs;
  old.seenAt = now;
  if (g.state === 'Stable' && unchanged && (!wasLeader || req.canSkipAssignment)) {
    return { kind: 'done', response: joinResponse(g, memberId, wasLeader) };
  }
  if (g.state === 'PreparingRebalance') {
    const generation = g.generation;
    updateMember(old, req, now);
    maybeCompleteJoin(g, now);
    return { kind: 'wait', memberId, generation };
  }
  return rejoin(g, old, req, now);
}

export interface SyncRequest {
  groupId: string;
  memberId: string;
  instanceId: string | null;
  generation: number;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Uint8Array }[];
}

export type SyncStep =
  | { kind: 'error'; error: GroupErrorKind }
  | { kind: 'done'; protocolType: string; protocolName: string | null; assignment: Uint8Array }
  | { kind: 'wait'; generation: number };

function checkMember(g: Group | undefined, memberId: string, instanceId: string | null): GroupErrorKind | Member {
  if (!g) return 'unknown-member-id';
  if (instanceId !== null) {
    const holder = findStatic(g, instanceId);
    if (holder && holder.memberId !== memberId) return 'fenced-instance-id';
  }
  return findMember(g, memberId) ?? 'unknown-member-id';
}

export function sync(g: Group | undefined, req: SyncRequest, now: number): SyncStep {
  if (g) expireMembers(g, now);
  const m = checkMember(g, req.memberId, req.instanceId);
  if (typeof m === 'string') return { kind: 'error', error: m };
  const group = g!;
  if ((req.protocolType !== null && req.protocolType !== group.protocolType) || (req.protocolName !== null && req.protocolName !== group.protocolName)) {
    return { kind: 'error', error: 'inconsistent-group-protocol' };
  }
  if (req.generation !== group.generation) return { kind: 'error', error: 'illegal-generation' };
  switch (group.state) {
    case 'Empty':
      return { kind: 'error', error: 'unknown-member-id' };
    case 'PreparingRebalance':
      return { kind: 'error', error: 'rebalance-in-progress' };
    case 'CompletingRebalance':
      // The join barrier's close just set seenAt: a follower's sync writes nothing more.
      if (needsRefresh(m, now)) m.seenAt = now;
      if (group.leader !== m.memberId) return { kind: 'wait', generation: group.generation };
      for (const a of req.assignments) {
        const target = findMember(group, a.memberId);
        if (target) target.assignment = a.assignment;
      }
      group.state = 'Stable';
      return syncDone(group, m);
    case 'Stable':
      if (needsRefresh(m, now)) m.seenAt = now;
      return syncDone(group, m);
  }
}

function syncDone(g: Group, m: Member): SyncStep {
  return { kind: 'done', protocolType: g.protocolType, protocolName: g.protocolName, assignment: m.assignment };
}

/** What a follower waiting in SyncGroup gets once the group changes: undefined while it waits. */
export function syncWaitResult(g: Group | undefined, memberId: string, generation: number): SyncStep | undefined {
  const m = g && findMember(g, memberId);
  if (!g || !m) return { kind: 'error', error: 'unknown-member-id' };
  if (g.generation !== generation || g.state === 'PreparingRebalance' || g.state === 'Empty') {
    return { kind: 'error', error: 'rebalance-in-progress' };
  }
  if (g.state === 'Stable') return syncDone(g, m);
  return undefined;
}

export interface HeartbeatRequest {
  groupId: string;
  memberId: string;
  instanceId: string | null;
  generation: number;
}

/** A heartbeat's answer (null: no error) and whether the group changed (liveness or expiries). */
export function heartbeat(g: Group | undefined, req: HeartbeatRequest, now: number): { error: GroupErrorKind | null; changed: boolean } {
  const changed = g ? expireMembers(g, now) : false;
  const m = checkMember(g, req.memberId, req.instanceId);
  if (typeof m === 'string') return { error: m, changed };
  const group = g!;
  if (group.state === 'Empty') return { error: 'unknown-member-id', changed };
  if (req.generation !== group.generation) return { error: 'illegal-generation', changed };
  const refresh = needsRefresh(m, now);
  if (refresh) m.seenAt = now;
  if (group.state === 'PreparingRebalance') return { error: 'rebalance-in-progress', changed: changed || refresh };
  return { error: null, changed: changed || refresh };
}

export interface LeavingMember {
  memberId: string;
  instanceId: string | null;
}

/** Removes the members that leave; one answer per member, in order. */
export function leave(g: Group, leaving: readonly LeavingMember[], now: number): (GroupErrorKind | null)[] {
  expireMembers(g, now);
  const gone: Member[] = [];
  const results = leaving.map((l): GroupErrorKind | null => {
    if (l.instanceId !== null) {
      const m = findStatic(g, l.instanceId);
      if (!m) return 'unknown-member-id';
      if (l.memberId !== '' && m.memberId !== l.memberId) return 'fenced-instance-id';
      gone.push(m);
      return null;
    }
    const p = g.pending.findIndex((x) => x.memberId === l.memberId);
    if (p >= 0) {
      g.pending.splice(p, 1);
      return null;
    }
    const m = findMember(g, l.memberId);
    if (!m) return 'unknown-member-id';
    gone.push(m);
    return null;
  });
  removeMembers(g, gone, now);
  if (gone.length === 0 && g.state === 'PreparingRebalance') maybeCompleteJoin(g, now);
  return results;
}

/**
 * Whether an OffsetCommit may write for this group, as Kafka's classic coordinator decides, in
 * its order: an admin or standalone commit (no generation, no member) needs an empty group; a
 * member's commit needs a known member and its current generation, then a group that is not
 * completing a rebalance.
 */
export function checkCommit(
  g: Group | undefined,
  generation: number,
  memberId: string,
  instanceId: string | null,
  now: number,
): GroupErrorKind | null {
  if (!g) return generation < 0 ? null : 'illegal-generation';
  expireMembers(g, now);
  if (generation < 0 && g.state === 'Empty') return null;
  if (generation >= 0 || memberId !== '' || instanceId !== null) {
    const m = checkMember(g, memberId, instanceId);
    if (typeof m === 'string') return m;
    if (generation !== g.generation) return 'illegal-generation';
  } else if (g.state !== 'Empty') {
    return 'unknown-member-id';
  }
  // A current member that commits before SyncGroup has answered: it is told to finish the rebalance.
  if (g.state === 'CompletingRebalance') return 'rebalance-in-progress';
  return null;
}

/** Applies due expiries and closes a join barrier whose deadline passed. */
export function tick(g: Group, now: number): boolean {
  const before = `${g.state}/${g.generation}/${g.members.length}/${g.pending.length}`;
  expireMembers(g, now);
  if (g.state === 'PreparingRebalance' && now >= g.rebalanceDeadline) completeJoin(g, now);
  return before !== `${g.state}/${g.generation}/${g.members.length}/${g.pending.length}`;
}
