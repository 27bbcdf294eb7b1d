// The floe.v1.Records service over a FloeLog: Produce, ProduceStream, Fetch and Tail.
//
// Produce turns a request into one Kafka record batch (magic 2, uncompressed, offsetDelta = index,
// producer id -1) per partition it writes to, checks every batch against the topic's
// max.message.bytes before appending any, then hands them to the log in request order and
// answers once all are committed. A refused request (INVALID_ARGUMENT, NOT_FOUND) writes nothing.
// A storage failure after the append (UNAVAILABLE) may leave some partitions of a multi-partition
// request written: their batches were valid and the log commits partitions independently.
//
// Fetch and Tail read stored batches with the log's read, decode them (any codec Kafka clients
// used) and answer each record with its real offset (batch base offset from the log plus the
// record's offsetDelta). Control batches are skipped (none exist before transactions).
import { buildBatch, decodeBatch, readBatchHeader, setLogAppendTime, TimestampType, type RecordInput } from '@floe/protocol';
import { checkTopicName, LogError, type BatchOutcome, type FloeLog, type PartitionRef, type PendingBatch, type ReadBatch, type TopicInfo } from '@floe/log';
import { floe } from './protos.ts';
import { partitionForKey } from './partitioner.ts';
import { invalidArgument, notFound, outOfRange } from './status.ts';

type IProduceRequest = floe.v1.IProduceRequest;
type IProduceResponse = floe.v1.IProduceResponse;
type IFetchedRecord = floe.v1.IFetchedRecord;

/** Where the service finds topics: a TopicStore (the log's `topics`) fits. */
export interface TopicSource {
  get(name: string): Promise<TopicInfo | undefined>;
}

export interface RecordsServiceOptions {
  log: FloeLog;
  topics: TopicSource;
  /** Largest batch when the topic sets no max.message.bytes (Kafka's message.max.bytes). Default 1048588. */
  maxMessageBytes?: number;
  /** How long a found topic is remembered. Default 1000 ms. */
  topicCacheMs?: number;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 1048588;
export const DEFAULT_FETCH_MAX_BYTES = 1024 * 1024;
/** Fetch and Tail answer at most this many record bytes a message (plus one batch larger than it). */
export const MAX_FETCH_MAX_BYTES = 2 * 1024 * 1024;
/** A tail waits this long for new data before it reads again (it also wakes on commits). */
export const TAIL_WAIT_MS = 5_000;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** One partition's batch of a produce request, checked and ready to append. */
interface PreparedBatch {
  partition: number;
  ref: PartitionRef;
  batch: Buffer;
  info: Omit<PendingBatch, 'partition'>;
  recordCount: number;
  logAppendTime: number;
}

export interface PreparedProduce {
  batches: PreparedBatch[];
}

/** Refuses a message carrying fields this server does not know (INVALID_ARGUMENT). */
export function unknownFields(m: { $unknowns?: Uint8Array[] } | null | undefined, what: string): void {
  if (m?.$unknowns && m.$unknowns.length > 0) throw invalidArgument(`${what} has unknown fields`);
}

/** The producer of an idempotent request, checked; undefined for a plain one. */
function checkIdempotence(i: floe.v1.IIdempotence | null | undefined, explicitPartition: boolean): { id: number; epoch: number; baseSequence: number } | undefined {
  if (i === null || i === undefined) return undefined;
  unknownFields(i as { $unknowns?: Uint8Array[] }, 'Idempotence');
  if (!explicitPartition) throw invalidArgument('an idempotent produce request names its partition: its records are one batch of the producer');
  const id = Number(i.producerId ?? 0);
  const epoch = i.producerEpoch ?? 0;
  const baseSequence = i.baseSequence ?? 0;
  if (!Number.isSafeInteger(id) || id < 0) throw invalidArgument(`producer_id must be one InitProducer returned, not ${String(i.producerId)}`);
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > 32767) throw invalidArgument(`producer_epoch must be 0 to 32767, not ${epoch}`);
  if (!Number.isInteger(baseSequence) || baseSequence < 0) throw invalidArgument(`base_sequence must be 0 or more, not ${baseSequence}`);
  return { id, epoch, baseSequence };
}

function bytesOrNull(v: Uint8Array | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export class RecordsService {
  private readonly log: FloeLog;
  private readonly topicSource: TopicSource;
  private readonly maxMessageBytes: number;
  private readonly topicCacheMs: number;
  private readonly topicCache = new Map<string, { topic: TopicInfo; at: number }>();
  /** Round robin for records with null keys and no partition: per topic. */
  private readonly nextPartition = new Map<string, number>();

  constructor(opts: RecordsServiceOptions) {
    this.log = opts.log;
    this.topicSource = opts.topics;
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.topicCacheMs = opts.topicCacheMs ?? 1000;
  }

  /** The topic named `name`: INVALID_ARGUMENT for a name no topic can have, NOT_FOUND when absent. */
  async topic(name: string | null | undefined): Promise<TopicInfo> {
    const n = name ?? '';
    try {
      checkTopicName(n);
    } catch (err) {
      throw invalidArgument((err as Error).message);
    }
    const cached = this.topicCache.get(n);
    if (cached && Date.now() - cached.at < this.topicCacheMs) return cached.topic;
    const topic = await this.topicSource.get(n);
    if (!topic) {
      this.topicCache.delete(n);
      throw notFound(`unknown topic "${n}"`);
    }
    this.topicCache.set(n, { topic, at: Date.now() });
    return topic;
  }

  private partitionRef(topic: TopicInfo, partition: number | null | undefined): PartitionRef {
    const p = partition ?? 0;
    if (!Number.isInteger(p) || p < 0) throw invalidArgument(`partition must be 0 or more, not ${p}`);
    if (p >= topic.partitions) throw notFound(`topic "${topic.name}" has no partition ${p} (it has ${topic.partitions})`);
    return { topicId: topic.id, partition: p };
  }

  private topicMaxMessageBytes(topic: TopicInfo): number {
    const configured = topic.configs['max.message.bytes'];
    const n = configured === undefined ? NaN : Number(configured);
    return Number.isSafeInteger(n) && n >= 0 ? n : this.maxMessageBytes;
  }

  /**
   * Checks a produce request and builds its batches without touching the log. Throws a
   * GrpcStatusError for anything refused: nothing of the request is appended then.
   */
  async prepareProduce(req: IProduceRequest & { $unknowns?: Uint8Array[] }): Promise<PreparedProduce> {
    unknownFields(req, 'ProduceRequest');
    const topic = await this.topic(req.topic);
    const records = req.records ?? [];
    if (records.length === 0) throw invalidArgument('a produce request needs at least one record');
    const explicit = req.partition !== null && req.partition !== undefined;
    if (explicit) this.partitionRef(topic, req.partition);
    const producer = checkIdempotence(req.idempotence, explicit);
    const now = Date.now();
    let roundRobin: number | undefined;
    const byPartition = new Map<number, RecordInput[]>();
    records.forEach((r, i) => {
      unknownFields(r as { $unknowns?: Uint8Array[] }, `record ${i}`);
      const key = bytesOrNull(r.key);
      let timestamp = now;
      if (r.timestampMs !== null && r.timestampMs !== undefined) {
        const t = r.timestampMs;
        if (!Number.isSafeInteger(t) || t < 0) throw invalidArgument(`record ${i}: timestamp_ms must be 0 to 2^53-1, not ${t}`);
        timestamp = t;
      }
      const headers = (r.headers ?? []).map((h, j) => {
        unknownFields(h as { $unknowns?: Uint8Array[] }, `record ${i} header ${j}`);
        return { key: h.key ?? '', value: bytesOrNull(h.value) };
      });
      let partition: number;
      if (explicit) partition = req.partition!;
      else if (key !== null) partition = partitionForKey(key, topic.partitions);
      else partition = roundRobin ??= this.roundRobin(topic);
      let list = byPartition.get(partition);
      if (!list) byPartition.set(partition, (list = []));
      list.push({ key, value: bytesOrNull(r.value), headers, timestamp });
    });
    const limit = this.topicMaxMessageBytes(topic);
    const logAppend = topic.configs['message.timestamp.type'] === 'LogAppendTime';
    const batches: PreparedBatch[] = [];
    for (const [partition, list] of byPartition) {
      const batch = buildBatch({ records: list, ...(producer ? { producerId: producer.id, producerEpoch: producer.epoch, baseSequence: producer.baseSequence } : {}) });
      if (batch.length > limit) {
        throw invalidArgument(`the ${list.length} records for partition ${partition} make a ${batch.length}-byte batch; topic "${topic.name}" allows ${limit} (max.message.bytes)`);
      }
      const h = readBatchHeader(batch);
      const info: Omit<PendingBatch, 'partition'> = { offsetCount: list.length, recordCount: list.length, maxTimestamp: Number(h.maxTimestamp), ...(producer ? { producer } : {}) };
      if (logAppend) {
        setLogAppendTime(batch, BigInt(now));
        info.maxTimestamp = now;
      }
      batches.push({ partition, ref: { topicId: topic.id, partition }, batch, info, recordCount: list.length, logAppendTime: logAppend ? now : -1 });
    }
    return { batches };
  }

  private roundRobin(topic: TopicInfo): number {
    const n = this.nextPartition.get(topic.id) ?? Math.floor(Math.random() * topic.partitions);
    this.nextPartition.set(topic.id, n + 1);
    return n % topic.partitions;
  }

  /**
   * Hands the prepared batches to the log now (synchronously, in order), then resolves once all
   * are committed.
   */
  appendPrepared(prepared: PreparedProduce): Promise<IProduceResponse> {
    const outcomes: Promise<BatchOutcome>[] = prepared.batches.map((b) => {
      try {
        return this.log.append(b.ref, b.info, b.batch);
      } catch (err) {
        return Promise.reject(err);
      }
    });
    return Promise.all(outcomes).then(async (done) => {
      const partitions = [];
      for (let i = 0; i < done.length; i++) {
        const o = done[i]!;
        const b = prepared.batches[i]!;
        if (o.kind === 'rejected') throw new LogError(o.error, o.message);
        const { logStartOffset } = await this.log.offsets(b.ref, false);
        // A retried idempotent request answers the first one's offsets (and append time).
        const appendTime = o.kind === 'duplicate' && b.logAppendTime !== -1 ? o.maxTimestamp : b.logAppendTime;
        partitions.push({ partition: b.partition, baseOffset: o.baseOffset, recordCount: b.recordCount, logStartOffset, logAppendTimeMs: appendTime });
      }
      return { partitions };
    });
  }

  async produce(req: IProduceRequest): Promise<IProduceResponse> {
    return this.appendPrepared(await this.prepareProduce(req));
  }

  /** Checks a fetch position: INVALID_ARGUMENT for a negative or unsafe offset. */
  private checkOffset(offset: number | null | undefined): number {
    const o = offset ?? 0;
    if (!Number.isSafeInteger(o) || o < 0) throw invalidArgument(`offset must be 0 to 2^53-1, not ${o}`);
    return o;
  }

  maxBytesOf(maxBytes: number | null | undefined): number {
    const m = maxBytes ?? 0;
    if (!Number.isInteger(m) || m < 0) throw invalidArgument(`max_bytes must be 0 or more, not ${m}`);
    return m === 0 ? DEFAULT_FETCH_MAX_BYTES : Math.min(m, MAX_FETCH_MAX_BYTES);
  }

  /** Reads from `offset`: the records at or after it and the offset to read next. */
  async readFrom(ref: PartitionRef, offset: number, maxBytes: number): Promise<{ records: IFetchedRecord[]; nextOffset: number; highWatermark: number; logStartOffset: number }> {
    let r;
    try {
      r = await this.log.read(ref, offset, maxBytes);
    } catch (err) {
      if (err instanceof LogError && err.kind === 'offset-out-of-range') throw outOfRange(err.message);
      throw err;
    }
    const records: IFetchedRecord[] = [];
    let nextOffset = offset;
    let bytes = 0;
    for (const b of r.batches) {
      if (records.length > 0 && bytes + b.bytes.length > maxBytes) break;
      bytes += b.bytes.length;
      decodeRecords(b, offset, records);
      nextOffset = b.endOffset;
    }
    return { records, nextOffset, highWatermark: r.highWatermark, logStartOffset: r.logStartOffset };
  }

  async fetch(req: floe.v1.IFetchRequest & { $unknowns?: Uint8Array[] }): Promise<floe.v1.IFetchResponse> {
    unknownFields(req, 'FetchRequest');
    const offset = this.checkOffset(req.offset);
    const maxBytes = this.maxBytesOf(req.maxBytes);
    const topic = await this.topic(req.topic);
    const ref = this.partitionRef(topic, req.partition);
    return this.readFrom(ref, offset, maxBytes);
  }

  /**
   * Streams records from the start position of `req` to `send` until `signal` aborts. `send`
   * resolves when the message may be followed by the next (flow control).
   */
  async tail(
    req: floe.v1.ITailRequest & { $unknowns?: Uint8Array[] },
    send: (m: floe.v1.ITailResponse) => Promise<void>,
    signal: AbortSignal,
  ): Promise<void> {
    unknownFields(req, 'TailRequest');
    const maxBytes = this.maxBytesOf(req.maxBytes);
    const topic = await this.topic(req.topic);
    const ref = this.partitionRef(topic, req.partition);
    const start = (req as { start?: string }).start;
    let offset: number;
    if (start === 'offset') {
      offset = this.checkOffset(req.offset);
    } else if (start === 'timestampMs') {
      const t = req.timestampMs ?? 0;
      if (!Number.isSafeInteger(t) || t < 0) throw invalidArgument(`timestamp_ms must be 0 to 2^53-1, not ${t}`);
      offset = await this.offsetForTimestamp(ref, t);
    } else if (start === 'position' && req.position === floe.v1.StartPosition.START_POSITION_EARLIEST) {
      offset = (await this.log.offsets(ref)).logStartOffset;
    } else if (start === 'position' && req.position === floe.v1.StartPosition.START_POSITION_LATEST) {
      offset = (await this.log.offsets(ref)).highWatermark;
    } else {
      throw invalidArgument('TailRequest needs a start: offset, position EARLIEST or LATEST, or timestamp_ms');
    }
    while (!signal.aborted) {
      const got = await this.readFrom(ref, offset, maxBytes);
      if (signal.aborted) return;
      if (got.records.length > 0) {
        await send({ records: got.records, highWatermark: got.highWatermark, logStartOffset: got.logStartOffset });
      }
      if (got.nextOffset > offset) {
        offset = got.nextOffset;
        continue;
      }
      await this.log.waitForData([{ ref, offset }], TAIL_WAIT_MS, signal);
    }
  }

  /** The offset of the first record whose timestamp is at least `t`, else the high watermark. */
  private async offsetForTimestamp(ref: PartitionRef, t: number): Promise<number> {
    const found = await this.log.findBatchByTimestamp(ref, t);
    if (found) {
      const records: IFetchedRecord[] = [];
      decodeRecords({ baseOffset: found.baseOffset, endOffset: found.baseOffset, bytes: found.batch }, 0, records);
      const first = records.find((r) => (r.timestampMs as number) >= t);
      if (first) return first.offset as number;
    }
    return (await this.log.offsets(ref)).highWatermark;
  }
}

/** Appends the records of a stored batch at or after `from` to `out`, with their real offsets. */
function decodeRecords(b: ReadBatch, from: number, out: IFetchedRecord[]): void {
  // Stored bytes were CRC-checked on produce; the log's own checks cover storage.
  const decoded = decodeBatch(b.bytes, { validateCrc: false });
  if (decoded.header.isControl) return;
  const logAppend = decoded.header.timestampType === TimestampType.LOG_APPEND_TIME;
  for (const r of decoded.records) {
    const offset = b.baseOffset + r.offsetDelta;
    if (offset < from) continue;
    const ts = logAppend ? decoded.header.maxTimestamp : r.timestamp;
    out.push({
      offset,
      timestampMs: ts > BigInt(MAX_SAFE) || ts < -BigInt(MAX_SAFE) ? -1 : Number(ts),
      key: r.key,
      value: r.value,
      headers: r.headers.map((h) => ({ key: h.key, value: h.value })),
    });
  }
}
