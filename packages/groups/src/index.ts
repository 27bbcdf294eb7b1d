export { GroupCoordinator, type GroupCoordinatorOptions, type GroupSummary, type OffsetCommitOutcome } from './group-coordinator.ts';
export { GroupError } from './errors.ts';
export {
  DEFAULT_GROUP_SETTINGS,
  metadataFor,
  type Group,
  type GroupErrorKind,
  type GroupSettings,
  type GroupStateName,
  type Member,
  type ProtocolOffer,
} from './group-model.ts';
export type { HeartbeatRequest, JoinRequest, JoinResponse, JoinStep, LeavingMember, SyncRequest, SyncStep } from './classic-protocol.ts';
export type { CommittedOffset } from './group-table.ts';
