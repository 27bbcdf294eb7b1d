import { afterEach, describe, expect, it } from '@jest/globals';
import {
  ApiKey,
  decodeResponse,
  defaultApiVersionsRequest,
  defaultSaslAuthenticateRequest,
  ErrorCode,
  type ApiVersionsRequest,
} from '@floe/protocol';
import { apiVersionsHandler, HandlerRegistry } from '../../src/index.ts';
import { futureApiVersionsFrame } from '../support/frames.ts';
import { echoHandler, startTestListener, type TestListener } from '../support/listener.ts';
import { RawClient } from '../support/raw-client.ts';

function apiVersionsRequest(version: number): ApiVersionsRequest {
  const body = defaultApiVersionsRequest();
  if (version >= 3) {
    body.clientSoftwareName = 'floe-test';
    body.clientSoftwareVersion = '1.0.0-rc.1';
  }
  return body;
}

describe('ApiVersions', () => {
  let t: TestListener | undefined;
  const clients: RawClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await t?.listener.close({ drainMs: 1_000 });
    t = undefined;
  });
  const client = async () => {
    const c = await RawClient.connect(t!.port);
    clients.push(c);
    return c;
  };

  it.each([0, 1, 2, 3, 4])('v%i lists the registered APIs with their declared versions', async (version) => {
    t = await startTestListener([echoHandler({ minVersion: 1, maxVersion: 2 })]);
    const c = await client();
    const id = c.send(ApiKey.ApiVersions, version, apiVersionsRequest(version));
    const [frame] = await c.waitFrames(1);
    // The codec's decoder, with the response header v0 every ApiVersions answer uses.
    const { header, body } = decodeResponse(ApiKey.ApiVersions, version, frame!);
    expect(header.correlationId).toBe(id);
    expect(header.taggedFields).toEqual([]);
    expect(body.errorCode).toBe(0);
    expect(body.apiKeys.map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion }))).toEqual([
      { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 4 },
      { apiKey: ApiKey.SaslAuthenticate, minVersion: 1, maxVersion: 2 },
    ]);
    expect(body.throttleTimeMs).toBe(0);
    expect(body.supportedFeatures).toEqual([]);
    expect(body.finalizedFeatures).toEqual([]);
    expect(t.events.map((e) => e.outcome)).toEqual(['dispatched']);
  });

  it('v3+ with a software name Kafka would reject answers INVALID_REQUEST', async () => {
    t = await startTestListener();
    const c = await client();
    const body = apiVersionsRequest(3);
    body.clientSoftwareName = 'bad name!';
    c.send(ApiKey.ApiVersions, 3, body);
    const empty = defaultApiVersionsRequest(); // v3 with empty name and version: also invalid
    c.send(ApiKey.ApiVersions, 4, empty);
    const frames = await c.waitFrames(2);
    for (const f of frames) {
      const r = c.decode(f, ApiKey.ApiVersions);
      expect(r.body.errorCode).toBe(ErrorCode.INVALID_REQUEST);
      expect(r.body.apiKeys).toEqual([]);
    }
  });

  it('v5 (newer than served) gets a v0 answer with UNSUPPORTED_VERSION and the ApiVersions range (KIP-511); the client then retries', async () => {
    t = await startTestListener([echoHandler()]);
    const c = await client();
    c.expect(77, ApiKey.ApiVersions, 0);
    c.write(futureApiVersionsFrame(5, 77, 'kip511-client'));
    const [frame] = await c.waitFrames(1);
    const r = c.decode(frame!, ApiKey.ApiVersions);
    expect(r.correlationId).toBe(77);
    expect(r.body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    // As Kafka: only the ApiVersions range, which the client retries with.
    expect(r.body.apiKeys).toEqual([expect.objectContaining({ apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 4 })]);
    expect(t.events).toEqual([
      expect.objectContaining({ apiKey: 18, apiVersion: 5, correlationId: 77, clientId: 'kip511-client', outcome: 'unsupported-version' }),
    ]);
    // The connection stays open: the retry at the highest listed version works.
    c.send(ApiKey.ApiVersions, 4, apiVersionsRequest(4));
    const frames = await c.waitFrames(2);
    expect(c.decode(frames[1]!, ApiKey.ApiVersions).body.errorCode).toBe(0);
  });

  it('a version the ApiVersions handler does not declare also gets the KIP-511 answer', async () => {
    const registry = new HandlerRegistry();
    registry.register({ ...apiVersionsHandler(registry), minVersion: 0, maxVersion: 2 });
    t = await startTestListener([], { registry });
    const c = await client();
    c.send(ApiKey.ApiVersions, 3, apiVersionsRequest(3));
    c.expect(1, ApiKey.ApiVersions, 0);
    const [frame] = await c.waitFrames(1);
    const r = c.decode(frame!, ApiKey.ApiVersions);
    expect(r.body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(r.body.apiKeys).toEqual([expect.objectContaining({ apiKey: 18, minVersion: 0, maxVersion: 2 })]);
    c.send(ApiKey.ApiVersions, 2, apiVersionsRequest(2));
    const frames = await c.waitFrames(2);
    expect(c.decode(frames[1]!, ApiKey.ApiVersions).body.errorCode).toBe(0);
  });

  it('answers several requests pipelined with ApiVersions, each at its own version', async () => {
    t = await startTestListener([echoHandler()]);
    const c = await client();
    const frames = [
      c.frame(ApiKey.ApiVersions, 0, apiVersionsRequest(0)),
      c.frame(ApiKey.SaslAuthenticate, 2, { ...defaultSaslAuthenticateRequest(), authBytes: Buffer.from('x') }),
      c.frame(ApiKey.ApiVersions, 4, apiVersionsRequest(4)),
    ];
    c.write(frames);
    const got = await c.waitFrames(3);
    expect(got.map((f) => c.decode(f).correlationId)).toEqual([1, 2, 3]);
  });
});
