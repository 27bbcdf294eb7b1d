// Zigzag varints as used inside v2 records (the same encoding as Protocol Buffers' sint32/sint64).
// Readers check every byte against the end of their window and reject over-long or overflowing
// encodings, so a hostile length can never make us read past the data or allocate from it.
import { CorruptRecordError } from './errors.ts';

const TWO_POW_64 = 1n << 64n;
const INT64_MASK = TWO_POW_64 - 1n;

/** A bounds-checked cursor over `buf[pos, end)`. Byte slices it returns alias `buf` (no copy). */
export class ByteReader {
  readonly buf: Buffer;
  pos: number;
  end: number;

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Signed 32-bit zigzag varint: at most 5 bytes, and the 5th may only carry the top 4 bits. */
  readVarint(): number {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    let raw = 0;
    let shift = 0;
    for (;;) {
      if (pos >= end) throw new CorruptRecordError('varint runs past the end of its data');
      const b = buf[pos++]!;
      if (shift === 28 && (b & 0xf0) !== 0) throw new CorruptRecordError('varint overflows 32 bits');
      raw |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
    }
    this.pos = pos;
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** Signed 64-bit zigzag varint: at most 10 bytes, the 10th may only carry the top bit. */
  readVarlong(): bigint {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    // Fast path: values below 2^49 are accumulated exactly in a double.
    let acc = 0;
    let mul = 1;
    let i = 0;
    for (;;) {
      if (pos >= end) throw new CorruptRecordError('varlong runs past the end of its data');
      const b = buf[pos++]!;
      acc += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        this.pos = pos;
        // Zigzag decode of an exact non-negative integer below 2^49.
        return BigInt(acc % 2 === 0 ? acc / 2 : -(acc + 1) / 2);
      }
      mul *= 128;
      if (++i === 7) break;
    }
    // Slow path: bytes 8..10 in bigint.
    let big = BigInt(acc);
    let shift = 49n;
    for (;;) {
      if (pos >= end) throw new CorruptRecordError('varlong runs past the end of its data');
      const b = buf[pos++]!;
      if (shift === 63n && (b & 0xfe) !== 0) throw new CorruptRecordError('varlong overflows 64 bits');
      big |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
    }
    this.pos = pos;
    return (big >> 1n) ^ -(big & 1n);
  }

  readInt8(): number {
    if (this.pos + 1 > this.end) throw new CorruptRecordError('int8 runs past the end of its data');
    return this.buf.readInt8(this.pos++);
  }

  readInt16(): number {
    if (this.pos + 2 > this.end) throw new CorruptRecordError('int16 runs past the end of its data');
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  readInt32(): number {
    if (this.pos + 4 > this.end) throw new CorruptRecordError('int32 runs past the end of its data');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** `n` bytes as a subarray of the underlying buffer; `n` must already be known non-negative. */
  readSlice(n: number, what: string): Buffer {
    if (n > this.end - this.pos) {
      throw new CorruptRecordError(`${what} length ${n} exceeds the ${this.end - this.pos} bytes left`);
    }
    const s = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** A varint length then that many bytes; -1 means null, any other negative length is corrupt. */
  readNullableBytes(what: string): Buffer | null {
    const n = this.readVarint();
    if (n === -1) return null;
    if (n < 0) throw new CorruptRecordError(`negative ${what} length ${n}`);
    return this.readSlice(n, what);
  }
}

// ---- writing ---------------------------------------------------------------------------------

/** Zigzag-encode a signed 32-bit integer to its unsigned 32-bit form. */
export function zigzag32(n: number): number {
  return ((n << 1) ^ (n >> 31)) >>> 0;
}

/** Zigzag-encode a signed 64-bit integer to its unsigned 64-bit form. */
export function zigzag64(n: bigint): bigint {
  return ((n << 1n) ^ (n >> 63n)) & INT64_MASK;
}

/** Encoded size of a signed 32-bit varint. */
export function sizeOfVarint(n: number): number {
  const u = zigzag32(n);
  if (u < 0x80) return 1;
  if (u < 0x4000) return 2;
  if (u < 0x200000) return 3;
  if (u < 0x10000000) return 4;
  return 5;
}

/** Encoded size of a signed 64-bit varlong. */
export function sizeOfVarlong(n: bigint): number {
  let u = zigzag64(n);
  let size = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    size++;
  }
  return size;
}

/** Writes a signed 32-bit varint at `pos`; returns the position after it. No bounds growth. */
export function writeVarint(buf: Buffer, pos: number, n: number): number {
  let u = zigzag32(n);
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[pos++] = u;
  return pos;
}

/** Writes a signed 64-bit varlong at `pos`; returns the position after it. */
export function writeVarlong(buf: Buffer, pos: number, n: bigint): number {
  let u = zigzag64(n);
  // Small values (the common case for deltas) stay in number arithmetic.
  if (u < 0x10000000n) return writeVarint32Unsigned(buf, pos, Number(u));
  while (u >= 0x80n) {
    buf[pos++] = Number(u & 0x7fn) | 0x80;
    u >>= 7n;
  }
  buf[pos++] = Number(u);
  return pos;
}

function writeVarint32Unsigned(buf: Buffer, pos: number, u: number): number {
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[pos++] = u;
  return pos;
}
