// Decides requests against one set of ACLs (immutable: a changed set is a new Authorizer).
//
// ACLs are indexed by resource type, then by literal name and by prefix, so a decision looks at
// the ACLs of the resource's own name, of `*`, and of each prefix length some PREFIXED ACL of that
// type has: a handful of map lookups per check, however many ACLs there are.
import { CLUSTER_NAME, WILDCARD, type AclBinding, type Operation, type Resource, type ResourceType, type Subject } from './acl.ts';
import { hostMatches, principalMatches, verdictOf } from './acl-match.ts';

interface TypeIndex {
  literal: Map<string, AclBinding[]>;
  prefixed: Map<string, AclBinding[]>;
  /** Distinct lengths of the PREFIXED names, ascending. */
  prefixLengths: number[];
}

function push(map: Map<string, AclBinding[]>, key: string, acl: AclBinding): void {
  const list = map.get(key);
  if (list) list.push(acl);
  else map.set(key, [acl]);
}

/** What the broker asks: may this subject do this operation on this resource? */
export interface Authorizer {
  authorize(subject: Subject, operation: Operation, resource: Resource): boolean;
  /** Kafka's authorizeByResourceType: may the subject do `operation` on at least one resource of `type`? */
  authorizeAny(subject: Subject, operation: Operation, type: ResourceType): boolean;
}

export class AclAuthorizer implements Authorizer {
  private readonly byType = new Map<ResourceType, TypeIndex>();
  private readonly superUsers: ReadonlySet<string>;
  readonly acls: readonly AclBinding[];

  constructor(acls: readonly AclBinding[], superUsers: Iterable<string>) {
    this.acls = acls;
    this.superUsers = new Set(superUsers);
    for (const acl of acls) {
      let index = this.byType.get(acl.resourceType);
      if (!index) {
        index = { literal: new Map(), prefixed: new Map(), prefixLengths: [] };
        this.byType.set(acl.resourceType, index);
      }
      if (acl.patternType === 'PREFIXED') push(index.prefixed, acl.resourceName, acl);
      else push(index.literal, acl.resourceName, acl);
    }
    for (const index of this.byType.values()) {
      index.prefixLengths = [...new Set([...index.prefixed.keys()].map((k) => k.length))].sort((a, b) => a - b);
    }
  }

  isSuperUser(principal: string): boolean {
    return this.superUsers.has(principal);
  }

  /** Allowed when some ACL allows it and none denies it (DENY wins); super users always are. */
  authorize(subject: Subject, operation: Operation, resource: Resource): boolean {
    if (this.superUsers.has(subject.principal)) return true;
    const index = this.byType.get(resource.type);
    if (!index) return false;
    const name = resource.type === 'Cluster' ? CLUSTER_NAME : resource.name;
    let allowed = false;
    const consider = (acls: readonly AclBinding[] | undefined): boolean => {
      if (!acls) return true;
      for (const acl of acls) {
        const v = verdictOf(acl, subject, operation);
        if (v === 'deny') return false;
        if (v === 'allow') allowed = true;
      }
      return true;
    };
    if (!consider(index.literal.get(name))) return false;
    if (name !== WILDCARD && !consider(index.literal.get(WILDCARD))) return false;
    for (const length of index.prefixLengths) {
      if (length > name.length) break;
      if (!consider(index.prefixed.get(name.slice(0, length)))) return false;
    }
    return allowed;
  }

  /**
   * As Kafka's default authorizeByResourceType: allowed for a super user, or when an ALLOW of the
   * operation (or All; no implied operations here) on some pattern of the type is not shadowed by
   * a DENY: a DENY of the literal `*` shadows everything, a literal DENY shadows the same literal
   * ALLOW, a PREFIXED DENY shadows every ALLOW whose name starts with it.
   */
  authorizeAny(subject: Subject, operation: Operation, type: ResourceType): boolean {
    if (this.superUsers.has(subject.principal)) return true;
    const denyLiteral = new Set<string>();
    const denyPrefixed = new Set<string>();
    const allowLiteral: string[] = [];
    const allowPrefixed: string[] = [];
    let wildcardAllow = false;
    for (const acl of this.acls) {
      if (acl.resourceType !== type) continue;
      if (!hostMatches(acl.host, subject.host) || !principalMatches(acl.principal, subject.principal)) continue;
      if (acl.operation !== operation && acl.operation !== 'All') continue;
      const literal = acl.patternType === 'LITERAL';
      if (acl.permission === 'DENY') {
        if (literal && acl.resourceName === WILDCARD) return false;
        (literal ? denyLiteral : denyPrefixed).add(acl.resourceName);
      } else if (literal && acl.resourceName === WILDCARD) {
        wildcardAllow = true;
      } else {
        (literal ? allowLiteral : allowPrefixed).push(acl.resourceName);
      }
    }
    if (wildcardAllow) return true;
    const shadowedByPrefix = (name: string): boolean => {
      for (let i = 1; i <= name.length; i++) if (denyPrefixed.has(name.slice(0, i))) return true;
      return false;
    };
    for (const name of allowLiteral) if (!denyLiteral.has(name) && !shadowedByPrefix(name)) return true;
    for (const name of allowPrefixed) if (!shadowedByPrefix(name)) return true;
    return false;
  }
}

/** Denies everything except super users: a node that has not loaded any ACLs yet. */
export class SuperUsersOnly implements Authorizer {
  private readonly superUsers: ReadonlySet<string>;
  constructor(superUsers: Iterable<string>) {
    this.superUsers = new Set(superUsers);
  }
  authorize(subject: Subject): boolean {
    return this.superUsers.has(subject.principal);
  }
  authorizeAny(subject: Subject): boolean {
    return this.superUsers.has(subject.principal);
  }
}
