import type { TopicInfo, TopicStore } from '@floe/log';

/**
 * Topics by name and by id, re-read from the coordination table at most every `ttlMs` and on a
 * miss, so Produce and Fetch do not read the table per request. A topic created on another node
 * is found at once (miss → read); a deleted one may be served for up to `ttlMs`. A miss while
 * the table cannot be read throws.
 */
export class TopicCache {
  private readonly topics: TopicStore;
  private readonly ttlMs: number;
  private byName = new Map<string, TopicInfo>();
  private byId = new Map<string, TopicInfo>();
  private loadedAt = 0;
  /** After a failed read, the stale list is served without trying again until then. */
  private retryAt = 0;
  private loading: Promise<void> | undefined;

  constructor(topics: TopicStore, ttlMs = 1000) {
    this.topics = topics;
    this.ttlMs = ttlMs;
  }

  private reload(): Promise<void> {
    this.loading ??= this.topics
      .list()
      .then((list) => {
        this.byName = new Map(list.map((t) => [t.name, t]));
        this.byId = new Map(list.map((t) => [t.id, t]));
        this.loadedAt = Date.now();
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  /**
   * Re-reads when due. When the table cannot be read, the last list read is served as it is:
   * topics cannot be created or deleted while the table is unreachable, and failing here would
   * fail every request that names a topic (found by the chaos run: DynamoDB Local killed).
   */
  private async fresh(): Promise<void> {
    const now = Date.now();
    if (now - this.loadedAt <= this.ttlMs || now < this.retryAt) return;
    try {
      await this.reload();
    } catch (err) {
      if (this.loadedAt === 0) throw err;
      this.retryAt = Date.now() + this.ttlMs;
    }
  }

  async byNameOrLoad(name: string): Promise<TopicInfo | undefined> {
    await this.fresh();
    if (!this.byName.has(name)) await this.reload();
    return this.byName.get(name);
  }

  async byIdOrLoad(id: string): Promise<TopicInfo | undefined> {
    await this.fresh();
    if (!this.byId.has(id)) await this.reload();
    return this.byId.get(id);
  }

  /** Every topic, read now; the last list read if the table cannot be read (see `fresh`). */
  async all(): Promise<TopicInfo[]> {
    try {
      await this.reload();
    } catch (err) {
      if (this.loadedAt === 0) throw err;
    }
    return [...this.byName.values()];
  }

  /** Forget what is cached (after this node created, changed or deleted a topic). */
  invalidate(): void {
    this.loadedAt = 0;
  }
}
