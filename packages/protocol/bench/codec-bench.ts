// Micro-benchmark of the generated codecs through the frame API.
//
//   node packages/protocol/bench/codec-bench.ts [--seconds 2]
//
// Encodes and decodes realistic messages (whole frames: size prefix, header, body) and prints
// ops/s and MiB/s. Records are raw bytes: the codec never looks inside them.

import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../src/frame.ts';
import { ApiKey } from '../src/generated/apis.ts';
import { defaultFetchResponse, type FetchResponse } from '../src/generated/messages/fetch.ts';
import { defaultMetadataResponse, type MetadataResponse } from '../src/generated/messages/metadata.ts';
import { defaultProduceRequest, type ProduceRequest } from '../src/generated/messages/produce.ts';

const seconds = (() => {
  const i = process.argv.indexOf('--seconds');
  return i >= 0 ? Number(process.argv[i + 1]) : 2;
})();

function randomBytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

function uuid(i: number): string {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(i + 1, 12);
  return b.toString('base64url');
}

function produceRequest(): ProduceRequest {
  const req = defaultProduceRequest();
  req.acks = -1;
  req.timeoutMs = 30_000;
  req.topicData = [
    {
      name: 'bench-topic',
      partitionData: Array.from({ length: 10 }, (_, p) => ({ index: p, records: randomBytes(16 * 1024, p + 1) })),
    },
  ];
  return req;
}

function fetchResponse(version: number): FetchResponse {
  const res = defaultFetchResponse();
  res.sessionId = 1234;
  res.responses = [
    {
      topic: version >= 13 ? '' : 'bench-topic',
      topicId: version >= 13 ? uuid(7) : 'AAAAAAAAAAAAAAAAAAAAAA',
      partitions: Array.from({ length: 10 }, (_, p) => ({
        partitionIndex: p,
        errorCode: 0,
        highWatermark: 1_000_000n + BigInt(p),
        lastStableOffset: 1_000_000n,
        logStartOffset: 0n,
        divergingEpoch: { epoch: -1, endOffset: -1n },
        currentLeader: { leaderId: -1, leaderEpoch: -1 },
        snapshotId: { endOffset: -1n, epoch: -1 },
        abortedTransactions: [],
        preferredReadReplica: -1,
        records: randomBytes(16 * 1024, 100 + p),
      })),
    },
  ];
  return res;
}

function metadataResponse(): MetadataResponse {
  const res = defaultMetadataResponse();
  res.brokers = [0, 1, 2].map((id) => ({ nodeId: id, host: `broker-${id}.floe.internal`, port: 9092, rack: null }));
  res.clusterId = 'floe-cluster';
  res.controllerId = 0;
  res.topics = Array.from({ length: 100 }, (_, t) => ({
    errorCode: 0,
    name: `topic-${t}`,
    topicId: uuid(t),
    isInternal: false,
    partitions: Array.from({ length: 3 }, (_, p) => ({
      errorCode: 0,
      partitionIndex: p,
      leaderId: p,
      leaderEpoch: 5,
      replicaNodes: [0, 1, 2],
      isrNodes: [0, 1, 2],
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: -2147483648,
  }));
  return res;
}

interface Row {
  name: string;
  bytes: number;
  encode: number;
  decode: number;
}

function measure(fn: () => unknown): number {
  const warmEnd = performance.now() + Math.min(1000, seconds * 500);
  while (performance.now() < warmEnd) fn();
  let ops = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 50; i++) fn();
    ops += 50;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}

const rows: Row[] = [];

{
  const body = produceRequest();
  const header = { apiKey: ApiKey.Produce, apiVersion: 9, correlationId: 1, clientId: 'bench-producer' } as const;
  const frame = encodeRequest(header, body);
  const payload = frame.subarray(4);
  rows.push({
    name: 'Produce v9 request (10 x 16 KiB)',
    bytes: frame.length,
    encode: measure(() => encodeRequest(header, body)),
    decode: measure(() => decodeRequest(payload)),
  });
}

for (const version of [12, 13]) {
  const body = fetchResponse(version);
  const frame = encodeResponse(ApiKey.Fetch, version, 1, body);
  const payload = frame.subarray(4);
  rows.push({
    name: `Fetch v${version} response (10 x 16 KiB)`,
    bytes: frame.length,
    encode: measure(() => encodeResponse(ApiKey.Fetch, version, 1, body)),
    decode: measure(() => decodeResponse(ApiKey.Fetch, version, payload)),
  });
}

{
  const body = metadataResponse();
  const frame = encodeResponse(ApiKey.Metadata, 12, 1, body);
  const payload = frame.subarray(4);
  rows.push({
    name: 'Metadata v12 response (100 topics x 3)',
    bytes: frame.length,
    encode: measure(() => encodeResponse(ApiKey.Metadata, 12, 1, body)),
    decode: measure(() => decodeResponse(ApiKey.Metadata, 12, payload)),
  });
}

const pad = (s: string, n: number): string => s.padEnd(n);
const num = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(10);
const mib = (ops: number, bytes: number): string => ((ops * bytes) / 2 ** 20).toFixed(0).padStart(7);
console.log(`codec-bench: Node ${process.version}, ${seconds} s per measurement`);
console.log(`${pad('message', 40)} ${'bytes'.padStart(8)} ${'encode/s'.padStart(10)} ${'MiB/s'.padStart(7)} ${'decode/s'.padStart(10)} ${'MiB/s'.padStart(7)}`);
for (const r of rows) {
  console.log(
    `${pad(r.name, 40)} ${String(r.bytes).padStart(8)} ${num(r.encode)} ${mib(r.encode, r.bytes)} ${num(r.decode)} ${mib(r.decode, r.bytes)}`,
  );
}
