// On-disk format of the embedded coordination store: log files, snapshot files, and the frames and
// records in them. docs/coordination-store.md describes the format; keep the two in step.
//
// A frame is what one fsync of the log makes durable:
//
//   offset  size  field
//        0     4  payloadLength  uint32 LE
//        4     4  headerCrc      uint32 LE  CRC-32 of bytes 0..3
//        8     4  payloadCrc     uint32 LE  CRC-32 of the payload
//       12     n  payload        records, each: uint32 LE length, then the record
//
// The header has its own CRC so that a torn length is told apart from a torn payload: recovery
// needs to know where a bad frame ends to decide whether it is the tail of the log.
import { crc32 } from 'node:zlib';
import type { AttributeValue, Item } from './coordination-store.ts';

export const FRAME_HEADER_BYTES = 12;
/** Frames above this are refused when reading: no writer makes them (see MAX_BATCH_BYTES). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** The log writer closes a frame once it holds this much (a single record may exceed it). */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

export const LOG_MAGIC = 'FLOECLOG';
export const SNAPSHOT_MAGIC = 'FLOECSNP';
export const FORMAT_VERSION = 1;
/** magic (8) + format version (4) + generation (8). */
export const FILE_HEADER_BYTES = 20;

/** Record kinds. A mutation is one record however many items it changes (a transaction). */
export const RECORD_MUTATION = 1;
/** Last record of a snapshot: the number of items in it. */
export const RECORD_SNAPSHOT_END = 2;

const OP_PUT = 1;
const OP_DELETE = 2;

const TAG_S = 1;
const TAG_N = 2;
const TAG_FALSE = 3;
const TAG_TRUE = 4;
const TAG_B = 5;

export type Op = { put: Item } | { delete: { pk: string; sk: string } };

export function checksum(data: Uint8Array, initial = 0): number {
  return crc32(data, initial) >>> 0;
}

/** Grows as needed; one per record. */
class Writer {
  private buf = Buffer.allocUnsafe(256);
  private pos = 0;
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }
  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }
  bytes(b: Uint8Array): void {
    this.u32(b.byteLength);
    this.ensure(b.byteLength);
    this.buf.set(b, this.pos);
    this.pos += b.byteLength;
  }
  str(s: string): void {
    const n = Buffer.byteLength(s);
    this.u32(n);
    this.ensure(n);
    this.buf.write(s, this.pos, n, 'utf8');
    this.pos += n;
  }
  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

export class FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormatError';
  }
}

class Reader {
  pos = 0;
  private readonly buf: Buffer;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new FormatError('record ends early');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }
  bytes(): Uint8Array {
    const n = this.u32();
    this.need(n);
    const out = new Uint8Array(n);
    out.set(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }
  str(): string {
    const n = this.u32();
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  get atEnd(): boolean {
    return this.pos === this.buf.length;
  }
}

function writeItem(w: Writer, item: Item): void {
  const entries = Object.entries(item);
  w.u32(entries.length);
  for (const [name, value] of entries) {
    w.str(name);
    if (typeof value === 'string') {
      w.u8(TAG_S);
      w.str(value);
    } else if (typeof value === 'number') {
      w.u8(TAG_N);
      w.f64(value); // safe integers are exact in a double
    } else if (typeof value === 'boolean') {
      w.u8(value ? TAG_TRUE : TAG_FALSE);
    } else {
      w.u8(TAG_B);
      w.bytes(value);
    }
  }
}

function readItem(r: Reader): Item {
  const n = r.u32();
  const out: Record<string, AttributeValue> = {};
  for (let i = 0; i < n; i++) {
    const name = r.str();
    const tag = r.u8();
    if (tag === TAG_S) out[name] = r.str();
    else if (tag === TAG_N) {
      const v = r.f64();
      if (!Number.isSafeInteger(v)) throw new FormatError(`attribute ${name}: bad number`);
      out[name] = v;
    } else if (tag === TAG_FALSE) out[name] = false;
    else if (tag === TAG_TRUE) out[name] = true;
    else if (tag === TAG_B) out[name] = r.bytes();
    else throw new FormatError(`attribute ${name}: unknown type tag ${tag}`);
  }
  if (typeof out.pk !== 'string' || typeof out.sk !== 'string') throw new FormatError('item without pk and sk');
  return out as Item;
}

/** One mutation: the puts and deletes of a put, a delete or a whole transaction. */
export function encodeMutation(ops: readonly Op[]): Buffer {
  const w = new Writer();
  w.u8(RECORD_MUTATION);
  w.u32(ops.length);
  for (const op of ops) {
    if ('put' in op) {
      w.u8(OP_PUT);
      writeItem(w, op.put);
    } else {
      w.u8(OP_DELETE);
      w.str(op.delete.pk);
      w.str(op.delete.sk);
    }
  }
  return w.done();
}

export function encodeSnapshotEnd(count: number): Buffer {
  const w = new Writer();
  w.u8(RECORD_SNAPSHOT_END);
  w.f64(count);
  return w.done();
}

export type DecodedRecord = { kind: 'mutation'; ops: Op[] } | { kind: 'snapshot-end'; count: number };

export function decodeRecord(buf: Buffer): DecodedRecord {
  const r = new Reader(buf);
  const kind = r.u8();
  let out: DecodedRecord;
  if (kind === RECORD_MUTATION) {
    const n = r.u32();
    const ops: Op[] = [];
    for (let i = 0; i < n; i++) {
      const op = r.u8();
      if (op === OP_PUT) ops.push({ put: readItem(r) });
      else if (op === OP_DELETE) ops.push({ delete: { pk: r.str(), sk: r.str() } });
      else throw new FormatError(`unknown operation ${op}`);
    }
    out = { kind: 'mutation', ops };
  } else if (kind === RECORD_SNAPSHOT_END) {
    out = { kind: 'snapshot-end', count: r.f64() };
  } else throw new FormatError(`unknown record kind ${kind}`);
  if (!r.atEnd) throw new FormatError('trailing bytes in record');
  return out;
}

/** A frame holding `records`, as the buffers to write in order. */
export function encodeFrame(records: readonly Buffer[]): Buffer[] {
  let payloadLength = 0;
  for (const r of records) payloadLength += 4 + r.length;
  const parts: Buffer[] = [];
  let crc = 0;
  for (const r of records) {
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32LE(r.length, 0);
    crc = checksum(len, crc);
    crc = checksum(r, crc);
    parts.push(len, r);
  }
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32LE(payloadLength, 0);
  header.writeUInt32LE(checksum(header.subarray(0, 4)), 4);
  header.writeUInt32LE(crc, 8);
  return [header, ...parts];
}

export function splitRecords(payload: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < payload.length) {
    if (pos + 4 > payload.length) throw new FormatError('record length runs past the frame');
    const n = payload.readUInt32LE(pos);
    pos += 4;
    if (pos + n > payload.length) throw new FormatError('record runs past the frame');
    out.push(payload.subarray(pos, pos + n));
    pos += n;
  }
  return out;
}

export type FrameScan =
  | { status: 'ok'; frames: Buffer[]; end: number }
  /** The frame at `end` is incomplete or damaged and nothing can follow it: a torn tail. */
  | { status: 'torn'; frames: Buffer[]; end: number; reason: string }
  /** Damage with data after it: not a crash mid-write. */
  | { status: 'corrupt'; frames: Buffer[]; end: number; reason: string };

/**
 * Reads the frames of `buf` from `start`. A bad frame is a torn tail when it is the last thing in
 * the file: it runs to or past the end, or its header is damaged and no valid frame follows.
 * Anything else bad is corruption.
 */
export function scanFrames(buf: Buffer, start: number): FrameScan {
  const frames: Buffer[] = [];
  let pos = start;
  while (pos < buf.length) {
    const remaining = buf.length - pos;
    if (remaining < FRAME_HEADER_BYTES) {
      return { status: 'torn', frames, end: pos, reason: 'partial frame header' };
    }
    const length = buf.readUInt32LE(pos);
    if (!headerValid(buf, pos)) {
      // The frame's extent is unknown. A crash tears only the last frame, so if a whole valid
      // frame follows somewhere, this is damage to data that was once durable.
      const next = findFrame(buf, pos + 1);
      if (next === undefined) return { status: 'torn', frames, end: pos, reason: 'damaged last frame header' };
      return { status: 'corrupt', frames, end: pos, reason: `damaged frame header at offset ${pos}, valid frame at ${next}` };
    }
    const end = pos + FRAME_HEADER_BYTES + length;
    if (end > buf.length) return { status: 'torn', frames, end: pos, reason: 'partial frame' };
    const payload = buf.subarray(pos + FRAME_HEADER_BYTES, end);
    if (checksum(payload) !== buf.readUInt32LE(pos + 8)) {
      if (end === buf.length) return { status: 'torn', frames, end: pos, reason: 'damaged last frame' };
      return { status: 'corrupt', frames, end: pos, reason: `frame at offset ${pos} fails its CRC` };
    }
    frames.push(payload);
    pos = end;
  }
  return { status: 'ok', frames, end: pos };
}

// CRC-32 (the polynomial of zlib, gzip and PNG) in JavaScript, for the 4-byte frame headers that
// recovery tests at every offset of a damaged tail; node:zlib's crc32 checks everything else.
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc4(buf: Buffer, pos: number): number {
  let c = 0xffffffff;
  for (let i = pos; i < pos + 4; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function headerValid(buf: Buffer, pos: number): boolean {
  return buf.readUInt32LE(pos) <= MAX_FRAME_BYTES && crc4(buf, pos) === buf.readUInt32LE(pos + 4);
}

/** The offset of the first whole, valid frame at or after `from`, if any. */
function findFrame(buf: Buffer, from: number): number | undefined {
  for (let q = from; q + FRAME_HEADER_BYTES <= buf.length; q++) {
    const length = buf.readUInt32LE(q);
    const end = q + FRAME_HEADER_BYTES + length;
    if (end > buf.length || !headerValid(buf, q)) continue;
    if (checksum(buf.subarray(q + FRAME_HEADER_BYTES, end)) === buf.readUInt32LE(q + 8)) return q;
  }
  return undefined;
}

export function encodeFileHeader(magic: string, generation: number): Buffer {
  const b = Buffer.alloc(FILE_HEADER_BYTES);
  b.write(magic, 0, 8, 'latin1');
  b.writeUInt32LE(FORMAT_VERSION, 8);
  b.writeBigUInt64LE(BigInt(generation), 12);
  return b;
}

/** The generation in a file header, or undefined if the header is not one of `magic`. */
export function decodeFileHeader(buf: Buffer, magic: string): number | undefined {
  if (buf.length < FILE_HEADER_BYTES) return undefined;
  if (buf.toString('latin1', 0, 8) !== magic) return undefined;
  if (buf.readUInt32LE(8) !== FORMAT_VERSION) {
    throw new FormatError(`format version ${buf.readUInt32LE(8)} is not ${FORMAT_VERSION}`);
  }
  return Number(buf.readBigUInt64LE(12));
}

export function logFileName(generation: number): string {
  return `log-${String(generation).padStart(16, '0')}`;
}

export function parseLogFileName(name: string): number | undefined {
  const m = /^log-(\d{16})$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

export const SNAPSHOT_FILE = 'snapshot';
export const SNAPSHOT_TMP_FILE = 'snapshot.tmp';
export const LOCK_FILE = 'LOCK';
