import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import * as zlib from 'node:zlib';
import { ProtocolError } from '../../../src/errors.ts';
import {
  buildBatch,
  compress,
  compressSnappyRaw,
  compressSnappyXerial,
  decodeBatch,
  decompress,
  decompressLz4Frame,
  decompressSnappy,
  isXerialFramed,
  RecordErrorCode,
  scanLz4Frame,
  XERIAL_MAGIC,
} from '../../../src/records/index.ts';
import { xxhash32 } from '../../../src/records/xxhash32.ts';
import { LZ4_CLI_FRAMES } from './fixtures/lz4-frames.ts';
import { expectProtocolError, lz4FixtureInput } from './helpers.ts';

const { CORRUPT_MESSAGE, MESSAGE_TOO_LARGE, UNSUPPORTED_COMPRESSION_TYPE } = RecordErrorCode;
const MiB = 1 << 20;
const GiB = 1 << 30;

describe('compression codecs', () => {
  it('round-trip arbitrary data through every codec', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.constantFrom(0, 1, 2, 3, 4), (bytes, codec) => {
        const data = Buffer.from(bytes);
        const packed = compress(codec, data);
        expect(decompress(codec, packed, data.length).equals(data)).toBe(true);
        if (data.length > 0 && codec !== 0) {
          expectProtocolError(() => decompress(codec, packed, data.length - 1), MESSAGE_TOO_LARGE);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('round-trip large compressible and incompressible inputs', () => {
    const random = Buffer.alloc(3 * MiB);
    let x = 1;
    for (let i = 0; i < random.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      random[i] = x >>> 24;
    }
    const text = Buffer.from('floe record batch '.repeat(200_000));
    for (const data of [random, text]) {
      for (const codec of [1, 2, 3, 4]) {
        expect(decompress(codec, compress(codec, data), data.length).equals(data)).toBe(true);
      }
    }
  });

  it('honours codec options', () => {
    const data = Buffer.from('options '.repeat(10_000));
    for (const level of [1, 9]) expect(decompress(1, compress(1, data, { level }), data.length).equals(data)).toBe(true);
    for (const level of [1, 19]) expect(decompress(4, compress(4, data, { level }), data.length).equals(data)).toBe(true);
    const lz4 = compress(3, data, { lz4ContentChecksum: true, lz4BlockChecksums: true });
    expect(scanLz4Frame(lz4, data.length)).toMatchObject({ contentChecksum: true, blockChecksums: true });
    expect(decompress(3, lz4, data.length).equals(data)).toBe(true);
  });

  it('rejects unknown codec ids with UNSUPPORTED_COMPRESSION_TYPE', () => {
    for (const codec of [-1, 5, 6, 7, 8]) {
      expectProtocolError(() => compress(codec, Buffer.alloc(1)), UNSUPPORTED_COMPRESSION_TYPE);
      expectProtocolError(() => decompress(codec, Buffer.alloc(1), 10), UNSUPPORTED_COMPRESSION_TYPE);
      expectProtocolError(() => buildBatch({ compression: codec, records: [] }), UNSUPPORTED_COMPRESSION_TYPE);
    }
  });

  it('rejects garbage and truncated input with CORRUPT_MESSAGE', () => {
    const data = Buffer.from('some data to compress, some data to compress, some data to compress');
    for (const codec of [1, 2, 3, 4]) {
      const packed = compress(codec, data);
      expectProtocolError(() => decompress(codec, Buffer.alloc(0), 1000), CORRUPT_MESSAGE);
      expectProtocolError(() => decompress(codec, packed.subarray(0, packed.length - 3), 1000), CORRUPT_MESSAGE);
      expectProtocolError(() => decompress(codec, Buffer.from('not compressed at all'), 1000));
    }
  });

  it('decompressors only throw ProtocolError on mutated input', () => {
    const data = Buffer.from('mutation target '.repeat(300));
    const packed = [1, 2, 3, 4].map((c) => [c, compress(c, data)] as const);
    fc.assert(
      fc.property(fc.nat({ max: 3 }), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(), (which, edits, cut) => {
        const [codec, p] = packed[which]!;
        const b = Buffer.from(p);
        for (const [at, v] of edits) b[at % b.length] = v;
        const input = cut % 3 === 0 ? b.subarray(0, cut % b.length) : b;
        try {
          decompress(codec, input, 64 * 1024);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

/** A raw snappy block written by hand: length preamble, then literal elements of ≤ 60 bytes. */
function handSnappyLiteral(data: Buffer): Buffer {
  const parts: number[] = [];
  let n = data.length;
  while (n >= 0x80) {
    parts.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  parts.push(n);
  for (let off = 0; off < data.length; off += 60) {
    const chunk = data.subarray(off, Math.min(off + 60, data.length));
    parts.push((chunk.length - 1) << 2, ...chunk);
  }
  return Buffer.from(parts);
}

function xerialHeader(version = 1, compatible = 1): Buffer {
  const h = Buffer.alloc(16);
  Buffer.from('82534e4150505900', 'hex').copy(h, 0);
  h.writeInt32BE(version, 8);
  h.writeInt32BE(compatible, 12);
  return h;
}

function xerialChunk(block: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(block.length, 0);
  return Buffer.concat([len, block]);
}

describe('snappy framing', () => {
  it('writes xerial framing: magic, version 1, compatible version 1, 32 KiB chunks', () => {
    const data = Buffer.alloc(100_000, 7);
    const framed = compressSnappyXerial(data);
    expect(framed.subarray(0, 8).equals(XERIAL_MAGIC)).toBe(true);
    expect(framed.subarray(0, 16).toString('hex')).toBe('82534e41505059000000000100000001');
    // Walk the chunks by hand: int32 length + raw block, each block ≤ 32 KiB of input.
    let pos = 16;
    const sizes: number[] = [];
    while (pos < framed.length) {
      const len = framed.readInt32BE(pos);
      const block = framed.subarray(pos + 4, pos + 4 + len);
      sizes.push(snappyLength(block));
      pos += 4 + len;
    }
    expect(pos).toBe(framed.length);
    expect(sizes).toEqual([32768, 32768, 32768, 100_000 - 3 * 32768]);
    expect(decompressSnappy(framed, data.length).equals(data)).toBe(true);
    expect(isXerialFramed(framed)).toBe(true);
  });

  it('reads a hand-built xerial stream, including a repeated header (concatenated streams)', () => {
    const a = Buffer.from('hello from a hand-built snappy-java stream; '.repeat(3));
    const b = Buffer.from('second chunk');
    const c = Buffer.from('after a second header');
    const stream = Buffer.concat([
      xerialHeader(),
      xerialChunk(handSnappyLiteral(a)),
      xerialChunk(handSnappyLiteral(b)),
      xerialHeader(),
      xerialChunk(handSnappyLiteral(c)),
    ]);
    expect(decompressSnappy(stream, 1000).toString()).toBe(a.toString() + b.toString() + c.toString());
    expect(decompressSnappy(xerialHeader(), 1000).length).toBe(0);
  });

  it('reads raw (unframed) snappy, hand-built and library-written', () => {
    const data = Buffer.from('raw snappy without framing '.repeat(20));
    expect(decompressSnappy(handSnappyLiteral(data), data.length).equals(data)).toBe(true);
    expect(decompress(2, compressSnappyRaw(data), data.length).equals(data)).toBe(true);
  });

  it('rejects broken xerial streams with CORRUPT_MESSAGE', () => {
    const good = xerialChunk(handSnappyLiteral(Buffer.from('abc')));
    expectProtocolError(() => decompressSnappy(xerialHeader(1, 2), 100), CORRUPT_MESSAGE); // incompatible
    expectProtocolError(() => decompressSnappy(xerialHeader().subarray(0, 12), 100), CORRUPT_MESSAGE);
    expectProtocolError(() => decompressSnappy(Buffer.concat([xerialHeader(), good.subarray(0, 3)]), 100), CORRUPT_MESSAGE);
    expectProtocolError(() => decompressSnappy(Buffer.concat([xerialHeader(), good.subarray(0, 6)]), 100), CORRUPT_MESSAGE);
    const negative = Buffer.from(good);
    negative.writeInt32BE(-1, 0);
    expectProtocolError(() => decompressSnappy(Buffer.concat([xerialHeader(), negative]), 100), CORRUPT_MESSAGE);
    const lying = Buffer.from(good);
    lying[4] = 9; // preamble says 9 bytes, block holds 3
    expectProtocolError(() => decompressSnappy(Buffer.concat([xerialHeader(), lying]), 100), CORRUPT_MESSAGE);
  });
});

/** Reads a raw snappy block's length preamble (test-side, for checking the writer). */
function snappyLength(block: Buffer): number {
  let n = 0;
  for (let i = 0, shift = 0; ; i++, shift += 7) {
    n += (block[i]! & 0x7f) * 2 ** shift;
    if ((block[i]! & 0x80) === 0) return n;
  }
}

/** Builds an LZ4 frame from raw blocks, computing the header checksum. */
function lz4Frame(blocks: Buffer[], flg = 0x60, bd = 0x70, contentSize?: bigint): Buffer {
  const desc = Buffer.alloc(contentSize === undefined ? 2 : 10);
  desc[0] = contentSize === undefined ? flg : flg | 0x08;
  desc[1] = bd;
  if (contentSize !== undefined) desc.writeBigUInt64LE(contentSize, 2);
  const parts: Buffer[] = [Buffer.from('04224d18', 'hex'), desc, Buffer.from([(xxhash32(desc) >>> 8) & 0xff])];
  for (const b of blocks) {
    const size = Buffer.alloc(4);
    size.writeUInt32LE(b.length, 0);
    parts.push(size, b);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

/** An LZ4 block decoding to `n` zero bytes: literal 0, one long match at offset 1, 5 literals. */
function zeroBlock(n: number): Buffer {
  const out = [0x1f, 0x00, 0x01, 0x00];
  let m = n - 6 - 4 - 15;
  while (m >= 255) {
    out.push(255);
    m -= 255;
  }
  out.push(m, 0x50, 0, 0, 0, 0, 0);
  return Buffer.from(out);
}

describe('lz4 frames', () => {
  const input = lz4FixtureInput();

  it('decodes frames from the reference lz4 tool: linked blocks, content size, checksums', () => {
    for (const [name, b64] of Object.entries(LZ4_CLI_FRAMES)) {
      const frame = Buffer.from(b64, 'base64');
      // Generous limit: the native decoder runs. Exact limit: the block bound exceeds it, so the
      // TypeScript decoder runs.
      expect([name, decompressLz4Frame(frame, 4 * MiB).equals(input)]).toEqual([name, true]);
      expect([name, decompressLz4Frame(frame, input.length).equals(input)]).toEqual([name, true]);
      expectProtocolError(() => decompressLz4Frame(frame, input.length - 1), MESSAGE_TOO_LARGE);
    }
  });

  it('the linked fixture really depends on earlier blocks', () => {
    const frame = Buffer.from(LZ4_CLI_FRAMES.linked, 'base64');
    expect(scanLz4Frame(frame, MiB).blockIndependent).toBe(false);
    // Claim independence (fixing the header checksum): back-references now fall outside the window.
    frame[4]! |= 0x20;
    frame[6] = (xxhash32(frame, 0, 4, 6) >>> 8) & 0xff;
    expectProtocolError(() => decompressLz4Frame(frame, 4 * MiB), CORRUPT_MESSAGE);
    expectProtocolError(() => decompressLz4Frame(frame, input.length), CORRUPT_MESSAGE);
  });

  it('rejects checksum failures in both decoders', () => {
    const withChecks = Buffer.from(LZ4_CLI_FRAMES.linkedCs, 'base64');
    for (const limit of [4 * MiB, input.length]) {
      const hc = Buffer.from(withChecks);
      hc[14]! ^= 1; // header checksum (after 4 magic + FLG + BD + 8 content size)
      expectProtocolError(() => decompressLz4Frame(hc, limit), CORRUPT_MESSAGE);
      const block = Buffer.from(withChecks);
      block[40]! ^= 1; // inside the first block's data
      expectProtocolError(() => decompressLz4Frame(block, limit), CORRUPT_MESSAGE);
      const content = Buffer.from(withChecks);
      content[content.length - 1]! ^= 1;
      expectProtocolError(() => decompressLz4Frame(content, limit), CORRUPT_MESSAGE);
    }
  });

  it('rejects malformed frames with CORRUPT_MESSAGE', () => {
    const good = lz4Frame([zeroBlock(1000)]);
    expect(decompressLz4Frame(good, 1000).equals(Buffer.alloc(1000))).toBe(true);
    const cases: Buffer[] = [
      Buffer.from('04224d', 'hex'),
      Buffer.from('05224d18604000', 'hex'), // bad magic
      lz4Frame([zeroBlock(1000)], 0xa0), // version bits 10
      lz4Frame([zeroBlock(1000)], 0x62), // reserved FLG bit
      lz4Frame([zeroBlock(1000)], 0x61), // dictionary id
      lz4Frame([zeroBlock(1000)], 0x60, 0x30), // block size id 3
      lz4Frame([zeroBlock(1000)], 0x60, 0x71), // reserved BD bits
      good.subarray(0, good.length - 2), // truncated end mark
      good.subarray(0, 12), // truncated block
      lz4Frame([zeroBlock(70_000)], 0x60, 0x40), // block decodes beyond its 64 KiB maximum…
      lz4Frame([zeroBlock(65_536), zeroBlock(70_000)], 0x40, 0x40), // …also with linked blocks
      lz4Frame([Buffer.from('1f000200', 'hex')]), // match offset beyond output
    ];
    // The native decoder (generous limit) must refuse a block decoding beyond the frame's block
    // maximum: the output bound that lets it run depends on that.
    for (const frame of cases) {
      expectProtocolError(() => decompressLz4Frame(frame, 1 << 30), CORRUPT_MESSAGE);
      expectProtocolError(() => decompressLz4Frame(frame, 100));
    }
    // A block header claiming more than the block maximum.
    const big = lz4Frame([zeroBlock(1000)], 0x60, 0x40);
    big.writeUInt32LE(65_537, 7);
    expectProtocolError(() => decompressLz4Frame(big, 1 << 30), CORRUPT_MESSAGE);
  });

  it('accepts uncompressed blocks and ignores bytes after the frame', () => {
    const raw = Buffer.from('stored as is');
    const size = Buffer.alloc(4);
    size.writeUInt32LE((raw.length | 0x80000000) >>> 0, 0);
    const frame = lz4Frame([]);
    const stored = Buffer.concat([frame.subarray(0, 7), size, raw, Buffer.alloc(4), Buffer.from('trailing')]);
    expect(decompressLz4Frame(stored, 1000).toString()).toBe('stored as is');
    expect(decompressLz4Frame(stored, raw.length).toString()).toBe('stored as is');
  });
});

describe('compression bombs are capped', () => {
  const zero = Buffer.alloc(MiB);
  async function streamed(z: NodeJS.ReadWriteStream, mib: number): Promise<Buffer> {
    const src = Readable.from(
      (function* () {
        for (let i = 0; i < mib; i++) yield zero;
      })(),
    );
    return buffer(src.pipe(z));
  }

  function expectCapped(codec: number, bomb: Buffer, limit = 16 * MiB): void {
    const before = process.memoryUsage().rss;
    const e = expectProtocolError(() => decompress(codec, bomb, limit), MESSAGE_TOO_LARGE);
    expect(e.message).toMatch(/limit/);
    // The limit is 16 MiB; the bomb expands to 1 GiB. Memory grows by about the limit at most.
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * MiB);
  }

  it('gzip: 1 GiB of zeros', async () => {
    const bomb = await streamed(zlib.createGzip({ level: 1 }), 1024);
    expect(bomb.length).toBeLessThan(5 * MiB);
    expectCapped(1, bomb);
  }, 30_000);

  it('zstd: 1 GiB of zeros', async () => {
    const bomb = await streamed(zlib.createZstdCompress(), 1024);
    expect(bomb.length).toBeLessThan(64 * 1024);
    expectCapped(4, bomb);
  }, 30_000);

  it('lz4: 1 GiB of zeros in 4 MiB blocks, and a 1 GiB content size claim', () => {
    const block = zeroBlock(4 * MiB);
    const bomb = lz4Frame(Array.from({ length: 256 }, () => block));
    expect(bomb.length).toBeLessThan(5 * MiB);
    expect(scanLz4Frame(bomb, GiB).outputBound).toBe(GiB);
    expectCapped(3, bomb);
    const claim = lz4Frame([zeroBlock(1000)], 0x60, 0x70, BigInt(GiB));
    expectCapped(3, claim);
    const huge = lz4Frame([zeroBlock(1000)], 0x60, 0x70, 1n << 62n);
    expectCapped(3, huge);
  });

  it('snappy: a 1 GiB length claim, and 1 GiB of real zero chunks in xerial framing', () => {
    expectCapped(2, Buffer.from([0x80, 0x80, 0x80, 0x80, 0x04, 0x00])); // raw block declaring 1 GiB
    expectCapped(2, Buffer.concat([xerialHeader(), xerialChunk(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x04, 0x00]))]));
    const chunk = xerialChunk(compressSnappyRaw(zero)); // 1 MiB of zeros per chunk
    const bomb = Buffer.concat([xerialHeader(), ...Array.from({ length: 1024 }, () => chunk)]);
    expectCapped(2, bomb);
  });

  it('a batch carrying a bomb fails decodeBatch with MESSAGE_TOO_LARGE', async () => {
    const payload = await streamed(zlib.createZstdCompress(), 1024);
    const inner = buildBatch({ compression: 4, records: [{ value: 'x' }] });
    const batch = Buffer.concat([inner.subarray(0, 61), payload]);
    batch.writeInt32BE(batch.length - 12, 8);
    expectProtocolError(() => decodeBatch(batch, { validateCrc: false, maxDecompressedBytes: 8 * MiB }), MESSAGE_TOO_LARGE);
  }, 30_000);
});
