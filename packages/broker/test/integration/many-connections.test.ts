// 1,000 idle connections on loopback, then working ones: idle connections cost the listener
// nothing but their sockets and do not slow others down.
import { afterAll, describe, expect, it } from '@jest/globals';
import { ApiKey, defaultApiVersionsRequest } from '@floe/protocol';
import { startTestListener, type TestListener } from '../support/listener.ts';
import { eventually, RawClient } from '../support/raw-client.ts';

const IDLE = 1_000;

describe('many connections', () => {
  let t: TestListener | undefined;
  const clients: RawClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.close();
    await t?.listener.close({ drainMs: 1_000 });
  });

  it(`${IDLE} idle connections, then a working one`, async () => {
    t = await startTestListener();
    for (let i = 0; i < IDLE; i += 100) {
      clients.push(...(await Promise.all(Array.from({ length: 100 }, () => RawClient.connect(t!.port)))));
    }
    await eventually(() => t!.listener.connectionCount === IDLE, 10_000, `${IDLE} connections`);

    const start = Date.now();
    const c = await RawClient.connect(t.port);
    clients.push(c);
    c.send(ApiKey.ApiVersions, 3, { ...defaultApiVersionsRequest(), clientSoftwareName: 'x', clientSoftwareVersion: '1' });
    const [f] = await c.waitFrames(1, 2_000);
    expect(c.decode(f!, ApiKey.ApiVersions).body.errorCode).toBe(0);
    expect(Date.now() - start).toBeLessThan(1_000);

    // Some of the idle ones still work too.
    const sample = [0, 1, 499, 998, 999].map((i) => clients[i]!);
    for (const s of sample) s.send(ApiKey.ApiVersions, 0, defaultApiVersionsRequest());
    await Promise.all(sample.map((s) => s.waitFrames(1, 2_000)));
    expect(t.listener.connectionCount).toBe(IDLE + 1);

    // Graceful shutdown closes all of them promptly (none has anything pending).
    const closing = Date.now();
    await t.listener.close({ drainMs: 5_000 });
    expect(Date.now() - closing).toBeLessThan(3_000);
    await Promise.all(clients.map((x) => x.waitClosed(2_000)));
  });
});
