// Fuzzes the request decoder and the frame splitter with random and mutated frames.
//
//   node packages/protocol/bench/fuzz-frames.ts --count 1000000 --seed 1
//
// The corpus is real requests of every API and every valid version (spec-driven random values,
// encoded by Floe). Each iteration mutates one of them (bit flips, truncation, int16/int32
// fields set huge or negative, varint bombs, splices of two frames, random garbage, ...) and
// feeds it to decodeRequest and, in random chunks, to a FrameSplitter. Only ProtocolError may
// escape; anything else (TypeError, RangeError, a failed re-encode of a decoded request) is a
// bug: the input is printed in hex and the process exits 1. Prints count, elapsed seconds and
// the maximum resident set size.

import fc from 'fast-check';
import { ProtocolError } from '../src/errors.ts';
import { decodeRequest, encodeRequest, FrameSplitter } from '../src/frame.ts';
import { apiByKey } from '../src/generated/apis.ts';
import { loadApiSpecs, messageArb, versionsOf } from '../test/support/arbitraries.ts';
import { FuzzBug, intArg } from './fuzz-support.ts';

export { FuzzBug };

export interface FuzzResult {
  count: number;
  decoded: number;
  rejected: number;
  seconds: number;
  maxRssMiB: number;
  corpus: number;
}

/** Small, fast, seedable PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Size-prefixed request frames of every API and version. */
export function buildCorpus(seed: number, perVersion = 3): Buffer[] {
  const corpus: Buffer[] = [];
  let correlationId = 0;
  for (const spec of loadApiSpecs()) {
    const api = apiByKey(spec.request.apiKey!)!;
    for (const version of versionsOf(spec.request)) {
      const header = { apiKey: api.apiKey, apiVersion: version, clientId: 'fuzz-client' };
      corpus.push(encodeRequest({ ...header, correlationId: correlationId++ }, api.defaultRequest()));
      const values = fc.sample(messageArb(spec.request, version, { maxArray: 3, maxString: 10, unknownTags: true }), {
        numRuns: perVersion,
        seed: seed + version * 7919 + api.apiKey * 104729,
      });
      for (const v of values) corpus.push(encodeRequest({ ...header, correlationId: correlationId++ }, v));
    }
  }
  return corpus;
}

const INT32_SPECIALS = [0x7fffffff, -1, -2, -0x80000000, 0x40000000, 0x10000, 1_000_000];
const INT16_SPECIALS = [-1, -2, 0x7fff, -0x8000, 0x100];

export function mutate(src: Buffer, corpus: Buffer[], rnd: () => number): Buffer {
  const int = (n: number): number => Math.floor(rnd() * n);
  const b = Buffer.from(src);
  // Offsets within the payload (after the size prefix).
  const at = (width: number): number => 4 + int(Math.max(1, b.length - 4 - width + 1));
  switch (int(11)) {
    case 0: {
      const flips = 1 + int(8);
      for (let i = 0; i < flips && b.length > 4; i++) b[at(1)]! ^= 1 << int(8);
      return b;
    }
    case 1:
      return b.subarray(0, int(b.length + 1));
    case 2:
      if (b.length >= 8) b.writeInt32BE(INT32_SPECIALS[int(INT32_SPECIALS.length)]!, at(4));
      return b;
    case 3:
      if (b.length >= 6) b.writeInt16BE(INT16_SPECIALS[int(INT16_SPECIALS.length)]!, at(2));
      return b;
    case 4: {
      // Varint bomb: 5-12 continuation bytes.
      const bomb = Buffer.alloc(5 + int(8), 0xff);
      const p = at(0);
      return Buffer.concat([b.subarray(0, p), bomb, b.subarray(p)]);
    }
    case 5: {
      const other = corpus[int(corpus.length)]!;
      return Buffer.concat([b.subarray(0, int(b.length + 1)), other.subarray(int(other.length + 1))]);
    }
    case 6: {
      const junk = Buffer.alloc(int(64));
      for (let i = 0; i < junk.length; i++) junk[i] = int(256);
      return Buffer.concat([b.subarray(0, 12), junk]);
    }
    case 7: {
      const junk = Buffer.alloc(1 + int(16));
      for (let i = 0; i < junk.length; i++) junk[i] = int(256);
      return Buffer.concat([b, junk]);
    }
    case 8: {
      const p = at(1);
      const n = Math.min(b.length - p, 1 + int(16));
      for (let i = 0; i < n; i++) b[p + i] = int(256);
      return b;
    }
    case 9: {
      // Wrong size prefix, or a fixed one after another mutation.
      b.writeInt32BE(rnd() < 0.5 ? INT32_SPECIALS[int(INT32_SPECIALS.length)]! : b.length - 4, 0);
      return b;
    }
    default:
      return b; // unmutated: must decode
  }
}

function check(frame: Buffer, input: Buffer, stats: { decoded: number; rejected: number }): void {
  let decoded;
  try {
    decoded = decodeRequest(frame);
  } catch (e) {
    if (e instanceof ProtocolError) {
      stats.rejected++;
      return;
    }
    throw new FuzzBug(`decodeRequest threw a non-ProtocolError: ${String(e)}`, input, e);
  }
  stats.decoded++;
  try {
    encodeRequest({ ...decoded.header }, decoded.body);
  } catch (e) {
    throw new FuzzBug(`re-encoding a decoded request failed: ${String(e)}`, input, e);
  }
}

export function runFuzz(count: number, seed: number, corpus: Buffer[] = buildCorpus(seed)): FuzzResult {
  const rnd = prng(seed);
  const stats = { decoded: 0, rejected: 0 };
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const src = corpus[Math.floor(rnd() * corpus.length)]!;
    const input = mutate(src, corpus, rnd);
    // 1. The payload straight to the decoder.
    check(input.length >= 4 ? input.subarray(4) : input, input, stats);
    // 2. The whole thing through a splitter, in random chunks.
    const splitter = new FrameSplitter({ maxFrameSize: 1 << 20 });
    let pos = 0;
    try {
      while (pos < input.length) {
        const n = 1 + Math.floor(rnd() * 64);
        for (const frame of splitter.push(input.subarray(pos, pos + n))) check(frame, input, stats);
        pos += n;
      }
    } catch (e) {
      if (e instanceof FuzzBug) throw e;
      if (!(e instanceof ProtocolError)) throw new FuzzBug(`FrameSplitter threw a non-ProtocolError: ${String(e)}`, input, e);
      stats.rejected++;
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return {
    count,
    ...stats,
    seconds,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    corpus: corpus.length,
  };
}

function main(): void {
  const count = intArg('--count', 100_000);
  const seed = intArg('--seed', 1);
  const corpus = buildCorpus(seed);
  try {
    const r = runFuzz(count, seed, corpus);
    console.log(`fuzz-frames: seed ${seed}, corpus ${r.corpus} requests`);
    console.log(`  frames      ${r.count}`);
    console.log(`  decoded     ${r.decoded}`);
    console.log(`  rejected    ${r.rejected} (ProtocolError)`);
    console.log(`  elapsed     ${r.seconds.toFixed(1)} s (${Math.round(r.count / r.seconds)} frames/s)`);
    console.log(`  max RSS     ${r.maxRssMiB.toFixed(0)} MiB`);
  } catch (e) {
    if (e instanceof FuzzBug) {
      console.error(`fuzz-frames: BUG: ${e.message}`);
      console.error(`input (${e.input.length} bytes): ${e.input.toString('hex')}`);
      console.error(e.cause);
      process.exit(1);
    }
    throw e;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
