import type { GroupCoordinator } from '@floe/groups';
import type { FloeLog, ProducerIdAllocator } from '@floe/log';
import type { TopicCache } from './topic-cache.ts';

/** A node as clients see it in Metadata. */
export interface BrokerNode {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
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
}
