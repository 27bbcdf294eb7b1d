// Public API of Floe's record-batch code (magic 2 batches and their compression codecs).
export * from './errors.ts';
export * from './batch-header.ts';
export * from './batch-iterator.ts';
export * from './records-codec.ts';
export * from './control-records.ts';
export * from './compression.ts';
export { decompressLz4Frame, scanLz4Frame, compressLz4Frame, LZ4_FRAME_MAGIC } from './lz4-frame.ts';
export type { Lz4FrameInfo, Lz4CompressOptions } from './lz4-frame.ts';
export {
  compressSnappyRaw,
  compressSnappyXerial,
  decompressSnappy,
  isXerialFramed,
  XERIAL_DEFAULT_BLOCK_SIZE,
  XERIAL_MAGIC,
} from './snappy-xerial.ts';
