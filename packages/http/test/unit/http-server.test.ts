import { describe, expect, test } from '@jest/globals';
import { buildHttpServer, startHttpServer } from '../../src/http-server.ts';

const metrics = async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: 'floe_up 1\n' });

describe('the HTTP door', () => {
  test('/healthz answers while the process is up, whatever the dependencies', async () => {
    const app = await buildHttpServer({ host: '127.0.0.1', port: 0, readiness: { broken: () => Promise.reject(new Error('down')) }, metrics });
    const r = await app.inject({ method: 'GET', url: '/healthz' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ok' });
    await app.close();
  });

  test('/readyz is 200 when every check answers, 503 naming the failing and the slow ones', async () => {
    const ok = await buildHttpServer({ host: '127.0.0.1', port: 0, readiness: { a: async () => {}, b: async () => {} }, metrics });
    const good = await ok.inject({ method: 'GET', url: '/readyz' });
    expect(good.statusCode).toBe(200);
    expect(good.json()).toMatchObject({ status: 'ready', checks: { a: { ok: true }, b: { ok: true } } });
    await ok.close();

    const bad = await buildHttpServer({
      host: '127.0.0.1',
      port: 0,
      readyTimeoutMs: 50,
      readiness: {
        fine: async () => {},
        failing: () => Promise.reject(new Error('connection refused')),
        hanging: () => new Promise(() => {}),
      },
      metrics,
    });
    const started = Date.now();
    const r = await bad.inject({ method: 'GET', url: '/readyz' });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({
      status: 'not ready',
      checks: {
        fine: { ok: true },
        failing: { ok: false, error: 'connection refused' },
        hanging: { ok: false, error: 'no answer within 50 ms' },
      },
    });
    await bad.close();
  });

  test('/metrics serves the exposition with its content type; unknown paths are 404 with a message', async () => {
    const app = await buildHttpServer({ host: '127.0.0.1', port: 0, readiness: {}, metrics });
    const r = await app.inject({ method: 'GET', url: '/metrics' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(r.body).toBe('floe_up 1\n');
    const missing = await app.inject({ method: 'GET', url: '/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'not found', path: '/nope' });
    await app.close();
  });

  test('startHttpServer binds the address asked (port 0: a free one) and closes', async () => {
    const s = await startHttpServer({ host: '127.0.0.1', port: 0, readiness: {}, metrics });
    expect(s.port).toBeGreaterThan(0);
    const r = await fetch(`http://127.0.0.1:${s.port}/healthz`);
    expect(r.status).toBe(200);
    await s.close();
    await expect(fetch(`http://127.0.0.1:${s.port}/healthz`)).rejects.toThrow();
  });
});
