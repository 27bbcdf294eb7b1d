import { EncodeError } from '../errors.ts';
import type { TaggedField } from './types.ts';

/** A reserved int32 slot, patched later with the number of bytes written after it. */
export interface SizeMark {
  readonly buf: Buffer;
  readonly offset: number;
  /** Writer length just after the slot. */
  readonly after: number;
}

/** Raw appends at least this large are referenced, not copied, until finish(). */
const ZERO_COPY_MIN = 2048;

const UUID_RE = /^[A-Za-z0-9_-]{21}[AQgw]$/;

/**
 * Writes Kafka wire types into a growing buffer.
 *
 * Growth is amortised doubling, but without moving bytes: when the current buffer is full, its
 * written part is kept as a chunk and a buffer twice as large is started. Large raw appends
 * (records) are kept by reference. finish() returns one Buffer (a subarray when everything fit
 * in the first buffer, otherwise one concatenation); chunks() returns the pieces for a
 * vectored socket write. Because chunks are never moved, a SizeMark stays valid to the end.
 *
 * Buffers passed to writeRaw / records writers must not be modified until the output is used.
 * A Writer is single-use: call finish() or chunks() once.
 */
export class Writer {
  private buf: Buffer;
  private pos = 0;
  private segStart = 0;
  private readonly parts: Buffer[] = [];
  private flushed = 0;

  constructor(initialCapacity = 512) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.flushed + this.pos - this.segStart;
  }

  private ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    this.flushSegment();
    const cap = Math.max(this.buf.length * 2, n, 256);
    this.buf = Buffer.allocUnsafe(cap);
    this.pos = 0;
    this.segStart = 0;
  }

  private flushSegment(): void {
    if (this.pos > this.segStart) {
      this.parts.push(this.buf.subarray(this.segStart, this.pos));
      this.flushed += this.pos - this.segStart;
      this.segStart = this.pos;
    }
  }

  /** The written bytes as one Buffer. */
  finish(): Buffer {
    if (this.parts.length === 0) return this.buf.subarray(this.segStart, this.pos);
    this.flushSegment();
    return Buffer.concat(this.parts, this.flushed);
  }

  /** The written bytes as a list of pieces (no concatenation). */
  chunks(): Buffer[] {
    this.flushSegment();
    return this.parts.slice();
  }

  // ---- size prefixes -------------------------------------------------------------------------

  /** Reserves an int32 to be patched by patchSize() with the byte count written after it. */
  reserveSize(): SizeMark {
    this.ensure(4);
    const mark: SizeMark = { buf: this.buf, offset: this.pos, after: this.length + 4 };
    this.pos += 4;
    return mark;
  }

  patchSize(mark: SizeMark): void {
    const size = this.length - mark.after;
    if (size > 0x7fffffff) throw new EncodeError(`frame of ${size} bytes does not fit an int32 size`);
    mark.buf.writeInt32BE(size, mark.offset);
  }

  // ---- fixed-width -------------------------------------------------------------------------

  writeBool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  writeInt8(v: number): void {
    if ((v << 24) >> 24 !== v) throw new EncodeError(`int8 out of range: ${v}`);
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  writeUInt8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  writeInt16(v: number): void {
    if ((v << 16) >> 16 !== v) throw new EncodeError(`int16 out of range: ${v}`);
    this.ensure(2);
    const b = this.buf;
    b[this.pos] = (v >>> 8) & 0xff;
    b[this.pos + 1] = v & 0xff;
    this.pos += 2;
  }

  writeUInt16(v: number): void {
    if ((v & 0xffff) !== v) throw new EncodeError(`uint16 out of range: ${v}`);
    this.ensure(2);
    const b = this.buf;
    b[this.pos] = v >>> 8;
    b[this.pos + 1] = v & 0xff;
    this.pos += 2;
  }

  writeInt32(v: number): void {
    if ((v | 0) !== v) throw new EncodeError(`int32 out of range: ${v}`);
    this.ensure(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 24;
    b[p + 1] = (v >>> 16) & 0xff;
    b[p + 2] = (v >>> 8) & 0xff;
    b[p + 3] = v & 0xff;
    this.pos = p + 4;
  }

  writeUInt32(v: number): void {
    if (v >>> 0 !== v) throw new EncodeError(`uint32 out of range: ${v}`);
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }

  writeInt64(v: bigint): void {
    if (typeof v !== 'bigint' || BigInt.asIntN(64, v) !== v) throw new EncodeError(`int64 out of range: ${String(v)}`);
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
  }

  writeFloat64(v: number): void {
    if (typeof v !== 'number') throw new EncodeError(`float64 expected, got ${typeof v}`);
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  /** A uuid as Floe represents it: 22-character base64url without padding. */
  writeUuid(v: string): void {
    if (typeof v !== 'string' || !UUID_RE.test(v)) throw new EncodeError(`not a base64url uuid: ${String(v)}`);
    this.ensure(16);
    this.buf.write(v, this.pos, 16, 'base64url');
    this.pos += 16;
  }

  // ---- varints -------------------------------------------------------------------------------

  writeUVarint(v: number): void {
    if (v >>> 0 !== v) throw new EncodeError(`unsigned varint out of range: ${v}`);
    this.ensure(5);
    const b = this.buf;
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p++] = v;
    this.pos = p;
  }

  writeVarint(v: number): void {
    if ((v | 0) !== v) throw new EncodeError(`varint out of range: ${v}`);
    this.writeUVarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  writeUVarlong(v: bigint): void {
    if (BigInt.asUintN(64, v) !== v) throw new EncodeError(`unsigned varlong out of range: ${v}`);
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    while (v >= 0x80n) {
      b[p++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    b[p++] = Number(v);
    this.pos = p;
  }

  writeVarlong(v: bigint): void {
    if (BigInt.asIntN(64, v) !== v) throw new EncodeError(`varlong out of range: ${v}`);
    this.writeUVarlong(BigInt.asUintN(64, (v << 1n) ^ (v >> 63n)));
  }

  // ---- strings -------------------------------------------------------------------------------

  /** Writes UTF-8 at `at` (capacity already ensured for 3 bytes per UTF-16 unit); returns the byte count. */
  private utf8At(s: string, at: number): number {
    const b = this.buf;
    const n = s.length;
    if (n <= 48) {
      let p = at;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) return b.write(s, at, 'utf8');
        b[p++] = c;
      }
      return n;
    }
    return b.write(s, at, 'utf8');
  }

  /** int16 length + UTF-8. */
  writeString(s: string): void {
    if (typeof s !== 'string') throw new EncodeError('null or non-string in a non-nullable string');
    if (s.length * 3 <= 0x7fff) {
      this.ensure(2 + s.length * 3);
      const n = this.utf8At(s, this.pos + 2);
      this.buf[this.pos] = n >>> 8;
      this.buf[this.pos + 1] = n & 0xff;
      this.pos += 2 + n;
      return;
    }
    const n = Buffer.byteLength(s, 'utf8');
    if (n > 0x7fff) throw new EncodeError(`string of ${n} bytes is longer than 32767`);
    this.ensure(2 + n);
    this.buf.writeInt16BE(n, this.pos);
    this.buf.write(s, this.pos + 2, 'utf8');
    this.pos += 2 + n;
  }

  writeNullableString(s: string | null): void {
    if (s === null) this.writeInt16(-1);
    else this.writeString(s);
  }

  /** Unsigned varint (length + 1) + UTF-8. */
  writeCompactString(s: string): void {
    if (typeof s !== 'string') throw new EncodeError('null or non-string in a non-nullable string');
    if (s.length * 3 < 0x7f) {
      this.ensure(1 + s.length * 3);
      const n = this.utf8At(s, this.pos + 1);
      this.buf[this.pos] = n + 1;
      this.pos += 1 + n;
      return;
    }
    const n = Buffer.byteLength(s, 'utf8');
    if (n >= 0x7fffffff) throw new EncodeError(`string of ${n} bytes is too long`);
    this.writeUVarint(n + 1);
    this.ensure(n);
    this.buf.write(s, this.pos, 'utf8');
    this.pos += n;
  }

  writeCompactNullableString(s: string | null): void {
    if (s === null) this.writeUVarint(0);
    else this.writeCompactString(s);
  }

  // ---- bytes ---------------------------------------------------------------------------------

  /** Appends bytes with no prefix; large buffers are referenced rather than copied. */
  writeRaw(data: Uint8Array): void {
    const n = data.length;
    if (n >= ZERO_COPY_MIN) {
      this.flushSegment();
      this.parts.push(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, n));
      this.flushed += n;
      return;
    }
    this.ensure(n);
    this.buf.set(data, this.pos);
    this.pos += n;
  }

  writeBytes(data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) throw new EncodeError('null or non-Buffer in non-nullable bytes');
    this.writeInt32(data.length);
    this.writeRaw(data);
  }

  writeNullableBytes(data: Uint8Array | null): void {
    if (data === null) this.writeInt32(-1);
    else this.writeBytes(data);
  }

  writeCompactBytes(data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) throw new EncodeError('null or non-Buffer in non-nullable bytes');
    this.writeUVarint(data.length + 1);
    this.writeRaw(data);
  }

  writeCompactNullableBytes(data: Uint8Array | null): void {
    if (data === null) this.writeUVarint(0);
    else this.writeCompactBytes(data);
  }

  // ---- arrays --------------------------------------------------------------------------------

  /** int32 count, -1 for null. */
  writeArrayLength(n: number | null): void {
    this.writeInt32(n === null ? -1 : n);
  }

  /** Unsigned varint count + 1, 0 for null. */
  writeCompactArrayLength(n: number | null): void {
    this.writeUVarint(n === null ? 0 : n + 1);
  }

  // ---- tagged fields -------------------------------------------------------------------------

  /**
   * Writes a tagged-field section from already-encoded fields: `known` (in tag order) merged
   * with `unknown` (preserved from decoding). Tags must be distinct.
   */
  writeTaggedFields(known: TaggedField[] | undefined, unknown: readonly TaggedField[] | undefined): void {
    const k = known === undefined ? 0 : known.length;
    const u = unknown === undefined ? 0 : unknown.length;
    if (k + u === 0) {
      this.ensure(1);
      this.buf[this.pos++] = 0;
      return;
    }
    let all: TaggedField[];
    if (u === 0) all = known!;
    else if (k === 0) all = unknown!.slice();
    else all = known!.concat(unknown!);
    if (u > 0) all.sort((a, b) => a.tag - b.tag);
    this.writeUVarint(all.length);
    let last = -1;
    for (const f of all) {
      if (!Number.isInteger(f.tag) || f.tag <= last) {
        throw new EncodeError(`tagged field ${f.tag} is duplicated or invalid`);
      }
      last = f.tag;
      this.writeUVarint(f.tag);
      this.writeUVarint(f.data.length);
      this.writeRaw(f.data);
    }
  }
}
