// `floe acl ...`: ACLs written straight to the coordination table the nodes read (the same
// FLOE_METADATA and FLOE_DYNAMODB_ENDPOINT as `floe start`), through @floe/authz's AclTable, the
// code behind the broker's CreateAcls and DeleteAcls: every change bumps the ACL version item in
// the same transaction, so every node picks it up within its FLOE_ACL_REFRESH_MS. Straight, not
// through a node, as `floe user`: the first ACLs can exist before anyone can log in. Clients with
// Alter on the cluster can use Kafka's kafka-acls instead.
import { AclTable, InvalidAclError, type AclBinding } from '@floe/authz';
import { ACL_USAGE, AclUsageError, aclFilters, aclsToAdd, parseAclArgs, type AclArgs } from './acl-cli-args.ts';
import { loadConfig } from './config.ts';
import { openCoordinationStore } from './stores.ts';
import type { UserCliIo } from './user-cli.ts';

/** One ACL a line, in the order of the columns of the header. */
export function formatAcl(a: AclBinding): string {
  return `${a.resourceType}:${a.resourceName}  ${a.patternType}  ${a.principal}  ${a.host}  ${a.operation}  ${a.permission}`;
}
const HEADER = 'RESOURCE  PATTERN  PRINCIPAL  HOST  OPERATION  PERMISSION';

/** Sorted by resource, then principal, then operation: a stable listing. */
function sorted(acls: readonly AclBinding[]): AclBinding[] {
  const key = (a: AclBinding) => [a.resourceType, a.resourceName, a.patternType, a.principal, a.host, a.operation, a.permission].join('\u0000');
  return [...acls].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
}

function print(io: UserCliIo, acls: readonly AclBinding[], json: boolean): void {
  if (json) {
    io.out(JSON.stringify(sorted(acls)));
    return;
  }
  io.out(HEADER);
  for (const a of sorted(acls)) io.out(formatAcl(a));
}

async function run(args: AclArgs, table: AclTable, io: UserCliIo): Promise<number> {
  if (args.sub === 'add') {
    const acls = aclsToAdd(args);
    for (const acl of acls) await table.create(acl);
    io.out(`added ${acls.length} ACL${acls.length === 1 ? '' : 's'} (existing ones left as they were):`);
    print(io, acls, false);
    return 0;
  }
  const filters = aclFilters(args);
  // Several filters may select one ACL: it is listed once.
  const selected = new Map<string, AclBinding>();
  for (const f of filters) for (const acl of await table.list(f)) selected.set(JSON.stringify(acl), acl);
  const found = [...selected.values()];
  if (args.sub === 'list') {
    print(io, found, args.json);
    return 0;
  }
  if (found.length === 0) {
    const hint = args.resources.length > 0 && args.patternType === undefined ? ' (the pattern type was literal, the default: --resource-pattern-type any selects every pattern type)' : '';
    io.out(`no ACL matches: nothing to remove${hint}`);
    return 0;
  }
  if (!args.force) {
    io.out(`would remove ${found.length} ACL${found.length === 1 ? '' : 's'} (nothing removed; run again with --force to remove them):`);
    print(io, found, false);
    return 0;
  }
  const removed = new Map<string, AclBinding>();
  for (const list of await table.delete(filters)) for (const acl of list) removed.set(JSON.stringify(acl), acl);
  io.out(`removed ${removed.size} ACL${removed.size === 1 ? '' : 's'}:`);
  print(io, [...removed.values()], false);
  return 0;
}

export async function runAclCommand(argv: readonly string[], io: UserCliIo): Promise<number> {
  if (argv[1] === '--help' || argv[1] === '-h') {
    io.out(ACL_USAGE);
    return 0;
  }
  let args: AclArgs;
  try {
    args = parseAclArgs(argv.slice(1));
    // Checked before the table is opened: a mistake costs no connection.
    if (args.sub === 'add') aclsToAdd(args);
    else aclFilters(args);
  } catch (err) {
    if (!(err instanceof AclUsageError || err instanceof InvalidAclError)) throw err;
    io.err(err.message === ACL_USAGE ? ACL_USAGE : `floe acl: ${err.message}`);
    return 2;
  }
  const config = loadConfig([], io.env, io.cwd);
  const store = await openCoordinationStore(config);
  try {
    return await run(args, new AclTable(store), io);
  } catch (err) {
    // What the table's own checks refuse (a resource name, principal and host too long together).
    if (!(err instanceof InvalidAclError)) throw err;
    io.err(`floe acl: ${err.message}`);
    return 2;
  } finally {
    await store.close();
  }
}
