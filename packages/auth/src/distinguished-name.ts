// A certificate subject in Kafka's form (Java's X500Principal.getName(), RFC 2253): the RDNs
// from the most specific (CN) to the least (C), comma-separated, special characters escaped.
import { X509Certificate } from 'node:crypto';
import { mapPrincipalName, type PrincipalMappingRules } from './principal-mapping.ts';

/** RFC 2253 escaping of an attribute value. */
export function escapeDnValue(v: string): string {
  let out = v.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`);
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** Names X500Principal prints as keywords; Node's other short names map to their OIDs' keywords. */
const KEYWORDS: Record<string, string> = { CN: 'CN', C: 'C', L: 'L', ST: 'ST', O: 'O', OU: 'OU', STREET: 'STREET', DC: 'DC', UID: 'UID' };

/**
 * `pairs` in certificate order (as encoded: usually C first, CN last); the result starts with
 * the last one.
 */
export function formatDn(pairs: readonly (readonly [string, string])[]): string {
  return [...pairs]
    .reverse()
    .map(([k, v]) => `${KEYWORDS[k.toUpperCase()] ?? k}=${escapeDnValue(v)}`)
    .join(',');
}

/** Node prints a subject one `key=value` a line, in certificate order. */
export function parseNodeSubject(subject: string): [string, string][] {
  return subject
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const eq = l.indexOf('=');
      return [l.slice(0, eq), l.slice(eq + 1)] as [string, string];
    });
}

/**
 * The principal of a client certificate (DER): `User:` and its subject in Kafka's form, or, with
 * `rules` (FLOE_TLS_PRINCIPAL_MAPPING_RULES, Kafka's ssl.principal.mapping.rules), the name the
 * first matching rule makes of that subject. Throws NoMatchingPrincipalRuleError when no rule
 * matches: the caller refuses the connection, as Kafka does.
 */
export function certificatePrincipal(der: Buffer, rules?: PrincipalMappingRules): string {
  const subject = formatDn(parseNodeSubject(new X509Certificate(der).subject));
  return `User:${rules ? mapPrincipalName(rules, subject) : subject}`;
}
