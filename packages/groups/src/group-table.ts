// Where groups and committed offsets live in the coordination table (docs/consumer-groups.md):
//
//   pk "group#<id>"  sk "state"                 the group (members, generation, assignments),
//                                               rewritten by compare-and-swap on `version`
//   pk "group#<id>"  sk "o#<topic>#<partition>" one committed offset
//   pk "groups"      sk "<id>"                  the list of groups (ListGroups), written once
//
// A group and its offsets share a partition key, so OffsetFetch and DeleteGroups are one query.
import {
  ConditionFailedError,
  TransactionCancelledError,
  type CoordinationStore,
  type Item,
  type TransactAction,
} from '@floe/coordination';
import type { ConsumerGroup } from './consumer-group.ts';
import type { Group, Member } from './group-model.ts';

/** A group of either protocol: classic (JoinGroup/SyncGroup) or consumer (KIP-848). */
export type AnyGroup = Group | ConsumerGroup;

export function isConsumerGroup(g: AnyGroup | undefined): g is ConsumerGroup {
  return g !== undefined && (g as ConsumerGroup).kind === 'consumer';
}

export const GROUPS_INDEX_PK = 'groups';
const STATE_SK = 'state';
const OFFSET_PREFIX = 'o#';
const PARTITION_DIGITS = 10;

export function groupPk(groupId: string): string {
  return `group#${groupId}`;
}

export function offsetSk(topic: string, partition: number): string {
  return `${OFFSET_PREFIX}${topic}#${String(partition).padStart(PARTITION_DIGITS, '0')}`;
}

export interface StoredGroup {
  group: AnyGroup;
  version: number;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestamp: number;
  /** The id of the topic the offset was committed for: a topic recreated under the same name has another. */
  topicId: string;
}

/** Raised when a compare-and-swap lost to another writer: read again and retry. */
export class VersionConflict extends Error {
  constructor() {
    super('group changed concurrently');
    this.name = 'VersionConflict';
  }
}

type StoredMember = Omit<Member, 'protocols' | 'assignment'> & { protocols: { name: string; metadata: string }[]; assignment: string };

function encodeGroup(g: AnyGroup): Uint8Array {
  if (isConsumerGroup(g)) return Buffer.from(JSON.stringify(g));
  const members: StoredMember[] = g.members.map((m) => ({
    ...m,
    protocols: m.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata).toString('base64') })),
    assignment: Buffer.from(m.assignment).toString('base64'),
  }));
  return Buffer.from(JSON.stringify({ ...g, members }));
}

function decodeGroup(body: Uint8Array): AnyGroup {
  const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as AnyGroup;
  if (isConsumerGroup(parsed)) return parsed;
  const raw = parsed as unknown as Omit<Group, 'members'> & { members: StoredMember[] };
  return {
    ...raw,
    members: raw.members.map((m) => ({
      ...m,
      protocols: m.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata, 'base64') })),
      assignment: Buffer.from(m.assignment, 'base64'),
    })),
  };
}

export class GroupTable {
  readonly store: CoordinationStore;
  constructor(store: CoordinationStore) {
    this.store = store;
  }

  async read(groupId: string): Promise<StoredGroup | undefined> {
    const item = await this.store.get(groupPk(groupId), STATE_SK, { consistent: true });
    if (!item || !(item.body instanceof Uint8Array) || typeof item.version !== 'number') return undefined;
    return { group: decodeGroup(item.body), version: item.version };
  }

  private stateItem(g: AnyGroup, version: number): Item {
    return { pk: groupPk(g.groupId), sk: STATE_SK, version, body: encodeGroup(g) };
  }

  /**
   * Writes `g` over the version read (`undefined`: the group did not exist, and it is created
   * together with its index entry). Returns the new version; throws VersionConflict if another
   * writer got there first.
   */
  async write(g: AnyGroup, readVersion: number | undefined): Promise<number> {
    try {
      if (readVersion === undefined) {
        await this.store.transact([
          { put: this.stateItem(g, 1), condition: { absent: true } },
          { put: { pk: GROUPS_INDEX_PK, sk: g.groupId, createdAt: g.createdAt } },
        ]);
        return 1;
      }
      await this.store.put(this.stateItem(g, readVersion + 1), { version: readVersion });
      return readVersion + 1;
    } catch (err) {
      if (err instanceof ConditionFailedError || err instanceof TransactionCancelledError) throw new VersionConflict();
      throw err;
    }
  }

  /** The ids of every group, in id order. */
  async list(): Promise<string[]> {
    const items = await this.store.query(GROUPS_INDEX_PK, { consistent: true });
    return items.map((i) => i.sk);
  }

  /**
   * Writes offsets if the group is still at `version` (a check in the same transaction), at most
   * 99 per transaction: a commit of more partitions is applied in several, each checked.
   */
  async commitOffsets(groupId: string, version: number, offsets: readonly CommittedOffset[]): Promise<void> {
    const pk = groupPk(groupId);
    for (let i = 0; i < offsets.length; i += 99) {
      const actions: TransactAction[] = [{ check: { pk, sk: STATE_SK }, condition: { version } }];
      for (const o of offsets.slice(i, i + 99)) {
        const item: Item = {
          pk,
          sk: offsetSk(o.topic, o.partition),
          offset: o.offset.toString(),
          epoch: o.leaderEpoch,
          ts: o.commitTimestamp,
          topicId: o.topicId,
        };
        if (o.metadata !== null) item.meta = o.metadata;
        actions.push({ put: item });
      }
      try {
        await this.store.transact(actions);
      } catch (err) {
        if (err instanceof TransactionCancelledError && err.reasons[0] === 'condition-failed') throw new VersionConflict();
        throw err;
      }
    }
  }

  /** Committed offsets of a group: all, or those of one topic. */
  async readOffsets(groupId: string, topic?: string): Promise<CommittedOffset[]> {
    const items = await this.store.query(groupPk(groupId), {
      consistent: true,
      prefix: topic === undefined ? OFFSET_PREFIX : `${OFFSET_PREFIX}${topic}#`,
    });
    return items.map(parseOffset).filter((o): o is CommittedOffset => o !== undefined);
  }

  async deleteOffsets(groupId: string, keys: readonly { topic: string; partition: number }[]): Promise<void> {
    const pk = groupPk(groupId);
    await runBounded(keys, 16, (k) => this.store.delete(pk, offsetSk(k.topic, k.partition)));
  }

  /** Deletes the group if it is still at `version`, then its offsets. */
  async deleteGroup(groupId: string, version: number): Promise<void> {
    try {
      await this.store.transact([
        { delete: { pk: groupPk(groupId), sk: STATE_SK }, condition: { version } },
        { delete: { pk: GROUPS_INDEX_PK, sk: groupId } },
      ]);
    } catch (err) {
      if (err instanceof TransactionCancelledError && err.reasons[0] === 'condition-failed') throw new VersionConflict();
      throw err;
    }
    const offsets = await this.readOffsets(groupId);
    await this.deleteOffsets(groupId, offsets);
  }
}

function parseOffset(item: Item): CommittedOffset | undefined {
  const m = /^o#(.+)#(\d{10})$/.exec(item.sk);
  if (!m || typeof item.offset !== 'string') return undefined;
  return {
    topic: m[1]!,
    partition: Number(m[2]),
    offset: BigInt(item.offset),
    leaderEpoch: typeof item.epoch === 'number' ? item.epoch : -1,
    metadata: typeof item.meta === 'string' ? item.meta : null,
    commitTimestamp: typeof item.ts === 'number' ? item.ts : -1,
    topicId: typeof item.topicId === 'string' ? item.topicId : '',
  };
}

async function runBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(workers);
}
