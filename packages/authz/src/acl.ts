// The vocabulary of Floe's access control lists, in Kafka's terms and names. Pure data: no wire
// codes (the broker translates those), no storage.

export const RESOURCE_TYPES = ['Topic', 'Group', 'Cluster', 'TransactionalId', 'DelegationToken'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** LITERAL: the name itself, or every resource when the name is `*`. PREFIXED: names starting with it. */
export const PATTERN_TYPES = ['LITERAL', 'PREFIXED'] as const;
export type PatternType = (typeof PATTERN_TYPES)[number];

export const OPERATIONS = [
  'All',
  'Read',
  'Write',
  'Create',
  'Delete',
  'Alter',
  'Describe',
  'ClusterAction',
  'DescribeConfigs',
  'AlterConfigs',
  'IdempotentWrite',
  'CreateTokens',
  'DescribeTokens',
] as const;
export type Operation = (typeof OPERATIONS)[number];

export const PERMISSIONS = ['ALLOW', 'DENY'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** The one name of the Cluster resource, as in Kafka. */
export const CLUSTER_NAME = 'kafka-cluster';
/** A LITERAL resource name, an ACL host, or (as `User:*`) a principal matching every one. */
export const WILDCARD = '*';
export const WILDCARD_PRINCIPAL = 'User:*';
/** The principal of a connection that has not authenticated. */
export const ANONYMOUS = 'User:ANONYMOUS';

/** One ACL: who (principal, host) may or may not do what (operation) on which resources (pattern). */
export interface AclBinding {
  resourceType: ResourceType;
  resourceName: string;
  patternType: PatternType;
  /** `Type:name`, e.g. `User:alice`; `User:*` matches every principal. */
  principal: string;
  /** An IP address as the broker sees the client, or `*`. */
  host: string;
  operation: Operation;
  permission: Permission;
}

/** A request's subject: who asks and from where. */
export interface Subject {
  principal: string;
  host: string;
}

/** The resource an action is on. */
export interface Resource {
  type: ResourceType;
  name: string;
}

/**
 * A filter over ACLs as Kafka's DescribeAcls and DeleteAcls take it: `null` fields and the `Any`
 * values match everything; pattern type `MATCH` selects the ACLs that would apply to the named
 * resource (the literal name, the `*` literal and every prefix of it).
 */
export interface AclFilter {
  resourceType: ResourceType | 'Any';
  resourceName: string | null;
  patternType: PatternType | 'Any' | 'Match';
  principal: string | null;
  host: string | null;
  operation: Operation | 'Any';
  permission: Permission | 'Any';
}

/**
 * The operations that mean something on each resource type, besides All (Kafka's
 * AclEntry.supportedOperations, which its AclCommand checks new ACLs against).
 */
export const SUPPORTED_OPERATIONS: Readonly<Record<ResourceType, readonly Operation[]>> = {
  Topic: ['Read', 'Write', 'Create', 'Describe', 'Delete', 'Alter', 'DescribeConfigs', 'AlterConfigs'],
  Group: ['Read', 'Describe', 'Delete'],
  Cluster: ['Create', 'ClusterAction', 'DescribeConfigs', 'AlterConfigs', 'IdempotentWrite', 'Alter', 'Describe'],
  TransactionalId: ['Describe', 'Write'],
  DelegationToken: ['Describe'],
};

/** Kafka's principal form, `Type:name` (both parts non-empty). */
export function isPrincipal(value: string): boolean {
  return /^[^:]+:.+$/.test(value);
}

/** Thrown for an ACL that cannot be stored (Kafka answers INVALID_REQUEST). */
export class InvalidAclError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAclError';
  }
}

/** Checks an ACL as Kafka does before creating it. */
export function checkAcl(acl: AclBinding): void {
  if (!RESOURCE_TYPES.includes(acl.resourceType)) throw new InvalidAclError(`invalid resource type ${String(acl.resourceType)}`);
  if (!PATTERN_TYPES.includes(acl.patternType)) throw new InvalidAclError(`invalid pattern type ${String(acl.patternType)}`);
  if (!OPERATIONS.includes(acl.operation)) throw new InvalidAclError(`invalid operation ${String(acl.operation)}`);
  if (!PERMISSIONS.includes(acl.permission)) throw new InvalidAclError(`invalid permission type ${String(acl.permission)}`);
  if (acl.resourceName === '') throw new InvalidAclError('resource name should not be empty');
  if (acl.resourceType === 'Cluster' && acl.resourceName !== CLUSTER_NAME) {
    throw new InvalidAclError(`the only valid name for the Cluster resource is ${CLUSTER_NAME}`);
  }
  if (!isPrincipal(acl.principal)) throw new InvalidAclError(`principal "${acl.principal}" is not of the form Type:name`);
  if (acl.host === '') throw new InvalidAclError('host should not be empty');
}

/** Parses Kafka's super.users form: `User:a;User:b` (blanks around entries ignored). */
export function parseSuperUsers(value: string | undefined): string[] {
  if (!value) return [];
  const users = value.split(';').map((s) => s.trim()).filter((s) => s !== '');
  for (const u of users) {
    if (!isPrincipal(u)) throw new InvalidAclError(`super user "${u}" is not of the form Type:name`);
  }
  return users;
}
