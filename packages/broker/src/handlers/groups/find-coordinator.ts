// FindCoordinator (key 10), versions 0-6. Any node coordinates any group; the answer is the
// group's preferred node in per-node mode (hashing over live nodes) and the load balancer in
// load-balancer mode. v4+ batches keys (coordinatorKeys); v0-3 answer one key.
//
// - keyType 0 (group) and 1 (transaction) are answered; a transactional id gets a node too, whose
//   InitProducerId then refuses it clearly (no transactions yet), rather than clients retrying
//   COORDINATOR_NOT_AVAILABLE forever. Any other key type: INVALID_REQUEST.
// - An empty key: INVALID_REQUEST, as Kafka answers an invalid group or transactional id.
import {
  ApiKey,
  defaultFindCoordinatorResponse,
  defaultFindCoordinatorResponseCoordinator,
  ErrorCode,
  type FindCoordinatorResponseCoordinator,
} from '@floe/protocol';
import type { BrokerContext } from '../../broker-context.ts';
import { defineHandler, type ApiHandler, type RequestContext } from '../../handler.ts';
import { accessOf, type Access } from '../access.ts';
import { coordinatorNode } from '../coordinator-node.ts';
import { advertisedNodes } from '../../advertised.ts';

const GROUP_KEY = 0;
const TRANSACTION_KEY = 1;

export function findCoordinatorHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.FindCoordinator> {
  const answer = (rc: RequestContext, key: string, keyType: number, access: Access): FindCoordinatorResponseCoordinator => {
    const out = { ...defaultFindCoordinatorResponseCoordinator(), key, nodeId: -1, host: '', port: -1 };
    if (keyType !== GROUP_KEY && keyType !== TRANSACTION_KEY) {
      return { ...out, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `unknown coordinator key type ${keyType}` };
    }
    // Describe on the group, or on the transactional id, as Kafka checks it.
    if (keyType === GROUP_KEY && !access.group('Describe', key)) return { ...out, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null };
    if (keyType === TRANSACTION_KEY && !access.transactionalId('Describe', key)) {
      return { ...out, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, errorMessage: null };
    }
    if (key === '') return { ...out, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'empty coordinator key' };
    const nodes = advertisedNodes(ctx, rc);
    if (nodes.length === 0) return { ...out, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'no live node' };
    const node = coordinatorNode(nodes, keyType, key);
    return { ...out, nodeId: node.nodeId, host: node.host, port: node.port, errorMessage: null };
  };
  return defineHandler({
    apiKey: ApiKey.FindCoordinator,
    minVersion: 0,
    maxVersion: 6,
    async handle(rc, request, header) {
      const response = defaultFindCoordinatorResponse();
      const access = accessOf(ctx, rc);
      if (header.apiVersion >= 4) {
        response.coordinators = request.coordinatorKeys.map((k) => answer(rc, k, request.keyType, access));
        return response;
      }
      const a = answer(rc, request.key, header.apiVersion >= 1 ? request.keyType : GROUP_KEY, access);
      response.errorCode = a.errorCode;
      response.errorMessage = a.errorMessage;
      response.nodeId = a.nodeId;
      response.host = a.host;
      response.port = a.port;
      return response;
    },
  });
}
