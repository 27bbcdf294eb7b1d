// The matching rules of Kafka's ACLs, one function per question. The authorizer indexes ACLs by
// resource for speed but decides with these, and the property tests check them directly.
import { WILDCARD, WILDCARD_PRINCIPAL, type AclBinding, type AclFilter, type Operation, type Resource, type Subject } from './acl.ts';

/** Operations an ALLOW of Read, Write, Delete or Alter also grants Describe for (Kafka's rule). */
const IMPLIES_DESCRIBE: ReadonlySet<Operation> = new Set(['Describe', 'Read', 'Write', 'Delete', 'Alter']);
/** An ALLOW of AlterConfigs also grants DescribeConfigs. */
const IMPLIES_DESCRIBE_CONFIGS: ReadonlySet<Operation> = new Set(['DescribeConfigs', 'AlterConfigs']);

/** True when the ACL's resource pattern covers `resource`. */
export function patternCovers(acl: Pick<AclBinding, 'resourceType' | 'resourceName' | 'patternType'>, resource: Resource): boolean {
  if (acl.resourceType !== resource.type) return false;
  if (acl.patternType === 'PREFIXED') return resource.name.startsWith(acl.resourceName);
  return acl.resourceName === WILDCARD || acl.resourceName === resource.name;
}

export function principalMatches(aclPrincipal: string, principal: string): boolean {
  return aclPrincipal === WILDCARD_PRINCIPAL || aclPrincipal === principal;
}

export function hostMatches(aclHost: string, host: string): boolean {
  return aclHost === WILDCARD || aclHost === host;
}

/**
 * Whether an ACL whose resource pattern already covers the resource allows or denies
 * `operation` for `subject` (undefined: it says nothing). An ACL of operation All applies to
 * every operation; an ALLOW also grants what its operation implies (Describe, DescribeConfigs);
 * a DENY denies only its own operation (a DENY of Read does not deny Describe), as in Kafka.
 */
export function verdictOf(acl: AclBinding, subject: Subject, operation: Operation): 'allow' | 'deny' | undefined {
  if (!principalMatches(acl.principal, subject.principal) || !hostMatches(acl.host, subject.host)) return undefined;
  if (acl.operation !== 'All') {
    if (acl.permission === 'ALLOW') {
      if (operation === 'Describe') {
        if (!IMPLIES_DESCRIBE.has(acl.operation)) return undefined;
      } else if (operation === 'DescribeConfigs') {
        if (!IMPLIES_DESCRIBE_CONFIGS.has(acl.operation)) return undefined;
      } else if (operation !== acl.operation) {
        return undefined;
      }
    } else if (operation !== acl.operation) {
      return undefined;
    }
  }
  return acl.permission === 'ALLOW' ? 'allow' : 'deny';
}

/** Kafka's AclBindingFilter.matches: which stored ACLs a DescribeAcls or DeleteAcls filter selects. */
export function filterMatches(filter: AclFilter, acl: AclBinding): boolean {
  if (filter.resourceType !== 'Any' && filter.resourceType !== acl.resourceType) return false;
  if (filter.patternType !== 'Any' && filter.patternType !== 'Match' && filter.patternType !== acl.patternType) return false;
  if (filter.resourceName !== null) {
    if (filter.patternType === 'Match') {
      const covers = acl.patternType === 'PREFIXED'
        ? filter.resourceName.startsWith(acl.resourceName)
        : acl.resourceName === filter.resourceName || acl.resourceName === WILDCARD;
      if (!covers) return false;
    } else if (filter.resourceName !== acl.resourceName) {
      return false;
    }
  }
  if (filter.principal !== null && filter.principal !== acl.principal) return false;
  if (filter.host !== null && filter.host !== acl.host) return false;
  if (filter.operation !== 'Any' && filter.operation !== acl.operation) return false;
  if (filter.permission !== 'Any' && filter.permission !== acl.permission) return false;
  return true;
}

/** A stable identity of an ACL (the same binding always gives the same key). */
export function aclKey(acl: AclBinding): string {
  return JSON.stringify([acl.resourceType, acl.patternType, acl.resourceName, acl.principal, acl.host, acl.operation, acl.permission]);
}
