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
export {
  DEFAULT_CONSUMER_GROUP_SETTINGS,
  consumerGroupState,
  subscribedTopics,
  type ConsumerErrorKind,
  type ConsumerGroup,
  type ConsumerGroupSettings,
  type ConsumerHeartbeatRequest,
  type ConsumerHeartbeatResponse,
  type ConsumerMember,
} from './consumer-group.ts';
export { ASSIGNORS, type Assignment, type AssignorTopic } from './assignors.ts';
export { isConsumerGroup, type AnyGroup } from './group-table.ts';
