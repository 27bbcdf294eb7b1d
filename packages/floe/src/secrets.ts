// Masking of secret values in what Floe prints about itself (the configuration at start-up).
// pino's `redact` (logging.ts) covers known field paths on every line; this covers any depth and
// any name, for the one line that prints the whole configuration and the environment it read.

export const REDACTED = '[redacted]';

/**
 * Names whose values are secrets: keys, passwords, tokens, credentials, signatures, cookies,
 * authorization headers. Not every name with "auth" in it: FLOE_DOOR_AUTH and
 * FLOE_TLS_CLIENT_AUTH are modes, shown as they are.
 */
const SECRET_NAME = /secret|passw|pwd|token|credential|private.?key|api.?key|access.?key|authori[sz]ation|(basic|proxy|http).?auth|signature|cookie/i;

/** `scheme://user:password@host`: the user information is masked. */
const URL_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/i;
/** `?password=...&X-Amz-Signature=...`: query parameters with secret names are masked. */
const SECRET_QUERY = /([?&][^=&#]*(?:secret|passw|pwd|token|credential|signature|key)[^=&#]*=)[^&#]*/gi;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** A string with credentials in URLs masked. */
export function maskUrlCredentials(value: string): string {
  return value.replace(URL_USERINFO, `$1${REDACTED}@`).replace(SECRET_QUERY, `$1${REDACTED}`);
}

/** A copy of `value` with every secret-named field's value and every URL's credentials masked. */
export function maskSecrets(value: unknown, name = ''): unknown {
  if (value === undefined || value === null || value === '') return value;
  if (name !== '' && isSecretName(name)) return REDACTED;
  if (typeof value === 'string') return maskUrlCredentials(value);
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v));
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, k)]));
  }
  return value;
}

/** The variables Floe reads from its environment (its own and the AWS SDK's), masked. */
export function relevantEnvironment(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const picked = Object.entries(env)
    .filter(([k, v]) => v !== undefined && (k.startsWith('FLOE_') || k.startsWith('AWS_')))
    .sort(([a], [b]) => a.localeCompare(b));
  return maskSecrets(Object.fromEntries(picked)) as Record<string, unknown>;
}
