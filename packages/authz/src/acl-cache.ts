// A node's copy of the ACLs, kept fresh by polling the version item: checks read memory only.
//
// Every `refreshMs` the cache reads the version item (one small read) and, only when it moved,
// the whole set. A failed refresh keeps the last good set and is reported (onRefreshError); a
// node that has never loaded the set denies everyone but the super users: an outage of the
// table must never open the broker.
import type { AclBinding, Operation, Resource, ResourceType, Subject } from './acl.ts';
import type { AclSet, AclTable } from './acl-table.ts';
import { AclAuthorizer, SuperUsersOnly, type Authorizer } from './authorizer.ts';

export const DEFAULT_ACL_REFRESH_MS = 1000;

export interface AclCacheOptions {
  table: Pick<AclTable, 'version' | 'read'>;
  superUsers: readonly string[];
  /** How often the version item is read (default 1 s). */
  refreshMs?: number;
  onRefreshError?: (err: unknown) => void;
  /** Called with each newly loaded set (for logs and tests). */
  onLoaded?: (set: AclSet) => void;
}

export class AclCache implements Authorizer {
  private readonly options: AclCacheOptions;
  private readonly superUsers: readonly string[];
  private current: Authorizer;
  private set: AclSet | undefined;
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: AclCacheOptions) {
    this.options = options;
    this.superUsers = options.superUsers;
    this.current = new SuperUsersOnly(options.superUsers);
  }

  /** Loads once (a failure is reported, not thrown), then refreshes in the background. */
  async start(): Promise<void> {
    await this.refresh().catch(() => undefined);
    this.timer ??= setInterval(() => void this.refresh().catch(() => undefined), this.options.refreshMs ?? DEFAULT_ACL_REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** True once a set has been loaded. */
  get loaded(): boolean {
    return this.set !== undefined;
  }

  /** The loaded ACLs (empty before the first load). */
  acls(): readonly AclBinding[] {
    return this.set?.acls ?? [];
  }

  /** Reads the version and, if it moved, the set. One refresh at a time; callers share it. */
  refresh(): Promise<void> {
    this.inFlight ??= this.load().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async load(): Promise<void> {
    try {
      const version = await this.options.table.version();
      if (this.set !== undefined && version === this.set.version) return;
      const set = await this.options.table.read();
      this.set = set;
      this.current = new AclAuthorizer(set.acls, this.superUsers);
      this.options.onLoaded?.(set);
    } catch (err) {
      this.options.onRefreshError?.(err);
      throw err;
    }
  }

  authorize(subject: Subject, operation: Operation, resource: Resource): boolean {
    return this.current.authorize(subject, operation, resource);
  }

  authorizeAny(subject: Subject, operation: Operation, type: ResourceType): boolean {
    return this.current.authorizeAny(subject, operation, type);
  }
}
