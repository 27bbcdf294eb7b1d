// The audit log of access decisions (FLOE_AUDIT_LOG): which decisions get a line, and the line,
// the same on every door. The caller's logger writes it; this package has none.
import type { Operation, Subject } from './acl.ts';

export const AUDIT_MODES = ['off', 'denied', 'all'] as const;
export type AuditMode = (typeof AUDIT_MODES)[number];

/** Writes one line where the mode asks for it; returns `allowed`, so a check can pass through. */
export function audit(
  mode: AuditMode,
  write: (fields: { audit: { principal: string; host: string; operation: Operation; resource: string; allowed: boolean } }, message: string) => void,
  subject: Subject,
  operation: Operation,
  resource: string,
  allowed: boolean,
): boolean {
  if (mode === 'all' || (mode === 'denied' && !allowed)) {
    write({ audit: { principal: subject.principal, host: subject.host, operation, resource, allowed } }, allowed ? 'access allowed' : 'access denied');
  }
  return allowed;
}
