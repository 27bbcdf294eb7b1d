// The TLS files of the Kafka listeners: re-read when they change, a set that does not load kept out.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { SecureContextOptions } from 'node:tls';
import { silentLogger } from '@floe/broker';
import { readTlsContext, watchTlsFiles } from '../../src/tls-files.ts';

let dir = '';
const file = (n: string) => join(dir, n);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'floe-tls-files-'));
  for (const cn of ['one', 'two']) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-keyout', `${cn}.key`, '-out', `${cn}.pem`, '-subj', `/CN=${cn}`], { cwd: dir, stdio: 'pipe' });
  }
  copyFileSync(file('one.pem'), file('tls.crt'));
  copyFileSync(file('one.key'), file('tls.key'));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cn = (c: SecureContextOptions) => new X509Certificate(c.cert as Buffer).subject;

describe('TLS files', () => {
  it('loads the pair, refuses a key that does not match, and applies a changed pair', async () => {
    expect(cn(readTlsContext({ certFile: file('tls.crt'), keyFile: file('tls.key') }))).toBe('CN=one');
    expect(() => readTlsContext({ certFile: file('one.pem'), keyFile: file('two.key') })).toThrow();

    const applied: string[] = [];
    const stop = watchTlsFiles({ certFile: file('tls.crt'), keyFile: file('tls.key') }, (c) => applied.push(cn(c)), silentLogger, 50);
    try {
      // A half-done rotation (new certificate, old key) is not applied...
      await new Promise((r) => setTimeout(r, 100));
      copyFileSync(file('two.pem'), file('tls.crt'));
      await new Promise((r) => setTimeout(r, 300));
      expect(applied).toEqual([]);
      // ...the finished one is.
      writeFileSync(file('tls.key'), readFileSync(file('two.key')));
      const deadline = Date.now() + 5_000;
      while (!applied.includes('CN=two') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(applied.at(-1)).toBe('CN=two');
    } finally {
      stop();
    }
  });
});
