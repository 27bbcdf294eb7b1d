/** READ (3), DELETE (6) and DESCRIBE (8): the ACL operations that apply to a group (no ACLs yet: all allowed). */
export const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);
/** authorizedOperations when the client did not ask for them. */
export const OPERATIONS_NOT_REQUESTED = -(2 ** 31);
