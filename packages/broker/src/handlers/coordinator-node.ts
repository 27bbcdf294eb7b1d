import type { BrokerNode } from '../broker-context.ts';
import { nodeForKey } from './node-hash.ts';

/**
 * The node FindCoordinator names for a group (or transactional id): its preferred coordinator by
 * hashing over the live nodes, so that in per-node mode the members of a group meet on one node
 * and its barriers are answered without a read. Correctness never depends on it: any node
 * coordinates any group (docs/consumer-groups.md).
 */
export function coordinatorNode(nodes: readonly BrokerNode[], keyType: number, key: string): BrokerNode {
  return nodeForKey(nodes, `${keyType}:${key}`);
}
