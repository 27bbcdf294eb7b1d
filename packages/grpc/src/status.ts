// gRPC status errors and the mapping of the log's errors to status codes.
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { AdminError, type AdminErrorKind } from '@floe/admin-api';
import { LogError } from '@floe/log';

/** An error carrying the gRPC status it is answered with. */
export class GrpcStatusError extends Error {
  readonly code: status;
  constructor(code: status, message: string) {
    super(message);
    this.name = 'GrpcStatusError';
    this.code = code;
  }
}

export const invalidArgument = (message: string): GrpcStatusError => new GrpcStatusError(status.INVALID_ARGUMENT, message);
export const notFound = (message: string): GrpcStatusError => new GrpcStatusError(status.NOT_FOUND, message);
export const outOfRange = (message: string): GrpcStatusError => new GrpcStatusError(status.OUT_OF_RANGE, message);

/** The status of each kind of the admin contract's errors. */
export const ADMIN_STATUS: Readonly<Record<AdminErrorKind, status>> = {
  invalid: status.INVALID_ARGUMENT,
  'not-found': status.NOT_FOUND,
  exists: status.ALREADY_EXISTS,
  conflict: status.FAILED_PRECONDITION,
  unavailable: status.UNAVAILABLE,
  forbidden: status.PERMISSION_DENIED,
  unauthenticated: status.UNAUTHENTICATED,
};

/** The gRPC status code of an error of the log or the admin API (or of anything else: storage unreachable). */
export function statusOf(err: unknown): status {
  if (err instanceof GrpcStatusError) return err.code;
  if (err instanceof AdminError) return ADMIN_STATUS[err.kind];
  if (err instanceof LogError) {
    switch (err.kind) {
      case 'unknown-topic-or-partition':
        return status.NOT_FOUND;
      case 'offset-out-of-range':
        return status.OUT_OF_RANGE;
      case 'invalid-config':
      case 'invalid-partitions':
      case 'invalid-record':
      case 'message-too-large':
        return status.INVALID_ARGUMENT;
      case 'topic-already-exists':
        return status.ALREADY_EXISTS;
      case 'out-of-order-sequence':
      case 'invalid-producer-epoch':
        return status.FAILED_PRECONDITION;
      case 'timeout':
        return status.DEADLINE_EXCEEDED;
      case 'unavailable':
      case 'shutting-down':
        return status.UNAVAILABLE;
    }
  }
  // Anything else came from the object store or the coordination table: retriable.
  return status.UNAVAILABLE;
}

export function toServiceError(err: unknown): Partial<ServiceError> & { code: status; details: string } {
  const message = err instanceof Error ? err.message : String(err);
  return { name: 'Error', message, code: statusOf(err), details: message, metadata: new Metadata() };
}
