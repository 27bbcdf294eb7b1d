// Where ACLs live in the coordination table:
//
//   pk "acls"         sk <the ACL's key>   one item per ACL (its seven fields as attributes)
//   pk "acl-version"  sk "v"               a counter bumped by every change, in the same transaction
//
// One item per ACL: a create is a create-only put and a delete a must-exist delete, so two
// concurrent changes touch different items and neither can lose the other's ACL (one item per
// resource would need a read-modify-write of a list). The version item makes a change cheap to
// notice: nodes read it every second and re-read the ACLs only when it moved. Because it is
// compare-and-swapped in the same transaction, concurrent changes serialize on it and retry.
import { TransactionCancelledError, type CoordinationStore, type Item, type TransactAction } from '@floe/coordination';
import {
  InvalidAclError,
  OPERATIONS,
  PATTERN_TYPES,
  PERMISSIONS,
  RESOURCE_TYPES,
  checkAcl,
  type AclBinding,
  type AclFilter,
} from './acl.ts';
import { aclKey, filterMatches } from './acl-match.ts';

export const ACLS_PK = 'acls';
export const ACL_VERSION_PK = 'acl-version';
const VERSION_SK = 'v';
/** DynamoDB's limit on a sort key. */
const MAX_SORT_KEY_BYTES = 1024;
const MAX_ATTEMPTS = 50;

export interface AclSet {
  /** The version item's value when the set was read (0: no change ever). */
  version: number;
  acls: AclBinding[];
}

function toItem(acl: AclBinding, sk: string): Item {
  return {
    pk: ACLS_PK,
    sk,
    resourceType: acl.resourceType,
    resourceName: acl.resourceName,
    patternType: acl.patternType,
    principal: acl.principal,
    host: acl.host,
    operation: acl.operation,
    permission: acl.permission,
  };
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : undefined;
}

/** The ACL an item holds; undefined for an item this version of Floe cannot read. */
function fromItem(item: Item): AclBinding | undefined {
  const resourceType = oneOf(item.resourceType, RESOURCE_TYPES);
  const patternType = oneOf(item.patternType, PATTERN_TYPES);
  const operation = oneOf(item.operation, OPERATIONS);
  const permission = oneOf(item.permission, PERMISSIONS);
  const { resourceName, principal, host } = item;
  if (!resourceType || !patternType || !operation || !permission) return undefined;
  if (typeof resourceName !== 'string' || typeof principal !== 'string' || typeof host !== 'string') return undefined;
  return { resourceType, resourceName, patternType, principal, host, operation, permission };
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class AclTable {
  private readonly store: CoordinationStore;
  constructor(store: CoordinationStore) {
    this.store = store;
  }

  /** The change counter (0 before the first change). One small strongly consistent read. */
  async version(): Promise<number> {
    const item = await this.store.get(ACL_VERSION_PK, VERSION_SK, { consistent: true });
    return typeof item?.version === 'number' ? item.version : 0;
  }

  /**
   * Every ACL, with the version read before them: a change racing the read shows up as a newer
   * version on the next look, so a cache never keeps a stale set under a current version.
   */
  async read(): Promise<AclSet> {
    const version = await this.version();
    const items = await this.store.query(ACLS_PK, { consistent: true });
    const acls = items.map(fromItem).filter((a): a is AclBinding => a !== undefined);
    return { version, acls };
  }

  /** The stored ACLs a filter selects (as DescribeAcls selects them), read from the table itself. */
  async list(filter: AclFilter): Promise<AclBinding[]> {
    return (await this.read()).acls.filter((acl) => filterMatches(filter, acl));
  }

  /** Adds an ACL; adding one that exists succeeds and changes nothing (as in Kafka). */
  async create(acl: AclBinding): Promise<void> {
    checkAcl(acl);
    const sk = aclKey(acl);
    if (Buffer.byteLength(sk) > MAX_SORT_KEY_BYTES) throw new InvalidAclError('resource name, principal and host are too long together');
    await this.changeOne({ put: toItem(acl, sk), condition: { absent: true } });
  }

  /** Deletes the stored ACLs each filter selects; per filter, the ACLs this call deleted. */
  async delete(filters: readonly AclFilter[]): Promise<AclBinding[][]> {
    const { acls } = await this.read();
    const deleted = new Set<string>();
    const out: AclBinding[][] = [];
    for (const filter of filters) {
      const removed: AclBinding[] = [];
      for (const acl of acls) {
        if (!filterMatches(filter, acl)) continue;
        const sk = aclKey(acl);
        // Two filters of one request may select the same ACL: Kafka lists it under each.
        if (deleted.has(sk) || (await this.changeOne({ delete: { pk: ACLS_PK, sk }, condition: { exists: true } }))) {
          deleted.add(sk);
          removed.push(acl);
        }
      }
      out.push(removed);
    }
    return out;
  }

  /**
   * Applies one ACL write together with a version bump. Returns false when the ACL's own
   * condition failed (it existed already / was deleted by someone else): nothing to do.
   */
  private async changeOne(action: TransactAction): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const item = await this.store.get(ACL_VERSION_PK, VERSION_SK, { consistent: true });
      const current = typeof item?.version === 'number' ? item.version : undefined;
      const bump: TransactAction = {
        put: { pk: ACL_VERSION_PK, sk: VERSION_SK, version: (current ?? 0) + 1 },
        condition: current === undefined ? { absent: true } : { version: current },
      };
      try {
        await this.store.transact([action, bump]);
        return true;
      } catch (err) {
        if (!(err instanceof TransactionCancelledError)) throw err;
        if (err.reasons[0] === 'condition-failed') return false;
        if (attempt >= MAX_ATTEMPTS) throw err;
        await pause(Math.floor(Math.random() * 20 * Math.min(attempt, 5)));
      }
    }
  }
}
