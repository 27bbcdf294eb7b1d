import { describe, expect, it } from '@jest/globals';
import {
  ApiKey,
  defaultApiVersionsRequest,
  defaultMetadataRequest,
  defaultProduceRequest,
  defaultProduceResponse,
  defaultSaslAuthenticateRequest,
  encodeRequest,
} from '@floe/protocol';
import { CLOSE_CONNECTION, defineHandler, NO_RESPONSE } from '../../src/index.ts';
import { rawFrame } from '../support/frames.ts';
import { echoHandler, gate, type TestListener, listenerFixture } from '../support/listener.ts';
import { eventually } from '../support/raw-client.ts';

const echoRequest = (bytes: Buffer) => ({ ...defaultSaslAuthenticateRequest(), authBytes: bytes });

describe('errors', () => {
  let t: TestListener | undefined;
  const fx = listenerFixture();
  const client = fx.client;

  /** The listener keeps serving other connections. */
  async function otherConnectionWorks(): Promise<void> {
    const c = await client();
    c.send(ApiKey.ApiVersions, 3, { ...defaultApiVersionsRequest(), clientSoftwareName: 'x', clientSoftwareVersion: '1' });
    const [f] = await c.waitFrames(1);
    expect(c.decode(f!, ApiKey.ApiVersions).body.errorCode).toBe(0);
  }

  it('an unknown api key closes the connection; another connection keeps working', async () => {
    t = await fx.start();
    const bystander = await client();
    const c = await client();
    c.write(rawFrame(999, 0, 5));
    await c.waitClosed();
    expect(c.frames).toHaveLength(0);
    expect(t.events).toEqual([expect.objectContaining({ apiKey: 999, correlationId: 5, outcome: 'rejected' })]);
    expect(t.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', message: expect.stringMatching(/unsupported api key/) }),
    );
    expect(bystander.isClosed).toBe(false);
    await otherConnectionWorks();
  });

  it('a known API without a handler (Metadata here) closes the connection', async () => {
    t = await fx.start();
    const c = await client();
    c.send(ApiKey.Metadata, 12, defaultMetadataRequest());
    await c.waitClosed();
    expect(t.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', message: expect.stringMatching(/Metadata is not served/) }),
    );
    await otherConnectionWorks();
  });

  it('a version the codec knows but the handler does not declare closes the connection', async () => {
    t = await fx.start([echoHandler({ minVersion: 0, maxVersion: 1 })]);
    const c = await client();
    c.send(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.alloc(1)));
    await c.waitClosed();
    expect(t.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', message: expect.stringMatching(/SaslAuthenticate v2 is not served \(served: 0-1\)/) }),
    );
  });

  it('a version beyond the codec closes the connection', async () => {
    t = await fx.start([echoHandler()]);
    const c = await client();
    c.write(rawFrame(ApiKey.SaslAuthenticate, 99, 1));
    await c.waitClosed();
    expect(t.events).toEqual([expect.objectContaining({ apiKey: 36, apiVersion: 99, outcome: 'rejected' })]);
  });

  it.each([
    ['a truncated body', () => rawFrame(ApiKey.SaslAuthenticate, 0, 1, Buffer.from([0, 0, 0, 9, 1]))],
    ['a negative bytes length', () => rawFrame(ApiKey.SaslAuthenticate, 0, 1, Buffer.from([0xff, 0xff, 0xff, 0xfe]))],
    ['a frame shorter than a header', () => Buffer.from([0, 0, 0, 3, 0, 18, 0])],
  ])('a malformed request (%s) closes the connection', async (_name, frame) => {
    t = await fx.start([echoHandler()]);
    const c = await client();
    c.write(frame());
    await c.waitClosed();
    expect(t.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', message: expect.stringMatching(/malformed request/) }),
    );
    await otherConnectionWorks();
  });

  it('bytes after a request body are ignored, as Kafka does, and the request is answered', async () => {
    t = await fx.start([echoHandler()]);
    const c = await client();
    c.write(rawFrame(ApiKey.SaslAuthenticate, 0, 7, Buffer.from([0, 0, 0, 1, 1, 99])));
    await eventually(() => t!.events.length === 1);
    expect(t.events).toEqual([expect.objectContaining({ apiKey: 36, outcome: 'dispatched' })]);
  });

  it('requests before a bad one are answered, then the connection closes', async () => {
    const release = gate();
    t = await fx.start([echoHandler({ before: () => release.promise })]);
    const c = await client();
    c.write([
      c.frame(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.from('a'))),
      c.frame(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.from('b'))),
      rawFrame(999, 0, 3),
      c.frame(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.from('never'))),
    ]);
    await eventually(() => t!.events.length === 3);
    release.open();
    await c.waitClosed();
    expect(c.frames.map((f) => c.decode(f, ApiKey.SaslAuthenticate).body.authBytes.toString())).toEqual(['a', 'b']);
    expect(t.events.map((e) => e.outcome)).toEqual(['dispatched', 'dispatched', 'rejected']);
  });

  it('a handler that throws: earlier answers are written, the error is logged, the connection closes', async () => {
    const handler = echoHandler({
      before: async (req) => {
        if (req.authBytes.toString() === 'boom') throw new Error('handler bug');
        return undefined;
      },
    });
    t = await fx.start([handler]);
    const c = await client();
    c.write([
      c.frame(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.from('ok'))),
      c.frame(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.from('boom'))),
      c.frame(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.from('after'))),
    ]);
    await c.waitClosed();
    expect(c.frames.map((f) => c.decode(f, ApiKey.SaslAuthenticate).body.authBytes.toString())).toEqual(['ok']);
    const entry = t.logs.find((l) => l.level === 'error');
    expect(entry).toMatchObject({ message: expect.stringMatching(/handler failed/), fields: { correlationId: 2 } });
    expect((entry!.fields.error as Error).message).toBe('handler bug');
    await otherConnectionWorks();
  });

  it('a handler that throws synchronously is handled the same way', async () => {
    t = await fx.start([
      defineHandler({
        apiKey: ApiKey.SaslAuthenticate,
        minVersion: 0,
        maxVersion: 2,
        handle: () => {
          throw new Error('sync bug');
        },
      }),
    ]);
    const c = await client();
    c.send(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.from('x')));
    await c.waitClosed();
    expect(t.logs.some((l) => l.level === 'error')).toBe(true);
    await otherConnectionWorks();
  });

  it('a response the codec cannot encode closes the connection', async () => {
    t = await fx.start([
      echoHandler({
        // authBytes is not nullable: the encoder refuses null.
        result: () => ({ errorCode: 0, errorMessage: null, authBytes: null as unknown as Buffer, sessionLifetimeMs: 0n }),
      }),
    ]);
    const c = await client();
    c.send(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.from('x')));
    await c.waitClosed();
    expect(t.logs).toContainEqual(expect.objectContaining({ level: 'error', message: expect.stringMatching(/could not be encoded/) }));
  });

  it('CLOSE_CONNECTION from a handler closes after the earlier answers', async () => {
    t = await fx.start([
      echoHandler({ result: (req) => (req.authBytes.toString() === 'close' ? CLOSE_CONNECTION : undefined) }),
    ]);
    const c = await client();
    c.write([
      c.frame(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.from('first'))),
      c.frame(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.from('close'))),
    ]);
    await c.waitClosed();
    expect(c.frames.map((f) => c.decode(f, ApiKey.SaslAuthenticate).body.authBytes.toString())).toEqual(['first']);
    expect(t.logs.some((l) => l.level === 'error')).toBe(false);
  });

  describe('Produce with acks=0', () => {
    const produce = (acks: number) => ({ ...defaultProduceRequest(), acks, timeoutMs: 1000 });

    it('a handler returning NO_RESPONSE sends nothing, and later answers still flow in order', async () => {
      const acksSeen: number[] = [];
      t = await fx.start([
        defineHandler({
          apiKey: ApiKey.Produce,
          minVersion: 3,
          maxVersion: 11,
          async handle(_ctx, request) {
            acksSeen.push(request.acks);
            return request.acks === 0 ? NO_RESPONSE : defaultProduceResponse();
          },
        }),
      ]);
      const c = await client();
      c.write([
        c.frame(ApiKey.Produce, 9, produce(0)),
        c.frame(ApiKey.ApiVersions, 2, defaultApiVersionsRequest()),
        c.frame(ApiKey.Produce, 9, produce(1)),
        c.frame(ApiKey.Produce, 9, produce(0)),
        c.frame(ApiKey.ApiVersions, 2, defaultApiVersionsRequest()),
      ]);
      const frames = await c.waitFrames(3);
      expect(frames.map((f) => c.decode(f).correlationId)).toEqual([2, 3, 5]);
      expect(acksSeen).toEqual([0, 1, 0]);
      await new Promise((r) => setTimeout(r, 100));
      expect(c.frames).toHaveLength(3);
    });

    it('a response returned for acks=0 is not sent (and is logged)', async () => {
      t = await fx.start([
        defineHandler({ apiKey: ApiKey.Produce, minVersion: 3, maxVersion: 11, handle: async () => defaultProduceResponse() }),
      ]);
      const c = await client();
      c.write([c.frame(ApiKey.Produce, 7, produce(0)), c.frame(ApiKey.ApiVersions, 1, defaultApiVersionsRequest())]);
      const [f] = await c.waitFrames(1);
      expect(c.decode(f!).correlationId).toBe(2);
      expect(t.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringMatching(/acks=0/) }));
    });
  });

  it('a client that disconnects mid-request does not disturb the listener', async () => {
    const release = gate();
    t = await fx.start([echoHandler({ before: () => release.promise })]);
    const c = await client();
    c.send(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.alloc(10)));
    await eventually(() => t!.events.length === 1);
    c.close();
    await eventually(() => t!.listener.connectionCount === 0);
    release.open();
    await otherConnectionWorks();
    expect(t.logs.some((l) => l.level === 'error')).toBe(false);
  });

  it('encodeRequest sanity: the raw frames above match what the codec builds', () => {
    const viaCodec = encodeRequest({ apiKey: 18, apiVersion: 1, correlationId: 5, clientId: 'raw-client' }, defaultApiVersionsRequest());
    expect(rawFrame(18, 1, 5)).toEqual(viaCodec);
  });
});
