// Certificates for TLS tests, made with openssl in a directory: a CA, a server certificate it
// signs for 127.0.0.1 and localhost, and client certificates with the subjects asked for.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificates {
  /** PEM files: the CA's certificate, the server's certificate and key. */
  caFile: string;
  certFile: string;
  keyFile: string;
  /** Makes a client certificate signed by the CA with `subject` (openssl's /K=V/... form); its PEM files. */
  client(name: string, subject: string): { certFile: string; keyFile: string };
  /** A new server certificate (same names, same CA) with `commonName`, for rotation tests. */
  renewServer(commonName: string): void;
}

export function makeTestCertificates(dir: string, caName = 'Floe Test CA'): TestCertificates {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', `/CN=${caName}`);
  writeFileSync(join(dir, 'server-ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  const signed = (name: string, subject: string, ext?: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${name}.pem`, ...(ext ? ['-extfile', ext] : []));
    return { certFile: join(dir, `${name}.pem`), keyFile: join(dir, `${name}.key`) };
  };
  const renewServer = (commonName: string) => void signed('server', `/CN=${commonName}`, 'server-ext.cnf');
  renewServer('localhost');
  return { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key'), client: signed, renewServer };
}
