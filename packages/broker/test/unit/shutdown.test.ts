import { describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import { ApiKey, defaultApiVersionsRequest, defaultSaslAuthenticateRequest } from '@floe/protocol';
import type { RequestContext } from '../../src/index.ts';
import { echoHandler, gate, type TestListener, listenerFixture } from '../support/listener.ts';
import { eventually, sleep } from '../support/raw-client.ts';

const echoRequest = (bytes: Buffer) => ({ ...defaultSaslAuthenticateRequest(), authBytes: bytes });

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('graceful shutdown', () => {
  let t: TestListener | undefined;
  const fx = listenerFixture();
  const client = fx.client;

  it('stops accepting, lets a slow in-flight request finish and be answered, then closes', async () => {
    const handler = echoHandler({ before: () => sleep(300) });
    t = await fx.start([handler]);
    const busy = await client();
    const idle = await client();
    busy.send(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.from('slow')));
    await eventually(() => handler.calls === 1);
    const start = Date.now();
    const closing = t.listener.close({ drainMs: 5_000 });
    await idle.waitClosed(1_000); // nothing pending: closed at once
    expect(await refused(t.port)).toBe(true);
    const [answer] = await busy.waitFrames(1);
    expect(busy.decode(answer!, ApiKey.SaslAuthenticate).body.authBytes.toString()).toBe('slow');
    await busy.waitClosed();
    await closing;
    expect(Date.now() - start).toBeGreaterThanOrEqual(250);
    expect(Date.now() - start).toBeLessThan(3_000);
    expect(t.listener.connectionCount).toBe(0);
  });

  it('takes no new request once draining: requests sent after close() get no answer', async () => {
    const release = gate();
    const handler = echoHandler({ before: () => release.promise });
    t = await fx.start([handler]);
    const c = await client();
    c.send(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.from('first')));
    await eventually(() => handler.calls === 1);
    const closing = t.listener.close({ drainMs: 5_000 });
    c.send(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.from('second')));
    await sleep(100);
    release.open();
    await c.waitClosed();
    await closing;
    expect(handler.calls).toBe(1);
    expect(c.frames.map((f) => c.decode(f, ApiKey.SaslAuthenticate).body.authBytes.toString())).toEqual(['first']);
  });

  it('destroys connections still busy after drainMs and aborts their requests', async () => {
    let ctx: RequestContext | undefined;
    t = await fx.start([
      echoHandler({
        before: (_r, c) => {
          ctx = c;
          return new Promise(() => {});
        },
      }),
    ]);
    const c = await client();
    c.send(ApiKey.SaslAuthenticate, 2, echoRequest(Buffer.from('never')));
    await eventually(() => ctx !== undefined);
    const start = Date.now();
    await t.listener.close({ drainMs: 200 });
    const took = Date.now() - start;
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(2_000);
    expect(ctx!.signal.aborted).toBe(true);
    await c.waitClosed(1_000);
    expect(c.frames).toHaveLength(0);
    expect(t.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringMatching(/drain time over/) }));
  });

  it('close() is idempotent and a closed listener cannot listen again', async () => {
    t = await fx.start();
    const c = await client();
    c.send(ApiKey.ApiVersions, 0, defaultApiVersionsRequest());
    await c.waitFrames(1);
    const a = t.listener.close();
    const b = t.listener.close();
    expect(a).toBe(b);
    await a;
    await c.waitClosed();
    await expect(t.listener.listen()).rejects.toThrow(/closed/);
  });
});
