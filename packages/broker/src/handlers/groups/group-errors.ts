// Group outcomes as Kafka error codes. The group coordinator (@floe/groups) names outcomes by
// kind and stays free of the wire format; this is where they become codes.
//
// Anything thrown by the coordinator (the coordination table unreachable, too many concurrent
// changes) is answered COORDINATOR_NOT_AVAILABLE: every client treats it as "find the
// coordinator again and retry", which is right, since nothing was written and any node can
// take over.
import { GroupError, type GroupErrorKind } from '@floe/groups';
import { ErrorCode } from '@floe/protocol';

const BY_KIND: Readonly<Record<GroupErrorKind, number>> = {
  'unknown-member-id': ErrorCode.UNKNOWN_MEMBER_ID,
  'member-id-required': ErrorCode.MEMBER_ID_REQUIRED,
  'illegal-generation': ErrorCode.ILLEGAL_GENERATION,
  'rebalance-in-progress': ErrorCode.REBALANCE_IN_PROGRESS,
  'fenced-instance-id': ErrorCode.FENCED_INSTANCE_ID,
  'inconsistent-group-protocol': ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
  'invalid-session-timeout': ErrorCode.INVALID_SESSION_TIMEOUT,
  'invalid-group-id': ErrorCode.INVALID_GROUP_ID,
  'group-max-size-reached': ErrorCode.GROUP_MAX_SIZE_REACHED,
  'group-id-not-found': ErrorCode.GROUP_ID_NOT_FOUND,
  'non-empty-group': ErrorCode.NON_EMPTY_GROUP,
  'group-subscribed-to-topic': ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC,
  'stale-member-epoch': ErrorCode.STALE_MEMBER_EPOCH,
  'coordinator-not-available': ErrorCode.COORDINATOR_NOT_AVAILABLE,
  'not-coordinator': ErrorCode.NOT_COORDINATOR,
};

export function groupErrorCode(kind: GroupErrorKind | null): number {
  return kind === null ? ErrorCode.NONE : BY_KIND[kind];
}

/** The code to answer when a group operation threw. */
export function groupFailureCode(err: unknown): number {
  if (err instanceof GroupError) return BY_KIND[err.kind];
  return ErrorCode.COORDINATOR_NOT_AVAILABLE;
}

/** Kafka shows a member's host as "/" + its address. */
export function clientHostOf(clientAddress: string): string {
  const at = clientAddress.lastIndexOf(':');
  const host = at > 0 ? clientAddress.slice(0, at) : clientAddress;
  return `/${host.replace(/^\[(.*)\]$/, '$1')}`;
}
