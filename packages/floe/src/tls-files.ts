// The TLS certificate, key and CA of the Kafka listeners and the gRPC and HTTP doors, read from files and re-read when they
// change (a renewed certificate, a rotated Kubernetes secret): polled, because a secret volume
// swaps a symlink and file-system events do not follow it reliably. New connections get the new
// certificate; open ones keep theirs. A change that does not load (a half-written file, a key
// that does not match) is logged and the last good set is kept.
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { Logger } from '@floe/broker';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  caFile?: string | undefined;
}

export function readTlsContext(files: TlsFiles): SecureContextOptions {
  const context: SecureContextOptions = {
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
    ...(files.caFile ? { ca: readFileSync(files.caFile) } : {}),
  };
  createSecureContext(context); // throws on a bad or mismatched pair
  return context;
}

/** Calls `apply` with a fresh context whenever one of the files changes; returns the stopper. */
export function watchTlsFiles(files: TlsFiles, apply: (context: SecureContextOptions) => void, logger: Logger, intervalMs = 2_000): () => void {
  const paths = [files.certFile, files.keyFile, ...(files.caFile ? [files.caFile] : [])];
  const onChange = () => {
    try {
      apply(readTlsContext(files));
      logger.info({ certFile: files.certFile }, 'TLS certificate reloaded');
    } catch (err) {
      logger.warn({ err: String(err), certFile: files.certFile }, 'TLS files changed but do not load; keeping the previous certificate');
    }
  };
  // One listener per watcher, removed alone: the Kafka listeners and the doors watch the same files.
  const listener = (cur: Stats, prev: Stats) => {
    if (cur.mtimeMs !== prev.mtimeMs || cur.ino !== prev.ino || cur.size !== prev.size) onChange();
  };
  for (const p of paths) watchFile(p, { interval: intervalMs, persistent: false }, listener);
  return () => {
    for (const p of paths) unwatchFile(p, listener);
  };
}
