// The arguments of `floe acl add|list|remove`, modelled on Kafka's kafka-acls (AclCommand), turned
// into the ACLs to add or the filters to list and remove with. Pure: no table, no output; every
// refusal is a UsageError whose message says what to give instead.
import {
  CLUSTER_NAME,
  OPERATIONS,
  SUPPORTED_OPERATIONS,
  WILDCARD,
  checkAcl,
  isPrincipal,
  type AclBinding,
  type AclFilter,
  type Operation,
  type PatternType,
  type Permission,
  type Resource,
} from '@floe/authz';

export class AclUsageError extends Error {}

export const ACL_USAGE = `usage:
  floe acl add (--allow-principal P | --deny-principal P ...) [--allow-host H | --deny-host H ...]
      --operation OP [--operation OP ...] RESOURCE [--resource-pattern-type literal|prefixed]
  floe acl list [--principal P ...] [RESOURCE] [--resource-pattern-type any|match|literal|prefixed] [--json]
  floe acl remove [--principal P | --allow-principal P | --deny-principal P ...] [--host H ...]
      [--operation OP ...] [RESOURCE] [--resource-pattern-type any|match|literal|prefixed] [--force]
  RESOURCE: --topic T | --group G | --cluster | --transactional-id X  (several allowed; '*': all of the type)
  P: Type:name, e.g. User:alice, or User:* for every principal; H: an IP address or * (the default)
  OP: ${OPERATIONS.join(', ')}
  Written straight to the coordination table (FLOE_METADATA, FLOE_DYNAMODB_ENDPOINT, as floe start);
  nodes pick changes up within FLOE_ACL_REFRESH_MS. Without --force, remove only prints what it would remove.`;

export type AclSubcommand = 'add' | 'list' | 'remove';
type FilterPattern = AclFilter['patternType'];

export interface AclArgs {
  sub: AclSubcommand;
  resources: Resource[];
  /** As given; undefined: the default (LITERAL, or any pattern when no resource is named). */
  patternType: FilterPattern | undefined;
  allowPrincipals: string[];
  denyPrincipals: string[];
  /** --principal: either permission (list and remove). */
  principals: string[];
  allowHosts: string[];
  denyHosts: string[];
  /** --host: either permission (remove). */
  hosts: string[];
  operations: Operation[];
  json: boolean;
  force: boolean;
}

const PATTERN_NAMES: Readonly<Record<string, FilterPattern>> = { literal: 'LITERAL', prefixed: 'PREFIXED', any: 'Any', match: 'Match' };
/** Which options each subcommand takes (besides the resources and --resource-pattern-type). */
const TAKES: Readonly<Record<AclSubcommand, ReadonlySet<string>>> = {
  add: new Set(['allow-principal', 'deny-principal', 'allow-host', 'deny-host', 'operation']),
  list: new Set(['principal', 'json']),
  remove: new Set(['principal', 'allow-principal', 'deny-principal', 'host', 'operation', 'force']),
};

const normalized = (s: string) => s.replace(/[-_ ]/g, '').toLowerCase();

/** An operation by Kafka's name in any case, with or without underscores (IdempotentWrite, IDEMPOTENT_WRITE). */
export function parseOperation(text: string): Operation {
  const op = OPERATIONS.find((o) => normalized(o) === normalized(text));
  if (!op) throw new AclUsageError(`--operation: unknown operation "${text}"; valid operations: ${OPERATIONS.join(', ')}`);
  return op;
}

/** A principal in Kafka's `Type:name` form; `*` alone is refused with the form that means everyone. */
export function parsePrincipal(flag: string, text: string): string {
  const p = text.trim();
  if (p === WILDCARD) throw new AclUsageError(`${flag}: "*" is not a principal; use User:* for every principal`);
  if (!isPrincipal(p)) throw new AclUsageError(`${flag}: principal "${text}" is not of the form Type:name (e.g. User:alice)`);
  return p;
}

export function parseAclArgs(argv: readonly string[]): AclArgs {
  const [sub, ...rest] = argv;
  if (sub !== 'add' && sub !== 'list' && sub !== 'remove') throw new AclUsageError(ACL_USAGE);
  const a: AclArgs = {
    sub,
    resources: [],
    patternType: undefined,
    allowPrincipals: [],
    denyPrincipals: [],
    principals: [],
    allowHosts: [],
    denyHosts: [],
    hosts: [],
    operations: [],
    json: false,
    force: false,
  };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    const value = () => {
      const v = rest[++i];
      if (v === undefined || v === '') throw new AclUsageError(`${arg} needs a value`);
      return v.trim();
    };
    if (name === undefined) throw new AclUsageError(`unexpected argument "${arg}"\n${ACL_USAGE}`);
    const resourceOption = ['topic', 'group', 'cluster', 'transactional-id', 'resource-pattern-type'].includes(name);
    if (!resourceOption && !TAKES[sub].has(name)) {
      const known = [...TAKES.add, ...TAKES.list, ...TAKES.remove].includes(name);
      throw new AclUsageError(known ? `floe acl ${sub} does not take --${name}` : `unknown option "${arg}"\n${ACL_USAGE}`);
    }
    if (name === 'topic') a.resources.push({ type: 'Topic', name: value() });
    else if (name === 'group') a.resources.push({ type: 'Group', name: value() });
    else if (name === 'transactional-id') a.resources.push({ type: 'TransactionalId', name: value() });
    else if (name === 'cluster') a.resources.push({ type: 'Cluster', name: CLUSTER_NAME });
    else if (name === 'resource-pattern-type') {
      const v = value();
      const p = PATTERN_NAMES[v.toLowerCase()];
      if (!p) throw new AclUsageError(`--resource-pattern-type: expected literal, prefixed, any or match, got "${v}"`);
      a.patternType = p;
    } else if (name === 'allow-principal') a.allowPrincipals.push(parsePrincipal(arg, value()));
    else if (name === 'deny-principal') a.denyPrincipals.push(parsePrincipal(arg, value()));
    else if (name === 'principal') a.principals.push(parsePrincipal(arg, value()));
    else if (name === 'allow-host') a.allowHosts.push(value());
    else if (name === 'deny-host') a.denyHosts.push(value());
    else if (name === 'host') a.hosts.push(value());
    else if (name === 'operation') a.operations.push(parseOperation(value()));
    else if (name === 'json') a.json = true;
    else a.force = true;
  }
  return a;
}

/** The one pattern type of new ACLs (LITERAL unless given). */
function addPattern(a: AclArgs): PatternType {
  const p = a.patternType ?? 'LITERAL';
  if (p !== 'LITERAL' && p !== 'PREFIXED') {
    throw new AclUsageError(`--resource-pattern-type ${p.toLowerCase()} selects ACLs; adding one takes literal or prefixed`);
  }
  return p;
}

/** The resources' names under the pattern type, refused where Kafka would refuse them. */
function checkResources(a: AclArgs, pattern: FilterPattern): void {
  for (const r of a.resources) {
    if (r.type === 'Cluster' && pattern === 'PREFIXED') throw new AclUsageError('--cluster has no prefixed form (its one name is kafka-cluster)');
    if (r.name === '') throw new AclUsageError(`the ${r.type} name should not be empty`);
  }
}

/**
 * The ACLs `floe acl add` writes: every resource × (allowed principals × allowed hosts, denied
 * principals × denied hosts) × operation, as Kafka's AclCommand builds them. Hosts default to
 * `*`; at least one principal, operation and resource are required (no implicit `All`).
 */
export function aclsToAdd(a: AclArgs): AclBinding[] {
  const patternType = addPattern(a);
  if (a.allowPrincipals.length + a.denyPrincipals.length === 0) throw new AclUsageError('floe acl add: give --allow-principal or --deny-principal');
  if (a.allowHosts.length > 0 && a.allowPrincipals.length === 0) throw new AclUsageError('--allow-host needs --allow-principal');
  if (a.denyHosts.length > 0 && a.denyPrincipals.length === 0) throw new AclUsageError('--deny-host needs --deny-principal');
  if (a.operations.length === 0) throw new AclUsageError('floe acl add: give at least one --operation (All for every operation)');
  if (a.resources.length === 0) throw new AclUsageError('floe acl add: give a resource: --topic, --group, --cluster or --transactional-id');
  checkResources(a, patternType);
  const out: AclBinding[] = [];
  const seen = new Set<string>();
  const sides: [Permission, string[], string[]][] = [
    ['ALLOW', a.allowPrincipals, a.allowHosts.length > 0 ? a.allowHosts : [WILDCARD]],
    ['DENY', a.denyPrincipals, a.denyHosts.length > 0 ? a.denyHosts : [WILDCARD]],
  ];
  for (const r of a.resources) {
    if (patternType === 'PREFIXED' && r.name === WILDCARD) {
      throw new AclUsageError(`--${r.type === 'Topic' ? 'topic' : r.type === 'Group' ? 'group' : 'transactional-id'} '*' with --resource-pattern-type prefixed would match only names starting with "*"; use a literal '*' for every ${r.type}`);
    }
    const supported = ['All', ...SUPPORTED_OPERATIONS[r.type]];
    const unsupported = a.operations.filter((op) => !supported.includes(op));
    if (unsupported.length > 0) throw new AclUsageError(`${r.type} ACLs take only the operations ${supported.join(', ')} (not ${unsupported.join(', ')})`);
    for (const [permission, principals, hosts] of sides) {
      for (const principal of principals) {
        for (const host of hosts) {
          for (const operation of a.operations) {
            const acl: AclBinding = { resourceType: r.type, resourceName: r.name, patternType, principal, host, operation, permission };
            checkAcl(acl);
            const key = JSON.stringify(acl);
            if (!seen.has(key)) out.push(acl);
            seen.add(key);
          }
        }
      }
    }
  }
  return out;
}

/**
 * The filters of `floe acl list` and `floe acl remove`: every resource × principal × host ×
 * operation given (each absent one matches anything). With a resource named, the pattern type
 * defaults to LITERAL, as in Kafka's AclCommand; without one, to any. `remove` needs a resource
 * or a principal: it never removes every ACL at once.
 */
export function aclFilters(a: AclArgs): AclFilter[] {
  const patternType: FilterPattern = a.patternType ?? (a.resources.length > 0 ? 'LITERAL' : 'Any');
  if (a.patternType !== undefined && a.resources.length === 0 && a.patternType !== 'Any') {
    throw new AclUsageError(`--resource-pattern-type ${a.patternType.toLowerCase()} needs a resource (--topic, --group, --cluster or --transactional-id)`);
  }
  checkResources(a, patternType);
  const byPermission: [Permission | 'Any', string | null][] = [
    ...a.principals.map((p): [Permission | 'Any', string] => ['Any', p]),
    ...a.allowPrincipals.map((p): [Permission | 'Any', string] => ['ALLOW', p]),
    ...a.denyPrincipals.map((p): [Permission | 'Any', string] => ['DENY', p]),
  ];
  if (a.sub === 'remove' && a.resources.length === 0 && byPermission.length === 0) {
    throw new AclUsageError('floe acl remove: give a resource (--topic, --group, --cluster, --transactional-id) or a principal; it does not remove every ACL at once');
  }
  const resources: (Resource | null)[] = a.resources.length > 0 ? a.resources : [null];
  const principals = byPermission.length > 0 ? byPermission : [['Any', null] as [Permission | 'Any', string | null]];
  const hosts: (string | null)[] = a.hosts.length > 0 ? a.hosts : [null];
  const operations: (Operation | 'Any')[] = a.operations.length > 0 ? a.operations : ['Any'];
  const out: AclFilter[] = [];
  for (const r of resources) {
    for (const [permission, principal] of principals) {
      for (const host of hosts) {
        for (const operation of operations) {
          out.push({ resourceType: r?.type ?? 'Any', resourceName: r?.name ?? null, patternType, principal, host, operation, permission });
        }
      }
    }
  }
  return out;
}
