import { randomBytes } from 'node:crypto';
import { ConditionFailedError, type CoordinationStore, type Item } from '@floe/coordination';
import { LogError } from './errors.ts';

// Topics in the coordination table: pk "topics", sk = topic name; attributes id (topic id),
// partitions, configs (JSON object of string values), version (compare-and-swap), created (ms).
// One partition key holds every topic so that listing them is one query; topic changes are
// rare, far below one key's write limit.

export interface TopicInfo {
  name: string;
  id: string;
  partitions: number;
  configs: Record<string, string>;
  version: number;
  created: number;
}

const PK = 'topics';
/** Kafka's rule for topic names. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
export const MAX_PARTITIONS = 10_000;

export function checkTopicName(name: string): void {
  if (!TOPIC_NAME.test(name) || name === '.' || name === '..') {
    throw new LogError('invalid-config', `invalid topic name "${name}": use 1-249 of [a-zA-Z0-9._-], not "." or ".."`);
  }
}

function toItem(t: TopicInfo): Item {
  return {
    pk: PK,
    sk: t.name,
    id: t.id,
    partitions: t.partitions,
    configs: JSON.stringify(t.configs),
    version: t.version,
    created: t.created,
  };
}

function fromItem(item: Item): TopicInfo {
  return {
    name: item.sk,
    id: item.id as string,
    partitions: item.partitions as number,
    configs: JSON.parse(item.configs as string) as Record<string, string>,
    version: item.version as number,
    created: item.created as number,
  };
}

/** A fresh topic id: 16 random bytes, never the all-zero id Kafka reserves. */
export function newTopicId(): string {
  for (;;) {
    const b = randomBytes(16);
    if (b.some((x) => x !== 0)) return b.toString('base64url');
  }
}

export class TopicStore {
  private readonly store: CoordinationStore;

  constructor(store: CoordinationStore) {
    this.store = store;
  }

  async list(consistent = true): Promise<TopicInfo[]> {
    const items = await this.store.query(PK, { consistent });
    return items.map(fromItem);
  }

  async get(name: string, consistent = true): Promise<TopicInfo | undefined> {
    const item = await this.store.get(PK, name, { consistent });
    return item ? fromItem(item) : undefined;
  }

  async create(name: string, partitions: number, configs: Record<string, string>): Promise<TopicInfo> {
    checkTopicName(name);
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
      throw new LogError('invalid-partitions', `partition count must be 1-${MAX_PARTITIONS}, got ${partitions}`);
    }
    const topic: TopicInfo = { name, id: newTopicId(), partitions, configs, version: 1, created: Date.now() };
    try {
      await this.store.put(toItem(topic), { absent: true });
    } catch (err) {
      if (err instanceof ConditionFailedError) throw new LogError('topic-already-exists', `topic "${name}" already exists`);
      throw err;
    }
    return topic;
  }

  /** Replaces the topic's item if nobody changed it since `topic.version` was read. */
  async update(topic: TopicInfo, change: Partial<Pick<TopicInfo, 'partitions' | 'configs'>>): Promise<TopicInfo> {
    const next: TopicInfo = { ...topic, ...change, version: topic.version + 1 };
    try {
      await this.store.put(toItem(next), { version: topic.version });
    } catch (err) {
      if (err instanceof ConditionFailedError) {
        throw new LogError('unavailable', `topic "${topic.name}" changed concurrently; retry`);
      }
      throw err;
    }
    return next;
  }

  async delete(topic: TopicInfo): Promise<void> {
    try {
      await this.store.delete(PK, topic.name, { version: topic.version });
    } catch (err) {
      if (err instanceof ConditionFailedError) {
        throw new LogError('unknown-topic-or-partition', `topic "${topic.name}" changed or was deleted concurrently`);
      }
      throw err;
    }
  }
}
