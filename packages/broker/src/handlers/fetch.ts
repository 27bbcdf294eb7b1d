// Fetch (key 1), versions 4-17: record batches from a fetch offset, with long polling.
//
// Versions: 4 is the first that can carry magic-2 batches, the only format Floe stores (Kafka
// down-converts for older clients; Floe does not, and Kafka 4 dropped v0-3 too). Topics are named
// up to v12 and identified by topic id from v13.
//
// Per partition, in request order, as Kafka's leader does:
// - Unknown topic: UNKNOWN_TOPIC_ID (v13+) or UNKNOWN_TOPIC_OR_PARTITION; a partition the topic
//   does not have: UNKNOWN_TOPIC_OR_PARTITION. currentLeaderEpoch (v9+) other than 0 or -1:
//   UNKNOWN_LEADER_EPOCH (Floe's only epoch is 0, see offset-for-leader-epoch.ts).
// - lastFetchedEpoch (v12+, sent by followers, -1 from consumers): epoch 0 ends at the high
//   watermark, so it never diverges; any other epoch is one Floe does not know, which Kafka
//   answers with OFFSET_OUT_OF_RANGE.
// - Size limits (KIP-74): the response holds at most `maxBytes`, each partition at most its
//   `partitionMaxBytes`, whole batches only, except that the first partition with data always
//   gets its first batch even when that batch is larger than both limits, so a consumer can
//   never get stuck behind a large batch. Partitions after the budget is spent get no records
//   and no error.
// - The batches are copied into one buffer per partition (the log shares its cached bytes) and
//   each copy gets its real base offset and partition leader epoch 0 written in; both lie before
//   the CRC'd range, so the CRC stays valid.
// - highWatermark, lastStableOffset = high watermark (no transactions yet), logStartOffset;
//   abortedTransactions [] for read_committed and null for read_uncommitted, as Kafka sends them;
//   preferredReadReplica -1.
// - A fetch offset outside [log start, high watermark]: OFFSET_OUT_OF_RANGE with the current high
//   watermark and log start (Kafka sends -1 for both; clients reset with ListOffsets either way).
//   Other errors: the code of kafkaErrorCode, high watermark, LSO and log start -1, no records.
//
// Long poll: while the records total less than `minBytes` and `maxWaitMs` has not passed, wait
// with the log's waitForData on every readable partition, each watched past the high watermark
// of the last read (so only a new commit wakes it: no busy loop), then read everything again, as
// Kafka's delayed fetch does (also once when maxWaitMs runs out). The wait also ends when the
// connection closes (ctx.signal, passed to waitForData). The fetch answers at once when a
// partition has an error, and when a size limit has cut a
// partition's data (the answer is as full as the limits allow; Kafka would wait out maxWaitMs
// when minBytes is above them).
//
// Fetch sessions (KIP-227) are not kept: Floe behaves as a Kafka broker with
// max.incremental.fetch.session.cache.slots=0.
// - sessionEpoch 0 (open a session) or -1 (sessionless): served as a full fetch and answered with
//   sessionId 0, which tells the client that no session was created; it keeps sending full
//   fetches (sessionId 0, epoch 0). A sessionId in such a request names a session to close:
//   there is none, so it is ignored, and forgottenTopicsData means nothing in a full fetch.
// - Any other epoch asks for an incremental fetch in an existing session. No session ever exists,
//   so the answer is FETCH_SESSION_ID_NOT_FOUND (70) at the top level with no topics, on which
//   clients drop the session and send a full fetch. INVALID_FETCH_SESSION_EPOCH (71) is for a
//   known session with a wrong epoch, so Floe never answers it.
//
// Replica fetches (replicaId >= 0, or replicaState.replicaId from v15) come from followers, and
// Floe has none (the object store keeps the copies). Kafka answers a fetch from a node that is not
// a replica of the partition with NOT_LEADER_OR_FOLLOWER; Floe does the same for every partition.

import {
  ApiKey,
  defaultFetchResponse,
  defaultFetchResponseFetchableTopicResponse,
  defaultFetchResponsePartitionData,
  ErrorCode,
  setBaseOffset,
  setPartitionLeaderEpoch,
  type FetchRequest,
  type FetchResponse,
  type FetchResponsePartitionData,
} from '@floe/protocol';
import { LogError, type PartitionRef, type ReadBatch, type TopicInfo } from '@floe/log';
import { accessOf } from './access.ts';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler, type ApiHandler } from '../handler.ts';
import { kafkaErrorCode } from './error-mapping.ts';
import { currentLeaderEpochError, FLOE_LEADER_EPOCH } from './offset-for-leader-epoch.ts';

export const FETCH_MIN_VERSION = 4;
export const FETCH_MAX_VERSION = 17;

/** Reads started at once; later partitions wait for these (their budget depends on them). */
const MAX_CONCURRENT_READS = 32;

const READ_COMMITTED = 1;
const EMPTY = Buffer.alloc(0);

/** A partition of the request that names an existing partition and passed the checks. */
interface Readable {
  out: FetchResponsePartitionData;
  ref: PartitionRef;
  offset: number;
  maxBytes: number;
  /** The high watermark seen by the last read: the long poll waits for data past it. */
  seenHighWatermark: number;
}

type ReadOutcome =
  | { ok: true; highWatermark: number; logStartOffset: number; batches: ReadBatch[] }
  | { ok: false; errorCode: number; highWatermark: number; logStartOffset: number };

interface PassResult {
  bytes: number;
  /** A partition got an error: Kafka answers at once. */
  errored: boolean;
  /** A partition had more data than the limits let through: waiting cannot add to it. */
  limited: boolean;
}

/** The replica id of a fetch: -1 for consumers, the broker id for followers. */
function replicaIdOf(request: FetchRequest, version: number): number {
  return version >= 15 ? request.replicaState.replicaId : request.replicaId;
}

function setError(out: FetchResponsePartitionData, errorCode: number): void {
  out.errorCode = errorCode;
  out.highWatermark = -1n;
  out.lastStableOffset = -1n;
  out.logStartOffset = -1n;
  out.records = EMPTY;
}

/** One buffer holding copies of `batches`, each with its real base offset and epoch 0. */
function patchedCopy(batches: readonly ReadBatch[]): Buffer {
  if (batches.length === 0) return EMPTY;
  let size = 0;
  for (const b of batches) size += b.bytes.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const b of batches) {
    b.bytes.copy(out, at);
    setBaseOffset(out, BigInt(b.baseOffset), at);
    setPartitionLeaderEpoch(out, FLOE_LEADER_EPOCH, at);
    at += b.bytes.length;
  }
  return out;
}

type Watch = { ref: PartitionRef; offset: number };

/** Whether a watched partition has data past its watched offset, as this node knows now. */
async function anyReady(ctx: BrokerContext, watches: Watch[]): Promise<boolean> {
  for (const w of watches) {
    const o = await ctx.log.offsets(w.ref, false);
    if (o.highWatermark > w.offset) return true;
  }
  return false;
}

/**
 * Waits until a watched partition has data past its offset, `deadline` passes or `signal`
 * aborts. True when data came.
 */
async function waitForData(ctx: BrokerContext, watches: Watch[], deadline: number, signal: AbortSignal): Promise<boolean> {
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0 || signal.aborted) return false;
    await ctx.log.waitForData(watches, left, signal);
    if (signal.aborted) return false;
    if (await anyReady(ctx, watches)) return true;
  }
}

export function fetchHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.Fetch> {
  /** Reads one partition; a read error becomes its Kafka code. */
  const readPartition = async (item: Readable, maxBytes: number): Promise<ReadOutcome> => {
    try {
      const r = await ctx.log.read(item.ref, item.offset, maxBytes);
      return { ok: true, highWatermark: r.highWatermark, logStartOffset: r.logStartOffset, batches: r.batches };
    } catch (err) {
      const errorCode = kafkaErrorCode(err);
      if (err instanceof LogError && err.kind === 'offset-out-of-range') {
        // The read has just refreshed the view it judged the offset by.
        const o = await ctx.log.offsets(item.ref, false).catch(() => undefined);
        return { ok: false, errorCode, highWatermark: o?.highWatermark ?? -1, logStartOffset: o?.logStartOffset ?? -1 };
      }
      return { ok: false, errorCode, highWatermark: -1, logStartOffset: -1 };
    }
  };

  /**
   * A partition the byte budget has no room for: its offsets without reading bytes, when the
   * view at hand shows the fetch offset in range; otherwise a read decides (it refreshes the view
   * before calling an offset out of range).
   */
  const offsetsOnly = async (item: Readable): Promise<ReadOutcome> => {
    try {
      const o = await ctx.log.offsets(item.ref, false);
      if (item.offset >= o.logStartOffset && item.offset <= o.highWatermark) {
        return { ok: true, highWatermark: o.highWatermark, logStartOffset: o.logStartOffset, batches: [] };
      }
    } catch {
      // Let the read report it.
    }
    const r = await readPartition(item, 0);
    return r.ok ? { ...r, batches: [] } : r;
  };

  /** One read of every readable partition, filling their answers. Kafka's readFromLog. */
  const fetchPass = async (items: readonly Readable[], requestMaxBytes: number, readCommitted: boolean): Promise<PassResult> => {
    let remaining = Math.max(0, requestMaxBytes);
    /** No partition has returned data yet: the next one with data returns at least one batch. */
    let minOneBatch = true;
    const result: PassResult = { bytes: 0, errored: false, limited: false };
    let i = 0;
    while (i < items.length) {
      // A wave of reads run together: their caps fit the budget left before the wave, so none
      // can crowd out another; the budget is then applied in request order.
      const wave: { item: Readable; read: Promise<ReadOutcome> }[] = [];
      let reserved = 0;
      while (i < items.length && wave.length < MAX_CONCURRENT_READS) {
        const item = items[i]!;
        const cap = Math.min(Math.max(0, item.maxBytes), remaining);
        if (cap === 0 && !minOneBatch) {
          wave.push({ item, read: offsetsOnly(item) });
        } else {
          // A read may return one batch above its cap: only the first of a wave may do so.
          if (wave.length > 0 && (cap === 0 || reserved + cap > remaining)) break;
          wave.push({ item, read: readPartition(item, cap) });
          reserved += cap;
        }
        i++;
      }
      const outcomes = await Promise.all(wave.map((w) => w.read));
      wave.forEach(({ item }, k) => {
        const r = outcomes[k]!;
        const out = item.out;
        if (!r.ok) {
          setError(out, r.errorCode);
          if (r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
            out.highWatermark = BigInt(r.highWatermark);
            out.logStartOffset = BigInt(r.logStartOffset);
          }
          result.errored = true;
          return;
        }
        const limit = Math.min(Math.max(0, item.maxBytes), remaining);
        const taken: ReadBatch[] = [];
        let bytes = 0;
        for (const b of r.batches) {
          const fits = bytes + b.bytes.length <= limit;
          if (!fits && !(taken.length === 0 && minOneBatch)) break;
          taken.push(b);
          bytes += b.bytes.length;
        }
        const lastTaken = taken[taken.length - 1];
        const nextOffset = lastTaken ? lastTaken.endOffset : item.offset;
        // Data left before the high watermark was held back by a limit (the read stops only there).
        if (nextOffset < r.highWatermark) result.limited = true;
        if (bytes > 0) minOneBatch = false;
        remaining = Math.max(0, remaining - bytes);
        result.bytes += bytes;
        item.seenHighWatermark = Math.max(item.offset, r.highWatermark);
        out.errorCode = ErrorCode.NONE;
        out.highWatermark = BigInt(r.highWatermark);
        out.lastStableOffset = BigInt(r.highWatermark);
        out.logStartOffset = BigInt(r.logStartOffset);
        out.abortedTransactions = readCommitted ? [] : null;
        out.records = patchedCopy(taken);
      });
    }
    return result;
  };

  return defineHandler({
    apiKey: ApiKey.Fetch,
    minVersion: FETCH_MIN_VERSION,
    maxVersion: FETCH_MAX_VERSION,
    async handle(rc, request, header): Promise<FetchResponse> {
      const started = Date.now();
      const version = header.apiVersion;
      const response = defaultFetchResponse();
      if (version >= 7 && request.sessionEpoch !== 0 && request.sessionEpoch !== -1) {
        response.errorCode = ErrorCode.FETCH_SESSION_ID_NOT_FOUND;
        return response;
      }
      const byId = version >= 13;
      const fromReplica = replicaIdOf(request, version) >= 0;
      const readCommitted = request.isolationLevel === READ_COMMITTED;

      const lookups = new Map<string, Promise<TopicInfo | undefined>>();
      const lookup = (key: string): Promise<TopicInfo | undefined> => {
        let p = lookups.get(key);
        if (!p) {
          p = byId ? ctx.topics.byIdOrLoad(key) : ctx.topics.byNameOrLoad(key);
          lookups.set(key, p);
        }
        return p;
      };
      // A topic lookup that fails (the coordination table unreachable) answers that topic's
      // partitions with KAFKA_STORAGE_ERROR, which clients retry, instead of failing the
      // request, which closes the connection.
      const topics = await Promise.all(request.topics.map((t) => lookup(byId ? t.topicId : t.topic).catch(() => null)));
      const access = accessOf(ctx, rc);
      const readable = new Map<string, boolean>();
      const mayRead = (name: string): boolean => {
        let ok = readable.get(name);
        if (ok === undefined) readable.set(name, (ok = access.topic('Read', name)));
        return ok;
      };

      const items: Readable[] = [];
      request.topics.forEach((t, ti) => {
        const topic = topics[ti];
        // Each version fills the field it has (the name up to v12, the id from v13); the other
        // holds its default in the request, which is what the answer must carry.
        const answer = { ...defaultFetchResponseFetchableTopicResponse(), topic: t.topic, topicId: t.topicId };
        response.responses.push(answer);
        for (const p of t.partitions) {
          const out: FetchResponsePartitionData = { ...defaultFetchResponsePartitionData(), partitionIndex: p.partition };
          answer.partitions.push(out);
          // Read on the topic, checked by name before existence (by id, an unknown id is all
          // the client learns), as Kafka does.
          if (!byId && !mayRead(t.topic)) {
            setError(out, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
            continue;
          }
          if (topic === null) {
            setError(out, ErrorCode.KAFKA_STORAGE_ERROR);
            continue;
          }
          if (!topic) {
            setError(out, byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
            continue;
          }
          if (byId && !mayRead(topic.name)) {
            setError(out, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
            continue;
          }
          if (p.partition < 0 || p.partition >= topic.partitions) {
            setError(out, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
            continue;
          }
          if (fromReplica) {
            setError(out, ErrorCode.NOT_LEADER_OR_FOLLOWER);
            continue;
          }
          const epochError = currentLeaderEpochError(p.currentLeaderEpoch);
          if (epochError !== ErrorCode.NONE) {
            setError(out, epochError);
            continue;
          }
          if (p.lastFetchedEpoch >= 0 && p.lastFetchedEpoch !== FLOE_LEADER_EPOCH) {
            setError(out, ErrorCode.OFFSET_OUT_OF_RANGE);
            continue;
          }
          if (p.fetchOffset < 0n || p.fetchOffset > BigInt(Number.MAX_SAFE_INTEGER)) {
            setError(out, ErrorCode.OFFSET_OUT_OF_RANGE);
            continue;
          }
          const offset = Number(p.fetchOffset);
          items.push({
            out,
            ref: { topicId: topic.id, partition: p.partition },
            offset,
            maxBytes: p.partitionMaxBytes,
            seenHighWatermark: offset,
          });
        }
      });
      const anyError = items.length < request.topics.reduce((n, t) => n + t.partitions.length, 0);

      let pass = await fetchPass(items, request.maxBytes, readCommitted);
      const deadline = started + request.maxWaitMs;
      const enough = (r: PassResult) =>
        r.errored || anyError || r.limited || r.bytes >= request.minBytes || items.length === 0;
      while (!enough(pass) && !rc.signal.aborted && Date.now() < deadline) {
        const watches = items.map((it) => ({ ref: it.ref, offset: it.seenHighWatermark }));
        const arrived = await waitForData(ctx, watches, deadline, rc.signal);
        // A closed connection gets no answer: do not read again for it.
        if (rc.signal.aborted) break;
        // On expiry, read once more (Kafka's delayed fetch does): a commit of another node may
        // have landed since the last poll of the journal.
        pass = await fetchPass(items, request.maxBytes, readCommitted);
        if (!arrived) break;
      }
      return response;
    },
  });
}
