import { CorruptMessageError, InvalidRequestError } from '../errors.ts';
import type { TaggedField } from './types.ts';

/**
 * Reads Kafka wire types from a Buffer. Never trusts a declared length: every read checks the
 * remaining bytes first, lengths are validated before anything is allocated, and element counts
 * are capped by the bytes left. Failures throw CorruptMessageError (code CORRUPT_MESSAGE).
 *
 * bytes, records and unknown tagged fields are returned as zero-copy subarrays of the input:
 * they alias the frame and keep it alive.
 */
export class Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    if (start < 0 || end > buf.length || start > end) throw new RangeError('Reader bounds outside the buffer');
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  /** Throws unless exactly at the end. */
  expectEnd(what = 'message'): void {
    if (this.pos !== this.end) {
      throw new InvalidRequestError(`${this.end - this.pos} unexpected trailing bytes after ${what}`);
    }
  }

  private short(n: number): never {
    throw new CorruptMessageError(`need ${n} bytes at offset ${this.pos}, only ${this.end - this.pos} remain`);
  }

  readBool(): boolean {
    if (this.pos + 1 > this.end) this.short(1);
    return this.buf[this.pos++] !== 0;
  }

  readInt8(): number {
    if (this.pos + 1 > this.end) this.short(1);
    const b = this.buf[this.pos++]!;
    return (b << 24) >> 24;
  }

  readInt16(): number {
    if (this.pos + 2 > this.end) this.short(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  readUInt16(): number {
    if (this.pos + 2 > this.end) this.short(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  readInt32(): number {
    if (this.pos + 4 > this.end) this.short(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  readUInt32(): number {
    if (this.pos + 4 > this.end) this.short(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  readInt64(): bigint {
    if (this.pos + 8 > this.end) this.short(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  readFloat64(): number {
    if (this.pos + 8 > this.end) this.short(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  /** 16 bytes, returned as the 22-character base64url string (no padding) Kafka prints. */
  readUuid(): string {
    if (this.pos + 16 > this.end) this.short(16);
    const s = this.buf.toString('base64url', this.pos, this.pos + 16);
    this.pos += 16;
    return s;
  }

  /** Unsigned varint of at most 5 bytes whose value fits in 32 bits. */
  readUVarint(): number {
    const buf = this.buf;
    let pos = this.pos;
    const end = this.end;
    if (pos >= end) this.short(1);
    let b = buf[pos++]!;
    if (b < 0x80) {
      this.pos = pos;
      return b;
    }
    let value = b & 0x7f;
    let shift = 7;
    for (;;) {
      if (pos >= end) {
        this.pos = pos;
        this.short(1);
      }
      b = buf[pos++]!;
      if (shift === 28) {
        // Fifth byte: only 4 value bits are left and no continuation is allowed.
        if (b > 0x0f) throw new CorruptMessageError('unsigned varint overflows 32 bits or is longer than 5 bytes');
        value += b * 0x10000000;
        break;
      }
      value |= (b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7;
    }
    this.pos = pos;
    return value >>> 0;
  }

  /** Zig-zag signed varint (int32). */
  readVarint(): number {
    const u = this.readUVarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Unsigned varint of at most 10 bytes whose value fits in 64 bits. */
  readUVarlong(): bigint {
    let value = 0n;
    let shift = 0n;
    for (let i = 0; ; i++) {
      if (this.pos >= this.end) this.short(1);
      const b = this.buf[this.pos++]!;
      if (i === 9) {
        if (b > 0x01) throw new CorruptMessageError('varlong overflows 64 bits or is longer than 10 bytes');
        value |= BigInt(b) << shift;
        return value;
      }
      value |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return value;
      shift += 7n;
    }
  }

  /** Zig-zag signed varlong (int64). */
  readVarlong(): bigint {
    const u = this.readUVarlong();
    return (u >> 1n) ^ -(u & 1n);
  }

  /** Checks that `n` bytes remain, then returns them as a subarray and advances. */
  private take(n: number): Buffer {
    if (n > this.end - this.pos) {
      throw new CorruptMessageError(`declared length ${n} exceeds the ${this.end - this.pos} remaining bytes`);
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private utf8(n: number): string {
    if (n > this.end - this.pos) {
      throw new CorruptMessageError(`declared string length ${n} exceeds the ${this.end - this.pos} remaining bytes`);
    }
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  // ---- strings -------------------------------------------------------------------------------

  /** int16 length; must not be negative. */
  readString(): string {
    const n = this.readInt16();
    if (n < 0) throw new CorruptMessageError(`negative string length ${n} in a non-nullable string`);
    return this.utf8(n);
  }

  /** int16 length; -1 is null, other negatives are corrupt. */
  readNullableString(): string | null {
    const n = this.readInt16();
    if (n === -1) return null;
    if (n < 0) throw new CorruptMessageError(`invalid string length ${n}`);
    return this.utf8(n);
  }

  /** Unsigned varint length + 1; 0 (null) is rejected. */
  readCompactString(): string {
    const n = this.readUVarint();
    if (n === 0) throw new CorruptMessageError('null in a non-nullable compact string');
    return this.utf8(n - 1);
  }

  readCompactNullableString(): string | null {
    const n = this.readUVarint();
    if (n === 0) return null;
    return this.utf8(n - 1);
  }

  // ---- bytes (zero-copy) ---------------------------------------------------------------------

  readBytes(): Buffer {
    const n = this.readInt32();
    if (n < 0) throw new CorruptMessageError(`negative length ${n} in non-nullable bytes`);
    return this.take(n);
  }

  readNullableBytes(): Buffer | null {
    const n = this.readInt32();
    if (n === -1) return null;
    if (n < 0) throw new CorruptMessageError(`invalid bytes length ${n}`);
    return this.take(n);
  }

  readCompactBytes(): Buffer {
    const n = this.readUVarint();
    if (n === 0) throw new CorruptMessageError('null in non-nullable compact bytes');
    return this.take(n - 1);
  }

  readCompactNullableBytes(): Buffer | null {
    const n = this.readUVarint();
    if (n === 0) return null;
    return this.take(n - 1);
  }

  /** Raw bytes with no length prefix. */
  readRaw(n: number): Buffer {
    return this.take(n);
  }

  // ---- arrays --------------------------------------------------------------------------------

  private checkCount(count: number, minElementSize: number): number {
    // Each element needs at least minElementSize (>= 1) bytes, so a count above the remaining
    // bytes cannot be honest. This also bounds allocations for zero-size elements.
    const room = this.end - this.pos;
    if (count > room || count * minElementSize > room) {
      throw new CorruptMessageError(
        `array of ${count} elements cannot fit in the ${room} remaining bytes`,
      );
    }
    return count;
  }

  /** int32 count; -1 is null; returns -1 for null. Other negatives are corrupt. */
  readArrayLength(minElementSize = 1): number {
    const n = this.readInt32();
    if (n === -1) return -1;
    if (n < 0) throw new CorruptMessageError(`invalid array length ${n}`);
    return this.checkCount(n, minElementSize);
  }

  /** Unsigned varint count + 1; 0 is null, returned as -1. */
  readCompactArrayLength(minElementSize = 1): number {
    const n = this.readUVarint();
    if (n === 0) return -1;
    return this.checkCount(n - 1, minElementSize);
  }

  // ---- tagged fields -------------------------------------------------------------------------

  /**
   * Reads the header of a tagged-field section: returns the field count (capped by remaining
   * bytes: each field takes at least two bytes).
   */
  readTaggedFieldCount(): number {
    const n = this.readUVarint();
    if (n * 2 > this.end - this.pos) {
      throw new CorruptMessageError(`${n} tagged fields cannot fit in the ${this.end - this.pos} remaining bytes`);
    }
    return n;
  }

  /**
   * Reads one tagged field header and body, checking tag order against `lastTag`.
   * Returns the tag and leaves `this.pos` after the body; `fieldReader` views the body.
   */
  readTag(lastTag: number): number {
    const tag = this.readUVarint();
    if (tag <= lastTag) throw new CorruptMessageError(`tagged field ${tag} follows ${lastTag}: tags must increase`);
    return tag;
  }

  /** Reads a tagged field's size and returns a Reader over exactly its bytes, advancing past them. */
  readTaggedBody(): Reader {
    const size = this.readUVarint();
    if (size > this.end - this.pos) {
      throw new CorruptMessageError(`tagged field size ${size} exceeds the ${this.end - this.pos} remaining bytes`);
    }
    const sub = new Reader(this.buf, this.pos, this.pos + size);
    this.pos += size;
    return sub;
  }

  /** Reads a whole tagged-field section keeping every field raw (used by headers). */
  readRawTaggedFields(): TaggedField[] {
    const n = this.readTaggedFieldCount();
    const out: TaggedField[] = [];
    let last = -1;
    for (let i = 0; i < n; i++) {
      const tag = this.readTag(last);
      last = tag;
      const body = this.readTaggedBody();
      out.push({ tag, data: body.buf.subarray(body.pos, body.end) });
    }
    return out;
  }
}
