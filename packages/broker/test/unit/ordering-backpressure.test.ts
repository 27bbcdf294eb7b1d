import { describe, expect, it } from '@jest/globals';
import { ApiKey, defaultSaslAuthenticateRequest } from '@floe/protocol';
import { echoHandler, gate, type TestListener, listenerFixture } from '../support/listener.ts';
import { eventually, sleep } from '../support/raw-client.ts';

const echoRequest = (bytes: Buffer) => ({ ...defaultSaslAuthenticateRequest(), authBytes: bytes });

describe('request ordering and backpressure', () => {
  let t: TestListener | undefined;
  const fx = listenerFixture();
  const client = fx.client;

  it('50 pipelined requests in one write: handle() called in request order, answers in request order, whatever order handlers finish in', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const handler = echoHandler({
      before: async (req) => {
        started.push(req.authBytes.readInt32BE(0)); // before the first await: still in dispatch
        await sleep(Math.floor(Math.random() * 40));
        finished.push(req.authBytes.readInt32BE(0));
      },
    });
    t = await fx.start([handler]);
    const c = await client();
    const frames: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      const b = Buffer.alloc(4);
      b.writeInt32BE(i, 0);
      frames.push(c.frame(ApiKey.SaslAuthenticate, i % 3, echoRequest(b), { correlationId: 1000 + i }));
    }
    c.write(frames); // one write: the listener gets them in one or a few chunks
    const answers = await c.waitFrames(50);
    const decoded = answers.map((f) => c.decode(f, ApiKey.SaslAuthenticate));
    expect(decoded.map((d) => d.correlationId)).toEqual(frames.map((_, i) => 1000 + i));
    expect(decoded.map((d) => d.body.authBytes.readInt32BE(0))).toEqual(frames.map((_, i) => i));
    // handle() was called in request order; the handlers ran concurrently and finished out of order.
    expect(started).toEqual(frames.map((_, i) => i));
    expect(finished).toHaveLength(50);
    expect(finished).not.toEqual([...finished].sort((a, b) => a - b));
  });

  it('stops reading a connection with maxInFlight pending requests, and resumes when they complete', async () => {
    const release = gate();
    const handler = echoHandler({ before: () => release.promise });
    t = await fx.start([handler], { maxInFlightPerConnection: 4 });
    const c = await client();
    // 2 MiB of requests, far more than one socket read.
    const frames: Buffer[] = [];
    for (let i = 0; i < 256; i++) frames.push(c.frame(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.alloc(8192, i))));
    const total = frames.reduce((n, f) => n + f.length, 0);
    c.write(frames);

    await eventually(() => handler.calls === 4, 5_000, 'four dispatched requests');
    const conn = () => t!.listener.connectionInfo()[0]!;
    await eventually(() => conn().readingPaused, 2_000, 'reading to pause');
    const stalled = conn().bytesRead;
    await sleep(300);
    expect(conn().bytesRead).toBe(stalled); // nothing more read from the socket
    expect(stalled).toBeLessThan(total / 4);
    expect(handler.calls).toBe(4);
    expect(conn()).toMatchObject({ inFlight: 4, readingPaused: true });
    expect(c.frames).toHaveLength(0);

    release.open(); // every pending and later request completes
    const answers = await c.waitFrames(256, 10_000);
    expect(answers.map((f) => c.decode(f).correlationId)).toEqual(frames.map((_, i) => i + 1));
    expect(conn().bytesRead).toBe(total);
    expect(handler.calls).toBe(256);
  });

  it('stops reading while the socket write buffer is full (client not reading), until it drains', async () => {
    const handler = echoHandler({ responseBytes: 1024 * 1024 });
    t = await fx.start([handler]);
    const c = await client();
    c.pauseReading();
    const first: Buffer[] = [];
    for (let i = 0; i < 20; i++) first.push(c.frame(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.from([i]))));
    c.write(first);
    const conn = () => t!.listener.connectionInfo()[0]!;
    await eventually(() => conn().writeBlocked && conn().readingPaused, 5_000, 'write backpressure');
    await eventually(() => handler.calls === 20, 2_000, 'the first 20 requests dispatched');
    // More requests now stay unread in the kernel: none is dispatched.
    const later: Buffer[] = [];
    for (let i = 0; i < 20; i++) later.push(c.frame(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.from([i]))));
    c.write(later);
    await sleep(300);
    expect(handler.calls).toBe(20);
    expect(conn().writeBlocked).toBe(true);

    c.resumeReading();
    const answers = await c.waitFrames(40, 20_000);
    expect(answers.map((f) => c.decode(f).correlationId)).toEqual([...Array(40).keys()].map((i) => i + 1));
    expect(handler.calls).toBe(40);
    expect(conn()).toMatchObject({ writeBlocked: false, readingPaused: false, inFlight: 0 });
  });

  it('connections do not wait for each other', async () => {
    const release = gate();
    const handler = echoHandler({ before: (req) => (req.authBytes[0] === 1 ? release.promise : undefined) });
    t = await fx.start([handler]);
    const slow = await client();
    const fast = await client();
    slow.send(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.from([1])));
    await eventually(() => handler.calls === 1);
    fast.send(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.from([2])));
    await fast.waitFrames(1);
    expect(slow.frames).toHaveLength(0);
    release.open();
    await slow.waitFrames(1);
  });

  it('gives handlers a context with the connection id, client id, address and a signal aborted on disconnect', async () => {
    const seen: { connectionId: number; clientId: string | null; clientAddress: string; signal: AbortSignal }[] = [];
    const handler = echoHandler({
      before: (_req, ctx) => {
        seen.push(ctx);
        return new Promise(() => {}); // never completes
      },
    });
    t = await fx.start([handler]);
    const a = await client();
    const b = await client();
    a.write(a.frame(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.alloc(1)), { clientId: 'client-a' }));
    await eventually(() => seen.length === 1);
    b.write(b.frame(ApiKey.SaslAuthenticate, 1, echoRequest(Buffer.alloc(1)), { clientId: 'client-b' }));
    await eventually(() => seen.length === 2);
    expect(seen[0]).toMatchObject({ clientId: 'client-a', clientAddress: `127.0.0.1:${a.socket.localPort}` });
    expect(seen[1]).toMatchObject({ clientId: 'client-b', clientAddress: `127.0.0.1:${b.socket.localPort}` });
    expect(seen[0]!.connectionId).not.toBe(seen[1]!.connectionId);
    expect(seen[0]!.signal.aborted).toBe(false);
    a.close();
    await eventually(() => seen[0]!.signal.aborted, 2_000, 'the signal to abort');
    expect(seen[1]!.signal.aborted).toBe(false);
  });
});
