// Authentication on the gRPC door through real grpc-js clients: the authenticator the door is
// handed sees each call's authorization metadata, verified client certificate and address before
// any handler runs; its refusals are UNAUTHENTICATED (its failures UNAVAILABLE) on Records, Admin
// and reflection alike, the health service answers without credentials, and the caller it
// settles is the one the ACL checks and the admin API see. TLS with a certificate made by
// openssl, client certificates requested, and a certificate replaced while serving.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { status } from '@grpc/grpc-js';
import type { Caller } from '@floe/admin-api';
import { makeTestCertificates, scriptedAdminApi, scriptedDoorAuthenticator, type TestCertificates } from '@floe/testkit';
import { adminClient, floe, healthClient, recordsClient, type ClientSecurity } from '../../src/index.ts';
import { call, startFixture, type GrpcFixture } from '../support/grpc-fixture.ts';

const b = (s: string) => Buffer.from(s);

describe('gRPC door authentication', () => {
  let f: GrpcFixture;
  let tlsFixture: GrpcFixture;
  let dir: string;
  let certs: TestCertificates;
  let clientCert: { certFile: string; keyFile: string };
  const auth = scriptedDoorAuthenticator(false);
  const { authenticate, presented } = auth;
  const authorized: Caller[] = [];
  const adminCallers: Caller[] = [];

  const authorize = (caller: Caller, operation: string, type: string, name: string) => {
    authorized.push(caller);
    return caller.principal !== 'User:ANONYMOUS' && operation === 'Write' && type === 'Topic' && name === 't';
  };
  const admin = (caller: Caller) => {
    adminCallers.push(caller);
    return scriptedAdminApi({ cluster: async () => ({ clusterId: 'c1', nodes: [] }) }).admin;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'floe-grpc-auth-'));
    certs = makeTestCertificates(dir);
    clientCert = certs.client('client', '/O=Floe Test/CN=app-1');
    f = await startFixture({ authenticate, authorize, admin });
    await f.log.topics.create('t', 1, {});
    const context = { cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile), ca: readFileSync(certs.caFile) };
    tlsFixture = await startFixture({ authenticate, authorize, admin, tls: { context, clientAuth: 'requested' } });
    await tlsFixture.log.topics.create('t', 1, {});
  });
  afterAll(async () => {
    await f.close();
    await tlsFixture.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const produceAs = async (address: string, security?: ClientSecurity) => {
    const c = recordsClient(address, security);
    try {
      const res = await call(c.produce, c, { topic: 't', records: [{ value: b('v') }] } satisfies floe.v1.IProduceRequest);
      return res.partitions.map((p) => p.recordCount);
    } finally {
      c.close();
    }
  };
  const clear = () => {
    presented.length = 0;
    authorized.length = 0;
    adminCallers.length = 0;
  };

  it('hands the authorization metadata and the address to the authenticator, and its caller to the ACL check', async () => {
    clear();
    await expect(produceAs(f.address, { token: 'good' })).resolves.toEqual([1]);
    expect(presented).toEqual([{ authorization: 'Bearer good', certificate: undefined, host: '127.0.0.1' }]);
    expect(authorized).toEqual([{ principal: 'User:alice', host: '127.0.0.1' }]);
    clear();
    await expect(produceAs(f.address)).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    expect(presented).toEqual([{ authorization: undefined, certificate: undefined, host: '127.0.0.1' }]);
    expect(authorized).toEqual([{ principal: 'User:ANONYMOUS', host: '127.0.0.1' }]);
  });

  it('answers a refusal UNAUTHENTICATED with its message before any handler runs, on every service but health', async () => {
    clear();
    const bad: ClientSecurity = { username: 'alice', password: 'nope' };
    await expect(produceAs(f.address, bad)).rejects.toMatchObject({ code: status.UNAUTHENTICATED, details: 'Authentication failed: Invalid username or password' });
    expect(presented[0]!.authorization).toBe(`Basic ${b('alice:nope').toString('base64')}`);
    const a = adminClient(f.address, bad);
    await expect(call(a.getCluster, a, {})).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    a.close();
    const r = recordsClient(f.address, bad);
    const consumeError = await new Promise<{ code: number }>((resolve) => {
      const s = r.consume();
      s.on('error', resolve);
      s.on('data', () => undefined);
      s.write({ subscribe: { groupId: 'g', topics: ['t'] } });
    });
    r.close();
    expect(consumeError.code).toBe(status.UNAUTHENTICATED);
    expect(authorized).toEqual([]);
    expect(adminCallers).toEqual([]);
    // Health answers probes without asking.
    const before = presented.length;
    const h = healthClient(f.address, bad);
    await expect(call(h.check, h, { service: '' })).resolves.toMatchObject({ status: 1 });
    h.close();
    expect(presented).toHaveLength(before);
  });

  it('hands the admin API the authenticated caller', async () => {
    clear();
    const a = adminClient(f.address, { token: 'good' });
    await expect(call(a.getCluster, a, {})).resolves.toMatchObject({ clusterId: 'c1' });
    a.close();
    expect(adminCallers).toEqual([{ principal: 'User:alice', host: '127.0.0.1' }]);
  });

  it('answers UNAVAILABLE when the credentials cannot be checked', async () => {
    auth.failWith = new Error('table unreachable');
    try {
      await expect(produceAs(f.address, { token: 'good' })).rejects.toMatchObject({ code: status.UNAVAILABLE, details: expect.stringContaining('table unreachable') });
    } finally {
      auth.failWith = undefined;
    }
  });

  it('serves TLS: the verified client certificate reaches the authenticator; a header wins; a new certificate applies to new connections', async () => {
    clear();
    const ca = readFileSync(certs.caFile);
    await expect(produceAs(tlsFixture.address, { tls: { ca, cert: readFileSync(clientCert.certFile), key: readFileSync(clientCert.keyFile) } })).resolves.toEqual([1]);
    expect(Buffer.from(presented[0]!.certificate!)).toEqual(new X509Certificate(readFileSync(clientCert.certFile)).raw);
    expect(authorized).toEqual([{ principal: 'User:cert', host: '127.0.0.1' }]);
    clear();
    await expect(produceAs(tlsFixture.address, { tls: { ca }, token: 'good' })).resolves.toEqual([1]);
    expect(presented[0]).toEqual({ authorization: 'Bearer good', certificate: undefined, host: '127.0.0.1' });
    // Plaintext against the TLS port gets nowhere.
    await expect(produceAs(tlsFixture.address, { token: 'good' })).rejects.toMatchObject({ code: status.UNAVAILABLE });

    const subject = () =>
      new Promise<string>((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port: tlsFixture.server.port, ca, ALPNProtocols: ['h2'], servername: 'localhost' }, () => {
          resolve(String(s.getPeerCertificate().subject.CN));
          s.destroy();
        });
        s.on('error', reject);
      });
    expect(await subject()).toBe('localhost');
    certs.renewServer('renewed');
    tlsFixture.server.setSecureContext({ cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile), ca });
    expect(await subject()).toBe('renewed');
    await expect(produceAs(tlsFixture.address, { tls: { ca }, token: 'good' })).resolves.toEqual([1]);
  });
});
