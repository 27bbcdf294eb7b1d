import type { ScramCredentialStore } from '@floe/auth';
import type { AclTable, AuditMode, Authorizer } from '@floe/authz';
import type { GroupCoordinator } from '@floe/groups';
import type { FloeLog, ProducerIdAllocator } from '@floe/log';
import type { TopicCache } from './topic-cache.ts';

/** A node as clients see it in Metadata. */
export interface BrokerNode {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
  /**
   * The node's address on each named Kafka listener, when it has several (Kafka's
   * advertised.listeners): clients are answered with the address of the listener they came in
   * on; `host`/`port` are the first listener's.
   */
  endpoints?: Readonly<Record<string, { host: string; port: number }>>;
}

/** Broker settings that API handlers follow (Kafka's names in the comments). */
export interface BrokerSettings {
  /** auto.create.topics.enable: Metadata and Produce create unknown topics. */
  autoCreateTopics: boolean;
  /** num.partitions: partitions of an auto-created topic, or of CreateTopics with -1. */
  defaultPartitions: number;
  /** message.max.bytes: largest record batch accepted (Kafka default 1048588). */
  maxMessageBytes: number;
}

/** What every API handler of a node shares. Built by the composition root. */
export interface BrokerContext {
  log: FloeLog;
  topics: TopicCache;
  producerIds: ProducerIdAllocator;
  /** This node's group coordinator (any node coordinates any group). */
  groups: GroupCoordinator;
  clusterId: string;
  self: BrokerNode;
  /** The live nodes Metadata lists (this node alone until cluster membership lands). */
  nodes(): BrokerNode[];
  settings: BrokerSettings;
  /**
   * ACLs, when the authorizer is on (FLOE_AUTHORIZER=acl): every request is checked against them
   * and anything not allowed is denied. Undefined: no checks at all (and the ACL APIs answer
   * SECURITY_DISABLED, as Kafka does without an authorizer).
   */
  acls?: BrokerAcls;
  /** SCRAM credentials, for DescribeUserScramCredentials and AlterUserScramCredentials (absent: not served). */
  credentials?: Pick<ScramCredentialStore, 'list' | 'apply'>;
}

export interface BrokerAcls {
  /** Decides from this node's in-memory copy of the ACLs. */
  authorizer: Authorizer;
  /** The stored ACLs, for CreateAcls, DescribeAcls and DeleteAcls. */
  table: Pick<AclTable, 'create' | 'delete' | 'list'>;
  /** Re-reads the ACLs into `authorizer` (after a change made on this node, so it applies here at once). */
  refresh(): Promise<void>;
  /**
   * Audit log lines, one per ACL decision, on the request's logger: `denied` logs refusals,
   * `all` every decision, `off` none.
   */
  audit?: AuditMode;
}

export { AUDIT_MODES } from '@floe/authz';
export type { AuditMode };
