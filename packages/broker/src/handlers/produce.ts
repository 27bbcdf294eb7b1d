// Produce (key 0), versions 3-11: validates each partition's record batch and appends it to the
// log; answers once the batches are durable (object and commit), with their offsets.
//
// Versions: 0-2 carry legacy message sets, which Kafka 4 refuses too; 12 changes transactional
// semantics (KIP-890) and is not served until transactions exist.
//
// Order. Kafka appends a connection's requests one after the other, and clients rely on it
// (pipelined idempotent batches to one partition must land in sequence order). FloeLog.append
// takes its place in the writer's buffer when it is called, so what must follow request order is
// the moment each batch is handed to append. Finding a topic is asynchronous (the topic cache may
// read the coordination table, auto-creation writes it), so every request takes its turn in a
// per-connection chain, synchronously inside handle(): request N+1 of a connection resolves its
// topics and calls append only after request N has called append for all of its partitions.
// Within a request, partitions are appended in request order. Waiting for durability is not part
// of the turn: later requests append while earlier ones wait for their commits, and the writer
// commits each partition's batches in append order.
//
// Acks. 1 and -1 both wait for the durable commit: Floe has no replicas, both mean "the object
// and its commit are durable". 0 answers nothing (NO_RESPONSE) once the batches are handed to
// the log; like Kafka, a request whose partitions fail before the append (unknown topic, invalid
// batch, ...) closes the connection instead, which is how a client without answers learns to
// refresh its metadata. Failures known only after the commit are logged. Any other value answers
// INVALID_REQUIRED_ACKS for every partition and appends nothing.
//
// Timeout. The wait is bounded by the request's timeoutMs, but never below `minTimeoutMs`
// (a commit takes at least the writer's linger plus an upload and a journal write, which Kafka's
// single-replica acks=1 answer never has to wait for). A partition not committed by then answers
// REQUEST_TIMED_OUT; its batch may still land, and idempotent retries make that safe.
//
// Validation (per partition, before the append):
// - exactly one batch, magic 2, whole, CRC-32C valid, recordCount ≥ 1 = lastOffsetDelta + 1,
//   codec 0-4 and zstd only from v7, no larger than max.message.bytes (the topic's config, else
//   the broker's); uncompressed records must tile the batch in recordCount length-prefixed
//   records (validateProduceRecords). Compressed batches are decompressed and every record decoded
//   under a decompression cap, with offsetDelta = index (Kafka would rewrite a batch whose deltas
//   are not sequential; Floe stores batches as sent, so it refuses them).
// - control batches: INVALID_RECORD (clients may not write them).
// - transactional batches: INVALID_TXN_STATE. Floe has no transaction coordinator yet, so no
//   producer can have registered the partition in a transaction, and Kafka (KIP-890 verification)
//   answers a transactional write to an unregistered partition with INVALID_TXN_STATE, which
//   clients do not retry. InitProducerId refuses transactional ids, so only a misbehaving client
//   gets here.
// - idempotent batches (producerId ≥ 0) need an epoch and a base sequence (INVALID_RECORD). A
//   producer id above 2^53 cannot have come from Floe's allocator (and the journal could not
//   store it): UNKNOWN_PRODUCER_ID.
// - maxTimestamp outside ±2^53 ms: INVALID_TIMESTAMP (the journal stores it as a safe integer).
//
// Timestamps. For topics with message.timestamp.type=LogAppendTime the batch's maxTimestamp and
// timestamp type are set to the append time in place (CRC recomputed) and the response carries
// logAppendTimeMs; otherwise logAppendTimeMs is -1 (and a LOG_APPEND_TIME bit a client set is
// cleared, as Kafka does for CreateTime topics). A retry of an idempotent batch answers the
// original offset and, for LogAppendTime topics, the original append time.
//
// Unknown topics answer UNKNOWN_TOPIC_OR_PARTITION, or are created with the default partition
// count when auto.create.topics.enable is set (INVALID_TOPIC_EXCEPTION for a name that cannot be
// a topic's). A partition index out of range answers UNKNOWN_TOPIC_OR_PARTITION.

import {
  ApiKey,
  ATTRIBUTES_OFFSET,
  CompressionCodec,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  decodeBatch,
  defaultProduceResponse,
  defaultProduceResponsePartitionProduceResponse,
  defaultProduceResponseTopicProduceResponse,
  ErrorCode,
  errorMessage,
  InvalidRecordError,
  ProtocolError,
  readBatchHeader,
  setLogAppendTime,
  TIMESTAMP_TYPE_MASK,
  TimestampType,
  updateBatchCrc,
  validateProduceRecords,
  type ProduceRequest,
  type ProduceRequestPartitionProduceData,
  type ProduceResponse,
  type ProduceResponsePartitionProduceResponse,
} from '@floe/protocol';
import { checkTopicName, LogError, type BatchOutcome, type PartitionRef, type PendingBatch, type TopicInfo } from '@floe/log';
import type { BrokerContext } from '../broker-context.ts';
import { CLOSE_CONNECTION, NO_RESPONSE, defineHandler, type ApiHandler, type HandlerResult, type RequestContext } from '../handler.ts';
import type { Logger } from '../logger.ts';
import { kafkaErrorCode, kafkaErrorCodeOfKind } from './error-mapping.ts';
import { accessOf, type Access } from './access.ts';

export const PRODUCE_MIN_VERSION = 3;
export const PRODUCE_MAX_VERSION = 11;
/** Default floor of the commit wait, whatever the request's timeoutMs (see the file comment). */
export const DEFAULT_PRODUCE_MIN_TIMEOUT_MS = 1000;

export interface ProduceHandlerOptions {
  /** Cap on the decompressed records of one compressed batch (MESSAGE_TOO_LARGE beyond). Default 64 MiB. */
  maxDecompressedBytes?: number;
  /** Shortest commit wait, whatever the request's timeoutMs. Default 1000 ms. */
  minTimeoutMs?: number;
  /** Clock for log append times. Default Date.now. */
  now?: () => number;
}

type ProduceKey = typeof ApiKey.Produce;
type PartitionResponse = ProduceResponsePartitionProduceResponse;

/** A topic of the request, resolved (or not) before its partitions are appended. */
type TopicLookup = { kind: 'found'; topic: TopicInfo } | { kind: 'error'; code: number; message: string | null };

/** One partition's answer, known now (refused before the append) or once its commit ends. */
interface PartitionWork {
  /** True when the partition was refused without reaching the log. */
  refused: boolean;
  answer: PartitionResponse | Promise<PartitionResponse>;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const LOG_APPEND_TIME_CONFIG = 'message.timestamp.type';
const MAX_MESSAGE_BYTES_CONFIG = 'max.message.bytes';

function errorAnswer(index: number, code: number, message: string | null): PartitionResponse {
  return {
    ...defaultProduceResponsePartitionProduceResponse(),
    index,
    errorCode: code,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    errorMessage: message,
  };
}

/** A refusal for something that is not a codec failure but has a Kafka code of its own. */
function refusal(code: number, message: string): ProtocolError {
  return new ProtocolError(message, code);
}

function noop(): void {}

/**
 * Runs steps one after the other per key, in the order they were queued. A step starts once
 * every earlier step of its key has settled (fulfilled or rejected); its result is returned.
 */
class TurnQueue {
  private readonly tails = new Map<number, Promise<void>>();

  run<T>(key: number, step: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key);
    const mine = prev === undefined ? step() : prev.then(step);
    const tail = mine.then(noop, noop);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return mine;
  }
}

class ProduceService {
  private readonly ctx: BrokerContext;
  private readonly maxDecompressedBytes: number;
  private readonly minTimeoutMs: number;
  private readonly now: () => number;
  private readonly turns = new TurnQueue();
  /** Auto-creations in flight by topic name, so concurrent requests create a topic once. */
  private readonly creating = new Map<string, Promise<TopicLookup>>();

  constructor(ctx: BrokerContext, options: ProduceHandlerOptions) {
    this.ctx = ctx;
    this.maxDecompressedBytes = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
    this.minTimeoutMs = options.minTimeoutMs ?? DEFAULT_PRODUCE_MIN_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  handle(rc: RequestContext, request: ProduceRequest, apiVersion: number): Promise<HandlerResult<ProduceResponse>> {
    const acks = request.acks;
    if (acks !== 0 && acks !== 1 && acks !== -1) {
      const message = `acks must be -1, 0 or 1, not ${acks}`;
      return Promise.resolve(this.response(request, (_t, p) => errorAnswer(p.index, ErrorCode.INVALID_REQUIRED_ACKS, message)));
    }
    const access = accessOf(this.ctx, rc);
    // A transactional producer must be allowed to write as its transactional id (Kafka checks it
    // before anything else and fails the whole request).
    if (request.transactionalId !== null && !access.transactionalId('Write', request.transactionalId)) {
      const denied = (_t: unknown, p: ProduceRequestPartitionProduceData) => errorAnswer(p.index, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, null);
      return Promise.resolve(acks === 0 ? NO_RESPONSE : this.response(request, denied));
    }
    const waitMs = Math.max(request.timeoutMs, this.minTimeoutMs);
    // Take this request's turn now, synchronously: its appends follow every earlier request's.
    const appended = this.turns.run(rc.connectionId, () => this.appendAll(rc.logger, request, apiVersion, access));
    if (acks === 0) return appended.then((work) => this.withoutAnswer(rc.logger, request, work));
    return this.answer(request, appended, waitMs, rc.signal);
  }

  /** Resolves the request's topics, then hands every valid batch to the log, in request order. */
  private async appendAll(log: Logger, request: ProduceRequest, apiVersion: number, access: Access): Promise<PartitionWork[][]> {
    const names = [...new Set(request.topicData.map((t) => t.name))];
    const lookups = new Map<string, TopicLookup>();
    await Promise.all(names.map(async (name) => lookups.set(name, await this.lookup(log, name, access))));
    // From here to the return nothing awaits: the appends of this turn are issued together.
    return request.topicData.map((t) => {
      const lookup = lookups.get(t.name)!;
      return t.partitionData.map((p): PartitionWork => {
        if (lookup.kind === 'error') return { refused: true, answer: errorAnswer(p.index, lookup.code, lookup.message) };
        return this.appendPartition(log, lookup.topic, p, apiVersion);
      });
    });
  }

  /** Write on the topic is checked first, so a denied client learns nothing of its existence. */
  private async lookup(log: Logger, name: string, access: Access): Promise<TopicLookup> {
    if (!access.topic('Write', name)) return { kind: 'error', code: ErrorCode.TOPIC_AUTHORIZATION_FAILED, message: null };
    try {
      const topic = await this.ctx.topics.byNameOrLoad(name);
      if (topic) return { kind: 'found', topic };
      // Auto-creation needs Create on the cluster or on the topic, as CreateTopics does.
      if (!this.ctx.settings.autoCreateTopics || !(access.cluster('Create') || access.topic('Create', name))) {
        return { kind: 'error', code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `unknown topic "${name}"` };
      }
      return await this.autoCreate(log, name);
    } catch (err) {
      return { kind: 'error', code: this.lookupFailureCode(log, err, name), message: errorMessage(err) };
    }
  }

  /** Concurrent requests for one new topic share one creation, logged with the first one's id. */
  private autoCreate(log: Logger, name: string): Promise<TopicLookup> {
    let pending = this.creating.get(name);
    if (!pending) {
      pending = this.create(log, name).finally(() => this.creating.delete(name));
      this.creating.set(name, pending);
    }
    return pending;
  }

  private async create(log: Logger, name: string): Promise<TopicLookup> {
    try {
      checkTopicName(name);
    } catch (err) {
      return { kind: 'error', code: ErrorCode.INVALID_TOPIC_EXCEPTION, message: errorMessage(err) };
    }
    let topic: TopicInfo | undefined;
    try {
      topic = await this.ctx.log.topics.create(name, this.ctx.settings.defaultPartitions, {});
      log.info({ topic: name, partitions: topic.partitions }, 'topic auto-created by Produce');
    } catch (err) {
      // Created meanwhile by another node or request: use that one.
      if (!(err instanceof LogError && err.kind === 'topic-already-exists')) throw err;
    }
    this.ctx.topics.invalidate();
    topic ??= await this.ctx.topics.byNameOrLoad(name);
    return topic
      ? { kind: 'found', topic }
      : { kind: 'error', code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `topic "${name}" was deleted as it was created` };
  }

  /** Failures to read or create a topic: storage and coordination errors are retriable. */
  private lookupFailureCode(log: Logger, err: unknown, name: string): number {
    if (err instanceof LogError || err instanceof ProtocolError) return kafkaErrorCode(err);
    log.warn({ topic: name, error: err }, 'topic lookup failed');
    return ErrorCode.KAFKA_STORAGE_ERROR;
  }

  /** Validates one partition's batch and, when it is acceptable, hands it to the log. */
  private appendPartition(log: Logger, topic: TopicInfo, p: ProduceRequestPartitionProduceData, apiVersion: number): PartitionWork {
    if (!Number.isInteger(p.index) || p.index < 0 || p.index >= topic.partitions) {
      const message = `topic "${topic.name}" has no partition ${p.index}`;
      return { refused: true, answer: errorAnswer(p.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message) };
    }
    let batch: Buffer;
    let info: Omit<PendingBatch, 'partition'>;
    let logAppendTime: number | undefined;
    try {
      ({ batch, info, logAppendTime } = this.prepare(topic, p.records, apiVersion));
    } catch (err) {
      if (!(err instanceof ProtocolError)) {
        log.error({ topic: topic.name, partition: p.index, error: err }, 'produce validation failed unexpectedly');
      }
      return { refused: true, answer: errorAnswer(p.index, kafkaErrorCode(err), errorMessage(err)) };
    }
    const ref: PartitionRef = { topicId: topic.id, partition: p.index };
    let outcome: Promise<BatchOutcome>;
    try {
      outcome = this.ctx.log.append(ref, info, batch);
    } catch (err) {
      outcome = Promise.reject(err);
    }
    const answer = outcome.then(
      (o) => this.outcomeAnswer(ref, p.index, o, logAppendTime),
      (err: unknown) => {
        if (!(err instanceof LogError)) {
          log.error({ topic: topic.name, partition: p.index, error: err }, 'append failed unexpectedly');
        }
        return errorAnswer(p.index, kafkaErrorCode(err), errorMessage(err));
      },
    );
    return { refused: false, answer };
  }

  /**
   * Checks the records of one partition and reads what the log needs from the batch header.
   * Throws a ProtocolError carrying the Kafka code to answer with.
   */
  private prepare(
    topic: TopicInfo,
    records: Buffer | null,
    apiVersion: number,
  ): { batch: Buffer; info: Omit<PendingBatch, 'partition'>; logAppendTime: number | undefined } {
    if (records === null) throw new InvalidRecordError('produce request must have a record batch per partition, not null records');
    const batch = validateProduceRecords(records, { apiVersion, maxBatchBytes: this.maxMessageBytes(topic) });
    const h = readBatchHeader(batch);
    if (h.isControl) throw new InvalidRecordError('clients may not write control batches');
    if (h.isTransactional) {
      throw refusal(ErrorCode.INVALID_TXN_STATE, 'transactional batch refused: this broker has no transactions yet, so no transaction holds this partition');
    }
    if (h.compression !== CompressionCodec.NONE) {
      // Decompress and decode every record under the cap, so corrupt compressed data is refused now.
      decodeBatch(batch, { maxDecompressedBytes: this.maxDecompressedBytes, requireSequentialOffsetDeltas: true });
    }
    if (h.maxTimestamp > MAX_SAFE || h.maxTimestamp < -MAX_SAFE) {
      throw refusal(ErrorCode.INVALID_TIMESTAMP, `batch max timestamp ${h.maxTimestamp} is out of range`);
    }
    let maxTimestamp = Number(h.maxTimestamp);
    const info: Omit<PendingBatch, 'partition'> = {
      offsetCount: h.lastOffsetDelta + 1,
      recordCount: h.recordCount,
      maxTimestamp,
    };
    if (h.producerId >= 0n) {
      if (h.producerId > MAX_SAFE) {
        throw refusal(ErrorCode.UNKNOWN_PRODUCER_ID, `producer id ${h.producerId} was not issued by this cluster`);
      }
      if (h.producerEpoch < 0 || h.baseSequence < 0) {
        throw new InvalidRecordError(
          `idempotent batch of producer ${h.producerId} needs an epoch and a base sequence (got ${h.producerEpoch}, ${h.baseSequence})`,
        );
      }
      info.producer = { id: Number(h.producerId), epoch: h.producerEpoch, baseSequence: h.baseSequence };
    }
    let logAppendTime: number | undefined;
    if (topic.configs[LOG_APPEND_TIME_CONFIG] === 'LogAppendTime') {
      logAppendTime = this.now();
      setLogAppendTime(batch, BigInt(logAppendTime));
      maxTimestamp = logAppendTime;
      info.maxTimestamp = maxTimestamp;
    } else if (h.timestampType === TimestampType.LOG_APPEND_TIME) {
      batch.writeInt16BE(h.attributes & ~TIMESTAMP_TYPE_MASK, ATTRIBUTES_OFFSET);
      updateBatchCrc(batch);
    }
    return { batch, info, logAppendTime };
  }

  /** max.message.bytes of the topic when set, else the broker's message.max.bytes. */
  private maxMessageBytes(topic: TopicInfo): number {
    const configured = topic.configs[MAX_MESSAGE_BYTES_CONFIG];
    const n = configured === undefined ? NaN : Number(configured);
    return Number.isSafeInteger(n) && n >= 0 ? n : this.ctx.settings.maxMessageBytes;
  }

  private async outcomeAnswer(
    ref: PartitionRef,
    index: number,
    o: BatchOutcome,
    logAppendTime: number | undefined,
  ): Promise<PartitionResponse> {
    if (o.kind === 'rejected') return errorAnswer(index, kafkaErrorCodeOfKind(o.error), o.message);
    const { logStartOffset } = await this.ctx.log.offsets(ref, false);
    // A retry answers the original append time (the batch's max timestamp once it was set).
    const appendTime = logAppendTime === undefined ? -1 : o.kind === 'duplicate' ? o.maxTimestamp : logAppendTime;
    return {
      ...defaultProduceResponsePartitionProduceResponse(),
      index,
      errorCode: ErrorCode.NONE,
      baseOffset: BigInt(o.baseOffset),
      logAppendTimeMs: BigInt(appendTime),
      logStartOffset: BigInt(logStartOffset),
      errorMessage: null,
    };
  }

  /** acks=1 / -1: the answer once every partition is committed or refused, or at the deadline. */
  private async answer(
    request: ProduceRequest,
    appended: Promise<PartitionWork[][]>,
    waitMs: number,
    signal: AbortSignal,
  ): Promise<ProduceResponse> {
    const done: (PartitionResponse | undefined)[][] = request.topicData.map((t) => t.partitionData.map(() => undefined));
    const all = appended.then((work) =>
      Promise.all(
        work.flatMap((partitions, i) =>
          partitions.map(async (w, j) => {
            done[i]![j] = await w.answer;
          }),
        ),
      ),
    );
    await settledWithin(all, waitMs, signal);
    const message = `not committed within ${waitMs} ms; the batch may still be appended`;
    return this.response(request, (_t, p, i, j) => done[i]![j] ?? errorAnswer(p.index, ErrorCode.REQUEST_TIMED_OUT, message));
  }

  /** acks=0: nothing is answered; failures before the append close the connection, as in Kafka. */
  private withoutAnswer(log: Logger, request: ProduceRequest, work: PartitionWork[][]): HandlerResult<ProduceResponse> {
    const failures: { topic: string; partition: number; errorCode: number; message: string | null }[] = [];
    work.forEach((partitions, i) => {
      const topic = request.topicData[i]!.name;
      for (const w of partitions) {
        if (w.refused) {
          const a = w.answer as PartitionResponse;
          failures.push({ topic, partition: a.index, errorCode: a.errorCode, message: a.errorMessage });
        } else {
          void Promise.resolve(w.answer).then((a) => {
            if (a.errorCode !== ErrorCode.NONE) {
              log.warn({ topic, partition: a.index, errorCode: a.errorCode, message: a.errorMessage }, 'acks=0 produce failed after the append');
            }
          });
        }
      }
    });
    if (failures.length === 0) return NO_RESPONSE;
    log.info({ failures }, 'acks=0 produce refused; closing the connection so the client notices');
    return CLOSE_CONNECTION;
  }

  /** The response shape of `request`, each partition answered by `answerOf`. */
  private response(
    request: ProduceRequest,
    answerOf: (topic: string, p: ProduceRequestPartitionProduceData, topicIndex: number, partitionIndex: number) => PartitionResponse,
  ): ProduceResponse {
    return {
      ...defaultProduceResponse(),
      responses: request.topicData.map((t, i) => ({
        ...defaultProduceResponseTopicProduceResponse(),
        name: t.name,
        partitionResponses: t.partitionData.map((p, j) => answerOf(t.name, p, i, j)),
      })),
    };
  }
}

/** Resolves when `p` fulfils, after `ms`, or when `signal` aborts; rejects when `p` rejects first. */
function settledWithin(p: Promise<unknown>, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const finish = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, ms);
    signal.addEventListener('abort', finish, { once: true });
    p.then(finish, (err: unknown) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      reject(err);
    });
  });
}

/** The Produce handler (v3-11) over the log of `ctx`. */
export function produceHandler(ctx: BrokerContext, options: ProduceHandlerOptions = {}): ApiHandler<ProduceKey> {
  const service = new ProduceService(ctx, options);
  return defineHandler({
    apiKey: ApiKey.Produce,
    minVersion: PRODUCE_MIN_VERSION,
    maxVersion: PRODUCE_MAX_VERSION,
    handle(requestCtx, request, header) {
      return service.handle(requestCtx, request, header.apiVersion);
    },
  });
}
