// DescribeCluster (key 60), versions 0-1: the cluster id, the controller and the live nodes.
//
// - The nodes are those Metadata lists (ctx.nodes()); the controller is this node, as Metadata
//   says (Floe has no controller quorum: the coordination store plays its part).
// - endpointType (v1): Floe nodes are broker endpoints (1). A request for controllers (2), or
//   any other type, gets UNSUPPORTED_ENDPOINT_TYPE with an otherwise empty answer, as a Kafka
//   broker answers.
// - clusterAuthorizedOperations: -2147483648 unless requested. When requested, the operations
//   Kafka supports on the cluster resource that the principal is allowed: all of them when the
//   authorizer is off, as Kafka answers without an authorizer.

import {
  ApiKey,
  defaultDescribeClusterResponse,
  defaultDescribeClusterResponseDescribeClusterBroker,
  ErrorCode,
} from '@floe/protocol';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler, type ApiHandler } from '../handler.ts';
import { CLUSTER_NAME } from '@floe/authz';
import { accessOf, type Access } from './access.ts';
import { OPERATIONS_NOT_REQUESTED } from './kafka-constants.ts';
import { advertisedNodes } from '../advertised.ts';

export const ENDPOINT_TYPE_BROKER = 1;
export const ENDPOINT_TYPE_CONTROLLER = 2;

/** The operations the cluster resource supports, with Kafka's ACL operation codes. */
const CLUSTER_OPERATIONS = [
  ['Create', 5],
  ['Alter', 7],
  ['Describe', 8],
  ['ClusterAction', 9],
  ['DescribeConfigs', 10],
  ['AlterConfigs', 11],
  ['IdempotentWrite', 12],
] as const;
export const CLUSTER_AUTHORIZED_OPERATIONS = CLUSTER_OPERATIONS.reduce((bits, [, code]) => bits | (1 << code), 0);

/** The bit set of cluster operations `access` allows. */
export function clusterOperations(access: Access): number {
  return access.operationBits('Cluster', CLUSTER_NAME, CLUSTER_OPERATIONS);
}

export function describeClusterHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.DescribeCluster> {
  return defineHandler({
    apiKey: ApiKey.DescribeCluster,
    minVersion: 0,
    maxVersion: 1,
    async handle(rc, request, header) {
      const response = defaultDescribeClusterResponse();
      response.clusterAuthorizedOperations = OPERATIONS_NOT_REQUESTED;
      if (header.apiVersion >= 1 && request.endpointType !== ENDPOINT_TYPE_BROKER) {
        response.errorCode = ErrorCode.UNSUPPORTED_ENDPOINT_TYPE;
        response.errorMessage = `Floe nodes serve only the broker endpoint type (1), not ${request.endpointType}`;
        return response;
      }
      response.endpointType = ENDPOINT_TYPE_BROKER;
      response.clusterId = ctx.clusterId;
      response.controllerId = ctx.self.nodeId;
      response.brokers = advertisedNodes(ctx, rc).map((n) => ({
        ...defaultDescribeClusterResponseDescribeClusterBroker(),
        brokerId: n.nodeId,
        host: n.host,
        port: n.port,
        rack: n.rack,
      }));
      if (request.includeClusterAuthorizedOperations) response.clusterAuthorizedOperations = clusterOperations(accessOf(ctx, rc));
      return response;
    },
  });
}
