// Golden tests: request frames captured from real Kafka clients (Java, librdkafka through kcat and
// confluent-kafka, franz-go, kafkajs) by packages/testkit/bin/capture-golden.ts. Each one must
// decode at the version the client negotiated, re-encode to the same bytes, and carry what the
// capture scenario sent; every produced batch must pass the batch iterator with CRC validation and
// decode fully, decompression included.
import { describe, expect, it } from '@jest/globals';
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { apiByKey, ApiKey } from '../../src/index.ts';
import { decodeAndReencode, GOLDEN_DIR, loadGoldenFrame, loadGoldenManifest, producedBatches, verifyGoldenFrame } from '../support/golden.ts';

const manifest = loadGoldenManifest();
const fixtures = manifest.fixtures;
const label = (f: (typeof fixtures)[number]) => f.file;

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? filesUnder(`${dir}/${d.name}`, `${prefix}${d.name}/`) : [`${prefix}${d.name}`],
  );
}

describe('golden fixtures', () => {
  it('the manifest lists exactly the fixture files, which stay small', () => {
    const dir = fileURLToPath(GOLDEN_DIR);
    const files = filesUnder(dir).filter((f) => f.endsWith('.bin')).sort();
    expect(files).toEqual(fixtures.map((f) => f.file).sort());
    const total = files.reduce((n, f) => n + statSync(`${dir}/${f}`).size, 0);
    expect(total).toBeLessThan(2 * 1024 * 1024);
  });

  it('cover the six core APIs for every client, and every compression codec it supports', () => {
    const core = [ApiKey.ApiVersions, ApiKey.Metadata, ApiKey.Produce, ApiKey.Fetch, ApiKey.JoinGroup, ApiKey.OffsetCommit];
    for (const client of Object.keys(manifest.clients)) {
      const mine = fixtures.filter((f) => f.client === client && !f.expect.unsupported);
      for (const key of core) expect([client, mine.some((f) => f.apiKey === key)]).toEqual([client, true]);
      const codecs = mine.filter((f) => f.apiKey === ApiKey.Produce).map((f) => f.variant);
      const expected = client === 'kafkajs' ? ['gzip', 'none'] : ['gzip', 'lz4', 'none', 'snappy', 'zstd'];
      expect([client, [...new Set(codecs)].sort()]).toEqual([client, expected]);
    }
  });

  it('name the api and version of their header', () => {
    for (const f of fixtures) {
      const frame = loadGoldenFrame(f.file);
      expect([f.file, frame.readInt16BE(0), frame.readInt16BE(2)]).toEqual([f.file, f.apiKey, f.version]);
      expect(apiByKey(f.apiKey)?.name).toBe(f.api);
    }
  });

  describe.each(fixtures.map((f) => [label(f), f] as const))('%s', (_name, f) => {
    const frame = loadGoldenFrame(f.file);

    if (f.expect.unsupported) {
      it('is refused as UNSUPPORTED_VERSION with its identity parsed (KIP-511)', () => {
        verifyGoldenFrame(frame, f);
      });
      return;
    }

    it(`decodes as ${f.api} v${f.version} and re-encodes byte for byte`, () => {
      decodeAndReencode(frame, f.apiKey, f.version);
    });

    it('carries what the client was asked to send', () => {
      verifyGoldenFrame(frame, f);
    });

    if (f.apiKey === ApiKey.Produce) {
      it(`holds one ${f.variant} batch that passes the CRC check and decodes into the records sent`, () => {
        const parts = producedBatches(decodeAndReencode(frame, f.apiKey, f.version));
        expect(parts).toHaveLength(1);
        expect(parts[0]!.batches).toHaveLength(1);
        const batch = parts[0]!.batches[0]!;
        expect(batch.header.recordCount).toBe(f.expect.records!.length);
        expect(batch.records.map((r) => r.offsetDelta)).toEqual(f.expect.records!.map((_, i) => i));
      });
    }
  });
});
