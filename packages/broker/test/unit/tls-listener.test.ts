// TLS on the Kafka listener: the principal of a client certificate (mTLS), mapped by
// ssl.principal.mapping.rules when given, a handshake refused without one when required, and a new
// certificate for new connections after setSecureContext.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { parsePrincipalMappingRules } from '@floe/auth';
import { ApiKey, FrameSplitter, defaultSaslAuthenticateRequest, encodeRequest } from '@floe/protocol';
import { echoHandler, startTestListener } from '../support/listener.ts';

let dir = '';
const file = (n: string) => join(dir, n);
const pem = (n: string) => readFileSync(file(n));

/** A key and a certificate signed by the test CA, for `subject`. */
function issue(name: string, subject: string, san?: string): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
  if (san) writeFileSync(file(`${name}.ext`), `subjectAltName=${san}\n`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', `${name}.pem`, ...(san ? ['-extfile', `${name}.ext`] : []));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'floe-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=Test CA'], { cwd: dir, stdio: 'pipe' });
  issue('server1', '/CN=server-one', 'IP:127.0.0.1');
  issue('server2', '/CN=server-two', 'IP:127.0.0.1');
  issue('client', '/C=DE/O=Floe Test/OU=Apps/CN=app-1');
  issue('other', '/C=DE/O=Floe Test/OU=Others/CN=app-2');
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tlsClient(port: number, cert?: { cert: Buffer; key: Buffer }): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca: pem('ca.pem'), ...cert }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends one echo request and resolves when its answer arrives (or undefined when the socket closes). */
function roundTrip(s: TLSSocket): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const splitter = new FrameSplitter({ maxFrameSize: 1 << 20 });
    s.on('data', (d: Buffer) => {
      const f = splitter.push(d)[0];
      if (f) resolve(f);
    });
    s.on('close', () => resolve(undefined));
    s.on('error', () => undefined);
    s.write(encodeRequest({ apiKey: ApiKey.SaslAuthenticate, apiVersion: 2, correlationId: 1, clientId: 't' }, { ...defaultSaslAuthenticateRequest(), authBytes: Buffer.from('x') }));
  });
}

describe('TLS listener', () => {
  it('names a verified client certificate\'s subject as the principal, Kafka\'s way, and refuses a client without one', async () => {
    const principals: string[] = [];
    const t = await startTestListener([echoHandler({ before: async (_r, ctx) => void principals.push(ctx.principal) })], {
      tls: { context: { cert: pem('server1.pem'), key: pem('server1.key'), ca: pem('ca.pem') }, clientAuth: 'required' },
    });
    try {
      const withCert = await tlsClient(t.port, { cert: pem('client.pem'), key: pem('client.key') });
      expect(await roundTrip(withCert)).toBeDefined();
      withCert.destroy();
      expect(principals).toEqual(['User:CN=app-1,OU=Apps,O=Floe Test,C=DE']);
      // Without a certificate the handshake fails (TLS 1.3 reports it on the first read).
      const outcome = await tlsClient(t.port).then(roundTrip, () => undefined);
      expect(outcome).toBeUndefined();
      expect(principals).toHaveLength(1);
    } finally {
      await t.listener.close({ drainMs: 0 });
    }
  });

  it('maps the subject with ssl.principal.mapping.rules, and closes a connection whose certificate no rule applies to', async () => {
    const principals: string[] = [];
    const t = await startTestListener([echoHandler({ before: async (_r, ctx) => void principals.push(ctx.principal) })], {
      tls: {
        context: { cert: pem('server1.pem'), key: pem('server1.key'), ca: pem('ca.pem') },
        clientAuth: 'required',
        principalMapping: parsePrincipalMappingRules('RULE:^CN=(.*?),OU=Apps,.*$/$1/U'),
      },
    });
    try {
      const mapped = await tlsClient(t.port, { cert: pem('client.pem'), key: pem('client.key') });
      expect(await roundTrip(mapped)).toBeDefined();
      mapped.destroy();
      expect(principals).toEqual(['User:APP-1']);
      // OU=Others: no rule and no DEFAULT, so the connection is closed before any request is served.
      const unmapped = await tlsClient(t.port, { cert: pem('other.pem'), key: pem('other.key') }).then(roundTrip, () => undefined);
      expect(unmapped).toBeUndefined();
      expect(principals).toHaveLength(1);
    } finally {
      await t.listener.close({ drainMs: 0 });
    }
  });

  it('serves a new certificate to new connections after setSecureContext, keeping the open ones', async () => {
    const t = await startTestListener([echoHandler()], { tls: { context: { cert: pem('server1.pem'), key: pem('server1.key') } } });
    try {
      const before = await tlsClient(t.port);
      expect(before.getPeerCertificate().subject.CN).toBe('server-one');
      t.listener.setSecureContext({ cert: pem('server2.pem'), key: pem('server2.key') });
      const after = await tlsClient(t.port);
      expect(after.getPeerCertificate().subject.CN).toBe('server-two');
      expect(await roundTrip(before)).toBeDefined();
      expect(await roundTrip(after)).toBeDefined();
      before.destroy();
      after.destroy();
    } finally {
      await t.listener.close({ drainMs: 0 });
    }
  });
});
