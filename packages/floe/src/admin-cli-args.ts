// The arguments of `floe topic ...` and `floe group ...`: options as given, checked for their
// form (numbers, key=value, one reset target, ISO 8601 times); admin-cli.ts checks which ones a
// subcommand takes.
import type { OffsetResetTarget } from '@floe/admin-api';
import { doorCredentialsFromEnv, doorCredentialsProblem, takeDoorClientOption, type DoorClientCredentials } from './door-client-args.ts';

export class UsageError extends Error {}

export interface AdminArgs {
  positional: string[];
  server: string;
  json: boolean;
  /** As given: a count for topic create/alter, a list (0,1) for group reset-offsets. */
  partitions: string | undefined;
  configs: Record<string, string>;
  deleteConfigs: string[];
  topic: string | undefined;
  to: OffsetResetTarget | undefined;
  execute: boolean;
  /** The options present, by name (without the dashes). */
  seen: Set<string>;
  /** Basic or Bearer credentials and the CA of an https server. */
  credentials: DoorClientCredentials;
}

/** ISO 8601 date and time, seconds and zone optional (no zone: local time, as Kafka's tool reads it). */
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/;

export function parseDatetime(text: string): number {
  const ms = ISO_DATETIME.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms)) throw new UsageError(`--to-datetime: expected an ISO 8601 date and time such as 2026-01-31T12:00:00Z, got "${text}"`);
  if (ms < 0) throw new UsageError(`--to-datetime: ${text} is before 1970`);
  return ms;
}

export function parseAdminArgs(argv: readonly string[], env: NodeJS.ProcessEnv): AdminArgs {
  const p: AdminArgs = {
    positional: [],
    server: env.FLOE_ADMIN_URL ?? 'http://127.0.0.1:8080',
    json: false,
    partitions: undefined,
    configs: {},
    deleteConfigs: [],
    topic: undefined,
    to: undefined,
    execute: false,
    seen: new Set(),
    credentials: doorCredentialsFromEnv(env, 'FLOE_ADMIN'),
  };
  const target = (flag: string, to: OffsetResetTarget) => {
    if (p.to) throw new UsageError(`${flag}: give one of --to-earliest, --to-latest, --to-offset, --to-datetime`);
    p.to = to;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a.startsWith('--')) p.seen.add(a.slice(2));
    if (takeDoorClientOption(p.credentials, a, value)) continue;
    if (a === '--server') p.server = value();
    else if (a === '--json') p.json = true;
    else if (a === '--partitions') p.partitions = value();
    else if (a === '--config') {
      const v = value();
      const at = v.indexOf('=');
      if (at <= 0) throw new UsageError(`--config: expected key=value, got "${v}"`);
      p.configs[v.slice(0, at)] = v.slice(at + 1);
    } else if (a === '--delete-config') {
      const v = value();
      if (v === '' || v.includes('=')) throw new UsageError(`--delete-config: expected a config name, got "${v}"`);
      p.deleteConfigs.push(v);
    } else if (a === '--topic') p.topic = value();
    else if (a === '--to-earliest') target(a, { kind: 'earliest' });
    else if (a === '--to-latest') target(a, { kind: 'latest' });
    else if (a === '--to-offset') {
      const v = value();
      if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new UsageError(`--to-offset: expected an offset (0 or more), got "${v}"`);
      target(a, { kind: 'offset', offset: Number(v) });
    } else if (a === '--to-datetime') target(a, { kind: 'timestamp', timestampMs: parseDatetime(value()) });
    else if (a === '--execute') p.execute = true;
    else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else p.positional.push(a);
  }
  const problem = doorCredentialsProblem(p.credentials);
  if (problem) throw new UsageError(problem);
  return p;
}

/** A partition count: a whole number. */
export function partitionCount(text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`--partitions: expected a whole number, got "${text}"`);
  return Number(text);
}

/** A list of partitions: 0,1,2. */
export function partitionList(text: string): number[] {
  if (!/^\d+(,\d+)*$/.test(text)) throw new UsageError(`--partitions: expected partition numbers such as 0,1,2, got "${text}"`);
  return text.split(',').map(Number);
}
