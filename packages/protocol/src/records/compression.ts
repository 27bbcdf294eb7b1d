// Compression codecs of v2 record batches (attribute bits 0-2) with a hard decompression limit.
//
//   0 none
//   1 gzip    zlib (RFC 1952), via node:zlib
//   2 snappy  xerial (snappy-java) framing written; xerial or raw snappy read (snappy-xerial.ts)
//   3 lz4     standard LZ4 frame format (lz4-frame.ts)
//   4 zstd    zstd frames, via node:zlib
//
// Every decompression takes `maxOutput`: producing more raises RecordTooLargeError
// (MESSAGE_TOO_LARGE) before memory beyond roughly the limit is used. gzip and zstd stream through
// zlib with `maxOutputLength`; lz4 and snappy check declared and structural sizes before the
// native decoder allocates (see their modules). Malformed data raises CorruptRecordError and an
// unknown codec id UnsupportedCompressionError.
import * as zlib from 'node:zlib';
import { CorruptRecordError, errorMessage, RecordTooLargeError, UnsupportedCompressionError } from './errors.ts';
import { compressLz4Frame, decompressLz4Frame } from './lz4-frame.ts';
import { compressSnappyXerial, decompressSnappy, XERIAL_DEFAULT_BLOCK_SIZE } from './snappy-xerial.ts';

export const CompressionCodec = {
  NONE: 0,
  GZIP: 1,
  SNAPPY: 2,
  LZ4: 3,
  ZSTD: 4,
} as const;
export type CompressionCodecId = (typeof CompressionCodec)[keyof typeof CompressionCodec];

export const COMPRESSION_CODEC_NAMES: Readonly<Record<CompressionCodecId, string>> = {
  0: 'none',
  1: 'gzip',
  2: 'snappy',
  3: 'lz4',
  4: 'zstd',
};

/** Default limit on the decompressed size of one batch's records: 64 MiB. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

/**
 * Default zstd window limit (log2 bytes). 27 (128 MiB) is zstd's own default: Kafka's Java producer
 * at the highest levels writes frames that need it. The window is reserved address space; only
 * the pages the (capped) output touches become resident.
 */
export const DEFAULT_ZSTD_WINDOW_LOG_MAX = 27;

export function isCompressionCodec(id: number): id is CompressionCodecId {
  return id === 0 || id === 1 || id === 2 || id === 3 || id === 4;
}

/** Throws UNSUPPORTED_COMPRESSION_TYPE for ids outside 0..4. */
export function assertCompressionCodec(id: number): asserts id is CompressionCodecId {
  if (!isCompressionCodec(id)) throw new UnsupportedCompressionError(`unknown compression codec id ${id}`);
}

export interface CompressOptions {
  /** gzip level 1-9 or zstd level; codec default otherwise. */
  level?: number;
  /** snappy: input bytes per xerial chunk (default 32 KiB, as snappy-java). */
  snappyBlockSize?: number;
  /** lz4: add the frame's content checksum / per-block checksums. */
  lz4ContentChecksum?: boolean;
  lz4BlockChecksums?: boolean;
}

export function compress(codec: number, data: Buffer, options: CompressOptions = {}): Buffer {
  assertCompressionCodec(codec);
  switch (codec) {
    case CompressionCodec.NONE:
      return data;
    case CompressionCodec.GZIP:
      return zlib.gzipSync(data, options.level !== undefined ? { level: options.level } : {});
    case CompressionCodec.SNAPPY:
      return compressSnappyXerial(data, options.snappyBlockSize ?? XERIAL_DEFAULT_BLOCK_SIZE);
    case CompressionCodec.LZ4: {
      const o: { contentChecksum?: boolean; blockChecksums?: boolean } = {};
      if (options.lz4ContentChecksum !== undefined) o.contentChecksum = options.lz4ContentChecksum;
      if (options.lz4BlockChecksums !== undefined) o.blockChecksums = options.lz4BlockChecksums;
      return compressLz4Frame(data, o);
    }
    case CompressionCodec.ZSTD:
      return zlib.zstdCompressSync(
        data,
        options.level !== undefined
          ? { params: { [zlib.constants.ZSTD_c_compressionLevel]: options.level } }
          : {},
      );
  }
}

export interface DecompressOptions {
  /** zstd: largest window accepted, as log2 bytes (default 27). */
  zstdWindowLogMax?: number;
}

/**
 * Decompresses `data` of codec `codec`, producing at most `maxOutput` bytes. codec none returns
 * `data` itself (after the same limit check).
 */
export function decompress(
  codec: number,
  data: Buffer,
  maxOutput: number = DEFAULT_MAX_DECOMPRESSED_BYTES,
  options: DecompressOptions = {},
): Buffer {
  assertCompressionCodec(codec);
  if (!(maxOutput >= 0)) throw new RangeError('maxOutput must be a non-negative number');
  switch (codec) {
    case CompressionCodec.NONE:
      if (data.length > maxOutput) {
        throw new RecordTooLargeError(`${data.length} bytes of records exceed the ${maxOutput}-byte limit`);
      }
      return data;
    case CompressionCodec.GZIP:
      return zlibDecompress('gzip', data, maxOutput, () =>
        zlib.gunzipSync(data, { maxOutputLength: zlibLimit(maxOutput) }),
      );
    case CompressionCodec.SNAPPY:
      return decompressSnappy(data, maxOutput);
    case CompressionCodec.LZ4:
      return decompressLz4Frame(data, maxOutput);
    case CompressionCodec.ZSTD:
      return zlibDecompress('zstd', data, maxOutput, () =>
        zlib.zstdDecompressSync(data, {
          maxOutputLength: zlibLimit(maxOutput),
          params: {
            [zlib.constants.ZSTD_d_windowLogMax]: options.zstdWindowLogMax ?? DEFAULT_ZSTD_WINDOW_LOG_MAX,
          },
        }),
      );
  }
}

/** zlib rejects maxOutputLength 0 and values above buffer.constants.MAX_LENGTH. */
function zlibLimit(maxOutput: number): number {
  return Math.max(1, Math.min(maxOutput, 2 ** 32));
}

function zlibDecompress(name: string, data: Buffer, maxOutput: number, run: () => Buffer): Buffer {
  if (data.length === 0) throw new CorruptRecordError(`${name}: empty compressed data`);
  let out: Buffer;
  try {
    out = run();
  } catch (e) {
    // No instanceof: errors from node:zlib may come from another realm (e.g. under a test VM).
    if ((e as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE') {
      throw new RecordTooLargeError(`${name} output exceeds the ${maxOutput}-byte limit`);
    }
    throw new CorruptRecordError(`${name}: ${errorMessage(e)}`);
  }
  if (out.length > maxOutput) {
    throw new RecordTooLargeError(`${name} output of ${out.length} bytes exceeds the ${maxOutput}-byte limit`);
  }
  return out;
}
