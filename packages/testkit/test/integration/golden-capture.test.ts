// Live golden capture: each real Kafka client of the test environment runs its scenario against the
// scripted capture broker (all five at once), and every request frame it sends must decode and
// re-encode byte for byte; its produced batches must pass the CRC check and decode into the
// records sent; and it must negotiate the versions of the committed fixtures
// (packages/protocol/test/fixtures/golden/), so a client upgrade that changes the bytes or the
// versions fails here until `node packages/testkit/bin/capture-golden.ts` is run again.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { ApiKey, apiByKey, decodeRequest, type DecodedRequest } from '@floe/protocol';
import {
  decodeAndReencode,
  loadGoldenManifest,
  verifyGoldenFrame,
  verifyProduceRequests,
} from '../../../protocol/test/support/golden.ts';
import {
  captureClient,
  CLIENT_CODECS,
  goldenTopic,
  GOLDEN_CLIENTS,
  IDEMPOTENT_PRODUCERS,
  REQUIRED_APIS,
  selectFixtures,
  sentRecords,
  type ClientCapture,
  type GoldenClient,
} from '../../src/golden-capture.ts';
import { loadTestEnv } from '../../src/test-env.ts';

const env = loadTestEnv();
const manifest = loadGoldenManifest();
const results = new Map<GoldenClient, ClientCapture | Error>();

beforeAll(async () => {
  const settled = await Promise.allSettled(GOLDEN_CLIENTS.map((c) => captureClient(c, env, { timeoutMs: 75_000 })));
  settled.forEach((s, i) => results.set(GOLDEN_CLIENTS[i]!, s.status === 'fulfilled' ? s.value : (s.reason as Error)));
}, 90_000);

function captured(client: GoldenClient): ClientCapture {
  const r = results.get(client);
  if (r === undefined) throw new Error(`${client} did not run`);
  if (r instanceof Error) throw r;
  return r;
}

function decoded(cap: ClientCapture): DecodedRequest[] {
  const apiVersionsMax = apiByKey(ApiKey.ApiVersions)!.maxVersion;
  return cap.requests.flatMap((r) => {
    if (r.apiKey === ApiKey.ApiVersions && r.apiVersion > apiVersionsMax) return []; // KIP-511 case, checked below
    return [decodeRequest(r.frame)];
  });
}

/** "apiKey/version[/variant]" for the core APIs, as a sorted list. */
function versionKeys(entries: { apiKey: number; version: number; variant?: string | undefined }[]): string[] {
  return [...new Set(entries.filter((e) => REQUIRED_APIS.includes(e.apiKey)).map((e) => `${apiByKey(e.apiKey)!.name} v${e.version}${e.variant ? ` ${e.variant}` : ''}`))].sort();
}

describe.each(GOLDEN_CLIENTS)('golden capture: %s', (client) => {
  it('runs its producers and its consumer group against the capture broker without a failed request', () => {
    const cap = captured(client);
    expect(cap.failures.map((f) => `api ${f.apiKey} v${f.apiVersion}: ${f.error}`)).toEqual([]);
    const keys = new Set(cap.requests.map((r) => r.apiKey));
    for (const key of REQUIRED_APIS) expect([apiByKey(key)!.name, keys.has(key)]).toEqual([apiByKey(key)!.name, true]);
  });

  it('sends only frames that decode and re-encode byte for byte (or an ApiVersions the codec refuses per KIP-511)', () => {
    const cap = captured(client);
    const apiVersionsMax = apiByKey(ApiKey.ApiVersions)!.maxVersion;
    for (const r of cap.requests) {
      if (r.apiKey === ApiKey.ApiVersions && r.apiVersion > apiVersionsMax) {
        verifyGoldenFrame(r.frame, { file: '', client, clientVersion: cap.clientVersion, api: 'ApiVersions', apiKey: r.apiKey, version: r.apiVersion, expect: { unsupported: true } });
      } else {
        decodeAndReencode(r.frame, r.apiKey, r.apiVersion);
      }
    }
  });

  it.each(CLIENT_CODECS[client].map((c) => [c]))('produces %s batches that pass the CRC check and decode into the records sent', (codec) => {
    const cap = captured(client);
    const topic = goldenTopic(client, codec);
    const reqs = decoded(cap).filter((r) => r.apiKey === ApiKey.Produce && r.body.topicData.some((t) => t.name === topic));
    expect(reqs.length).toBeGreaterThan(0);
    verifyProduceRequests(reqs, {
      topic,
      partition: 0,
      acks: -1,
      compression: codec,
      producerId: IDEMPOTENT_PRODUCERS.has(client) ? '1000' : '-1',
      records: sentRecords(client, codec),
    });
  });

  it('carries the topics, group, offsets and settings of its scenario', () => {
    const cap = captured(client);
    for (const f of selectFixtures(cap)) {
      if (f.apiKey === ApiKey.Produce) continue; // checked across all of a topic's requests above
      verifyGoldenFrame(f.frame, f);
    }
  });

  it('negotiates the versions of the committed fixtures for the core APIs', () => {
    const cap = captured(client);
    const live = versionKeys(selectFixtures(cap).filter((f) => !f.expect.unsupported));
    const committed = versionKeys(manifest.fixtures.filter((f) => f.client === client && !f.expect.unsupported));
    // A difference means the client changed: run `node packages/testkit/bin/capture-golden.ts`.
    expect(live).toEqual(committed);
  });
});
