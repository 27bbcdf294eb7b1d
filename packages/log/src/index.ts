export { FloeLog, type FloeLogOptions, type PartitionOffsets } from './floe-log.ts';
export { LogError, type LogErrorKind } from './errors.ts';
export { partitionKey, shardOf, type PartitionRef } from './partition-ref.ts';
export type { BatchOutcome, PendingBatch } from './shard-state.ts';
export type { ReadBatch, ReadResult } from './log-reader.ts';
export { TopicStore, checkTopicName, MAX_PARTITIONS, type TopicInfo } from './topics.ts';
export type { ClusterInfo } from './cluster.ts';
export { buildSegment, readSegmentIndex, type SegmentIndexEntry } from './segment-format.ts';
