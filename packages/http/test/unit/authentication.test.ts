// Authentication on the HTTP door: the authenticator it is handed sees each request's
// Authorization header, verified client certificate and address before the route runs; a refusal
// is 401 with a challenge (Bearer alone for the web console, so that the browser shows the
// console's form), a failure to check 503; the probes and the console's files answer without
// asking; the settled caller is the one the admin API gets. HTTPS with a certificate made by
// openssl, client certificates requested, and a certificate replaced while serving.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Caller } from '@floe/admin-api';
import { makeTestCertificates, scriptedAdminApi, scriptedDoorAuthenticator, type TestCertificates } from '@floe/testkit';
import { buildHttpServer, startHttpServer, type RunningHttpServer } from '../../src/http-server.ts';

const metrics = async () => ({ contentType: 'text/plain', body: 'floe_up 1\n' });

describe('HTTP door authentication', () => {
  const auth = scriptedDoorAuthenticator(true);
  const { authenticate, presented } = auth;
  const callers: Caller[] = [];
  const admin = (caller: Caller) => {
    callers.push(caller);
    return scriptedAdminApi({ listTopics: async () => [] }).admin;
  };

  it('answers 401 with a challenge for refused credentials, and hands the admin API the settled caller', async () => {
    const app = await buildHttpServer({ host: '127.0.0.1', port: 0, readiness: {}, metrics, admin, authenticate });
    presented.length = 0;
    const none = await app.inject({ url: '/api/v1/topics' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Basic realm="floe", charset="UTF-8", Bearer realm="floe"');
    expect(none.json()).toEqual({ error: 'credentials required' });
    const wrong = await app.inject({ url: '/api/v1/topics', headers: { authorization: 'Basic YWxpY2U6bm9wZQ==' } });
    expect([wrong.statusCode, wrong.json()]).toEqual([401, { error: 'Authentication failed: Invalid username or password' }]);
    expect(presented[1]).toEqual({ authorization: 'Basic YWxpY2U6bm9wZQ==', certificate: undefined, host: '127.0.0.1' });
    // The console's requests are challenged with Bearer only: no browser Basic dialog.
    const fromConsole = await app.inject({ url: '/api/v1/topics', headers: { 'x-requested-with': 'floe-console' } });
    expect([fromConsole.statusCode, fromConsole.headers['www-authenticate']]).toEqual([401, 'Bearer realm="floe"']);
    // A refused POST never reaches the API (nor its body's parsing).
    const post = await app.inject({ method: 'POST', url: '/api/v1/topics', payload: '{not json' });
    expect(post.statusCode).toBe(401);
    expect(callers).toEqual([]);
    // The OpenAPI document is behind the door too.
    expect((await app.inject({ url: '/openapi.json' })).statusCode).toBe(401);

    const ok = await app.inject({ url: '/api/v1/topics', headers: { authorization: 'Bearer good' } });
    expect([ok.statusCode, ok.json()]).toEqual([200, []]);
    expect(callers).toEqual([{ principal: 'User:alice', host: '127.0.0.1' }]);
    await app.close();
  });

  it('answers the probes, /metrics and the console files without asking', async () => {
    const app = await buildHttpServer({ host: '127.0.0.1', port: 0, readiness: {}, metrics, admin, authenticate });
    presented.length = 0;
    for (const url of ['/healthz', '/readyz', '/metrics', '/', '/console/console.js', '/console/console.css']) {
      expect([url, (await app.inject({ url })).statusCode]).toEqual([url, 200]);
    }
    expect(presented).toEqual([]);
    await app.close();
  });

  it('answers 503 when the credentials cannot be checked', async () => {
    const app = await buildHttpServer({ host: '127.0.0.1', port: 0, readiness: {}, metrics, admin, authenticate });
    auth.failWith = new Error('table unreachable');
    try {
      const r = await app.inject({ url: '/api/v1/topics', headers: { authorization: 'Bearer good' } });
      expect([r.statusCode, r.json().error]).toEqual([503, 'the credentials could not be checked: table unreachable']);
    } finally {
      auth.failWith = undefined;
      await app.close();
    }
  });

  describe('HTTPS', () => {
    let dir: string;
    let certs: TestCertificates;
    let server: RunningHttpServer;
    let client: { certFile: string; keyFile: string };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'floe-https-'));
      certs = makeTestCertificates(dir);
      client = certs.client('client', '/O=Floe Test/CN=app-1');
      const context = { cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile), ca: readFileSync(certs.caFile) };
      server = await startHttpServer({ host: '127.0.0.1', port: 0, readiness: {}, metrics, admin, authenticate, tls: { context, clientAuth: 'requested' } });
    });
    afterAll(async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const get = (path: string, o: { cert?: Buffer; key?: Buffer; authorization?: string } = {}) =>
      new Promise<{ status: number; serverCn: string }>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: server.port, path, ca: readFileSync(certs.caFile), agent: false, ...(o.cert ? { cert: o.cert, key: o.key } : {}), headers: o.authorization ? { authorization: o.authorization } : {} },
          (res) => {
            const cn = String((res.socket as import('node:tls').TLSSocket).getPeerCertificate().subject.CN);
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, serverCn: cn }));
          },
        );
        req.on('error', reject);
        req.end();
      });

    it('serves HTTPS; a verified client certificate reaches the authenticator, and a header wins over it', async () => {
      presented.length = 0;
      callers.length = 0;
      expect((await get('/api/v1/topics', { cert: readFileSync(client.certFile), key: readFileSync(client.keyFile) })).status).toBe(200);
      expect(Buffer.from(presented[0]!.certificate!)).toEqual(new X509Certificate(readFileSync(client.certFile)).raw);
      expect(callers).toEqual([{ principal: 'User:cert', host: '127.0.0.1' }]);
      expect((await get('/api/v1/topics', { cert: readFileSync(client.certFile), key: readFileSync(client.keyFile), authorization: 'Bearer bad' })).status).toBe(401);
      expect((await get('/api/v1/topics')).status).toBe(401);
      expect((await get('/healthz')).status).toBe(200);
    });

    it('serves a replaced certificate to new connections', async () => {
      expect((await get('/healthz')).serverCn).toBe('localhost');
      certs.renewServer('renewed');
      server.setSecureContext({ cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile), ca: readFileSync(certs.caFile) });
      expect(await get('/healthz')).toEqual({ status: 200, serverCn: 'renewed' });
    });
  });
});
