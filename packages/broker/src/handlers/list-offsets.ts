// ListOffsets (key 2), versions 1-10: offsets by timestamp, and the special timestamps.
//
// Version 0 (several offsets per partition, by segment) is not served; Kafka 4 dropped it too.
//
// Per partition, as Kafka's leader answers:
// - -2 EARLIEST: the log start offset. -4 EARLIEST_LOCAL (KIP-405): the same, since Floe has no
//   local/remote split (Kafka without tiered storage answers its log start too). Timestamp -1.
// - -1 LATEST: the high watermark, read fresh from the journal; read_committed gets the last
//   stable offset, which is the high watermark while Floe has no transactions. Timestamp -1.
// - -5 LATEST_TIERED (KIP-1005): Kafka without tiered storage answers offset -1, timestamp -1,
//   leader epoch -1; so does Floe.
// - -3 MAX_TIMESTAMP (KIP-734): the record with the largest timestamp and that timestamp. The log
//   knows the batch (its last offset); the batch is decoded to find the record, as Kafka 3.8+
//   does (the first record carrying the batch's max timestamp). Empty partition: -1 / -1.
// - A timestamp >= 0: the first record, from the log start on, whose timestamp is at least it,
//   with its own timestamp: the log finds the first batch whose max timestamp reaches it, and the
//   batch is decoded (decompressed) to find the exact record. None: offset -1, timestamp -1.
//   Other negative timestamps are searched the same way (Kafka does not reject them either).
// - Leader epoch (v4+): 0, Floe's only epoch (see offset-for-leader-epoch.ts), on every answer
//   that found an offset; -1 when none was found. currentLeaderEpoch other than -1 or 0 is
//   UNKNOWN_LEADER_EPOCH.
// - A partition named twice in one request: INVALID_REQUEST for each entry. Unknown topic or
//   partition: UNKNOWN_TOPIC_OR_PARTITION. Errors answer timestamp -1, offset -1, epoch -1.
// - replicaId and timeoutMs (v10, for remote reads) are not used.

import {
  ApiKey,
  decodeBatch,
  defaultListOffsetsResponse,
  defaultListOffsetsResponseListOffsetsPartitionResponse,
  defaultListOffsetsResponseListOffsetsTopicResponse,
  ErrorCode,
  readBatchHeader,
  type ListOffsetsResponseListOffsetsPartitionResponse,
} from '@floe/protocol';
import type { FloeLog, PartitionRef } from '@floe/log';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler, type ApiHandler } from '../handler.ts';
import { accessOf } from './access.ts';
import { kafkaErrorCode } from './error-mapping.ts';
import { currentLeaderEpochError, FLOE_LEADER_EPOCH } from './offset-for-leader-epoch.ts';

export const LATEST_TIMESTAMP = -1n;
export const EARLIEST_TIMESTAMP = -2n;
export const MAX_TIMESTAMP = -3n;
export const EARLIEST_LOCAL_TIMESTAMP = -4n;
export const LATEST_TIERED_TIMESTAMP = -5n;

/** How much a timestamp search reads at a time when it must walk past the first batch. */
const SCAN_READ_BYTES = 1024 * 1024;

interface Found {
  offset: number;
  timestamp: bigint;
  /** Kafka's epoch of the answer: Floe's epoch when an offset was found, -1 when not. */
  leaderEpoch: number;
}

const NOT_FOUND: Found = { offset: -1, timestamp: -1n, leaderEpoch: -1 };

/**
 * The first record of `batch` (whose real base offset is `baseOffset`) at or after `fromOffset`
 * for which `accept` holds, as an absolute offset and its timestamp.
 */
function findRecord(
  batch: Buffer,
  baseOffset: number,
  fromOffset: number,
  accept: (timestamp: bigint) => boolean,
): { offset: number; timestamp: bigint } | undefined {
  const { records } = decodeBatch(batch);
  for (const r of records) {
    const offset = baseOffset + r.offsetDelta;
    if (offset >= fromOffset && accept(r.timestamp)) return { offset, timestamp: r.timestamp };
  }
  return undefined;
}

/**
 * The first record from the log start on whose timestamp is at least `target`, with its own
 * timestamp; undefined when there is none. Also used by the admin API's offset resets.
 */
export async function offsetForTimestamp(log: FloeLog, ref: PartitionRef, target: bigint): Promise<{ offset: number; timestamp: bigint } | undefined> {
  const first = await log.findBatchByTimestamp(ref, Number(target));
  if (!first) return undefined;
  const accept = (t: bigint) => t >= target;
  const { logStartOffset, highWatermark } = await log.offsets(ref, false);
  const hit = findRecord(first.batch, first.baseOffset, logStartOffset, accept);
  if (hit) return hit;
  // Rare: the matching records of that batch lie below the log start, or its header claims a
  // larger max timestamp than its records have. Walk on, deciding by each batch's header.
  const firstHeader = readBatchHeader(first.batch);
  let next = first.baseOffset + firstHeader.lastOffsetDelta + 1;
  while (next < highWatermark) {
    const { batches } = await log.read(ref, Math.max(next, logStartOffset), SCAN_READ_BYTES);
    if (batches.length === 0) break;
    for (const b of batches) {
      if (readBatchHeader(b.bytes).maxTimestamp < target) continue;
      const found = findRecord(b.bytes, b.baseOffset, logStartOffset, accept);
      if (found) return found;
    }
    next = batches[batches.length - 1]!.endOffset;
  }
  return undefined;
}

export function listOffsetsHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.ListOffsets> {
  /** Kafka's MAX_TIMESTAMP answer: the first record carrying the largest timestamp. */
  const maxTimestamp = async (ref: PartitionRef): Promise<Found> => {
    const o = await ctx.log.offsets(ref, true);
    if (o.maxTimestampOffset < 0 || o.maxTimestampOffset < o.logStartOffset) return NOT_FOUND;
    const { batches } = await ctx.log.read(ref, o.maxTimestampOffset, 1);
    const batch = batches[0];
    if (!batch || batch.baseOffset > o.maxTimestampOffset) return NOT_FOUND;
    const { records } = decodeBatch(batch.bytes);
    let best: { offset: number; timestamp: bigint } | undefined;
    for (const r of records) {
      if (!best || r.timestamp > best.timestamp) best = { offset: batch.baseOffset + r.offsetDelta, timestamp: r.timestamp };
    }
    // A batch without records (all removed by compaction) still holds its offsets and max timestamp.
    best ??= { offset: o.maxTimestampOffset, timestamp: BigInt(o.maxTimestamp) };
    return { ...best, leaderEpoch: FLOE_LEADER_EPOCH };
  };

  const byTimestamp = async (ref: PartitionRef, target: bigint): Promise<Found> => {
    const hit = await offsetForTimestamp(ctx.log, ref, target);
    return hit ? { ...hit, leaderEpoch: FLOE_LEADER_EPOCH } : NOT_FOUND;
  };

  // read_committed stops at the last stable offset, which is the high watermark while Floe has no
  // transactions: both isolation levels get the same answers.
  const answer = async (ref: PartitionRef, timestamp: bigint): Promise<Found> => {
    switch (timestamp) {
      case EARLIEST_TIMESTAMP:
      case EARLIEST_LOCAL_TIMESTAMP: {
        const o = await ctx.log.offsets(ref, true);
        return { offset: o.logStartOffset, timestamp: -1n, leaderEpoch: FLOE_LEADER_EPOCH };
      }
      case LATEST_TIMESTAMP: {
        const o = await ctx.log.offsets(ref, true);
        return { offset: o.highWatermark, timestamp: -1n, leaderEpoch: FLOE_LEADER_EPOCH };
      }
      case LATEST_TIERED_TIMESTAMP:
        return NOT_FOUND;
      case MAX_TIMESTAMP:
        return maxTimestamp(ref);
      default:
        return byTimestamp(ref, timestamp);
    }
  };

  return defineHandler({
    apiKey: ApiKey.ListOffsets,
    minVersion: 1,
    maxVersion: 10,
    async handle(rc, request, header) {
      const access = accessOf(ctx, rc);
      const version = header.apiVersion;
      const response = defaultListOffsetsResponse();

      const seen = new Map<string, number>();
      for (const t of request.topics) {
        for (const p of t.partitions) {
          const key = `${t.name}\u0000${p.partitionIndex}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
      }

      response.topics = await Promise.all(
        request.topics.map(async (t) => {
          // Describe on the topic, checked before its existence (Kafka's order).
          const allowed = access.topic('Describe', t.name);
          // null: the topic cannot be looked up (the coordination table unreachable), answered
          // KAFKA_STORAGE_ERROR, which clients retry, instead of failing the request.
          const topic = allowed ? await ctx.topics.byNameOrLoad(t.name).catch(() => null) : undefined;
          const partitions = await Promise.all(
            t.partitions.map(async (p): Promise<ListOffsetsResponseListOffsetsPartitionResponse> => {
              const out = { ...defaultListOffsetsResponseListOffsetsPartitionResponse(), partitionIndex: p.partitionIndex };
              if (seen.get(`${t.name}\u0000${p.partitionIndex}`)! > 1) {
                out.errorCode = ErrorCode.INVALID_REQUEST;
                return out;
              }
              if (!allowed) {
                out.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
                return out;
              }
              if (topic === null) {
                out.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
                return out;
              }
              if (!topic || p.partitionIndex < 0 || p.partitionIndex >= topic.partitions) {
                out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
                return out;
              }
              out.errorCode = currentLeaderEpochError(p.currentLeaderEpoch);
              if (out.errorCode !== ErrorCode.NONE) return out;
              let found: Found;
              try {
                found = await answer({ topicId: topic.id, partition: p.partitionIndex }, p.timestamp);
              } catch (err) {
                out.errorCode = kafkaErrorCode(err);
                return out;
              }
              out.offset = BigInt(found.offset);
              out.timestamp = found.timestamp;
              if (version >= 4) out.leaderEpoch = found.leaderEpoch;
              return out;
            }),
          );
          return { ...defaultListOffsetsResponseListOffsetsTopicResponse(), name: t.name, partitions };
        }),
      );
      return response;
    },
  });
}
