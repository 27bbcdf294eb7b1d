import { describe, expect, it } from '@jest/globals';
import { ApiKey, defaultApiVersionsRequest, defaultSaslAuthenticateRequest } from '@floe/protocol';
import { createRegistry, KafkaListener } from '../../src/index.ts';
import { futureApiVersionsFrame, sizePrefix } from '../support/frames.ts';
import { echoHandler, gate, type TestListener, listenerFixture } from '../support/listener.ts';
import { eventually, sleep, type RawClient } from '../support/raw-client.ts';

const echoRequest = (bytes: Buffer) => ({ ...defaultSaslAuthenticateRequest(), authBytes: bytes });

/** An echo request (v0: int32 length + bytes) whose payload is exactly `payloadSize` bytes. */
function echoFrameOfSize(c: RawClient, payloadSize: number): Buffer {
  const base = c.frame(ApiKey.SaslAuthenticate, 0, echoRequest(Buffer.alloc(0)), { correlationId: 0 }).length - 4;
  const frame = c.frame(ApiKey.SaslAuthenticate, 0, echoRequest(Buffer.alloc(payloadSize - base, 1)));
  expect(frame.length - 4).toBe(payloadSize);
  return frame;
}

describe('limits and timeouts', () => {
  let t: TestListener | undefined;
  const fx = listenerFixture();
  const client = fx.client;

  describe('request size', () => {
    it('the first request is limited to maxFirstRequestBytes', async () => {
      t = await fx.start([echoHandler()], { maxFirstRequestBytes: 1024, maxRequestBytes: 100_000 });
      const ok = await client();
      ok.write(echoFrameOfSize(ok, 1024));
      await ok.waitFrames(1);

      const tooBig = await client();
      tooBig.write(echoFrameOfSize(tooBig, 1025));
      await tooBig.waitClosed();
      expect(tooBig.frames).toHaveLength(0);
      expect(t.events.filter((e) => e.outcome === 'dispatched')).toHaveLength(1);
      expect(t.logs).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message: expect.stringMatching(/first request size over the limit/),
          fields: expect.objectContaining({ declaredSize: 1025, maxFirstRequestBytes: 1024 }),
        }),
      );
    });

    it('the size prefix alone is enough to close: no byte of the body is awaited', async () => {
      t = await fx.start([echoHandler()], { maxFirstRequestBytes: 1024 });
      const c = await client();
      c.write(sizePrefix(1025));
      await c.waitClosed(1_000);
    });

    it('after a valid request, maxRequestBytes applies (exactly the limit passes, one more byte closes)', async () => {
      t = await fx.start([echoHandler()], { maxFirstRequestBytes: 1024, maxRequestBytes: 100_000 });
      const c = await client();
      c.send(ApiKey.ApiVersions, 0, defaultApiVersionsRequest());
      await c.waitFrames(1);
      c.write(echoFrameOfSize(c, 100_000));
      await c.waitFrames(2);
      expect(t.listener.connectionInfo()[0]).toMatchObject({ established: true });
      c.write(echoFrameOfSize(c, 100_001));
      await c.waitClosed();
      expect(c.frames).toHaveLength(2);
      expect(t.logs).toContainEqual(
        expect.objectContaining({
          message: expect.stringMatching(/request size over the limit/),
          fields: expect.objectContaining({ declaredSize: 100_001, maxRequestBytes: 100_000 }),
        }),
      );
    });

    it('a valid first request followed in the same write by a large one is fine', async () => {
      t = await fx.start([echoHandler()], { maxFirstRequestBytes: 1024, maxRequestBytes: 100_000 });
      const c = await client();
      c.write([c.frame(ApiKey.ApiVersions, 0, defaultApiVersionsRequest()), echoFrameOfSize(c, 50_000), echoFrameOfSize(c, 60)]);
      const frames = await c.waitFrames(3);
      expect(frames.map((f) => c.decode(f).correlationId)).toEqual([1, 2, 3]);
    });

    it('an ApiVersions request answered with UNSUPPORTED_VERSION does not lift the first-request limit', async () => {
      t = await fx.start([echoHandler()], { maxFirstRequestBytes: 1024 });
      const c = await client();
      c.expect(9, ApiKey.ApiVersions, 0);
      c.write(futureApiVersionsFrame(7, 9));
      await c.waitFrames(1);
      c.write(echoFrameOfSize(c, 2000));
      await c.waitClosed();
      expect(c.frames).toHaveLength(1);
    });

    it.each([
      ['2 GiB', 0x7fffffff],
      ['negative', -1],
    ])('a %s declared size closes the connection without allocating it', async (_name, size) => {
      t = await fx.start([echoHandler()]);
      const c = await client();
      c.send(ApiKey.ApiVersions, 0, defaultApiVersionsRequest());
      await c.waitFrames(1);
      const before = process.memoryUsage().arrayBuffers;
      c.write(Buffer.concat([sizePrefix(size), Buffer.alloc(1000)]));
      await c.waitClosed(2_000);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
      const bystander = await client();
      bystander.send(ApiKey.ApiVersions, 0, defaultApiVersionsRequest());
      await bystander.waitFrames(1);
    });

    it('a request arriving one byte at a time is reassembled', async () => {
      t = await fx.start([echoHandler()]);
      const c = await client();
      const frames = [c.frame(ApiKey.ApiVersions, 1, defaultApiVersionsRequest()), c.frame(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.from('abc')))];
      const all = Buffer.concat(frames);
      for (let i = 0; i < all.length; i++) {
        c.write(all.subarray(i, i + 1));
        await sleep(1);
      }
      const got = await c.waitFrames(2);
      expect(c.decode(got[1]!, ApiKey.SaslAuthenticate).body.authBytes.toString()).toBe('abc');
    });
  });

  describe('idle timeout', () => {
    it('closes a connection without traffic', async () => {
      t = await fx.start([], { idleTimeoutMs: 200 });
      const c = await client();
      c.send(ApiKey.ApiVersions, 0, defaultApiVersionsRequest());
      await c.waitFrames(1);
      const start = Date.now();
      await c.waitClosed(3_000);
      expect(Date.now() - start).toBeGreaterThanOrEqual(150);
    });

    it('does not close a connection waiting for an answer, and closes it once idle after the answer', async () => {
      const release = gate();
      t = await fx.start([echoHandler({ before: () => release.promise })], { idleTimeoutMs: 150 });
      const c = await client();
      c.send(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.from('slow')));
      await sleep(500);
      expect(c.isClosed).toBe(false);
      release.open();
      await c.waitFrames(1);
      await c.waitClosed(3_000);
    });

    it('traffic keeps a connection open', async () => {
      t = await fx.start([], { idleTimeoutMs: 200 });
      const c = await client();
      for (let i = 0; i < 6; i++) {
        c.send(ApiKey.ApiVersions, 0, defaultApiVersionsRequest());
        await sleep(100);
      }
      await c.waitFrames(6);
      expect(c.isClosed).toBe(false);
    });
  });

  describe('connection count', () => {
    it('closes connections above maxConnections at once, and accepts again when one leaves', async () => {
      t = await fx.start([], { maxConnections: 3 });
      const open = [await client(), await client(), await client()];
      await eventually(() => t!.listener.connectionCount === 3);
      const refused = await client();
      await refused.waitClosed();
      expect(t.logs).toContainEqual(expect.objectContaining({ message: expect.stringMatching(/connection limit/) }));
      open[0]!.close();
      await eventually(() => t!.listener.connectionCount === 2);
      const again = await client();
      again.send(ApiKey.ApiVersions, 0, defaultApiVersionsRequest());
      await again.waitFrames(1);
    });
  });

  describe('options', () => {
    it('rejects nonsense settings', () => {
      const registry = createRegistry();
      expect(() => new KafkaListener({ registry, maxRequestBytes: 0 })).toThrow(RangeError);
      expect(() => new KafkaListener({ registry, maxRequestBytes: 2 ** 31 })).toThrow(RangeError);
      expect(() => new KafkaListener({ registry, maxRequestBytes: 1000, maxFirstRequestBytes: 2000 })).toThrow(RangeError);
      expect(() => new KafkaListener({ registry, maxInFlightPerConnection: 1.5 })).toThrow(RangeError);
      expect(() => new KafkaListener({ registry, idleTimeoutMs: -1 })).toThrow(RangeError);
    });
  });
});
