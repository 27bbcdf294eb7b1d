// A scripted capture broker: test scaffolding that records the exact request frames real Kafka
// clients send, for Floe's golden tests. IT IS NOT A BROKER. It keeps everything in memory, has
// one node, one replica, no durability, no quotas, no security, no transactions, no real group
// coordination (the first member of a group is its leader and the group never rebalances on its
// own), and it answers only the APIs below, just plausibly enough that clients move on to their
// next request:
//
//   ApiVersions      the codec's full version range for each API answered here (from the generated
//                    APIS table); a version it cannot parse gets a v0 answer with
//                    UNSUPPORTED_VERSION and the list, so the client retries lower (KIP-511)
//   Metadata         itself (node 1, 127.0.0.1:port) as the only broker; every requested topic
//                    exists (auto-created), with `partitionsFor(topic)` partitions led by node 1
//   Produce          success; each batch gets the next offsets of its partition (acks=0: no answer)
//   Fetch            the batches stored for the partition from the fetch offset on; when there is
//                    nothing at all, the answer is held back for min(maxWaitMs, 200 ms)
//   ListOffsets      earliest 0, anything else the log end
//   InitProducerId   producer id 1000, epoch 0
//   FindCoordinator  itself, in the single-key (v0-3) and batched (v4+) forms
//   JoinGroup        v4+ first join without a member id: MEMBER_ID_REQUIRED with a new id; then
//                    the member is the leader and gets its own metadata back in `members`
//   SyncGroup        the assignment the leader sent for itself
//   Heartbeat, OffsetCommit, LeaveGroup    success
//   OffsetFetch      no committed offsets (-1)
//
// Anything else (another API, or a frame the codec cannot decode) is recorded in `failures` and the
// connection is closed. Responses on one connection go out in request order. `close()` destroys
// every socket and timer.

import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import {
  apiByKey,
  ApiKey,
  decodeRequest,
  defaultApiVersionsResponse,
  defaultApiVersionsResponseApiVersion,
  defaultFetchResponse,
  defaultFetchResponseFetchableTopicResponse,
  defaultFetchResponsePartitionData,
  defaultFindCoordinatorResponse,
  defaultFindCoordinatorResponseCoordinator,
  defaultHeartbeatResponse,
  defaultInitProducerIdResponse,
  defaultJoinGroupResponse,
  defaultJoinGroupResponseMember,
  defaultLeaveGroupResponse,
  defaultLeaveGroupResponseMemberResponse,
  defaultListOffsetsResponse,
  defaultListOffsetsResponseListOffsetsPartitionResponse,
  defaultListOffsetsResponseListOffsetsTopicResponse,
  defaultMetadataResponse,
  defaultMetadataResponseBroker,
  defaultMetadataResponsePartition,
  defaultMetadataResponseTopic,
  defaultOffsetCommitResponse,
  defaultOffsetCommitResponsePartition,
  defaultOffsetCommitResponseTopic,
  defaultOffsetFetchResponse,
  defaultOffsetFetchResponseGroup,
  defaultOffsetFetchResponsePartition,
  defaultOffsetFetchResponsePartitions,
  defaultOffsetFetchResponseTopic,
  defaultOffsetFetchResponseTopics,
  defaultProduceResponse,
  defaultProduceResponsePartitionProduceResponse,
  defaultProduceResponseTopicProduceResponse,
  defaultSyncGroupResponse,
  encodeResponse,
  ErrorCode,
  FrameSplitter,
  UnsupportedVersionError,
  type DecodedRequest,
  type FetchRequest,
  type JoinGroupRequest,
  type MetadataRequest,
  type ProduceRequest,
} from '@floe/protocol';

/** The APIs this broker answers, hence advertises. */
export const CAPTURE_BROKER_APIS: readonly number[] = [
  ApiKey.ApiVersions,
  ApiKey.Metadata,
  ApiKey.Produce,
  ApiKey.Fetch,
  ApiKey.ListOffsets,
  ApiKey.InitProducerId,
  ApiKey.FindCoordinator,
  ApiKey.JoinGroup,
  ApiKey.SyncGroup,
  ApiKey.Heartbeat,
  ApiKey.OffsetCommit,
  ApiKey.OffsetFetch,
  ApiKey.LeaveGroup,
];

export const CAPTURE_NODE_ID = 1;
export const CAPTURE_PRODUCER_ID = 1000n;

/** One request as the client sent it. `frame` is a copy of the payload, without the size prefix. */
export interface CapturedRequest {
  client: string;
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  frame: Buffer;
}

/** A request the broker could not decode or does not serve. */
export interface CaptureFailure extends CapturedRequest {
  error: string;
}

export interface CaptureBrokerOptions {
  /** Label stored with every captured request (e.g. "java"). */
  client: string;
  /** Partition count of a topic; default: N for a name ending in `-pN` (N = 1..3), else 1. */
  partitionsFor?: (topic: string) => number;
}

export interface CaptureBroker {
  readonly client: string;
  readonly port: number;
  /** "127.0.0.1:port" */
  readonly bootstrap: string;
  readonly requests: CapturedRequest[];
  readonly failures: CaptureFailure[];
  /** Stored batches of a partition (baseOffset rewritten to the assigned offset). */
  batches(topic: string, partition: number): Buffer[];
  /** The id the broker gave a topic, if the topic exists. */
  topicId(topic: string): string | undefined;
  close(): Promise<void>;
}

interface StoredBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  bytes: Buffer;
}

interface Topic {
  name: string;
  id: string;
  logs: { batches: StoredBatch[]; end: bigint }[];
}

interface Group {
  generation: number;
  nextMember: number;
  assignments: Map<string, Buffer>;
}

const HOST = '127.0.0.1';
const MAX_EMPTY_FETCH_WAIT_MS = 200;

function defaultPartitionsFor(topic: string): number {
  const m = /-p([1-3])$/.exec(topic);
  return m ? Number(m[1]) : 1;
}

function newTopicId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (id !== 'AAAAAAAAAAAAAAAAAAAAAA') return id;
  }
}

/** Splits a Produce partition's records into batches by their length fields (CRC not checked here). */
function splitStoredBatches(records: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos + 12 <= records.length) {
    const size = 12 + records.readInt32BE(pos + 8);
    if (size < 61 || pos + size > records.length) throw new Error(`malformed record batch at byte ${pos}`);
    out.push(records.subarray(pos, pos + size));
    pos += size;
  }
  if (pos !== records.length) throw new Error('trailing bytes after the record batches');
  return out;
}

export async function startCaptureBroker(options: CaptureBrokerOptions): Promise<CaptureBroker> {
  const client = options.client;
  const partitionsFor = options.partitionsFor ?? defaultPartitionsFor;
  const requests: CapturedRequest[] = [];
  const failures: CaptureFailure[] = [];
  const topics = new Map<string, Topic>();
  const topicsById = new Map<string, Topic>();
  const groups = new Map<string, Group>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  let port = 0;

  const topicNamed = (name: string): Topic => {
    let t = topics.get(name);
    if (!t) {
      const n = Math.max(1, Math.min(3, partitionsFor(name)));
      t = { name, id: newTopicId(), logs: Array.from({ length: n }, () => ({ batches: [], end: 0n })) };
      topics.set(name, t);
      topicsById.set(t.id, t);
    }
    return t;
  };
  const groupNamed = (id: string): Group => {
    let g = groups.get(id);
    if (!g) {
      g = { generation: 0, nextMember: 1, assignments: new Map() };
      groups.set(id, g);
    }
    return g;
  };
  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      if (closed) return resolve();
      const t = setTimeout(() => (timers.delete(t), resolve()), ms);
      timers.add(t);
    });

  function apiVersions(version: number, correlationId: number, errorCode: number): Buffer {
    const body = defaultApiVersionsResponse();
    body.errorCode = errorCode;
    body.apiKeys = CAPTURE_BROKER_APIS.map((key) => {
      const api = apiByKey(key)!;
      const v = defaultApiVersionsResponseApiVersion();
      v.apiKey = key;
      v.minVersion = api.minVersion;
      v.maxVersion = api.maxVersion;
      return v;
    });
    return encodeResponse(ApiKey.ApiVersions, version, correlationId, body);
  }

  function metadata(version: number, req: MetadataRequest): ReturnType<typeof defaultMetadataResponse> {
    const body = defaultMetadataResponse();
    const broker = defaultMetadataResponseBroker();
    broker.nodeId = CAPTURE_NODE_ID;
    broker.host = HOST;
    broker.port = port;
    body.brokers = [broker];
    if (version >= 2) body.clusterId = 'floe-capture';
    if (version >= 1) body.controllerId = CAPTURE_NODE_ID;
    // null (v1+) or, in v0, an empty list means "all topics".
    const all = req.topics === null || (version === 0 && req.topics.length === 0);
    const wanted: Topic[] = all
      ? [...topics.values()]
      : (req.topics ?? []).flatMap((t) => {
          if (t.name !== null) return [topicNamed(t.name)];
          const byId = topicsById.get(t.topicId);
          return byId ? [byId] : [];
        });
    body.topics = wanted.map((t) => {
      const mt = defaultMetadataResponseTopic();
      mt.name = t.name;
      if (version >= 10) mt.topicId = t.id;
      mt.partitions = t.logs.map((_, i) => {
        const p = defaultMetadataResponsePartition();
        p.partitionIndex = i;
        p.leaderId = CAPTURE_NODE_ID;
        if (version >= 7) p.leaderEpoch = 0;
        p.replicaNodes = [CAPTURE_NODE_ID];
        p.isrNodes = [CAPTURE_NODE_ID];
        return p;
      });
      return mt;
    });
    return body;
  }

  function produce(version: number, req: ProduceRequest) {
    const body = defaultProduceResponse();
    body.responses = req.topicData.map((td) => {
      const t = topicNamed(td.name);
      const r = defaultProduceResponseTopicProduceResponse();
      r.name = td.name;
      r.partitionResponses = td.partitionData.map((pd) => {
        const pr = defaultProduceResponsePartitionProduceResponse();
        pr.index = pd.index;
        const log = t.logs[pd.index];
        if (!log) {
          pr.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          pr.baseOffset = -1n;
          return pr;
        }
        pr.baseOffset = log.end;
        if (version >= 5) pr.logStartOffset = 0n;
        for (const batch of splitStoredBatches(pd.records ?? Buffer.alloc(0))) {
          const copy = Buffer.from(batch);
          copy.writeBigInt64BE(log.end, 0); // baseOffset is outside the CRC
          const count = BigInt(copy.readInt32BE(23)) + 1n; // lastOffsetDelta + 1
          log.batches.push({ baseOffset: log.end, lastOffset: log.end + count - 1n, bytes: copy });
          log.end += count;
        }
        return pr;
      });
      return r;
    });
    return body;
  }

  async function fetch(version: number, req: FetchRequest) {
    const build = () => {
      let bytes = 0;
      const body = defaultFetchResponse();
      body.responses = req.topics.map((ft) => {
        const t = version >= 13 ? topicsById.get(ft.topicId) : topics.get(ft.topic);
        const r = defaultFetchResponseFetchableTopicResponse();
        if (version >= 13) r.topicId = ft.topicId;
        else r.topic = ft.topic;
        r.partitions = ft.partitions.map((fp) => {
          const p = defaultFetchResponsePartitionData();
          p.partitionIndex = fp.partition;
          const log = t?.logs[fp.partition];
          if (!log) {
            p.errorCode = version >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
            p.highWatermark = -1n;
            return p;
          }
          p.highWatermark = log.end;
          if (version >= 4) {
            p.lastStableOffset = log.end;
            p.abortedTransactions = [];
          }
          if (version >= 5) p.logStartOffset = 0n;
          const batches = log.batches.filter((b) => b.lastOffset >= fp.fetchOffset).map((b) => b.bytes);
          p.records = Buffer.concat(batches);
          bytes += p.records.length;
          return p;
        });
        return r;
      });
      return { body, bytes };
    };
    let out = build();
    if (out.bytes === 0 && req.maxWaitMs > 0) {
      await delay(Math.min(req.maxWaitMs, MAX_EMPTY_FETCH_WAIT_MS));
      out = build();
    }
    return out.body;
  }

  function joinGroup(version: number, req: JoinGroupRequest) {
    const g = groupNamed(req.groupId);
    const body = defaultJoinGroupResponse();
    if (req.memberId === '' && version >= 4) {
      body.errorCode = ErrorCode.MEMBER_ID_REQUIRED;
      body.memberId = `${req.groupId}-member-${g.nextMember++}`;
      body.protocolName = version >= 7 ? null : '';
      return body;
    }
    const memberId = req.memberId !== '' ? req.memberId : `${req.groupId}-member-${g.nextMember++}`;
    const chosen = req.protocols[0];
    g.generation += 1;
    body.generationId = g.generation;
    if (version >= 7) body.protocolType = req.protocolType;
    body.protocolName = chosen?.name ?? '';
    body.leader = memberId;
    body.memberId = memberId;
    const member = defaultJoinGroupResponseMember();
    member.memberId = memberId;
    if (version >= 5) member.groupInstanceId = req.groupInstanceId;
    member.metadata = chosen?.metadata ?? Buffer.alloc(0);
    body.members = [member];
    return body;
  }

  async function answer(req: DecodedRequest): Promise<Buffer | undefined> {
    const v = req.header.apiVersion;
    const cid = req.header.correlationId;
    switch (req.apiKey) {
      case ApiKey.ApiVersions:
        return apiVersions(v, cid, ErrorCode.NONE);
      case ApiKey.Metadata:
        return encodeResponse(req.apiKey, v, cid, metadata(v, req.body));
      case ApiKey.Produce: {
        const body = produce(v, req.body);
        return req.body.acks === 0 ? undefined : encodeResponse(req.apiKey, v, cid, body);
      }
      case ApiKey.Fetch:
        return encodeResponse(req.apiKey, v, cid, await fetch(v, req.body));
      case ApiKey.ListOffsets: {
        const body = defaultListOffsetsResponse();
        body.topics = req.body.topics.map((lt) => {
          const t = topicNamed(lt.name);
          const r = defaultListOffsetsResponseListOffsetsTopicResponse();
          r.name = lt.name;
          r.partitions = lt.partitions.map((lp) => {
            const p = defaultListOffsetsResponseListOffsetsPartitionResponse();
            p.partitionIndex = lp.partitionIndex;
            const log = t.logs[lp.partitionIndex];
            if (!log) {
              p.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
              return p;
            }
            const offset = lp.timestamp === -2n ? 0n : log.end;
            if (v === 0) p.oldStyleOffsets = [offset];
            else p.offset = offset;
            if (v >= 4) p.leaderEpoch = 0;
            return p;
          });
          return r;
        });
        return encodeResponse(req.apiKey, v, cid, body);
      }
      case ApiKey.InitProducerId: {
        const body = defaultInitProducerIdResponse();
        body.producerId = CAPTURE_PRODUCER_ID;
        body.producerEpoch = 0;
        return encodeResponse(req.apiKey, v, cid, body);
      }
      case ApiKey.FindCoordinator: {
        const body = defaultFindCoordinatorResponse();
        if (v <= 3) {
          body.nodeId = CAPTURE_NODE_ID;
          body.host = HOST;
          body.port = port;
          if (v >= 1) body.errorMessage = null;
        } else {
          body.coordinators = req.body.coordinatorKeys.map((key) => {
            const c = defaultFindCoordinatorResponseCoordinator();
            c.key = key;
            c.nodeId = CAPTURE_NODE_ID;
            c.host = HOST;
            c.port = port;
            c.errorMessage = null;
            return c;
          });
        }
        return encodeResponse(req.apiKey, v, cid, body);
      }
      case ApiKey.JoinGroup:
        return encodeResponse(req.apiKey, v, cid, joinGroup(v, req.body));
      case ApiKey.SyncGroup: {
        const g = groupNamed(req.body.groupId);
        for (const a of req.body.assignments) g.assignments.set(a.memberId, Buffer.from(a.assignment));
        const body = defaultSyncGroupResponse();
        body.assignment = g.assignments.get(req.body.memberId) ?? Buffer.alloc(0);
        if (v >= 5) {
          body.protocolType = req.body.protocolType;
          body.protocolName = req.body.protocolName;
        }
        return encodeResponse(req.apiKey, v, cid, body);
      }
      case ApiKey.Heartbeat:
        return encodeResponse(req.apiKey, v, cid, defaultHeartbeatResponse());
      case ApiKey.OffsetCommit: {
        const body = defaultOffsetCommitResponse();
        body.topics = req.body.topics.map((t) => {
          const r = defaultOffsetCommitResponseTopic();
          r.name = t.name;
          r.partitions = t.partitions.map((p) => {
            const pr = defaultOffsetCommitResponsePartition();
            pr.partitionIndex = p.partitionIndex;
            return pr;
          });
          return r;
        });
        return encodeResponse(req.apiKey, v, cid, body);
      }
      case ApiKey.OffsetFetch: {
        const body = defaultOffsetFetchResponse();
        if (v <= 7) {
          body.topics = (req.body.topics ?? []).map((t) => {
            const r = defaultOffsetFetchResponseTopic();
            r.name = t.name;
            r.partitions = t.partitionIndexes.map((i) => {
              const p = defaultOffsetFetchResponsePartition();
              p.partitionIndex = i;
              p.committedOffset = -1n;
              return p;
            });
            return r;
          });
        } else {
          body.groups = req.body.groups.map((rg) => {
            const g = defaultOffsetFetchResponseGroup();
            g.groupId = rg.groupId;
            g.topics = (rg.topics ?? []).map((t) => {
              const r = defaultOffsetFetchResponseTopics();
              r.name = t.name;
              r.partitions = t.partitionIndexes.map((i) => {
                const p = defaultOffsetFetchResponsePartitions();
                p.partitionIndex = i;
                p.committedOffset = -1n;
                return p;
              });
              return r;
            });
            return g;
          });
        }
        return encodeResponse(req.apiKey, v, cid, body);
      }
      case ApiKey.LeaveGroup: {
        const body = defaultLeaveGroupResponse();
        if (v >= 3) {
          body.members = req.body.members.map((m) => {
            const r = defaultLeaveGroupResponseMemberResponse();
            r.memberId = m.memberId;
            r.groupInstanceId = m.groupInstanceId;
            return r;
          });
        }
        return encodeResponse(req.apiKey, v, cid, body);
      }
      default:
        return undefined;
    }
  }

  /** Handles one frame: the response to send, or null to close the connection. */
  async function handle(frame: Buffer): Promise<Buffer | undefined | null> {
    const copy = Buffer.from(frame);
    const captured: CapturedRequest = {
      client,
      apiKey: copy.length >= 2 ? copy.readInt16BE(0) : -1,
      apiVersion: copy.length >= 4 ? copy.readInt16BE(2) : -1,
      correlationId: copy.length >= 8 ? copy.readInt32BE(4) : -1,
      clientId: null,
      frame: copy,
    };
    const fail = (error: string) => (failures.push({ ...captured, error }), null);
    let req: DecodedRequest;
    try {
      req = decodeRequest(copy);
    } catch (e) {
      if (e instanceof UnsupportedVersionError && e.request?.apiKey === ApiKey.ApiVersions) {
        // KIP-511: answer in v0 with the versions we speak, so the client retries lower.
        captured.clientId = e.request.clientId ?? null;
        requests.push(captured);
        return apiVersions(0, e.request.correlationId, ErrorCode.UNSUPPORTED_VERSION);
      }
      return fail(`decode: ${(e as Error).message}`);
    }
    captured.clientId = req.header.clientId;
    requests.push(captured);
    if (!CAPTURE_BROKER_APIS.includes(req.apiKey)) return fail(`api ${req.apiKey} is not served`);
    try {
      return await answer(req);
    } catch (e) {
      return fail(`answer: ${(e as Error).message}`);
    }
  }

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const splitter = new FrameSplitter({ maxFrameSize: 16 * 1024 * 1024 });
    let chain: Promise<void> = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = splitter.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        const pending = handle(frame);
        chain = chain.then(async () => {
          const out = await pending;
          if (socket.destroyed) return;
          if (out === null) socket.destroy();
          else if (out !== undefined) socket.write(out);
        });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    client,
    port,
    bootstrap: `${HOST}:${port}`,
    requests,
    failures,
    topicId: (topic) => topics.get(topic)?.id,
    batches: (topic, partition) => topics.get(topic)?.logs[partition]?.batches.map((b) => b.bytes) ?? [],
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        for (const t of timers) clearTimeout(t);
        timers.clear();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
