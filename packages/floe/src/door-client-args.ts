// The credentials options of the commands that call a node's doors (`floe topic|group` over
// HTTP, `floe produce|consume` over gRPC): --username/--password (Basic), --token (Bearer) and
// --ca-file (TLS with that CA), each also from an environment variable of the command's prefix.
import { readFileSync } from 'node:fs';

export interface DoorClientCredentials {
  username: string | undefined;
  password: string | undefined;
  token: string | undefined;
  caFile: string | undefined;
}

/** The options, by name without the dashes. */
export const DOOR_CLIENT_OPTIONS = ['username', 'password', 'token', 'ca-file'] as const;

export const doorClientUsage = (prefix: string): string =>
  `  --username U --password P   Basic credentials (a SCRAM user; default: $${prefix}_USERNAME, $${prefix}_PASSWORD)
  --token JWT                 a Bearer token instead (default: $${prefix}_TOKEN)
  --ca-file PATH              the CA bundle the node's certificate chains to (default: $${prefix}_CA_FILE)`;

export function doorCredentialsFromEnv(env: NodeJS.ProcessEnv, prefix: string): DoorClientCredentials {
  const v = (name: string) => env[`${prefix}_${name}`] || undefined;
  return { username: v('USERNAME'), password: v('PASSWORD'), token: v('TOKEN'), caFile: v('CA_FILE') };
}

/** Takes `flag` (with its value from `value()`) when it is one of these options; false otherwise. */
export function takeDoorClientOption(c: DoorClientCredentials, flag: string, value: () => string): boolean {
  if (flag === '--username') c.username = value();
  else if (flag === '--password') c.password = value();
  else if (flag === '--token') c.token = value();
  else if (flag === '--ca-file') c.caFile = value();
  else return false;
  return true;
}

/** What is wrong with the combination, if anything (a message for a usage error). */
export function doorCredentialsProblem(c: DoorClientCredentials): string | undefined {
  if (c.token !== undefined && c.username !== undefined) return 'give a user (--username, --password) or a token (--token), not both';
  if (c.username !== undefined && c.password === undefined) return '--username needs --password';
  if (c.password !== undefined && c.username === undefined) return '--password needs --username';
  return undefined;
}

/** The CA bundle's bytes, when one is named. */
export function readCaFile(c: DoorClientCredentials): Buffer | undefined {
  return c.caFile === undefined ? undefined : readFileSync(c.caFile);
}
