import { afterEach, describe, expect, it } from '@jest/globals';
import { ApiKey, defaultInitProducerIdRequest, ErrorCode, type InitProducerIdRequest, type InitProducerIdResponse, type RequestHeader } from '@floe/protocol';
import { LogError } from '@floe/log';
import type { BrokerContext } from '../../src/broker-context.ts';
import type { RequestContext } from '../../src/handler.ts';
import { initProducerIdHandler } from '../../src/handlers/init-producer-id.ts';
import { makeBrokerContext, type TestBroker } from '../support/broker-context.ts';
import { testRequestContext } from '../support/listener.ts';

const brokers: TestBroker[] = [];
afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.close()));
});

async function broker(): Promise<BrokerContext> {
  const b = await makeBrokerContext();
  brokers.push(b);
  return b.ctx;
}

const requestCtx: RequestContext = testRequestContext();

function header(apiVersion: number): RequestHeader {
  return { apiKey: ApiKey.InitProducerId, apiVersion, correlationId: 1, clientId: 'test', taggedFields: [] };
}

function request(fields: Partial<InitProducerIdRequest> = {}): InitProducerIdRequest {
  return { ...defaultInitProducerIdRequest(), transactionalId: null, transactionTimeoutMs: 60_000, ...fields };
}

async function init(ctx: BrokerContext, req: InitProducerIdRequest, apiVersion = 5): Promise<InitProducerIdResponse> {
  return (await initProducerIdHandler(ctx).handle(requestCtx, req, header(apiVersion))) as InitProducerIdResponse;
}

describe('InitProducerId', () => {
  it('declares v0-v5', async () => {
    const h = initProducerIdHandler(await broker());
    expect([h.apiKey, h.minVersion, h.maxVersion]).toEqual([ApiKey.InitProducerId, 0, 5]);
  });

  it.each([0, 1, 2, 3, 4, 5])('v%i gives an idempotent producer a new id with epoch 0', async (version) => {
    const ctx = await broker();
    const r = await init(ctx, request(), version);
    expect(r).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: 0, throttleTimeMs: 0 });
    expect(r.producerId).toBeGreaterThanOrEqual(0n);
  });

  it('never gives the same id twice, also to concurrent requests', async () => {
    const ctx = await broker();
    const handler = initProducerIdHandler(ctx);
    const answers = await Promise.all(
      Array.from({ length: 200 }, () => handler.handle(requestCtx, request(), header(4)) as Promise<InitProducerIdResponse>),
    );
    expect(answers.every((a) => a.errorCode === 0 && a.producerEpoch === 0)).toBe(true);
    expect(new Set(answers.map((a) => a.producerId)).size).toBe(200);
  });

  it('answers a re-initialising producer (KIP-360) with a fresh id, never a bumped epoch of the id it names', async () => {
    const ctx = await broker();
    const first = await init(ctx, request());
    const again = await init(ctx, request({ producerId: first.producerId, producerEpoch: 0 }), 3);
    expect(again.errorCode).toBe(0);
    expect(again.producerId).not.toBe(first.producerId);
    expect(again.producerEpoch).toBe(0);
    // Even at the epoch limit.
    const atLimit = await init(ctx, request({ producerId: again.producerId, producerEpoch: 32767 }));
    expect([atLimit.errorCode, atLimit.producerEpoch]).toEqual([0, 0]);
    expect(atLimit.producerId).not.toBe(again.producerId);
  });

  it('answers INVALID_REQUEST when only one of producerId and producerEpoch is set', async () => {
    const ctx = await broker();
    for (const fields of [{ producerId: 5n }, { producerEpoch: 3 }]) {
      const r = await init(ctx, request(fields), 4);
      expect([r.errorCode, r.producerId, r.producerEpoch]).toEqual([ErrorCode.INVALID_REQUEST, -1n, -1]);
    }
  });

  it('refuses transactional ids clearly: TRANSACTIONAL_ID_AUTHORIZATION_FAILED, and INVALID_REQUEST for ""', async () => {
    const ctx = await broker();
    const txn = await init(ctx, request({ transactionalId: 'orders-tx' }));
    expect([txn.errorCode, txn.producerId, txn.producerEpoch]).toEqual([ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, -1n, -1]);
    expect((await init(ctx, request({ transactionalId: '' }), 0)).errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('answers allocation failures with the retriable KAFKA_STORAGE_ERROR', async () => {
    const ctx = await broker();
    for (const err of [new LogError('unavailable', 'could not take a block of producer ids'), new Error('table unreachable')]) {
      const producerIds = Object.create(ctx.producerIds) as BrokerContext['producerIds'];
      producerIds.allocate = () => Promise.reject(err);
      const r = await init({ ...ctx, producerIds }, request());
      expect([r.errorCode, r.producerId, r.producerEpoch]).toEqual([ErrorCode.KAFKA_STORAGE_ERROR, -1n, -1]);
    }
  });
});
