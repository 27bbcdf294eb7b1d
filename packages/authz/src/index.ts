export {
  ANONYMOUS,
  CLUSTER_NAME,
  InvalidAclError,
  OPERATIONS,
  PATTERN_TYPES,
  PERMISSIONS,
  RESOURCE_TYPES,
  SUPPORTED_OPERATIONS,
  WILDCARD,
  WILDCARD_PRINCIPAL,
  checkAcl,
  isPrincipal,
  parseSuperUsers,
  type AclBinding,
  type AclFilter,
  type Operation,
  type PatternType,
  type Permission,
  type Resource,
  type ResourceType,
  type Subject,
} from './acl.ts';
export { aclKey, filterMatches, hostMatches, patternCovers, principalMatches, verdictOf } from './acl-match.ts';
export { AclAuthorizer, SuperUsersOnly, type Authorizer } from './authorizer.ts';
export { AclTable, ACLS_PK, ACL_VERSION_PK, type AclSet } from './acl-table.ts';
export { AclCache, DEFAULT_ACL_REFRESH_MS, type AclCacheOptions } from './acl-cache.ts';
export { AUDIT_MODES, audit, type AuditMode } from './audit.ts';
