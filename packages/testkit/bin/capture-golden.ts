// Captures the golden request fixtures of the protocol codec from real Kafka clients.
//
//   scripts/test-env up && npx tsc -b && node packages/testkit/bin/capture-golden.ts [--out DIR]
//
// Runs every client scenario of src/golden-capture.ts (Java, kcat, confluent-kafka, franz-go,
// kafkajs) concurrently, each against its own scripted capture broker, then replaces the fixtures
// in packages/protocol/test/fixtures/golden/: `<client>/<api>-v<version>[-<variant>].bin` (the raw
// request frame without its size prefix) and manifest.json. Prints the negotiated version table
// (the "Golden captures" table of docs/protocol-codec.md). `@floe/protocol` resolves to its build
// (dist/), hence `npx tsc -b` first. Fails without writing anything if a client fails, a frame
// does not decode, or a client did not reach one of the required APIs.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiByKey, decodeRequest } from '@floe/protocol';
import {
  captureClient,
  GOLDEN_CLIENTS,
  manifestEntry,
  producedRecordCount,
  REQUIRED_APIS,
  selectFixtures,
  type GoldenFixture,
} from '../src/golden-capture.ts';
import { loadTestEnv } from '../src/test-env.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const outArg = process.argv.indexOf('--out');
const outDir = outArg > 0 ? resolve(process.argv[outArg + 1]!) : join(root, 'packages/protocol/test/fixtures/golden');
const MAX_TOTAL_BYTES = 2 * 1024 * 1024;

const env = loadTestEnv();
const started = Date.now();
const captures = await Promise.all(GOLDEN_CLIENTS.map((c) => captureClient(c, env, { timeoutMs: 90_000 })));

const problems: string[] = [];
const fixtures: GoldenFixture[] = [];
for (const cap of captures) {
  for (const f of cap.failures) problems.push(`${cap.client}: api ${f.apiKey} v${f.apiVersion}: ${f.error}`);
  const picked = selectFixtures(cap);
  for (const key of REQUIRED_APIS) {
    if (!picked.some((f) => f.apiKey === key && !f.expect.unsupported)) {
      problems.push(`${cap.client}: no ${apiByKey(key)!.name} request was captured`);
    }
  }
  for (const f of picked) {
    // A fixture holds all the records its scenario sent; a client that split them into several
    // requests this time (a timing matter) makes the capture fail: run it again.
    if (f.expect.records && producedRecordCount(decodeRequest(f.frame)) !== f.expect.records.length) {
      problems.push(`${cap.client}: ${f.file} holds only part of the records sent; run the capture again`);
    }
  }
  fixtures.push(...picked);
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
const total = fixtures.reduce((n, f) => n + f.frame.length, 0);
if (total > MAX_TOTAL_BYTES) {
  console.error(`fixtures take ${total} bytes, more than ${MAX_TOTAL_BYTES}`);
  process.exit(1);
}

for (const c of GOLDEN_CLIENTS) rmSync(join(outDir, c), { recursive: true, force: true });
for (const f of fixtures) {
  const path = join(outDir, f.file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, f.frame);
}
const manifest = {
  generatedBy: 'packages/testkit/bin/capture-golden.ts',
  clients: Object.fromEntries(captures.map((c) => [c.client, c.clientVersion])),
  fixtures: fixtures.map(manifestEntry),
};
// Pretty JSON, with each record header pair kept on one line.
const json = JSON.stringify(manifest, null, 2).replace(/\[\s+("(?:[^"\\]|\\.)*"),\s+("(?:[^"\\]|\\.)*")\s+\]/g, '[$1, $2]');
writeFileSync(join(outDir, 'manifest.json'), json + '\n');

// The version table: one row per API, one column per client.
const apis = [...new Set(fixtures.map((f) => f.apiKey))].sort((a, b) => a - b);
// A version equal to the codec's highest is marked *: the client may speak newer ones.
const cell = (client: string, apiKey: number) => {
  const mine = fixtures.filter((f) => f.client === client && f.apiKey === apiKey);
  const max = apiByKey(apiKey)!.maxVersion;
  const versions = [...new Set(mine.filter((f) => !f.expect.unsupported).map((f) => f.version))].sort((a, b) => a - b);
  const refused = mine.filter((f) => f.expect.unsupported).map((f) => `v${f.version} refused (KIP-511), then `);
  return versions.length === 0 ? '—' : refused.join('') + versions.map((v) => `v${v}${v === max ? '*' : ''}`).join(', ');
};
const lines = [
  `| API (codec versions) | ${captures.map((c) => c.clientVersion).join(' | ')} |`,
  `| --- | ${captures.map(() => '---').join(' | ')} |`,
  ...apis.map((k) => {
    const api = apiByKey(k)!;
    return `| ${api.name} (${api.minVersion}-${api.maxVersion}) | ${captures.map((c) => cell(c.client, k)).join(' | ')} |`;
  }),
];
console.log(lines.join('\n'));
console.log(`\n${fixtures.length} fixtures, ${total} bytes, written to ${outDir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
