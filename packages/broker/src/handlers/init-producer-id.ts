// InitProducerId (key 22), versions 0-5, for idempotent (non-transactional) producers.
//
// - transactionalId null: a new producer id from the cluster-wide allocator, epoch 0.
// - Re-initialisation (v3+, KIP-360: producerId and producerEpoch set): also a new producer id
//   with epoch 0, which is what Kafka answers a producer without a transactional id. Bumping the
//   epoch of the id the client names is not safe here: nothing records which ids were issued or
//   their latest epoch, so a client naming an id it does not own (or a stale epoch) would fence
//   the producer that owns it, or claim an id the allocator will hand to someone else later.
//   Clients take either answer (a new id resets their sequences). Ids are plentiful (int64,
//   taken in blocks).
// - producerId and producerEpoch must be both set or both -1: INVALID_REQUEST otherwise (Kafka).
// - transactionalId "" : INVALID_REQUEST (Kafka's coordinator refuses an empty id).
// - Any other transactionalId: TRANSACTIONAL_ID_AUTHORIZATION_FAILED. Floe has no transaction
//   coordinator yet. That code makes every client stop at once with a clear error
//   (initTransactions() throws TransactionalIdAuthorizationException in Kafka's Java client;
//   librdkafka and franz-go treat it as fatal); retriable codes such as COORDINATOR_NOT_AVAILABLE
//   would make clients retry until their timeouts, and UNSUPPORTED_VERSION would be untrue.
// - Allocator failures answer KAFKA_STORAGE_ERROR (the coordination table is unreachable or
//   contended), which producers retry.

import { LogError } from '@floe/log';
import { ApiKey, defaultInitProducerIdResponse, ErrorCode, type InitProducerIdResponse } from '@floe/protocol';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler, type ApiHandler } from '../handler.ts';
import { accessOf } from './access.ts';
import { kafkaErrorCode } from './error-mapping.ts';

export const INIT_PRODUCER_ID_MIN_VERSION = 0;
export const INIT_PRODUCER_ID_MAX_VERSION = 5;

function failure(code: number): InitProducerIdResponse {
  return { ...defaultInitProducerIdResponse(), errorCode: code, producerId: -1n, producerEpoch: -1 };
}

export function initProducerIdHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.InitProducerId> {
  return defineHandler({
    apiKey: ApiKey.InitProducerId,
    minVersion: INIT_PRODUCER_ID_MIN_VERSION,
    maxVersion: INIT_PRODUCER_ID_MAX_VERSION,
    async handle(requestCtx, request) {
      if (request.transactionalId !== null) {
        return failure(request.transactionalId === '' ? ErrorCode.INVALID_REQUEST : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      }
      // An idempotent producer needs IdempotentWrite on the cluster or Write on some topic
      // (Kafka since KIP-679 accepts either), else CLUSTER_AUTHORIZATION_FAILED.
      const access = accessOf(ctx, requestCtx);
      if (!access.cluster('IdempotentWrite') && !access.anyOf('Write', 'Topic')) return failure(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      // Fields absent before v3 decode as -1 / -1.
      if ((request.producerId === -1n) !== (request.producerEpoch === -1)) return failure(ErrorCode.INVALID_REQUEST);
      let id: number;
      try {
        id = await ctx.producerIds.allocate();
      } catch (err) {
        requestCtx.logger.warn({ error: err }, 'producer id allocation failed');
        // The allocator only talks to the coordination table: whatever else fails is that table
        // being unreachable, which producers should retry.
        return failure(err instanceof LogError ? kafkaErrorCode(err) : ErrorCode.KAFKA_STORAGE_ERROR);
      }
      return { ...defaultInitProducerIdResponse(), errorCode: ErrorCode.NONE, producerId: BigInt(id), producerEpoch: 0 };
    },
  });
}
