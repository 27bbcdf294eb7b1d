// `floe user ...`: SCRAM users, written straight to the coordination table the nodes read (the
// same FLOE_METADATA and FLOE_DYNAMODB_ENDPOINT as `floe start`). Straight, not through a node,
// because the first user has to exist before anyone can log in to a SASL listener. With the
// embedded store this runs while no node holds the directory. Clients with admin rights can use
// AlterUserScramCredentials instead (kafka-configs --entity-type users).
import { MIN_SCRAM_ITERATIONS, ScramCredentialStore, isScramMechanism, SCRAM_MECHANISMS, type ScramMechanism } from '@floe/auth';
import { ConfigError, loadConfig } from './config.ts';
import { openCoordinationStore } from './stores.ts';

export const USER_USAGE = `usage:
  floe user create NAME [--password P] [--mechanism SCRAM-SHA-256|SCRAM-SHA-512 ...] [--iterations N]
      (password from --password, else $FLOE_USER_PASSWORD; both mechanisms unless named)
  floe user list
  floe user delete NAME [--mechanism M ...]   (every mechanism of the user unless named)`;

export interface UserCliIo {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

interface UserArgs {
  positional: string[];
  password: string | undefined;
  mechanisms: ScramMechanism[];
  iterations: number;
}

function parse(argv: readonly string[]): UserArgs {
  const a: UserArgs = { positional: [], password: undefined, mechanisms: [], iterations: MIN_SCRAM_ITERATIONS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new ConfigError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--password') a.password = value();
    else if (arg === '--mechanism') {
      const m = value();
      if (!isScramMechanism(m)) throw new ConfigError(`--mechanism: expected ${SCRAM_MECHANISMS.join(' or ')}, got "${m}"`);
      a.mechanisms.push(m);
    } else if (arg === '--iterations') a.iterations = Number(value());
    else if (arg.startsWith('--')) throw new ConfigError(`unknown option "${arg}"\n${USER_USAGE}`);
    else a.positional.push(arg);
  }
  return a;
}

export async function runUserCommand(argv: readonly string[], io: UserCliIo): Promise<number> {
  const [, sub, ...rest] = argv;
  const args = parse(rest);
  if (sub === undefined || !['create', 'list', 'delete'].includes(sub) || (sub !== 'list' && args.positional.length !== 1)) {
    io.err(USER_USAGE);
    return 2;
  }
  const config = loadConfig([], io.env, io.cwd);
  const store = await openCoordinationStore(config);
  try {
    const users = new ScramCredentialStore(store);
    const name = args.positional[0]!;
    const mechanisms = args.mechanisms.length > 0 ? args.mechanisms : [...SCRAM_MECHANISMS];
    if (sub === 'create') {
      const password = args.password ?? io.env.FLOE_USER_PASSWORD;
      if (!password) {
        io.err('floe user create: give the password with --password or $FLOE_USER_PASSWORD');
        return 2;
      }
      for (const m of mechanisms) await users.setPassword(name, m, password, args.iterations);
      io.out(`user ${name}: ${mechanisms.join(', ')} set (${args.iterations} iterations)`);
    } else if (sub === 'delete') {
      const existing = new Set((await users.list()).filter((c) => c.user === name).map((c) => c.mechanism));
      const doomed = mechanisms.filter((m) => existing.has(m));
      if (doomed.length === 0) {
        io.err(`floe user delete: ${name} has no ${mechanisms.join(' or ')} credential`);
        return 1;
      }
      await users.apply(doomed.map((mechanism) => ({ kind: 'delete' as const, user: name, mechanism })));
      io.out(`user ${name}: ${doomed.join(', ')} deleted`);
    } else {
      io.out('USER  MECHANISM  ITERATIONS');
      for (const c of await users.list()) io.out(`${c.user}  ${c.mechanism}  ${c.iterations}`);
    }
    return 0;
  } finally {
    await store.close();
  }
}
