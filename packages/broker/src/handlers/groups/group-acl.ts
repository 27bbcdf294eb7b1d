import type { Access } from '../access.ts';

/** READ (3), DELETE (6) and DESCRIBE (8): the ACL operations that apply to a group. */
export const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

/** authorizedOperations of a group: the bits of the group operations the principal is allowed. */
export function groupOperations(access: Access, groupId: string): number {
  if (!access.enabled) return GROUP_OPERATIONS;
  return (access.group('Read', groupId) ? 1 << 3 : 0) | (access.group('Delete', groupId) ? 1 << 6 : 0) | (access.group('Describe', groupId) ? 1 << 8 : 0);
}
export { OPERATIONS_NOT_REQUESTED } from '../kafka-constants.ts';
