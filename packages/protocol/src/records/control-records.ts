// Control records: the single record of a control batch (attribute bit 5). Its key is
//   version int16 (0) | type int16 (0 abort, 1 commit, other types used by KRaft)
// and its value depends on the type. Transaction markers (abort/commit) carry
//   version int16 (0) | coordinatorEpoch int32
// Readers accept longer keys/values (newer versions may append fields).
import type { BatchHeader } from './batch-header.ts';
import { CorruptRecordError } from './errors.ts';
import { buildBatch, type DecodedBatch } from './records-codec.ts';

export const ControlRecordType = {
  ABORT: 0,
  COMMIT: 1,
  LEADER_CHANGE: 2,
  SNAPSHOT_HEADER: 3,
  SNAPSHOT_FOOTER: 4,
  KRAFT_VERSION: 5,
  KRAFT_VOTERS: 6,
} as const;
export type ControlRecordTypeId = (typeof ControlRecordType)[keyof typeof ControlRecordType];

export const CONTROL_RECORD_KEY_VERSION = 0;
export const END_TXN_MARKER_VALUE_VERSION = 0;
export const CONTROL_RECORD_KEY_SIZE = 4;
export const END_TXN_MARKER_VALUE_SIZE = 6;

export interface ControlRecordKey {
  version: number;
  type: number;
}

export function encodeControlRecordKey(type: number, version = CONTROL_RECORD_KEY_VERSION): Buffer {
  const b = Buffer.allocUnsafe(CONTROL_RECORD_KEY_SIZE);
  b.writeInt16BE(version, 0);
  b.writeInt16BE(type, 2);
  return b;
}

/** Reads a control record key; CORRUPT_MESSAGE when it is null, short, or has a negative version. */
export function decodeControlRecordKey(key: Buffer | null): ControlRecordKey {
  if (key === null || key.length < CONTROL_RECORD_KEY_SIZE) {
    throw new CorruptRecordError(`control record key of ${key === null ? 'null' : `${key.length} bytes`} is too short`);
  }
  const version = key.readInt16BE(0);
  if (version < 0) throw new CorruptRecordError(`invalid control record key version ${version}`);
  return { version, type: key.readInt16BE(2) };
}

export interface EndTxnMarkerValue {
  version: number;
  coordinatorEpoch: number;
}

export function encodeEndTxnMarkerValue(coordinatorEpoch: number, version = END_TXN_MARKER_VALUE_VERSION): Buffer {
  const b = Buffer.allocUnsafe(END_TXN_MARKER_VALUE_SIZE);
  b.writeInt16BE(version, 0);
  b.writeInt32BE(coordinatorEpoch, 2);
  return b;
}

export function decodeEndTxnMarkerValue(value: Buffer | null): EndTxnMarkerValue {
  if (value === null || value.length < END_TXN_MARKER_VALUE_SIZE) {
    throw new CorruptRecordError(
      `transaction marker value of ${value === null ? 'null' : `${value.length} bytes`} is too short`,
    );
  }
  const version = value.readInt16BE(0);
  if (version < 0) throw new CorruptRecordError(`invalid transaction marker version ${version}`);
  return { version, coordinatorEpoch: value.readInt32BE(2) };
}

export interface EndTxnMarkerOptions {
  producerId: bigint | number;
  producerEpoch: number;
  coordinatorEpoch: number;
  /** true: COMMIT marker, false: ABORT marker. */
  commit: boolean;
  baseOffset?: bigint | number;
  partitionLeaderEpoch?: number;
  /** Marker timestamp in ms (default now). */
  timestamp?: bigint | number;
}

/** A control batch holding one commit or abort marker, as a transaction coordinator writes. */
export function buildEndTxnMarkerBatch(o: EndTxnMarkerOptions): Buffer {
  const record: { key: Buffer; value: Buffer; timestamp?: bigint | number } = {
    key: encodeControlRecordKey(o.commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT),
    value: encodeEndTxnMarkerValue(o.coordinatorEpoch),
  };
  if (o.timestamp !== undefined) record.timestamp = o.timestamp;
  const opts: Parameters<typeof buildBatch>[0] = {
    producerId: o.producerId,
    producerEpoch: o.producerEpoch,
    isTransactional: true,
    isControl: true,
    records: [record],
  };
  if (o.baseOffset !== undefined) opts.baseOffset = o.baseOffset;
  if (o.partitionLeaderEpoch !== undefined) opts.partitionLeaderEpoch = o.partitionLeaderEpoch;
  return buildBatch(opts);
}

export interface EndTxnMarker {
  commit: boolean;
  coordinatorEpoch: number;
  producerId: bigint;
  producerEpoch: number;
}

/**
 * The commit/abort marker of a decoded control batch, or null when the batch is not a control
 * batch or its record is another control type. Malformed markers raise CORRUPT_MESSAGE.
 */
export function readEndTxnMarker(batch: DecodedBatch): EndTxnMarker | null {
  const h: BatchHeader = batch.header;
  if (!h.isControl) return null;
  const rec = batch.records[0];
  if (rec === undefined) return null;
  const key = decodeControlRecordKey(rec.key);
  if (key.type !== ControlRecordType.ABORT && key.type !== ControlRecordType.COMMIT) return null;
  const value = decodeEndTxnMarkerValue(rec.value);
  return {
    commit: key.type === ControlRecordType.COMMIT,
    coordinatorEpoch: value.coordinatorEpoch,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
  };
}
