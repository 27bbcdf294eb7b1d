// Addresses as the listener a request came in on advertises them (Kafka answers Metadata,
// FindCoordinator and DescribeCluster with the endpoints of the request's listener).
import type { BrokerContext, BrokerNode } from './broker-context.ts';
import type { RequestContext } from './handler.ts';

/**
 * `node` at its address on `listenerName`; undefined when it lists its listeners and has none by
 * that name (as Kafka leaves out brokers without the request's listener). A node with one
 * listener lists none: it is at its only address.
 */
export function onListener(node: BrokerNode, listenerName: string | undefined): BrokerNode | undefined {
  if (listenerName === undefined || node.endpoints === undefined) return node;
  const e = node.endpoints[listenerName];
  return e ? { nodeId: node.nodeId, host: e.host, port: e.port, rack: node.rack } : undefined;
}

/** The live nodes as the request's listener advertises them. */
export function advertisedNodes(ctx: BrokerContext, rc: RequestContext): BrokerNode[] {
  return ctx.nodes().flatMap((n) => onListener(n, rc.listenerName) ?? []);
}
