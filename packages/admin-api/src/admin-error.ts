// The typed error of the admin contract: each door answers a kind with its own status (HTTP
// 400/401/403/404/409/503, gRPC INVALID_ARGUMENT, UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND,
// ALREADY_EXISTS, FAILED_PRECONDITION, UNAVAILABLE), always with the message.

/**
 * - `invalid`: the request itself is wrong (a name no topic can have, an unknown config, a count
 *   that shrinks, a negative offset);
 * - `not-found`: no such topic, partition or group;
 * - `exists`: what is to be created exists already;
 * - `conflict`: the thing is in a state that forbids the change (a group with members cannot be
 *   deleted or have its offsets reset);
 * - `unavailable`: the object store or the coordination table did not answer (retry);
 * - `forbidden`: the ACLs do not allow the caller this operation on this resource;
 * - `unauthenticated`: the caller's credentials are wrong, or it presented none where they are required.
 */
export type AdminErrorKind = 'invalid' | 'not-found' | 'exists' | 'conflict' | 'unavailable' | 'forbidden' | 'unauthenticated';

export class AdminError extends Error {
  readonly kind: AdminErrorKind;
  constructor(kind: AdminErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AdminError';
    this.kind = kind;
  }
}
