import type { BrokerNode } from '../broker-context.ts';
import { nodeForKey } from './node-hash.ts';

/**
 * The node Metadata names as a partition's leader: its preferred node by hashing over the live
 * nodes (batching and cache affinity). Correctness never depends on it: any node can serve any
 * partition, because every node commits to and reads from the same journal.
 */
export function preferredNode(nodes: readonly BrokerNode[], topicId: string, partition: number): BrokerNode {
  return nodeForKey(nodes, `${topicId}:${partition}`);
}
