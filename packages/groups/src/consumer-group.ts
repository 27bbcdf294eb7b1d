// The consumer group protocol (KIP-848): members send ConsumerGroupHeartbeat and the group
// coordinator computes the assignment itself and hands it out incrementally. Pure steps on a
// draft group, written back by compare-and-swap like classic groups (docs/consumer-groups.md).
//
// Epochs: the group epoch moves on whenever membership, subscriptions or the subscribed topics'
// partitions change; the target assignment is recomputed for it (assignment epoch). Each member
// then reconciles towards its target: it first gives up the partitions it must revoke (the
// answer lists its assignment without them, same member epoch), then, once its heartbeat shows
// them gone, takes the member epoch of the target and gets the new partitions that no other
// member still holds; partitions still held elsewhere follow on a later heartbeat.
import { randomUUID } from 'node:crypto';
import { assign, isAssignor, type Assignment, type AssignorName, type AssignorTopic } from './assignors.ts';

export interface ConsumerMember {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  epoch: number;
  previousEpoch: number;
  rebalanceMs: number;
  subscribedNames: string[];
  subscribedRegex: string | null;
  serverAssignor: string | null;
  /** What the member owns, as last handed to it. */
  assigned: Assignment;
  /** Partitions the member was told to give up and has not yet confirmed. */
  revoking: Assignment;
  /** When revoking must be confirmed by, else the member is fenced (its rebalance timeout). */
  revokeDeadline: number;
  /** The assignment last sent, so unchanged answers carry none. */
  sent: string;
  seenAt: number;
  /** A static member that left for a restart (epoch -2): its assignment waits for its instance id. */
  leftTemporarily: boolean;
}

export interface ConsumerGroup {
  kind: 'consumer';
  groupId: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignor: AssignorName;
  /** Target assignment per member id, for `assignmentEpoch`. */
  target: Record<string, Assignment>;
  members: ConsumerMember[];
  /** The subscribed topics as last seen (ids and partition counts): a change moves the group epoch. */
  topicsSeen: string;
  createdAt: number;
}

export interface ConsumerGroupSettings {
  /** group.consumer.session.timeout.ms */
  sessionMs: number;
  /** group.consumer.heartbeat.interval.ms */
  heartbeatIntervalMs: number;
  /** group.consumer.max.size */
  maxSize: number;
}

export const DEFAULT_CONSUMER_GROUP_SETTINGS: ConsumerGroupSettings = {
  sessionMs: 45_000,
  heartbeatIntervalMs: 5_000,
  maxSize: 2 ** 31 - 1,
};

/** Member epochs with a meaning of their own in ConsumerGroupHeartbeat. */
export const JOIN_EPOCH = 0;
export const LEAVE_EPOCH = -1;
export const STATIC_LEAVE_EPOCH = -2;

export interface ConsumerHeartbeatRequest {
  groupId: string;
  /** v0: empty on the first heartbeat (the coordinator picks one); v1: chosen by the client. */
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  /** -1: unchanged. */
  rebalanceTimeoutMs: number;
  /** null: unchanged. */
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  /** What the member owns now; null: unchanged since its last heartbeat. */
  ownedPartitions: Assignment | null;
  clientId: string;
  clientHost: string;
}

export type ConsumerErrorKind =
  | 'unknown-member-id'
  | 'fenced-member-epoch'
  | 'unreleased-instance-id'
  | 'unsupported-assignor'
  | 'invalid-request'
  | 'group-max-size-reached'
  | 'group-id-not-found';

export interface ConsumerHeartbeatResponse {
  error: ConsumerErrorKind | null;
  message: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  /** Undefined: unchanged since the last answer. */
  assignment: Assignment | undefined;
}

export function newConsumerGroup(groupId: string, now: number): ConsumerGroup {
  return { kind: 'consumer', groupId, groupEpoch: 0, assignmentEpoch: 0, assignor: 'uniform', target: {}, members: [], topicsSeen: '', createdAt: now };
}

function expiry(m: ConsumerMember, sessionMs: number): number {
  return m.seenAt + sessionMs + Math.floor(sessionMs / 4);
}

/** Drops members whose session ran out or who did not revoke in time; returns whether any went. */
export function expireConsumers(g: ConsumerGroup, settings: ConsumerGroupSettings, now: number): boolean {
  const before = g.members.length;
  g.members = g.members.filter((m) => expiry(m, settings.sessionMs) > now && !(m.revokeDeadline > 0 && now > m.revokeDeadline));
  if (g.members.length === before) return false;
  g.groupEpoch += 1;
  return true;
}

/** The earliest time at which `expireConsumers` would drop someone. */
export function nextConsumerExpiry(g: ConsumerGroup, settings: ConsumerGroupSettings): number {
  let at = Infinity;
  for (const m of g.members) {
    at = Math.min(at, expiry(m, settings.sessionMs));
    if (m.revokeDeadline > 0) at = Math.min(at, m.revokeDeadline + 1);
  }
  return at;
}

/** The topics a member's subscription names (by name or by regex), among those that exist. */
export function subscribedTopics(m: Pick<ConsumerMember, 'subscribedNames' | 'subscribedRegex'>, topics: ReadonlyMap<string, AssignorTopic>): AssignorTopic[] {
  let regex: RegExp | undefined;
  if (m.subscribedRegex !== null) {
    try {
      regex = new RegExp(`^(?:${m.subscribedRegex})$`);
    } catch {
      regex = undefined;
    }
  }
  const out: AssignorTopic[] = [];
  for (const [name, t] of topics) if (m.subscribedNames.includes(name) || regex?.test(name)) out.push(t);
  return out;
}

function key(topicId: string, p: number): string {
  return `${topicId}:${p}`;
}

function toSet(a: Assignment): Set<string> {
  const s = new Set<string>();
  for (const [t, parts] of Object.entries(a)) for (const p of parts) s.add(key(t, p));
  return s;
}

function fromSet(s: Iterable<string>): Assignment {
  const a: Assignment = {};
  for (const k of s) {
    const at = k.lastIndexOf(':');
    (a[k.slice(0, at)] ??= []).push(Number(k.slice(at + 1)));
  }
  for (const list of Object.values(a)) list.sort((x, y) => x - y);
  return a;
}

export function assignmentKey(a: Assignment): string {
  return JSON.stringify(Object.keys(a).sort().filter((t) => a[t]!.length > 0).map((t) => [t, [...a[t]!].sort((x, y) => x - y)]));
}

/** Recomputes the target assignment if the group epoch moved past it. */
function refreshTarget(g: ConsumerGroup, topics: ReadonlyMap<string, AssignorTopic>): void {
  const seen = JSON.stringify(
    [...new Set(g.members.flatMap((m) => subscribedTopics(m, topics)))]
      .map((t) => [t.name, t.id, t.partitions])
      .sort(),
  );
  if (seen !== g.topicsSeen) {
    g.topicsSeen = seen;
    g.groupEpoch += 1;
  }
  if (g.groupEpoch <= g.assignmentEpoch) return;
  const byId = new Map([...topics.values()].map((t) => [t.id, t]));
  g.target = assign(
    g.assignor,
    g.members.map((m) => ({ memberId: m.memberId, topics: subscribedTopics(m, topics).map((t) => t.id) })),
    byId,
    g.target,
  );
  g.assignmentEpoch = g.groupEpoch;
}

/**
 * Moves a member towards its target: revocations first (same epoch), then the target's epoch
 * and the partitions no other member holds.
 */
function reconcile(g: ConsumerGroup, m: ConsumerMember, owned: Assignment | null, now: number): void {
  if (Object.keys(m.revoking).length > 0) {
    const still = owned ? [...toSet(owned)].filter((k) => toSet(m.revoking).has(k)) : [...toSet(m.revoking)];
    if (still.length > 0) return;
    m.revoking = {};
    m.revokeDeadline = 0;
  }
  const target = toSet(g.target[m.memberId] ?? {});
  const assigned = toSet(m.assigned);
  const revoke = [...assigned].filter((k) => !target.has(k));
  if (revoke.length > 0) {
    m.assigned = fromSet([...assigned].filter((k) => target.has(k)));
    m.revoking = fromSet(revoke);
    m.revokeDeadline = now + m.rebalanceMs;
    return;
  }
  const heldElsewhere = new Set<string>();
  for (const other of g.members) {
    if (other === m) continue;
    for (const k of toSet(other.assigned)) heldElsewhere.add(k);
    for (const k of toSet(other.revoking)) heldElsewhere.add(k);
  }
  const grant = [...target].filter((k) => !assigned.has(k) && !heldElsewhere.has(k));
  if (grant.length > 0) m.assigned = fromSet([...assigned, ...grant]);
  if (m.epoch !== g.assignmentEpoch) {
    m.previousEpoch = m.epoch;
    m.epoch = g.assignmentEpoch;
  }
}

function answer(m: ConsumerMember, settings: ConsumerGroupSettings, force: boolean): ConsumerHeartbeatResponse {
  const k = assignmentKey(m.assigned);
  const changed = force || k !== m.sent;
  m.sent = k;
  return { error: null, message: null, memberId: m.memberId, memberEpoch: m.epoch, heartbeatIntervalMs: settings.heartbeatIntervalMs, assignment: changed ? m.assigned : undefined };
}

function failure(error: ConsumerErrorKind, message: string, req: ConsumerHeartbeatRequest): ConsumerHeartbeatResponse {
  return { error, message, memberId: req.memberId || null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: undefined };
}

/** One ConsumerGroupHeartbeat on a draft of the group. */
export function consumerHeartbeat(
  g: ConsumerGroup,
  req: ConsumerHeartbeatRequest,
  topics: ReadonlyMap<string, AssignorTopic>,
  settings: ConsumerGroupSettings,
  now: number,
): ConsumerHeartbeatResponse {
  expireConsumers(g, settings, now);
  if (req.serverAssignor !== null && !isAssignor(req.serverAssignor)) {
    return failure('unsupported-assignor', `server assignor "${req.serverAssignor}" is not one of uniform, range`, req);
  }

  if (req.memberEpoch === LEAVE_EPOCH || req.memberEpoch === STATIC_LEAVE_EPOCH) {
    const m = g.members.find((x) => x.memberId === req.memberId);
    if (!m) return failure('unknown-member-id', `member "${req.memberId}" is not in group "${g.groupId}"`, req);
    if (req.memberEpoch === STATIC_LEAVE_EPOCH && m.instanceId !== null) {
      // A static member restarting: its partitions wait for it until its session runs out.
      m.leftTemporarily = true;
    } else {
      g.members = g.members.filter((x) => x !== m);
      g.groupEpoch += 1;
      refreshTarget(g, topics);
    }
    return { error: null, message: null, memberId: req.memberId, memberEpoch: req.memberEpoch, heartbeatIntervalMs: 0, assignment: undefined };
  }

  let m: ConsumerMember | undefined;
  let joined = false;
  if (req.memberEpoch === JOIN_EPOCH) {
    if (req.rebalanceTimeoutMs < 0 || (req.subscribedTopicNames === null && req.subscribedTopicRegex === null) || req.ownedPartitions === null) {
      return failure('invalid-request', 'a joining member must send its rebalance timeout, its subscription and its owned partitions', req);
    }
    const memberId = req.memberId || randomUUID();
    // A known id rejoins after being fenced: it starts over, once the checks below pass (a refused
    // join must leave the group as it was, since the draft is written back even then).
    const sameId = g.members.find((x) => x.memberId === memberId);
    const previous = req.instanceId === null ? undefined : g.members.find((x) => x !== sameId && x.instanceId === req.instanceId);
    if (previous && !previous.leftTemporarily) {
      return failure('unreleased-instance-id', `instance "${req.instanceId}" is still held by member ${previous.memberId}`, req);
    }
    if (!previous && g.members.length - (sameId ? 1 : 0) >= settings.maxSize) return failure('group-max-size-reached', `group "${g.groupId}" is full`, req);
    if (sameId) g.members = g.members.filter((x) => x !== sameId);
    m = {
      memberId,
      instanceId: req.instanceId,
      rackId: req.rackId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      epoch: previous?.epoch ?? 0,
      previousEpoch: previous?.previousEpoch ?? 0,
      rebalanceMs: req.rebalanceTimeoutMs,
      subscribedNames: req.subscribedTopicNames ?? [],
      subscribedRegex: req.subscribedTopicRegex === '' ? null : req.subscribedTopicRegex,
      serverAssignor: req.serverAssignor,
      assigned: previous?.assigned ?? {},
      revoking: previous?.revoking ?? {},
      revokeDeadline: previous?.revokeDeadline ?? 0,
      sent: '',
      seenAt: now,
      leftTemporarily: false,
    };
    if (previous) {
      // The restarted static member takes over its predecessor's place and target: no rebalance
      // unless its subscription changed.
      const same =
        JSON.stringify([...previous.subscribedNames].sort()) === JSON.stringify([...m.subscribedNames].sort()) &&
        previous.subscribedRegex === m.subscribedRegex;
      g.members = g.members.map((x) => (x === previous ? m! : x));
      if (g.target[previous.memberId]) {
        g.target[memberId] = g.target[previous.memberId]!;
        delete g.target[previous.memberId];
      }
      if (!same) g.groupEpoch += 1;
    } else {
      g.members.push(m);
      g.groupEpoch += 1;
    }
    joined = true;
  } else {
    m = g.members.find((x) => x.memberId === req.memberId);
    if (!m) return failure('unknown-member-id', `member "${req.memberId}" is not in group "${g.groupId}"`, req);
    if (req.memberEpoch !== m.epoch) {
      // A member whose last answer was lost may still be one epoch behind; anything else is fenced.
      const lostAnswer =
        req.memberEpoch === m.previousEpoch && (req.ownedPartitions === null || [...toSet(req.ownedPartitions)].every((k) => toSet(m!.assigned).has(k)));
      if (!lostAnswer) return failure('fenced-member-epoch', `member epoch ${req.memberEpoch} is not the current ${m.epoch}`, req);
    }
    if (req.instanceId !== null && m.instanceId !== req.instanceId) {
      return failure('fenced-member-epoch', `member "${m.memberId}" is not instance "${req.instanceId}"`, req);
    }
    if (req.rebalanceTimeoutMs >= 0) m.rebalanceMs = req.rebalanceTimeoutMs;
    if (req.rackId !== null) m.rackId = req.rackId;
    let subscriptionChanged = false;
    if (req.subscribedTopicNames !== null && JSON.stringify([...req.subscribedTopicNames].sort()) !== JSON.stringify([...m.subscribedNames].sort())) {
      m.subscribedNames = req.subscribedTopicNames;
      subscriptionChanged = true;
    }
    // An empty regex clears it: no change for a member without one (else every such heartbeat bumps the epoch).
    const regex = req.subscribedTopicRegex === '' ? null : req.subscribedTopicRegex;
    if (req.subscribedTopicRegex !== null && regex !== m.subscribedRegex) {
      m.subscribedRegex = regex;
      subscriptionChanged = true;
    }
    if (req.serverAssignor !== null) m.serverAssignor = req.serverAssignor;
    if (subscriptionChanged) g.groupEpoch += 1;
    if (now - m.seenAt >= Math.floor(settings.sessionMs / 4)) m.seenAt = now;
  }
  // The group's assignor: the one its members ask for (the first member's choice wins ties).
  const asked = g.members.map((x) => x.serverAssignor).find((a): a is AssignorName => a !== null && isAssignor(a));
  if (asked && asked !== g.assignor && g.members.every((x) => x.serverAssignor === null || x.serverAssignor === asked)) {
    g.assignor = asked;
    g.groupEpoch += 1;
  }
  refreshTarget(g, topics);
  reconcile(g, m, req.ownedPartitions, now);
  return answer(m, settings, joined || (req.ownedPartitions !== null && assignmentKey(req.ownedPartitions) !== assignmentKey(m.assigned)));
}

/** The state ListGroups and ConsumerGroupDescribe report. */
export function consumerGroupState(g: ConsumerGroup): 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' {
  if (g.members.length === 0) return 'Empty';
  if (g.groupEpoch > g.assignmentEpoch) return 'Assigning';
  for (const m of g.members) {
    if (m.epoch !== g.assignmentEpoch || Object.keys(m.revoking).length > 0) return 'Reconciling';
    if (assignmentKey(m.assigned) !== assignmentKey(g.target[m.memberId] ?? {})) return 'Reconciling';
  }
  return 'Stable';
}

/** OffsetCommit / OffsetFetch from a member of a consumer group: its epoch must be current. */
export function checkConsumerCommit(g: ConsumerGroup, memberId: string, memberEpoch: number): 'unknown-member-id' | 'stale-member-epoch' | null {
  if (memberEpoch < 0 && memberId === '') return g.members.length === 0 ? null : 'unknown-member-id';
  const m = g.members.find((x) => x.memberId === memberId);
  if (!m) return 'unknown-member-id';
  // A member one epoch behind may still commit what it consumed before its last answer.
  if (memberEpoch !== m.epoch && memberEpoch !== m.previousEpoch) return 'stale-member-epoch';
  return null;
}
