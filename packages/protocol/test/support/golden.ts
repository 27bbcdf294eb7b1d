// Checks for golden request frames captured from real Kafka clients (test/fixtures/golden/, written
// by packages/testkit/bin/capture-golden.ts). Shared by the unit test golden.test.ts, which checks
// the committed fixtures, and by the testkit integration test golden-capture.test.ts, which
// captures live. A fixture's `expect` comes from what the capture scenario did, not from its bytes.

import { expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { ApiKey, decodeRequest, encodeRequest, UnsupportedVersionError, type DecodedRequest } from '../../src/index.ts';
import {
  COMPRESSION_CODEC_NAMES,
  decodeBatch,
  iterateBatches,
  validateProduceRecords,
  type CompressionCodecId,
  type DecodedBatch,
} from '../../src/records/index.ts';

export const GOLDEN_DIR = new URL('../fixtures/golden/', import.meta.url);

export interface GoldenRecord {
  key: string;
  value: string;
  headers: [string, string][];
}

export interface GoldenExpect {
  topic?: string;
  topicId?: string;
  groupId?: string;
  partition?: number;
  acks?: number;
  compression?: string;
  records?: GoldenRecord[];
  committedOffset?: string;
  protocolType?: string;
  producerId?: string;
  timestamp?: string;
  unsupported?: boolean;
}

export interface GoldenFixtureMeta {
  file: string;
  client: string;
  clientVersion: string;
  api: string;
  apiKey: number;
  version: number;
  variant?: string;
  expect: GoldenExpect;
}

export interface GoldenManifest {
  generatedBy: string;
  clients: Record<string, string>;
  fixtures: GoldenFixtureMeta[];
}

export function loadGoldenManifest(): GoldenManifest {
  return JSON.parse(readFileSync(new URL('manifest.json', GOLDEN_DIR), 'utf8')) as GoldenManifest;
}

export function loadGoldenFrame(file: string): Buffer {
  return readFileSync(new URL(file, GOLDEN_DIR));
}

/**
 * decodeRequest succeeds with the expected api key and version, and encodeRequest of the decoded
 * header and body gives the frame back byte for byte (size prefix included).
 */
export function decodeAndReencode(frame: Buffer, apiKey: number, version: number): DecodedRequest {
  const req = decodeRequest(frame);
  expect(req.apiKey).toBe(apiKey);
  expect(req.header.apiKey).toBe(apiKey);
  expect(req.header.apiVersion).toBe(version);
  const again = encodeRequest(
    {
      apiKey: req.header.apiKey,
      apiVersion: req.header.apiVersion,
      correlationId: req.header.correlationId,
      clientId: req.header.clientId,
      taggedFields: req.header.taggedFields,
    },
    req.body,
  );
  expect(again.readInt32BE(0)).toBe(frame.length);
  if (!again.subarray(4).equals(frame)) {
    throw new Error(
      `re-encoded ${req.apiKey} v${version} differs from the captured frame\n` +
        `captured:   ${frame.toString('hex')}\nre-encoded: ${again.subarray(4).toString('hex')}`,
    );
  }
  return req;
}

export interface ProducedPartition {
  topic: string;
  partition: number;
  batches: DecodedBatch[];
}

/**
 * Every partition's records of a Produce request: exactly one batch (Kafka's rule for v3+), which
 * passes the batch iterator with CRC validation and decodes fully, decompression included.
 */
export function producedBatches(req: DecodedRequest): ProducedPartition[] {
  if (req.apiKey !== ApiKey.Produce) throw new Error('not a Produce request');
  const out: ProducedPartition[] = [];
  for (const td of req.body.topicData) {
    for (const pd of td.partitionData) {
      expect(pd.records).not.toBeNull();
      const records = pd.records!;
      validateProduceRecords(records, { apiVersion: req.header.apiVersion, validateCrc: true });
      const batches = [...iterateBatches(records, { mode: 'produce', validateCrc: true })].map((b) =>
        decodeBatch(b, { validateCrc: true, requireSequentialOffsetDeltas: true }),
      );
      out.push({ topic: td.name, partition: pd.index, batches });
    }
  }
  return out;
}

const utf8 = (b: Buffer | null) => (b === null ? null : b.toString('utf8'));

/** The records of decoded batches as strings, in the shape scenarios describe what they sent. */
export function recordsAsSent(batches: DecodedBatch[]): GoldenRecord[] {
  return batches.flatMap((b) =>
    b.records.map((r) => ({
      key: utf8(r.key) ?? '',
      value: utf8(r.value) ?? '',
      headers: r.headers.map((h): [string, string] => [h.key, utf8(h.value) ?? '']),
    })),
  );
}

/**
 * The Produce requests a client sent for one topic (one request, or more when the client split
 * the records): acks, no transaction, one partition, batches of the expected codec and producer
 * id, and together, in order, exactly the records the scenario sent.
 */
export function verifyProduceRequests(reqs: DecodedRequest[], e: GoldenExpect): void {
  const sent: GoldenRecord[] = [];
  for (const req of reqs) {
    if (req.apiKey !== ApiKey.Produce) throw new Error('not a Produce request');
    expect(req.body.acks).toBe(e.acks);
    expect(req.body.transactionalId).toBeNull();
    expect(req.body.timeoutMs).toBeGreaterThan(0);
    const parts = producedBatches(req);
    expect(parts.map((p) => [p.topic, p.partition])).toEqual([[e.topic, e.partition]]);
    const batches = parts[0]!.batches;
    for (const b of batches) {
      expect(b.header.magic).toBe(2);
      expect(COMPRESSION_CODEC_NAMES[b.header.compression as CompressionCodecId]).toBe(e.compression);
      expect(b.header.isTransactional).toBe(false);
      expect(b.header.isControl).toBe(false);
      if (e.producerId !== undefined) expect(b.header.producerId).toBe(BigInt(e.producerId));
    }
    sent.push(...recordsAsSent(batches));
  }
  expect(sent).toEqual(e.records);
}

/** All the checks for one golden frame. */
export function verifyGoldenFrame(frame: Buffer, meta: GoldenFixtureMeta): void {
  const e = meta.expect;
  if (e.unsupported) {
    let thrown: unknown;
    try {
      decodeRequest(frame);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UnsupportedVersionError);
    const ident = (thrown as UnsupportedVersionError).request;
    expect(ident?.apiKey).toBe(meta.apiKey);
    expect(ident?.apiVersion).toBe(meta.version);
    expect(typeof ident?.clientId).toBe('string');
    return;
  }

  const req = decodeAndReencode(frame, meta.apiKey, meta.version);
  const v = meta.version;
  switch (req.apiKey) {
    case ApiKey.ApiVersions:
      if (v >= 3) {
        // Kafka validates these names against this pattern (KIP-511).
        expect(req.body.clientSoftwareName).toMatch(/^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/);
        expect(req.body.clientSoftwareVersion).toMatch(/^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/);
      }
      break;
    case ApiKey.Metadata:
      if (e.topic !== undefined) expect((req.body.topics ?? []).map((t) => t.name)).toContain(e.topic);
      break;
    case ApiKey.Produce:
      verifyProduceRequests([req], e);
      break;
    case ApiKey.Fetch: {
      const t = req.body.topics.find((x) => (v >= 13 ? x.topicId === e.topicId : x.topic === e.topic));
      expect(t).toBeDefined();
      const p = t!.partitions.find((x) => x.partition === e.partition);
      expect(p).toBeDefined();
      expect(p!.fetchOffset).toBeGreaterThanOrEqual(0n);
      expect(v >= 15 ? req.body.replicaState.replicaId : req.body.replicaId).toBe(-1);
      expect(req.body.maxWaitMs).toBeGreaterThanOrEqual(0);
      break;
    }
    case ApiKey.ListOffsets: {
      expect(req.body.replicaId).toBe(-1);
      const t = req.body.topics.find((x) => x.name === e.topic);
      const p = t?.partitions.find((x) => x.partitionIndex === e.partition);
      expect(p?.timestamp).toBe(BigInt(e.timestamp!));
      break;
    }
    case ApiKey.JoinGroup: {
      expect(req.body.groupId).toBe(e.groupId);
      expect(req.body.protocolType).toBe(e.protocolType);
      expect(req.body.sessionTimeoutMs).toBeGreaterThan(0);
      expect(req.body.protocols.length).toBeGreaterThan(0);
      // Every assignor's subscription metadata names the subscribed topic.
      for (const p of req.body.protocols) expect(p.metadata.includes(Buffer.from(e.topic!))).toBe(true);
      break;
    }
    case ApiKey.SyncGroup:
    case ApiKey.Heartbeat:
    case ApiKey.LeaveGroup:
      expect(req.body.groupId).toBe(e.groupId);
      if (req.apiKey === ApiKey.SyncGroup) expect(req.body.generationId).toBeGreaterThan(0);
      break;
    case ApiKey.OffsetFetch:
      if (v >= 8) expect(req.body.groups.map((g) => g.groupId)).toEqual([e.groupId]);
      else expect(req.body.groupId).toBe(e.groupId);
      break;
    case ApiKey.FindCoordinator:
      expect(req.body.keyType).toBe(0);
      if (v >= 4) expect(req.body.coordinatorKeys).toEqual([e.groupId]);
      else expect(req.body.key).toBe(e.groupId);
      break;
    case ApiKey.OffsetCommit: {
      expect(req.body.groupId).toBe(e.groupId);
      const t = req.body.topics.find((x) => x.name === e.topic);
      const p = t?.partitions.find((x) => x.partitionIndex === e.partition);
      expect(p?.committedOffset).toBe(BigInt(e.committedOffset!));
      break;
    }
    case ApiKey.InitProducerId:
      expect(req.body.transactionalId).toBeNull();
      break;
    default:
      break;
  }
}
