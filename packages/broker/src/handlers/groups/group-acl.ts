import type { Access } from '../access.ts';

/** The ACL operations that apply to a group, with Kafka's codes. */
const GROUP_OPERATION_CODES = [
  ['Read', 3],
  ['Delete', 6],
  ['Describe', 8],
] as const;
export const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

/** authorizedOperations of a group: the bits of the group operations the principal is allowed. */
export function groupOperations(access: Access, groupId: string): number {
  return access.operationBits('Group', groupId, GROUP_OPERATION_CODES);
}
export { OPERATIONS_NOT_REQUESTED } from '../kafka-constants.ts';
