// A classic consumer group as it is stored in the coordination table, and the pure state
// transitions of Kafka's group protocol on it (docs/consumer-groups.md).
//
// Every function here works on a draft copy taken from the table and is deterministic given
// `now`: the coordinator reads the group, applies one of these, and writes the draft back with a
// compare-and-swap on the version it read, so whichever node runs a transition, two nodes can
// never hand out conflicting generations or assignments.

export type GroupStateName = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

export interface ProtocolOffer {
  name: string;
  metadata: Uint8Array;
}

export interface Member {
  memberId: string;
  /** group.instance.id of a static member, null for a dynamic one. */
  instanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionMs: number;
  rebalanceMs: number;
  /** The protocols the member offered in its last JoinGroup, in its order of preference. */
  protocols: ProtocolOffer[];
  /** What the leader assigned it in the current generation (empty until SyncGroup). */
  assignment: Uint8Array;
  /** Has (re)joined the rebalance in progress (meaningful in PreparingRebalance). */
  joined: boolean;
  /**
   * Last sign of life written to the table, epoch ms. Heartbeats refresh it only when it is a
   * quarter of the session old, so a dead member is expelled between 1 and 1.25 sessions after
   * its last heartbeat, never before.
   */
  seenAt: number;
}

/** A member id handed out with MEMBER_ID_REQUIRED, not yet used to join. */
export interface PendingMember {
  memberId: string;
  expiresAt: number;
}

export interface Group {
  groupId: string;
  state: GroupStateName;
  /** "consumer", "connect", ...; "" for a group that only holds committed offsets. */
  protocolType: string;
  /** The protocol (assignor) chosen for the current generation; null while Empty. */
  protocolName: string | null;
  generation: number;
  leader: string | null;
  members: Member[];
  pending: PendingMember[];
  /** PreparingRebalance: when the join barrier closes even if members are missing. */
  rebalanceDeadline: number;
  /** PreparingRebalance of a group that was empty: wait out the initial delay even if all joined. */
  initialDelay: boolean;
  rebalanceStartedAt: number;
  createdAt: number;
}

export interface GroupSettings {
  /** group.min.session.timeout.ms */
  minSessionMs: number;
  /** group.max.session.timeout.ms */
  maxSessionMs: number;
  /** group.initial.rebalance.delay.ms: how long a group that was empty waits for more members. */
  initialRebalanceDelayMs: number;
  /** group.max.size */
  maxSize: number;
}

export const DEFAULT_GROUP_SETTINGS: GroupSettings = {
  minSessionMs: 6_000,
  maxSessionMs: 1_800_000,
  initialRebalanceDelayMs: 3_000,
  maxSize: 2 ** 31 - 1,
};

/** The outcomes of group operations that clients see as Kafka error codes (mapped by the broker). */
export type GroupErrorKind =
  | 'unknown-member-id'
  | 'member-id-required'
  | 'illegal-generation'
  | 'rebalance-in-progress'
  | 'fenced-instance-id'
  | 'inconsistent-group-protocol'
  | 'invalid-session-timeout'
  | 'invalid-group-id'
  | 'group-max-size-reached'
  | 'group-id-not-found'
  | 'non-empty-group'
  | 'group-subscribed-to-topic'
  /** A consumer-protocol member committing or fetching with an epoch that is not its current one. */
  | 'stale-member-epoch'
  | 'coordinator-not-available'
  /** This node stopped coordinating (it is shutting down): find the coordinator again. */
  | 'not-coordinator';

export function newGroup(groupId: string, now: number): Group {
  return {
    groupId,
    state: 'Empty',
    protocolType: '',
    protocolName: null,
    generation: 0,
    leader: null,
    members: [],
    pending: [],
    rebalanceDeadline: 0,
    initialDelay: false,
    rebalanceStartedAt: 0,
    createdAt: now,
  };
}

export function findMember(g: Group, memberId: string): Member | undefined {
  return g.members.find((m) => m.memberId === memberId);
}

export function findStatic(g: Group, instanceId: string): Member | undefined {
  return g.members.find((m) => m.instanceId === instanceId);
}

/** When a member counts as gone: a quarter session of refresh slack on top of its session. */
export function memberExpiry(m: Member): number {
  return m.seenAt + m.sessionMs + Math.floor(m.sessionMs / 4);
}

/** Whether a heartbeat at `now` must write the member's liveness back to the table. */
export function needsRefresh(m: Member, now: number): boolean {
  return now - m.seenAt >= Math.floor(m.sessionMs / 4);
}

/**
 * Removes members whose session ran out and pending ids never used, as whichever node sees them
 * first does. Members that joined the rebalance in progress are waiting in JoinGroup: the
 * rebalance deadline governs them, not their session. Returns whether anything changed.
 */
export function expireMembers(g: Group, now: number): boolean {
  const pendingBefore = g.pending.length;
  g.pending = g.pending.filter((p) => p.expiresAt > now);
  const gone = g.members.filter((m) => memberExpiry(m) <= now && !(g.state === 'PreparingRebalance' && m.joined));
  if (gone.length === 0) {
    if (g.state === 'PreparingRebalance' && g.pending.length !== pendingBefore) maybeCompleteJoin(g, now);
    return g.pending.length !== pendingBefore;
  }
  removeMembers(g, gone, now);
  return true;
}

/** The earliest time at which `expireMembers` or `maybeCompleteJoin` would change the group. */
export function nextTransitionAt(g: Group): number {
  let at = Infinity;
  if (g.state === 'PreparingRebalance') at = g.rebalanceDeadline;
  for (const p of g.pending) at = Math.min(at, p.expiresAt);
  for (const m of g.members) {
    if (!(g.state === 'PreparingRebalance' && m.joined)) at = Math.min(at, memberExpiry(m));
  }
  return at;
}

/** Removes members (left or expired) and moves the group on as Kafka does. */
export function removeMembers(g: Group, gone: readonly Member[], now: number): void {
  if (gone.length === 0) return;
  const ids = new Set(gone.map((m) => m.memberId));
  g.members = g.members.filter((m) => !ids.has(m.memberId));
  if (g.leader !== null && ids.has(g.leader)) g.leader = null;
  switch (g.state) {
    case 'Stable':
    case 'CompletingRebalance':
      prepareRebalance(g, now);
      maybeCompleteJoin(g, now);
      break;
    case 'PreparingRebalance':
      maybeCompleteJoin(g, now);
      break;
    case 'Empty':
      break;
  }
}

/** Opens a join barrier: every member must rejoin before the longest rebalance timeout. */
export function prepareRebalance(g: Group, now: number): void {
  g.state = 'PreparingRebalance';
  g.initialDelay = false;
  g.rebalanceStartedAt = now;
  g.rebalanceDeadline = now + Math.max(0, ...g.members.map((m) => m.rebalanceMs));
  for (const m of g.members) {
    m.joined = false;
    m.assignment = new Uint8Array(0);
  }
}

/** Closes the join barrier if every member has rejoined (and no initial delay runs), or at the deadline. */
export function maybeCompleteJoin(g: Group, now: number): boolean {
  if (g.state !== 'PreparingRebalance') return false;
  const allJoined = g.members.every((m) => m.joined) && g.pending.length === 0;
  if ((allJoined && !g.initialDelay && g.members.length > 0) || now >= g.rebalanceDeadline || g.members.length === 0) {
    completeJoin(g, now);
    return true;
  }
  return false;
}

/**
 * The end of the join barrier: members that did not rejoin are dropped, the generation moves on,
 * a protocol is chosen by vote and a leader named (the old one if it rejoined).
 */
export function completeJoin(g: Group, now: number): void {
  g.members = g.members.filter((m) => m.joined);
  g.pending = [];
  g.generation += 1;
  g.initialDelay = false;
  if (g.members.length === 0) {
    g.state = 'Empty';
    g.leader = null;
    g.protocolName = null;
    return;
  }
  g.protocolName = selectProtocol(g.members);
  if (g.leader === null || !findMember(g, g.leader)) g.leader = g.members[0]!.memberId;
  g.state = 'CompletingRebalance';
  for (const m of g.members) {
    m.seenAt = now;
    m.assignment = new Uint8Array(0);
  }
}

/** The protocols every member offers, in the first member's order. */
export function commonProtocols(members: readonly Member[]): string[] {
  if (members.length === 0) return [];
  const names = members[0]!.protocols.map((p) => p.name);
  return names.filter((n) => members.every((m) => m.protocols.some((p) => p.name === n)));
}

/** Each member votes for its most preferred common protocol; most votes wins (ties: first member's order). */
export function selectProtocol(members: readonly Member[]): string {
  const candidates = commonProtocols(members);
  const votes = new Map<string, number>(candidates.map((c) => [c, 0]));
  for (const m of members) {
    const choice = m.protocols.find((p) => votes.has(p.name));
    if (choice) votes.set(choice.name, votes.get(choice.name)! + 1);
  }
  let best = candidates[0]!;
  for (const c of candidates) if (votes.get(c)! > votes.get(best)!) best = c;
  return best;
}

/** Whether a member offering `protocols` of `protocolType` may join the group as it is. */
export function supportsProtocols(g: Group, protocolType: string, protocols: readonly ProtocolOffer[], exceptMember?: string): boolean {
  if (protocolType === '' || protocols.length === 0) return false;
  const others = g.members.filter((m) => m.memberId !== exceptMember);
  if (others.length === 0) return true;
  if (g.protocolType !== protocolType) return false;
  const common = commonProtocols(others);
  return protocols.some((p) => common.includes(p.name));
}

export function sameProtocols(a: readonly ProtocolOffer[], b: readonly ProtocolOffer[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]!.name && Buffer.from(p.metadata).equals(Buffer.from(b[i]!.metadata)));
}

/** The metadata a member offered for the group's chosen protocol (empty if none chosen). */
export function metadataFor(g: Group, m: Member): Uint8Array {
  return m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? new Uint8Array(0);
}

export function cloneGroup(g: Group): Group {
  return {
    ...g,
    members: g.members.map((m) => ({ ...m, protocols: m.protocols.map((p) => ({ ...p })) })),
    pending: g.pending.map((p) => ({ ...p })),
  };
}
