// Snappy as Kafka clients put it in record batches (codec 2).
//
// Kafka's Java client writes snappy through snappy-java's stream framing ("xerial" framing):
//   header: 8 magic bytes 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00, int32 version, int32 compatible version
//   then chunks: int32 compressed length (big-endian) followed by one raw snappy block.
// Each raw snappy block starts with its uncompressed length as an unsigned varint (the snappy
// "preamble"). Readers also accept a bare raw snappy block without the header, which snappy-java
// and librdkafka fall back to as well. A header may appear again between chunks (concatenated
// streams); a chunk length can never start with 0x82 because it would be negative.
//
// Limits: the preamble of every block is read and checked against the remaining output budget
// before the native decoder allocates anything, so a hostile size claim costs nothing.
import { compressSync, uncompressSync } from 'snappy';
import { CorruptRecordError, errorMessage, RecordTooLargeError } from './errors.ts';

export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
export const XERIAL_HEADER_SIZE = 16;
export const XERIAL_VERSION = 1;
export const XERIAL_COMPATIBLE_VERSION = 1;
/** snappy-java's default chunk size, which Kafka's Java producer uses. */
export const XERIAL_DEFAULT_BLOCK_SIZE = 32 * 1024;

// Ask the snappy binding for ordinary (V8-allocated) buffers. Its default, an external buffer,
// is invisible to V8's memory accounting and freed only after a GC and an event-loop turn, so
// a synchronous burst of decompressions would hold all their outputs in native memory.
const SNAPPY_DEC_OPTIONS = { asBuffer: true, copyOutputData: true } as const;
const SNAPPY_ENC_OPTIONS = { copyOutputData: true } as const;

function corrupt(msg: string): CorruptRecordError {
  return new CorruptRecordError(`snappy: ${msg}`);
}

/** True when `buf` starts with the xerial (snappy-java) stream header magic. */
export function isXerialFramed(buf: Uint8Array, offset = 0): boolean {
  if (buf.length - offset < XERIAL_MAGIC.length) return false;
  for (let i = 0; i < XERIAL_MAGIC.length; i++) if (buf[offset + i] !== XERIAL_MAGIC[i]) return false;
  return true;
}

/** Reads the uncompressed length a raw snappy block declares (unsigned varint, ≤ 32 bits). */
export function snappyDeclaredLength(block: Uint8Array, start = 0, end = block.length): number {
  let result = 0;
  let shift = 0;
  for (let pos = start; ; pos++) {
    if (pos >= end) throw corrupt('truncated length preamble');
    const b = block[pos]!;
    if (shift === 28 && (b & 0xf0) !== 0) throw corrupt('length preamble overflows 32 bits');
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return result;
    shift += 7;
  }
}

function uncompressRawBlock(block: Buffer, declared: number): Buffer {
  let out: Buffer;
  try {
    out = uncompressSync(block, SNAPPY_DEC_OPTIONS) as Buffer;
  } catch (e) {
    throw corrupt(errorMessage(e));
  }
  if (out.length !== declared) throw corrupt(`block declared ${declared} bytes, decoded ${out.length}`);
  return out;
}

/** Decompresses xerial-framed or raw snappy, producing at most `maxOutput` bytes. */
export function decompressSnappy(buf: Buffer, maxOutput: number): Buffer {
  if (!isXerialFramed(buf)) {
    const declared = snappyDeclaredLength(buf);
    if (declared > maxOutput) {
      throw new RecordTooLargeError(`snappy block declares ${declared} bytes, over the ${maxOutput}-byte limit`);
    }
    return uncompressRawBlock(buf, declared);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  let pos = 0;
  const end = buf.length;
  while (pos < end) {
    if (isXerialFramed(buf, pos)) {
      if (end - pos < XERIAL_HEADER_SIZE) throw corrupt('truncated xerial header');
      const compatible = buf.readInt32BE(pos + 12);
      if (compatible > XERIAL_COMPATIBLE_VERSION || compatible < 0) {
        throw corrupt(`unsupported xerial stream version (compatible version ${compatible})`);
      }
      pos += XERIAL_HEADER_SIZE;
      continue;
    }
    if (end - pos < 4) throw corrupt('truncated chunk length');
    const chunkLen = buf.readInt32BE(pos);
    pos += 4;
    if (chunkLen < 0) throw corrupt(`negative chunk length ${chunkLen}`);
    if (chunkLen > end - pos) throw corrupt(`chunk of ${chunkLen} bytes runs past the end (${end - pos} left)`);
    const block = buf.subarray(pos, pos + chunkLen);
    pos += chunkLen;
    const declared = snappyDeclaredLength(block);
    if (declared > maxOutput - total) {
      throw new RecordTooLargeError(`snappy output exceeds the ${maxOutput}-byte limit`);
    }
    const out = uncompressRawBlock(block, declared);
    total += out.length;
    chunks.push(out);
  }
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks, total);
}

/** Writes `data` in xerial framing: header, then one raw snappy block per `blockSize` input bytes. */
export function compressSnappyXerial(data: Buffer, blockSize = XERIAL_DEFAULT_BLOCK_SIZE): Buffer {
  if (!(blockSize > 0)) throw new RangeError('snappy block size must be positive');
  const parts: Buffer[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(XERIAL_VERSION, 8);
  header.writeInt32BE(XERIAL_COMPATIBLE_VERSION, 12);
  parts.push(header);
  let total = XERIAL_HEADER_SIZE;
  for (let off = 0; off < data.length; off += blockSize) {
    const block = compressSync(data.subarray(off, Math.min(off + blockSize, data.length)), SNAPPY_ENC_OPTIONS);
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
    total += 4 + block.length;
  }
  return Buffer.concat(parts, total);
}

/** A bare raw snappy block (no framing), as some non-Java clients write. */
export function compressSnappyRaw(data: Buffer): Buffer {
  return compressSync(data, SNAPPY_ENC_OPTIONS);
}
