// LZ4 frames (the standard LZ4 frame format, which magic-2 batches use for codec 3), read with a
// hard limit on the decompressed size.
//
// Frame layout (all integers little-endian):
//   magic 0x184D2204 | FLG | BD | [content size u64] | [dict id u32] | HC
//   blocks: u32 size (top bit set = stored uncompressed; 0 = end mark) | data | [xxh32 of data]
//   [xxh32 of the whole content]
// FLG: bits 7-6 version (01), bit 5 block independence, bit 4 block checksums, bit 3 content
// size, bit 2 content checksum, bit 1 reserved, bit 0 dictionary id.
// BD: bits 6-4 block maximum size (4: 64 KiB, 5: 256 KiB, 6: 1 MiB, 7: 4 MiB), the rest reserved.
// HC: second byte of xxh32 over the descriptor bytes from FLG up to HC.
//
// We first walk the frame structure (cheap: block headers only) and derive an upper bound of the
// output from the block sizes. When the bound fits under the limit, lz4-napi decompresses the
// frame natively; each block can produce at most the frame's block maximum, so the output cannot
// exceed the bound. Otherwise a TypeScript block decoder decompresses with an exact running limit,
// which also covers linked (dependent) blocks. Bytes after the frame are ignored, as Kafka's and
// lz4-napi's readers do.
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { CorruptRecordError, errorMessage, RecordTooLargeError } from './errors.ts';
import { xxhash32 } from './xxhash32.ts';

export const LZ4_FRAME_MAGIC = 0x184d2204;
const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_01 = 0x40;
const FLG_BLOCK_INDEPENDENT = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_RESERVED = 0x02;
const FLG_DICT_ID = 0x01;
const BD_RESERVED = 0x8f;
const BLOCK_UNCOMPRESSED = 0x80000000;
/** Copies shorter than this are done byte by byte: cheaper than a Buffer.copy call. */
const SHORT_COPY = 24;

/** What a structural walk of one LZ4 frame found. */
export interface Lz4FrameInfo {
  /** Byte length of the frame within the input. */
  frameLength: number;
  blockIndependent: boolean;
  blockChecksums: boolean;
  contentChecksum: boolean;
  blockMaxSize: number;
  /** Declared content size, if the frame has one. */
  contentSize: number | undefined;
  /** Upper bound of the decompressed size derived from the block headers (not from contentSize). */
  outputBound: number;
  /** Offset of the first block header. */
  dataStart: number;
}

function corrupt(msg: string): CorruptRecordError {
  return new CorruptRecordError(`lz4 frame: ${msg}`);
}

/**
 * Walks one LZ4 frame at the start of `buf`: validates the descriptor and header checksum, the block
 * sizes and that every part is present. Rejects a declared content size above `maxOutput` before
 * anything is allocated.
 */
export function scanLz4Frame(buf: Uint8Array, maxOutput: number): Lz4FrameInfo {
  const len = buf.length;
  if (len < 7) throw corrupt(`${len} bytes is too short for a frame header`);
  const magic = (buf[0]! | (buf[1]! << 8) | (buf[2]! << 16) | (buf[3]! << 24)) >>> 0;
  if (magic !== LZ4_FRAME_MAGIC) throw corrupt(`bad magic 0x${magic.toString(16)}`);
  const flg = buf[4]!;
  const bd = buf[5]!;
  if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_01) throw corrupt(`unsupported version bits in FLG 0x${flg.toString(16)}`);
  if ((flg & FLG_RESERVED) !== 0) throw corrupt('reserved FLG bit set');
  if ((flg & FLG_DICT_ID) !== 0) throw corrupt('dictionary ids are not supported');
  if ((bd & BD_RESERVED) !== 0) throw corrupt('reserved BD bits set');
  const blockMaxId = (bd >> 4) & 0x07;
  if (blockMaxId < 4) throw corrupt(`invalid block maximum size id ${blockMaxId}`);
  const blockMaxSize = 1 << (2 * blockMaxId + 8);
  let pos = 6;
  let contentSize: number | undefined;
  if ((flg & FLG_CONTENT_SIZE) !== 0) {
    if (len < pos + 8 + 1) throw corrupt('truncated content size');
    const lo = (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24)) >>> 0;
    const hi = (buf[pos + 4]! | (buf[pos + 5]! << 8) | (buf[pos + 6]! << 16) | (buf[pos + 7]! << 24)) >>> 0;
    // Anything at or above 2^32 is far beyond any limit we accept.
    if (hi !== 0 || lo > maxOutput) {
      throw new RecordTooLargeError(
        `lz4 frame declares ${hi !== 0 ? 'more than 4 GiB' : `${lo} bytes`} of content, over the ${maxOutput}-byte limit`,
      );
    }
    contentSize = lo;
    pos += 8;
  }
  const hc = (xxhash32(buf, 0, 4, pos) >>> 8) & 0xff;
  if (buf[pos] !== hc) throw corrupt('header checksum mismatch');
  pos += 1;
  const dataStart = pos;
  const blockChecksums = (flg & FLG_BLOCK_CHECKSUM) !== 0;
  let bound = 0;
  for (;;) {
    if (len - pos < 4) throw corrupt('truncated block header');
    const word = (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24)) >>> 0;
    pos += 4;
    if (word === 0) break;
    const stored = (word & BLOCK_UNCOMPRESSED) !== 0;
    const size = word & 0x7fffffff;
    if (size > blockMaxSize) throw corrupt(`block of ${size} bytes exceeds the frame's ${blockMaxSize}-byte maximum`);
    if (len - pos < size) throw corrupt(`block of ${size} bytes runs past the end of the frame`);
    pos += size;
    if (blockChecksums) {
      if (len - pos < 4) throw corrupt('truncated block checksum');
      pos += 4;
    }
    bound += stored ? size : blockMaxSize;
  }
  const contentChecksum = (flg & FLG_CONTENT_CHECKSUM) !== 0;
  if (contentChecksum) {
    if (len - pos < 4) throw corrupt('truncated content checksum');
    pos += 4;
  }
  return {
    frameLength: pos,
    blockIndependent: (flg & FLG_BLOCK_INDEPENDENT) !== 0,
    blockChecksums,
    contentChecksum,
    blockMaxSize,
    contentSize,
    outputBound: bound,
    dataStart,
  };
}

/**
 * Decompresses the LZ4 frame at the start of `buf`, refusing (RecordTooLargeError) to produce
 * more than `maxOutput` bytes; malformed input raises CorruptRecordError.
 */
export function decompressLz4Frame(buf: Buffer, maxOutput: number): Buffer {
  const info = scanLz4Frame(buf, maxOutput);
  // The structural bound (not the declared content size, which is only a claim) decides whether
  // the native decoder can be trusted to stay under the limit.
  if (info.outputBound <= maxOutput) {
    let out: Buffer;
    try {
      out = decompressFrameSync(buf.subarray(0, info.frameLength));
    } catch (e) {
      throw corrupt(errorMessage(e));
    }
    if (out.length > maxOutput) {
      throw new RecordTooLargeError(`lz4 output of ${out.length} bytes exceeds the ${maxOutput}-byte limit`);
    }
    if (info.contentSize !== undefined && out.length !== info.contentSize) {
      throw corrupt(`content size ${info.contentSize} declared, ${out.length} decoded`);
    }
    return out;
  }
  return decodeFrameBlocks(buf, info, maxOutput);
}

/** Growable output with a hard cap. */
class CappedOutput {
  buf: Buffer;
  len = 0;
  readonly cap: number;
  constructor(initial: number, cap: number) {
    this.cap = cap;
    this.buf = Buffer.allocUnsafe(Math.max(16, Math.min(initial, cap)));
  }
  ensure(extra: number): void {
    const need = this.len + extra;
    if (need > this.cap) {
      throw new RecordTooLargeError(`lz4 output exceeds the ${this.cap}-byte limit`);
    }
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(Math.min(size, this.cap));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
}

function decodeFrameBlocks(buf: Buffer, info: Lz4FrameInfo, maxOutput: number): Buffer {
  const out = new CappedOutput(info.contentSize ?? Math.min(info.outputBound, 4 * info.blockMaxSize), maxOutput);
  let pos = info.dataStart;
  for (;;) {
    const word = buf.readUInt32LE(pos);
    pos += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    const blockStart = pos;
    const blockEnd = pos + size;
    if (info.blockChecksums) {
      if (xxhash32(buf, 0, blockStart, blockEnd) !== buf.readUInt32LE(blockEnd)) throw corrupt('block checksum mismatch');
    }
    const produced = out.len;
    if ((word & BLOCK_UNCOMPRESSED) !== 0) {
      out.ensure(size);
      buf.copy(out.buf, out.len, blockStart, blockEnd);
      out.len += size;
    } else {
      // Independent blocks may only reference their own output; linked blocks may reach back
      // into earlier blocks (the format limits the distance to 64 KiB).
      decodeLz4Block(buf, blockStart, blockEnd, out, info.blockIndependent ? produced : 0, info.blockMaxSize);
    }
    pos = blockEnd + (info.blockChecksums ? 4 : 0);
  }
  if (info.contentChecksum) {
    if (xxhash32(out.buf, 0, 0, out.len) !== buf.readUInt32LE(pos)) throw corrupt('content checksum mismatch');
  }
  if (info.contentSize !== undefined && out.len !== info.contentSize) {
    throw corrupt(`content size ${info.contentSize} declared, ${out.len} decoded`);
  }
  return out.buf.subarray(0, out.len);
}

/**
 * Decodes one LZ4 block (the raw block format) from `src[start, end)`, appending to `out`.
 * Matches may not reach before `windowStart`; one block may not produce more than `blockMax` bytes.
 */
function decodeLz4Block(
  src: Buffer,
  start: number,
  end: number,
  out: CappedOutput,
  windowStart: number,
  blockMax: number,
): void {
  const blockLimit = out.len + blockMax;
  let o = out.buf;
  let op = out.len;
  let ip = start;
  for (;;) {
    if (ip >= end) throw corrupt('block ends without a final literal run');
    const token = src[ip++]!;
    let litLen = token >>> 4;
    if (litLen === 15) {
      let b: number;
      do {
        if (ip >= end) throw corrupt('truncated literal length');
        b = src[ip++]!;
        litLen += b;
      } while (b === 255);
    }
    if (litLen > end - ip) throw corrupt('literal run past the end of the block');
    if (op + litLen > blockLimit) throw corrupt('block decodes past its maximum size');
    if (op + litLen > o.length) {
      out.len = op;
      out.ensure(litLen);
      o = out.buf;
    }
    if (litLen < SHORT_COPY) {
      for (let i = 0; i < litLen; i++) o[op + i] = src[ip + i]!;
    } else {
      src.copy(o, op, ip, ip + litLen);
    }
    op += litLen;
    ip += litLen;
    if (ip === end) break; // the last sequence carries literals only
    if (end - ip < 2) throw corrupt('truncated match offset');
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op - windowStart) throw corrupt(`match offset ${offset} reaches before the window`);
    let matchLen = (token & 0x0f) + 4;
    if ((token & 0x0f) === 15) {
      let b: number;
      do {
        if (ip >= end) throw corrupt('truncated match length');
        b = src[ip++]!;
        matchLen += b;
      } while (b === 255);
    }
    if (op + matchLen > blockLimit) throw corrupt('block decodes past its maximum size');
    if (op + matchLen > o.length) {
      out.len = op;
      out.ensure(matchLen);
      o = out.buf;
    }
    const from = op - offset;
    if (offset === 1) {
      o.fill(o[from]!, op, op + matchLen); // a run of one byte
      op += matchLen;
    } else if (matchLen < SHORT_COPY || (offset < matchLen && matchLen <= 256)) {
      // Byte by byte, front to back: also right for overlapping matches (offset < length).
      for (let i = 0; i < matchLen; i++) o[op + i] = o[from + i]!;
      op += matchLen;
    } else if (offset >= matchLen) {
      o.copy(o, op, from, from + matchLen);
      op += matchLen;
    } else {
      // Overlapping: repeat the last `offset` bytes, doubling the copied span each step.
      let remaining = matchLen;
      let span = offset;
      while (remaining > 0) {
        const n = Math.min(span, remaining);
        o.copy(o, op, from, from + n);
        op += n;
        remaining -= n;
        span += n;
      }
    }
  }
  out.len = op;
}

/** Options for writing LZ4 frames. */
export interface Lz4CompressOptions {
  contentChecksum?: boolean;
  blockChecksums?: boolean;
}

/**
 * One LZ4 frame of `data` as lz4-napi writes it: independent blocks (256 KiB maximum), no content
 * size, no checksums unless asked. Kafka's readers (Java and librdkafka) accept this form.
 */
export function compressLz4Frame(data: Buffer, options: Lz4CompressOptions = {}): Buffer {
  return compressFrameSync(data, options);
}
