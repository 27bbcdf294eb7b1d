// Request ids through the listener: every line written while a request is handled carries the id
// (`<connection id>-<correlation id>`), its API and version; connection lines carry the connection
// id and the peer address; the hot path writes nothing at info.
import { describe, expect, it } from '@jest/globals';
import { ApiKey, defaultSaslAuthenticateRequest } from '@floe/protocol';
import { rawFrame } from '../support/frames.ts';
import { echoHandler, listenerFixture, type TestListener } from '../support/listener.ts';
import { eventually, sleep } from '../support/raw-client.ts';

const echoRequest = (bytes: Buffer) => ({ ...defaultSaslAuthenticateRequest(), authBytes: bytes });

describe('request ids', () => {
  let t: TestListener;
  const fx = listenerFixture();

  it('a handler logs through its request logger: request id, API, version, connection id and peer on the line', async () => {
    t = await fx.start([
      echoHandler({
        before: async (_req, ctx) => {
          ctx.logger.info({ step: 'inside' }, 'handler says hello');
          return undefined;
        },
      }),
    ]);
    const c = await fx.client();
    c.write(c.frame(ApiKey.SaslAuthenticate, 1, echoRequest(Buffer.from('a')), { correlationId: 41 }));
    c.write(c.frame(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.from('b')), { correlationId: 42 }));
    await c.waitFrames(2);
    const hello = t.logs.filter((l) => l.message === 'handler says hello');
    const connectionId = t.listener.connectionInfo()[0]!.id;
    const peer = `127.0.0.1:${c.socket.localPort}`;
    expect(hello.map((l) => l.fields)).toEqual([
      { connectionId, peer, requestId: `${connectionId}-41`, api: 'SaslAuthenticate', apiVersion: 1, step: 'inside' },
      { connectionId, peer, requestId: `${connectionId}-42`, api: 'SaslAuthenticate', apiVersion: 2, step: 'inside' },
    ]);
    // Answered requests are logged at debug only.
    const handled = t.logs.filter((l) => l.message === 'request handled');
    expect(handled.map((l) => [l.level, l.fields.requestId])).toEqual([
      ['debug', `${connectionId}-41`],
      ['debug', `${connectionId}-42`],
    ]);
    const connectionLines = t.logs.filter((l) => l.fields.connectionId !== undefined);
    expect(connectionLines.filter((l) => l.level !== 'debug').map((l) => l.message)).toEqual(['handler says hello', 'handler says hello']);
    expect(t.logs.find((l) => l.message === 'connection opened')?.fields).toEqual({ connectionId, peer });
  });

  it('a malformed request is logged at warn with its request id, the connection id and the peer', async () => {
    t = await fx.start([echoHandler()]);
    const c = await fx.client();
    const peer = `127.0.0.1:${c.socket.localPort}`;
    c.write(rawFrame(ApiKey.SaslAuthenticate, 0, 77, Buffer.from([0, 0, 0, 9, 1])));
    await c.waitClosed();
    const connectionId = t.events[0]!.connectionId;
    expect(t.logs).toContainEqual({
      level: 'warn',
      message: 'malformed request, closing the connection',
      fields: expect.objectContaining({ requestId: `${connectionId}-77`, connectionId, peer, api: 'SaslAuthenticate' }),
    });
  });

  it('a handler failure is logged at error with the request id', async () => {
    t = await fx.start([echoHandler({ before: () => Promise.reject(new Error('handler bug')) })]);
    const c = await fx.client();
    c.write(c.frame(ApiKey.SaslAuthenticate, 0, echoRequest(Buffer.alloc(0)), { correlationId: 9 }));
    await c.waitClosed();
    const entry = t.logs.find((l) => l.level === 'error');
    expect(entry?.fields).toMatchObject({ requestId: `${t.events[0]!.connectionId}-9`, api: 'SaslAuthenticate', apiVersion: 0 });
  });

  it('a request slower than slowRequestMs is logged at warn with its id and duration', async () => {
    t = await fx.start([echoHandler({ before: () => sleep(120) })], { slowRequestMs: 50 });
    const c = await fx.client();
    c.write(c.frame(ApiKey.SaslAuthenticate, 0, echoRequest(Buffer.alloc(0)), { correlationId: 5 }));
    await c.waitFrames(1);
    await eventually(() => t.logs.some((l) => l.message === 'slow request'), 2_000, 'the slow-request line');
    const slow = t.logs.find((l) => l.message === 'slow request')!;
    expect(slow.level).toBe('warn');
    expect(slow.fields).toMatchObject({ requestId: `${t.events[0]!.connectionId}-5`, api: 'SaslAuthenticate' });
    expect(slow.fields.durationMs).toBeGreaterThanOrEqual(100);
  });
});
