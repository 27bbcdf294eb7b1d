// Fuzzes the record-batch iterator and the full batch decoder with random and mutated batches.
//
//   node packages/protocol/bench/fuzz-batches.ts --count 1000000 --seed 1
//
// The corpus is valid batches of every codec (none, gzip, snappy, lz4, zstd) built by Floe, plus
// batches whose inner records were damaged before compression. Each iteration mutates one of them
// (bit flips, byte stores, truncation, length and count fields set huge or negative, varint bombs
// inside the records, splices of two batches, random garbage) and, most of the time, repairs the
// batchLength and CRC so the damage reaches the decompressors and the record decoder instead of
// stopping at the CRC check. The input then goes through splitBatches (produce and fetch mode)
// and decodeBatch with a decompression limit (1 MiB, or a random small one a quarter of the
// time). Only ProtocolError may escape; anything else is a bug: the input is printed in hex and
// the process exits 1. Prints count, elapsed seconds, maximum resident set size, and how the
// inputs fared.

import { ProtocolError } from '../src/errors.ts';
import {
  buildBatch,
  compress,
  CompressionCodec,
  decodeBatch,
  type RecordInput,
  splitBatches,
  updateBatchCrc,
} from '../src/records/index.ts';
import { FuzzBug, intArg } from './fuzz-support.ts';

export interface BatchFuzzResult {
  count: number;
  /** Inputs for which at least one batch decoded fully. */
  decoded: number;
  /** Inputs rejected by a ProtocolError somewhere. */
  rejected: number;
  /** ProtocolError counts by Kafka error code. */
  codes: Record<number, number>;
  seconds: number;
  maxRssMiB: number;
  corpus: number;
}

type Rng = () => number;

/** Seedable PRNG (mulberry32). */
function prng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (rng: Rng, n: number): number => Math.floor(rng() * n);

function randomBytes(rng: Rng, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = int(rng, 256);
  return b;
}

function randomRecords(rng: Rng): RecordInput[] {
  const n = 1 + int(rng, rng() < 0.1 ? 60 : 6);
  const records: RecordInput[] = [];
  const base = 1_700_000_000_000 + int(rng, 1_000_000);
  for (let i = 0; i < n; i++) {
    const size = rng() < 0.05 ? int(rng, 20_000) : int(rng, 120);
    // Mix repetitive and random payloads so the compressors produce varied streams.
    const value = rng() < 0.5 ? Buffer.alloc(size, int(rng, 256)) : randomBytes(rng, size);
    const headers = Array.from({ length: int(rng, 3) }, (_, j) => ({
      key: `h${j}`,
      value: rng() < 0.2 ? null : randomBytes(rng, int(rng, 16)),
    }));
    records.push({
      key: rng() < 0.3 ? null : randomBytes(rng, int(rng, 24)),
      value: rng() < 0.1 ? null : value,
      headers,
      timestamp: base + int(rng, 10_000) - 5_000,
    });
  }
  return records;
}

const CODECS = [
  CompressionCodec.NONE,
  CompressionCodec.GZIP,
  CompressionCodec.SNAPPY,
  CompressionCodec.LZ4,
  CompressionCodec.ZSTD,
];

/** Fixes batchLength to the buffer and recomputes the CRC, when the buffer still has a header. */
function repair(b: Buffer): Buffer {
  if (b.length >= 61) {
    b.writeInt32BE(b.length - 12, 8);
    updateBatchCrc(b);
  }
  return b;
}

/** A batch whose uncompressed records were damaged, then compressed and framed validly. */
function damagedInnerBatch(rng: Rng, codec: number): Buffer {
  const plain = buildBatch({ records: randomRecords(rng), producerId: 1n, producerEpoch: 0, baseSequence: 0 });
  const inner = Buffer.from(plain.subarray(61));
  mutateRecords(rng, inner);
  const payload = compress(codec, inner);
  const b = Buffer.alloc(61 + payload.length);
  plain.copy(b, 0, 0, 61);
  payload.copy(b, 61);
  b.writeInt16BE((b.readInt16BE(21) & ~7) | codec, 21);
  return repair(b);
}

const VARINT_BOMBS = ['ffffffffff0f', '8080808080808080808001', '01', '03', '7f', 'feffffff0f', 'ffffffff0f', '00'].map(
  (h) => Buffer.from(h, 'hex'),
);

function mutateRecords(rng: Rng, inner: Buffer): void {
  if (inner.length === 0) return;
  const n = 1 + int(rng, 3);
  for (let i = 0; i < n; i++) {
    const at = int(rng, inner.length);
    if (rng() < 0.5) {
      VARINT_BOMBS[int(rng, VARINT_BOMBS.length)]!.copy(inner, at);
    } else {
      inner[at] = int(rng, 256);
    }
  }
}

export function buildBatchCorpus(seed: number, perCodec = 40): Buffer[] {
  const rng = prng(seed ^ 0x5eed);
  const corpus: Buffer[] = [];
  for (const codec of CODECS) {
    for (let i = 0; i < perCodec; i++) {
      corpus.push(
        buildBatch({
          baseOffset: BigInt(int(rng, 1_000_000)),
          compression: codec,
          producerId: rng() < 0.5 ? -1n : BigInt(int(rng, 1000)),
          producerEpoch: 0,
          baseSequence: int(rng, 1000),
          isTransactional: rng() < 0.2,
          records: randomRecords(rng),
        }),
      );
      if (codec !== CompressionCodec.NONE && i % 4 === 0) corpus.push(damagedInnerBatch(rng, codec));
    }
  }
  return corpus;
}

const INT32_PATTERNS = [0x7fffffff, -1, -2147483648, 0, 1, 48, 49, 0x10000000];
const HEADER_INT32_FIELDS = [8, 12, 23, 53, 57];

function mutate(rng: Rng, corpus: Buffer[]): Buffer {
  const src = corpus[int(rng, corpus.length)]!;
  let b: Buffer = Buffer.from(src);
  const kind = int(rng, 10);
  let fix = rng() < 0.7;
  switch (kind) {
    case 0: {
      // bit flips
      const flips = 1 + int(rng, 8);
      for (let i = 0; i < flips; i++) {
        const bit = int(rng, b.length * 8);
        b[bit >> 3]! ^= 1 << (bit & 7);
      }
      break;
    }
    case 1: // truncation
      b = b.subarray(0, int(rng, b.length));
      fix = rng() < 0.5;
      break;
    case 2: {
      // header length/count fields set huge or negative
      const field = HEADER_INT32_FIELDS[int(rng, HEADER_INT32_FIELDS.length)]!;
      b.writeInt32BE(INT32_PATTERNS[int(rng, INT32_PATTERNS.length)]!, field);
      if (field === 8) fix = false;
      else if (fix) {
        updateBatchCrc(b);
        fix = false;
      }
      break;
    }
    case 3: {
      // int32 patterns anywhere in the payload (xerial chunk lengths, lz4 block sizes, ...)
      if (b.length > 65) b.writeInt32BE(INT32_PATTERNS[int(rng, INT32_PATTERNS.length)]!, 61 + int(rng, b.length - 65));
      break;
    }
    case 4: {
      // varint bombs in the payload (record lengths of uncompressed batches)
      if (b.length > 61) VARINT_BOMBS[int(rng, VARINT_BOMBS.length)]!.copy(b, 61 + int(rng, b.length - 61));
      break;
    }
    case 5: {
      // splice: head of one batch, tail of another
      const other = corpus[int(rng, corpus.length)]!;
      const cut = int(rng, b.length);
      b = Buffer.concat([b.subarray(0, cut), other.subarray(int(rng, other.length))]);
      break;
    }
    case 6: {
      // several batches back to back, the last one possibly cut
      const parts = [b, corpus[int(rng, corpus.length)]!, corpus[int(rng, corpus.length)]!];
      b = Buffer.concat(parts);
      if (rng() < 0.5) b = b.subarray(0, b.length - 1 - int(rng, 80));
      fix = false;
      break;
    }
    case 7: {
      // random byte stores
      const n = 1 + int(rng, 6);
      for (let i = 0; i < n; i++) b[int(rng, b.length)] = int(rng, 256);
      break;
    }
    case 8: {
      // attributes: other codecs and flags
      b.writeInt16BE(int(rng, 0x10000) - 0x8000, 21);
      break;
    }
    default: {
      // random garbage, sometimes behind a plausible header
      b = randomBytes(rng, int(rng, 300));
      if (b.length >= 61 && rng() < 0.7) {
        b.writeInt8(2, 16);
        b.writeInt16BE(int(rng, 8), 21);
      } else fix = false;
    }
  }
  return fix ? repair(b) : b;
}

const LIMIT = 1 << 20;

/**
 * Runs `count` iterations; rejects with FuzzBug on any non-ProtocolError. Yields to the
 * event loop now and then, as a server does between requests: lz4-napi returns external buffers
 * whose memory is released by finalizers that only run on an event-loop turn.
 */
export async function runBatchFuzz(count: number, seed: number, corpus = buildBatchCorpus(seed)): Promise<BatchFuzzResult> {
  const rng = prng(seed);
  const codes: Record<number, number> = {};
  let decoded = 0;
  let rejected = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    if ((i & 1023) === 1023) await new Promise((resolve) => setImmediate(resolve));
    const input = mutate(rng, corpus);
    // Mostly the normal limit; sometimes a small one, which also drives lz4 frames through the
    // TypeScript block decoder (used when the frame's block bound exceeds the limit).
    const limit = rng() < 0.25 ? 1 + int(rng, 16_384) : LIMIT;
    let ok = false;
    let failed = false;
    const note = (e: unknown, stage: string): void => {
      if (!(e instanceof ProtocolError)) {
        throw new FuzzBug(`${stage} threw ${(e as Error)?.name ?? typeof e}: ${(e as Error)?.message ?? e}`, input, e);
      }
      failed = true;
      codes[e.code] = (codes[e.code] ?? 0) + 1;
    };
    try {
      splitBatches(input, { mode: 'produce' });
    } catch (e) {
      note(e, 'splitBatches(produce)');
    }
    let batches: Buffer[] = [];
    try {
      batches = splitBatches(input, { mode: 'fetch' }).batches;
    } catch (e) {
      note(e, 'splitBatches(fetch)');
    }
    for (const batch of batches) {
      try {
        decodeBatch(batch, { maxDecompressedBytes: limit });
        ok = true;
      } catch (e) {
        note(e, 'decodeBatch');
      }
    }
    // Straight into the decoder, CRC unchecked, so damage always reaches the decompressors.
    try {
      decodeBatch(input, { maxDecompressedBytes: limit, validateCrc: false });
    } catch (e) {
      note(e, 'decodeBatch(no CRC)');
    }
    if (ok) decoded++;
    if (failed) rejected++;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    count,
    decoded,
    rejected,
    codes,
    seconds,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    corpus: corpus.length,
  };
}

async function main(): Promise<void> {
  const count = intArg('--count', 100_000);
  const seed = intArg('--seed', 1);
  try {
    const r = await runBatchFuzz(count, seed);
    console.log(`fuzz-batches: seed ${seed}, corpus ${r.corpus} batches`);
    console.log(`  inputs      ${r.count}`);
    console.log(`  decoded     ${r.decoded} (at least one batch fully decoded)`);
    console.log(`  rejected    ${r.rejected} (ProtocolError somewhere)`);
    const codes = Object.entries(r.codes)
      .map(([c, n]) => `${c}: ${n}`)
      .join(', ');
    console.log(`  error codes ${codes}`);
    console.log(`  elapsed     ${r.seconds.toFixed(1)} s (${Math.round(r.count / r.seconds)} inputs/s)`);
    console.log(`  max RSS     ${r.maxRssMiB.toFixed(0)} MiB`);
  } catch (e) {
    if (e instanceof FuzzBug) {
      console.error(`fuzz-batches: BUG: ${e.message}`);
      console.error(`input (${e.input.length} bytes): ${e.input.toString('hex')}`);
      console.error(e.cause);
      process.exit(1);
    }
    throw e;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
