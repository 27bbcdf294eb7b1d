// Addresses as the listener a request came in on advertises them (Kafka answers Metadata,
// FindCoordinator and DescribeCluster with the endpoints of the request's listener).
import type { BrokerContext, BrokerNode } from './broker-context.ts';
import type { RequestContext } from './handler.ts';

/** `node` at its address on `listenerName` (its first listener's when it has none by that name). */
export function onListener(node: BrokerNode, listenerName: string | undefined): BrokerNode {
  const e = listenerName === undefined ? undefined : node.endpoints?.[listenerName];
  return e ? { nodeId: node.nodeId, host: e.host, port: e.port, rack: node.rack } : node;
}

/** The live nodes as the request's listener advertises them. */
export function advertisedNodes(ctx: BrokerContext, rc: RequestContext): BrokerNode[] {
  return ctx.nodes().map((n) => onListener(n, rc.listenerName));
}
