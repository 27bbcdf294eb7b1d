// Server-side assignors of the consumer group protocol (KIP-848): "uniform" (the default) and
// "range". Both are deterministic functions of the members, their subscriptions, the topics and
// the previous target, so any node computes the same assignment.

/** Partitions by topic id. */
export type Assignment = Record<string, number[]>;

export interface AssignorMember {
  memberId: string;
  /** Ids of the topics the member subscribes to (that exist). */
  topics: string[];
}

export interface AssignorTopic {
  id: string;
  name: string;
  partitions: number;
}

export const ASSIGNORS = ['uniform', 'range'] as const;
export type AssignorName = (typeof ASSIGNORS)[number];

export function isAssignor(name: string): name is AssignorName {
  return (ASSIGNORS as readonly string[]).includes(name);
}

export function assign(
  name: AssignorName,
  members: readonly AssignorMember[],
  topics: ReadonlyMap<string, AssignorTopic>,
  previous: Readonly<Record<string, Assignment>>,
): Record<string, Assignment> {
  return name === 'range' ? rangeAssign(members, topics) : uniformAssign(members, topics, previous);
}

function put(a: Assignment, topicId: string, partition: number): void {
  (a[topicId] ??= []).push(partition);
}

function sortAssignment(a: Assignment): Assignment {
  for (const list of Object.values(a)) list.sort((x, y) => x - y);
  return a;
}

/**
 * Range: per topic, the subscribed members in member-id order get contiguous ranges, the first
 * (partitions % members) one partition more.
 */
export function rangeAssign(members: readonly AssignorMember[], topics: ReadonlyMap<string, AssignorTopic>): Record<string, Assignment> {
  const out: Record<string, Assignment> = Object.fromEntries(members.map((m) => [m.memberId, {}]));
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  for (const topic of topics.values()) {
    const subscribers = sorted.filter((m) => m.topics.includes(topic.id));
    if (subscribers.length === 0) continue;
    const base = Math.floor(topic.partitions / subscribers.length);
    const extra = topic.partitions % subscribers.length;
    let next = 0;
    subscribers.forEach((m, i) => {
      const n = base + (i < extra ? 1 : 0);
      for (let k = 0; k < n; k++) put(out[m.memberId]!, topic.id, next++);
    });
  }
  return out;
}

/**
 * Uniform: every partition of the subscribed topics goes to one subscribed member, spreading
 * them as evenly as subscriptions allow, and keeping each partition with its previous owner
 * when that does not unbalance the group (fewer partitions move in a rebalance).
 */
export function uniformAssign(
  members: readonly AssignorMember[],
  topics: ReadonlyMap<string, AssignorTopic>,
  previous: Readonly<Record<string, Assignment>>,
): Record<string, Assignment> {
  const out: Record<string, Assignment> = Object.fromEntries(members.map((m) => [m.memberId, {}]));
  if (members.length === 0) return out;
  const counts = new Map(members.map((m) => [m.memberId, 0]));
  const owner = new Map<string, string>();
  for (const [memberId, a] of Object.entries(previous)) {
    if (!counts.has(memberId)) continue;
    for (const [topicId, parts] of Object.entries(a)) for (const p of parts) owner.set(`${topicId}:${p}`, memberId);
  }
  const subscribers = new Map<string, string[]>();
  for (const topic of topics.values()) {
    subscribers.set(
      topic.id,
      members.filter((m) => m.topics.includes(topic.id)).map((m) => m.memberId).sort(),
    );
  }
  // Partitions to place: those of topics someone subscribes to.
  const total = [...topics.values()].reduce((n, t) => n + (subscribers.get(t.id)!.length > 0 ? t.partitions : 0), 0);
  const homogeneous = members.every((m) => m.topics.length === members[0]!.topics.length && m.topics.every((t) => members[0]!.topics.includes(t)));
  // Homogeneous: every member may keep floor(total / members) of its previous partitions, and
  // (total % members) of them one more. Heterogeneous: previous owners keep what they had, and
  // the balancing pass below evens it out.
  const floor = homogeneous ? Math.floor(total / members.length) : Infinity;
  let extras = homogeneous ? total % members.length : 0;
  const orderedTopics = [...topics.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const leftover: [string, number, string][] = [];
  const unplaced: [string, number][] = [];
  for (const t of orderedTopics) {
    const candidates = subscribers.get(t.id)!;
    if (candidates.length === 0) continue;
    for (let p = 0; p < t.partitions; p++) {
      const prev = owner.get(`${t.id}:${p}`);
      if (prev !== undefined && candidates.includes(prev)) {
        if (counts.get(prev)! < floor) {
          put(out[prev]!, t.id, p);
          counts.set(prev, counts.get(prev)! + 1);
        } else leftover.push([t.id, p, prev]);
      } else unplaced.push([t.id, p]);
    }
  }
  for (const [topicId, p, prev] of leftover) {
    if (extras > 0 && counts.get(prev)! === floor) {
      put(out[prev]!, topicId, p);
      counts.set(prev, floor + 1);
      extras--;
    } else unplaced.push([topicId, p]);
  }
  // Pass 2: the rest to the least loaded subscriber (ties: member id order).
  for (const [topicId, p] of unplaced) {
    let best: string | undefined;
    for (const c of subscribers.get(topicId)!) if (best === undefined || counts.get(c)! < counts.get(best)!) best = c;
    put(out[best!]!, topicId, p);
    counts.set(best!, counts.get(best!)! + 1);
  }
  if (homogeneous) return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, sortAssignment(v)]));
  // Heterogeneous subscriptions: move partitions from a member to a less loaded subscriber while
  // that narrows the gap by more than one.
  for (let round = 0; round < total; round++) {
    let moved = false;
    for (const t of orderedTopics) {
      for (const from of subscribers.get(t.id)!) {
        const held = out[from]![t.id];
        if (!held || held.length === 0) continue;
        for (const to of subscribers.get(t.id)!) {
          if (counts.get(from)! - counts.get(to)! > 1) {
            const p = held.pop()!;
            put(out[to]!, t.id, p);
            counts.set(from, counts.get(from)! - 1);
            counts.set(to, counts.get(to)! + 1);
            moved = true;
            break;
          }
        }
      }
    }
    if (!moved) break;
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, sortAssignment(v)]));
}
