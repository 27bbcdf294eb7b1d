// The answers the three ACL APIs share: no authorizer, not allowed, and failures.
import { InvalidAclError } from '@floe/authz';
import { ErrorCode } from '@floe/protocol';

export interface AclError {
  errorCode: number;
  errorMessage: string | null;
}

/** What Kafka answers when no authorizer is configured. */
export const SECURITY_DISABLED: AclError = { errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.' };
export const CLUSTER_DENIED: AclError = { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null };
export const NO_ERROR: AclError = { errorCode: ErrorCode.NONE, errorMessage: null };

export function invalidRequest(message: string): AclError {
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: message };
}

/** An ACL refused by its checks is the client's fault; anything else the table's. */
export function aclFailure(err: unknown): AclError {
  if (err instanceof InvalidAclError) return invalidRequest(err.message);
  return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: err instanceof Error ? err.message : String(err) };
}
