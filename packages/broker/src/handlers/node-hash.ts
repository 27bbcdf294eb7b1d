import type { BrokerNode } from '../broker-context.ts';

/** The node a key hashes to (FNV-1a over the key, nodes in id order): the same on every node. */
export function nodeForKey(nodes: readonly BrokerNode[], key: string): BrokerNode {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  const sorted = [...nodes].sort((a, b) => a.nodeId - b.nodeId);
  return sorted[h % sorted.length]!;
}
