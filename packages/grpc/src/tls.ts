// TLS of the gRPC door: grpc-js's certificate-provider credentials over a provider this door
// feeds, so that a new certificate (the composition root re-reads its files) applies to new
// connections without a restart; open connections keep theirs.
import type { SecureContextOptions } from 'node:tls';
import { experimental, type ServerCredentials } from '@grpc/grpc-js';

/** Kafka's ssl.client.auth: client certificates not asked for, asked for, or required. */
export type ClientCertificateMode = 'none' | 'requested' | 'required';

export interface GrpcTlsOptions {
  /** PEM certificate chain, key and (for client certificates) CA bundle. */
  context: Pick<SecureContextOptions, 'cert' | 'key' | 'ca'>;
  clientAuth: ClientCertificateMode;
}

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

const asBuffer = (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(String(v)));
const pem = (v: SecureContextOptions['cert']): Buffer => (Array.isArray(v) ? Buffer.concat(v.map((x) => Buffer.concat([asBuffer(x), Buffer.from('\n')]))) : asBuffer(v));

/** A certificate provider whose certificate and CA are set from outside. */
class SettableCertificates implements experimental.CertificateProvider {
  private identity: experimental.IdentityCertificateUpdate;
  private ca: experimental.CaCertificateUpdate | null;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  constructor(context: GrpcTlsOptions['context']) {
    this.identity = { certificate: pem(context.cert), privateKey: pem(context.key as SecureContextOptions['cert']) };
    this.ca = context.ca ? { caCertificate: pem(context.ca) } : null;
  }
  set(context: GrpcTlsOptions['context']): void {
    this.identity = { certificate: pem(context.cert), privateKey: pem(context.key as SecureContextOptions['cert']) };
    if (context.ca) this.ca = { caCertificate: pem(context.ca) };
    for (const l of this.caListeners) l(this.ca);
    for (const l of this.identityListeners) l(this.identity);
  }
  // grpc-js registers its watcher after adding these listeners: the current values follow later.
  addCaCertificateListener(l: CaListener): void {
    this.caListeners.add(l);
    queueMicrotask(() => this.caListeners.has(l) && l(this.ca));
  }
  removeCaCertificateListener(l: CaListener): void {
    this.caListeners.delete(l);
  }
  addIdentityCertificateListener(l: IdentityListener): void {
    this.identityListeners.add(l);
    queueMicrotask(() => this.identityListeners.has(l) && l(this.identity));
  }
  removeIdentityCertificateListener(l: IdentityListener): void {
    this.identityListeners.delete(l);
  }
}

/** Server credentials for `tls`, and the setter of a new certificate. */
export function tlsCredentials(tls: GrpcTlsOptions): { credentials: ServerCredentials; set(context: GrpcTlsOptions['context']): void } {
  const certificates = new SettableCertificates(tls.context);
  const credentials = experimental.createCertificateProviderServerCredentials(
    certificates,
    tls.clientAuth === 'none' ? null : certificates,
    tls.clientAuth === 'required',
  );
  return { credentials, set: (context) => certificates.set(context) };
}
