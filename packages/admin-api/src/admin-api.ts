// The admin contract of a Floe node: what its doors (the HTTP JSON API, the gRPC Admin service)
// ask of it. The composition root implements it over the storage core and the group coordinator
// with the same checks as the Kafka admin APIs; the doors only translate requests and errors.

export interface NodeView {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface TopicSummary {
  name: string;
  id: string;
  partitions: number;
}

export interface PartitionView {
  partition: number;
  logStartOffset: number;
  highWatermark: number;
}

export interface TopicDetail extends TopicSummary {
  configs: Record<string, string>;
  partitionOffsets: PartitionView[];
}

export interface GroupView {
  groupId: string;
  type: string;
  protocolType: string;
  state: string;
}

export interface GroupMemberView {
  memberId: string;
  instanceId: string | null;
  clientId: string;
  clientHost: string;
}

/** A committed offset with the partition's current high watermark and the lag (null: the topic or partition is gone). */
export interface OffsetLagView {
  topic: string;
  partition: number;
  committedOffset: number;
  highWatermark: number | null;
  lag: number | null;
}

export interface GroupDetail extends GroupView {
  members: GroupMemberView[];
  offsets: OffsetLagView[];
}

export interface GroupOffsets {
  groupId: string;
  /** The group's state; "Dead" when only offsets are left (no group state). */
  state: string;
  offsets: OffsetLagView[];
}

/** Changes to a topic's configs, as IncrementalAlterConfigs SET and DELETE. */
export interface ConfigChanges {
  /** Values to set (Kafka's names). */
  set: Record<string, string>;
  /** Names whose topic value is removed (back to the default). */
  delete: string[];
}

/** Where a reset moves each partition's committed offset (clamped to [log start, high watermark]). */
export type OffsetResetTarget =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'offset'; offset: number }
  /** The first offset whose record timestamp is at least `timestampMs`, else the high watermark. */
  | { kind: 'timestamp'; timestampMs: number };

export interface OffsetReset {
  topic: string;
  /** The partitions to reset; absent: all of the topic's. */
  partitions?: number[];
  to: OffsetResetTarget;
  /** false (the default at every door): only answer what the offsets would be. */
  execute: boolean;
}

export interface OffsetResetResult {
  groupId: string;
  topic: string;
  /** Whether the new offsets were committed (false: a dry run, nothing written). */
  executed: boolean;
  partitions: { partition: number; previousOffset: number | null; newOffset: number }[];
}

/** One record as stored: its bytes as they are (the doors render them). */
export interface StoredRecord {
  offset: number;
  /** Milliseconds since the epoch (the batch's for LogAppendTime topics). */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
}

/**
 * Records of one partition from an offset. An offset outside [logStartOffset, highWatermark]
 * gives no records, not an error: `nextOffset` is then the nearest offset that can be read.
 */
export interface RecordsPage {
  logStartOffset: number;
  highWatermark: number;
  /** Where to read next: after the last record answered. */
  nextOffset: number;
  records: StoredRecord[];
}

/** Most records one records request answers. */
export const MAX_RECORDS_LIMIT = 500;
export const DEFAULT_RECORDS_LIMIT = 50;

/** Every operation throws AdminError for what it refuses; anything else means storage failed. */
export interface AdminApi {
  cluster(): Promise<{ clusterId: string; nodes: NodeView[] }>;
  listTopics(): Promise<TopicSummary[]>;
  describeTopic(name: string): Promise<TopicDetail | undefined>;
  createTopic(name: string, partitions: number | undefined, configs: Record<string, string>): Promise<TopicSummary>;
  /** Sets and deletes configs of a topic (checked like CreateTopics' configs); answers the topic after. */
  alterTopicConfigs(name: string, changes: ConfigChanges): Promise<TopicDetail>;
  /** Raises the partition count to `count` (more than today, at most the broker's cap). */
  addPartitions(name: string, count: number): Promise<TopicSummary>;
  deleteTopic(name: string): Promise<void>;
  listGroups(): Promise<GroupView[]>;
  describeGroup(groupId: string): Promise<GroupDetail | undefined>;
  /** The group's committed offsets with lag; undefined when there is neither a group nor offsets. */
  groupOffsets(groupId: string): Promise<GroupOffsets | undefined>;
  /** Deletes a group without members, with its offsets (a group with members: conflict). */
  deleteGroup(groupId: string): Promise<void>;
  /** Resets a group's offsets for one topic; only while the group is empty or does not exist (else conflict). */
  resetGroupOffsets(groupId: string, reset: OffsetReset): Promise<OffsetResetResult>;
  /** Up to `limit` records of a partition from `offset`; undefined when the topic does not exist. */
  readRecords(topic: string, partition: number, offset: number | undefined, limit: number): Promise<RecordsPage | undefined>;
}

/** Who calls a door: the principal (Kafka's `User:name`) and the client's IP address. */
export interface Caller {
  principal: string;
  host: string;
}

/** The principal of a caller that presented no credentials, as on the Kafka port. */
export const ANONYMOUS_CALLER_PRINCIPAL = 'User:ANONYMOUS';

/**
 * The admin API as one caller may use it: with the authorizer on, each operation is checked
 * against the ACLs for that caller (refusals are AdminError `forbidden`, lists are filtered).
 */
export type AdminFor = (caller: Caller) => AdminApi;

/** The resources a door's ACL checks name, with Kafka's type names. */
export type DoorResourceType = 'Topic' | 'Group' | 'Cluster';

/**
 * May `caller` do `operation` (Kafka's ACL operation: Read, Write, Describe, IdempotentWrite...)
 * on the resource? Handed to the doors by the composition root when the authorizer is on.
 */
export type DoorAuthorizer = (caller: Caller, operation: string, type: DoorResourceType, name: string) => boolean;

/**
 * What a caller presented to a door: the `authorization` header (`Basic base64(user:password)`
 * or `Bearer <JWT>`), the DER bytes of a client certificate the TLS handshake verified, and the
 * client's IP address.
 */
export interface PresentedCredentials {
  authorization?: string | undefined;
  certificate?: Uint8Array | undefined;
  host: string;
}

/**
 * Who the caller is: its principal from the header (which wins), else from the certificate,
 * else `User:ANONYMOUS` when the node allows anonymous callers. Rejects with AdminError
 * `unauthenticated` (HTTP 401, gRPC UNAUTHENTICATED) for wrong credentials or none where they are
 * required. Handed to the doors by the composition root.
 */
export type DoorAuthenticator = (presented: PresentedCredentials) => Promise<Caller>;
