// Kafka's wire codes of the ACL vocabulary (org.apache.kafka.common.acl / resource enums), and
// their translation to and from @floe/authz's names. Unknown codes translate to undefined: the
// handlers answer INVALID_REQUEST for them.
import type { AclBinding, AclFilter, Operation, PatternType, Permission, ResourceType } from '@floe/authz';

const RESOURCE_TYPE_CODES: Readonly<Record<ResourceType | 'Any', number>> = {
  Any: 1,
  Topic: 2,
  Group: 3,
  Cluster: 4,
  TransactionalId: 5,
  DelegationToken: 6,
};
const PATTERN_TYPE_CODES: Readonly<Record<PatternType | 'Any' | 'Match', number>> = { Any: 1, Match: 2, LITERAL: 3, PREFIXED: 4 };
const OPERATION_CODES: Readonly<Record<Operation | 'Any', number>> = {
  Any: 1,
  All: 2,
  Read: 3,
  Write: 4,
  Create: 5,
  Delete: 6,
  Alter: 7,
  Describe: 8,
  ClusterAction: 9,
  DescribeConfigs: 10,
  AlterConfigs: 11,
  IdempotentWrite: 12,
  CreateTokens: 13,
  DescribeTokens: 14,
};
const PERMISSION_CODES: Readonly<Record<Permission | 'Any', number>> = { Any: 1, DENY: 2, ALLOW: 3 };

function inverse<K extends string>(codes: Readonly<Record<K, number>>): ReadonlyMap<number, K> {
  return new Map(Object.entries(codes).map(([k, v]) => [v as number, k as K]));
}
const RESOURCE_TYPES = inverse(RESOURCE_TYPE_CODES);
const PATTERN_TYPES = inverse(PATTERN_TYPE_CODES);
const OPERATIONS = inverse(OPERATION_CODES);
const PERMISSIONS = inverse(PERMISSION_CODES);

/** An ACL's codes, as CreateAcls carries them and DescribeAcls/DeleteAcls answer them. */
export interface WireAcl {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

/** A filter's codes, as DescribeAcls and DeleteAcls carry them. */
export interface WireAclFilter {
  resourceTypeFilter: number;
  resourceNameFilter: string | null;
  patternTypeFilter: number;
  principalFilter: string | null;
  hostFilter: string | null;
  operation: number;
  permissionType: number;
}

/** The ACL to create; undefined when a code is unknown or means "any" (not a concrete ACL). */
export function aclFromWire(w: WireAcl): AclBinding | undefined {
  const resourceType = RESOURCE_TYPES.get(w.resourceType);
  const patternType = PATTERN_TYPES.get(w.patternType);
  const operation = OPERATIONS.get(w.operation);
  const permission = PERMISSIONS.get(w.permissionType);
  if (!resourceType || resourceType === 'Any') return undefined;
  if (patternType !== 'LITERAL' && patternType !== 'PREFIXED') return undefined;
  if (!operation || operation === 'Any' || !permission || permission === 'Any') return undefined;
  return { resourceType, resourceName: w.resourceName, patternType, principal: w.principal, host: w.host, operation, permission };
}

export function aclToWire(a: AclBinding): WireAcl {
  return {
    resourceType: RESOURCE_TYPE_CODES[a.resourceType],
    resourceName: a.resourceName,
    patternType: PATTERN_TYPE_CODES[a.patternType],
    principal: a.principal,
    host: a.host,
    operation: OPERATION_CODES[a.operation],
    permissionType: PERMISSION_CODES[a.permission],
  };
}

/** The filter; undefined when a code is unknown (Kafka refuses UNKNOWN in a filter). */
export function filterFromWire(w: WireAclFilter): AclFilter | undefined {
  const resourceType = RESOURCE_TYPES.get(w.resourceTypeFilter);
  const patternType = PATTERN_TYPES.get(w.patternTypeFilter);
  const operation = OPERATIONS.get(w.operation);
  const permission = PERMISSIONS.get(w.permissionType);
  if (!resourceType || !patternType || !operation || !permission) return undefined;
  return { resourceType, resourceName: w.resourceNameFilter, patternType, principal: w.principalFilter, host: w.hostFilter, operation, permission };
}
