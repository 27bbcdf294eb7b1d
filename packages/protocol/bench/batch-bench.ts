// Micro-benchmark of the record-batch code on 1 MiB batches of 1 KiB records.
//
//   node packages/protocol/bench/batch-bench.ts [--seconds 1]
//
// Measures:
//   - header parse and CRC validation throughput (MB/s of batch bytes): readBatchHeader alone,
//     validateBatchCrc, splitBatches in fetch mode (framing + CRC), and in produce mode (framing +
//     CRC + walking the record lengths of an uncompressed batch);
//   - full decode (decodeBatch: CRC, decompression, every record) in records/s and MB/s of
//     uncompressed records, per codec;
//   - decompression alone in MB/s of output, per codec, and compression (buildBatch) for reference.
// The record values are JSON-like text (about 3x compressible), deterministic.

import {
  buildBatch,
  CompressionCodec,
  COMPRESSION_CODEC_NAMES,
  type CompressionCodecId,
  decodeBatch,
  decompress,
  readBatchHeader,
  RECORDS_OFFSET,
  splitBatches,
  validateBatchCrc,
} from '../src/records/index.ts';

const MiB = 1 << 20;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/** Deterministic JSON-ish record values of exactly `size` bytes. */
function values(count: number, size: number): Buffer[] {
  let x = 42;
  const r = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x >>> 8;
  };
  const names = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    let s = '';
    while (s.length < size) {
      s += JSON.stringify({
        id: r(),
        user: names[r() % names.length],
        ts: 1_700_000_000_000 + (r() % 100_000),
        amount: (r() % 100_000) / 100,
        tags: [`t${r() % 40}`, `t${r() % 40}`],
        ok: r() % 2 === 0,
      });
    }
    out.push(Buffer.from(s.slice(0, size)));
  }
  return out;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs `fn` repeatedly for about `seconds` in 5 rounds; returns the median rate (operations per
 * second), which is steadier than the mean on a shared machine.
 */
async function measure(seconds: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < 5; i++) fn();
  await tick();
  const rates: number[] = [];
  const budget = BigInt(Math.round((seconds / 5) * 1e9));
  for (let round = 0; round < 5; round++) {
    let ops = 0;
    let elapsed = 0n;
    while (elapsed < budget) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 4; i++) fn();
      elapsed += process.hrtime.bigint() - t0;
      ops += 4;
      // Let native finalizers run between bursts, as a server does between requests.
      await tick();
    }
    rates.push(ops / (Number(elapsed) / 1e9));
  }
  rates.sort((a, b) => a - b);
  return rates[2]!;
}

const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

async function main(): Promise<void> {
  const seconds = arg('--seconds', 1);
  const RECORD = 1024;
  // 1 MiB of batch: header + ~1000 records of 1 KiB values (each record has ~10 bytes of framing).
  const count = Math.floor((MiB - RECORDS_OFFSET) / (RECORD + 12));
  const vals = values(count, RECORD);
  const records = vals.map((value, i) => ({ key: `key-${i % 100}`, value, timestamp: 1_700_000_000_000 + i }));
  const codecs = [0, 1, 2, 3, 4] as const satisfies readonly CompressionCodecId[];
  const batches = new Map<CompressionCodecId, Buffer>();
  for (const c of codecs) batches.set(c, buildBatch({ baseOffset: 0n, producerId: 1n, producerEpoch: 0, baseSequence: 0, compression: c, records }));
  const plain = batches.get(CompressionCodec.NONE)!;
  const rawRecords = plain.subarray(RECORDS_OFFSET);
  const mb = plain.length / 1e6;

  console.log(`batch-bench: node ${process.version}, ${count} records of ${RECORD} B values per batch`);
  console.log(`  uncompressed batch ${plain.length} bytes; compressed sizes: ${codecs
    .slice(1)
    .map((c) => `${COMPRESSION_CODEC_NAMES[c]} ${batches.get(c)!.length}`)
    .join(', ')}`);

  console.log('\nheader and CRC (uncompressed 1 MiB batch, MB/s of batch bytes)');
  const hdr = await measure(seconds, () => readBatchHeader(plain));
  console.log(`  readBatchHeader only          ${fmt(hdr / 1e6)} M headers/s (independent of batch size)`);
  const crc = await measure(seconds, () => validateBatchCrc(plain));
  console.log(`  validateBatchCrc              ${fmt(crc * mb)} MB/s`);
  const fetch = await measure(seconds, () => splitBatches(plain, { mode: 'fetch' }));
  console.log(`  splitBatches fetch (+CRC)     ${fmt(fetch * mb)} MB/s`);
  const produce = await measure(seconds, () => splitBatches(plain, { mode: 'produce' }));
  console.log(`  splitBatches produce (+walk)  ${fmt(produce * mb)} MB/s`);
  const fetchNoCrc = await measure(seconds, () => splitBatches(plain, { mode: 'fetch', validateCrc: false }));
  console.log(`  splitBatches fetch, no CRC    ${fmt(fetchNoCrc / 1e6)} M batches/s (framing only)`);

  console.log('\nfull decode (decodeBatch: CRC + decompress + all records)');
  const rawMb = rawRecords.length / 1e6;
  for (const c of codecs) {
    const b = batches.get(c)!;
    const rate = await measure(seconds, () => decodeBatch(b, { maxDecompressedBytes: 4 * MiB }));
    console.log(
      `  ${COMPRESSION_CODEC_NAMES[c].padEnd(7)} ${fmt((rate * count) / 1e6).padStart(6)} M records/s  ${fmt(rate * rawMb).padStart(6)} MB/s of records`,
    );
  }

  console.log('\ndecompression only (MB/s of output)        compression via buildBatch (MB/s of input)');
  for (const c of codecs.slice(1)) {
    const payload = batches.get(c)!.subarray(RECORDS_OFFSET);
    const d = await measure(seconds, () => decompress(c, payload, 4 * MiB));
    const e = await measure(seconds, () => buildBatch({ compression: c, records }));
    console.log(`  ${COMPRESSION_CODEC_NAMES[c].padEnd(7)} ${fmt(d * rawMb).padStart(6)} MB/s                           ${fmt(e * rawMb).padStart(6)} MB/s`);
  }
  console.log(`\nmax RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

await main();
