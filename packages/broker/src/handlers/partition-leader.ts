import type { BrokerNode } from '../broker-context.ts';

/**
 * The node Metadata names as a partition's leader: its preferred node by hashing over the live
 * nodes (batching and cache affinity). Correctness never depends on it: any node can serve any
 * partition, because every node commits to and reads from the same journal.
 */
export function preferredNode(nodes: readonly BrokerNode[], topicId: string, partition: number): BrokerNode {
  let h = 0x811c9dc5;
  const key = `${topicId}:${partition}`;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  const sorted = [...nodes].sort((a, b) => a.nodeId - b.nodeId);
  return sorted[h % sorted.length]!;
}
