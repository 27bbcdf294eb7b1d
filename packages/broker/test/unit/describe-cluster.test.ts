import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ApiKey,
  decodeRequest,
  decodeResponse,
  defaultDescribeClusterRequest,
  encodeRequest,
  encodeResponse,
  ErrorCode,
  type DescribeClusterRequest,
  type DescribeClusterResponse,
} from '@floe/protocol';
import type { BrokerContext } from '../../src/broker-context.ts';
import { CLUSTER_AUTHORIZED_OPERATIONS, describeClusterHandler } from '../../src/handlers/describe-cluster.ts';
import { makeBrokerContext, type TestBroker } from '../support/broker-context.ts';
import { testRequestContext } from '../support/listener.ts';

async function describeAt(ctx: BrokerContext, version: number, request: DescribeClusterRequest): Promise<DescribeClusterResponse> {
  const decoded = decodeRequest(
    encodeRequest({ apiKey: ApiKey.DescribeCluster, apiVersion: version, correlationId: 9 }, request).subarray(4),
  );
  if (decoded.apiKey !== ApiKey.DescribeCluster) throw new Error('not DescribeCluster');
  const rc = testRequestContext();
  const answer = await describeClusterHandler(ctx).handle(rc, decoded.body, decoded.header);
  if (typeof answer === 'symbol') throw new Error('no answer');
  return decodeResponse(ApiKey.DescribeCluster, version, encodeResponse(ApiKey.DescribeCluster, version, 9, answer).subarray(4)).body;
}

describe('DescribeCluster handler', () => {
  let broker: TestBroker;
  let ctx: BrokerContext;

  beforeEach(async () => {
    broker = await makeBrokerContext();
    ctx = broker.ctx;
    const other = { nodeId: 2, host: 'floe-2', port: 9093, rack: 'az-b' };
    ctx.nodes = () => [ctx.self, other];
  });
  afterEach(async () => {
    await broker.close();
  });

  it('declares versions 0-1', () => {
    const h = describeClusterHandler(ctx);
    expect([h.apiKey, h.minVersion, h.maxVersion]).toEqual([60, 0, 1]);
  });

  it.each([0, 1])('answers the cluster id, this node as controller and the live nodes (v%i)', async (version) => {
    const r = await describeAt(ctx, version, defaultDescribeClusterRequest());
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(r.clusterId).toBe(ctx.clusterId);
    expect(r.clusterId.length).toBeGreaterThan(0);
    expect(r.controllerId).toBe(1);
    expect(r.endpointType).toBe(1);
    expect(r.brokers.map((b) => [b.brokerId, b.host, b.port, b.rack])).toEqual([
      [1, '127.0.0.1', 9092, null],
      [2, 'floe-2', 9093, 'az-b'],
    ]);
    expect(r.clusterAuthorizedOperations).toBe(-2147483648);
  });

  it('answers every cluster operation when asked (no ACLs)', async () => {
    const r = await describeAt(ctx, 1, { ...defaultDescribeClusterRequest(), includeClusterAuthorizedOperations: true });
    expect(r.clusterAuthorizedOperations).toBe(CLUSTER_AUTHORIZED_OPERATIONS);
    expect(CLUSTER_AUTHORIZED_OPERATIONS).toBe(8096);
  });

  it('refuses the controller endpoint type with UNSUPPORTED_ENDPOINT_TYPE', async () => {
    const r = await describeAt(ctx, 1, { ...defaultDescribeClusterRequest(), endpointType: 2 });
    expect(r.errorCode).toBe(ErrorCode.UNSUPPORTED_ENDPOINT_TYPE);
    expect(r.errorMessage).not.toBeNull();
    expect(r.brokers).toEqual([]);
  });
});
