// `floe acl ...`: argument parsing and validation (Kafka's AclCommand's rules and names), and the
// commands against an embedded coordination store: add, list, the dry run of remove, remove.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedCoordinationStore } from '@floe/coordination';
import { AclTable } from '@floe/authz';
import { acl } from '../../../authz/test/unit/support/acls.ts';
import { AclUsageError, aclFilters, aclsToAdd, parseAclArgs, parseOperation, parsePrincipal } from '../../src/acl-cli-args.ts';
import { runAclCommand } from '../../src/acl-cli.ts';

const add = (...argv: string[]) => aclsToAdd(parseAclArgs(['add', ...argv]));
const filters = (sub: 'list' | 'remove', ...argv: string[]) => aclFilters(parseAclArgs([sub, ...argv]));
const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    if (err instanceof AclUsageError) return err.message;
    throw err;
  }
  throw new Error('not refused');
};

describe('floe acl arguments', () => {
  test('operations by Kafka name in any case, with or without underscores', () => {
    expect(parseOperation('Read')).toBe('Read');
    expect(parseOperation('IDEMPOTENT_WRITE')).toBe('IdempotentWrite');
    expect(parseOperation('describeconfigs')).toBe('DescribeConfigs');
    expect(refusal(() => parseOperation('Publish'))).toMatch(/unknown operation "Publish"; valid operations: All, Read, Write/);
  });

  test('principals must be Type:name; "*" alone points at User:*', () => {
    expect(parsePrincipal('--allow-principal', ' User:alice ')).toBe('User:alice');
    expect(parsePrincipal('--allow-principal', 'User:*')).toBe('User:*');
    expect(parsePrincipal('--allow-principal', 'User:CN=a,OU=b')).toBe('User:CN=a,OU=b');
    expect(refusal(() => parsePrincipal('--allow-principal', 'alice'))).toBe('--allow-principal: principal "alice" is not of the form Type:name (e.g. User:alice)');
    expect(refusal(() => parsePrincipal('--deny-principal', 'User:'))).toMatch(/not of the form Type:name/);
    expect(refusal(() => parsePrincipal('--principal', '*'))).toMatch(/use User:\* for every principal/);
  });

  test('add: resources × principals × hosts × operations, hosts * by default, LITERAL by default', () => {
    expect(add('--allow-principal', 'User:alice', '--operation', 'Read', '--operation', 'Write', '--topic', 'orders')).toEqual([
      acl({ operation: 'Read' }),
      acl({ operation: 'Write' }),
    ]);
    expect(
      add('--allow-principal', 'User:a', '--allow-host', '10.0.0.1', '--deny-principal', 'User:b', '--operation', 'Read', '--group', 'g-', '--resource-pattern-type', 'prefixed'),
    ).toEqual([
      acl({ resourceType: 'Group', resourceName: 'g-', patternType: 'PREFIXED', principal: 'User:a', host: '10.0.0.1' }),
      acl({ resourceType: 'Group', resourceName: 'g-', patternType: 'PREFIXED', principal: 'User:b', permission: 'DENY' }),
    ]);
    expect(add('--allow-principal', 'User:*', '--operation', 'IdempotentWrite', '--cluster')).toEqual([
      acl({ resourceType: 'Cluster', resourceName: 'kafka-cluster', principal: 'User:*', operation: 'IdempotentWrite' }),
    ]);
    expect(add('--allow-principal', 'User:a', '--operation', 'Write', '--transactional-id', '*')).toEqual([
      acl({ resourceType: 'TransactionalId', resourceName: '*', principal: 'User:a', operation: 'Write' }),
    ]);
  });

  test('add refuses what Kafka refuses, saying what to give instead', () => {
    const base = ['--allow-principal', 'User:a', '--operation', 'Read'];
    expect(refusal(() => add('--operation', 'Read', '--topic', 't'))).toMatch(/give --allow-principal or --deny-principal/);
    expect(refusal(() => add('--allow-principal', 'User:a', '--topic', 't'))).toMatch(/at least one --operation \(All for every operation\)/);
    expect(refusal(() => add(...base))).toMatch(/give a resource: --topic, --group, --cluster or --transactional-id/);
    expect(refusal(() => add(...base, '--topic', '*', '--resource-pattern-type', 'prefixed'))).toMatch(/only names starting with "\*"; use a literal '\*'/);
    expect(refusal(() => add(...base, '--topic', 't', '--resource-pattern-type', 'match'))).toMatch(/adding one takes literal or prefixed/);
    expect(refusal(() => add(...base, '--topic', 't', '--resource-pattern-type', 'regex'))).toMatch(/expected literal, prefixed, any or match, got "regex"/);
    expect(refusal(() => add(...base, '--cluster'))).toBe('Cluster ACLs take only the operations All, Create, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, Alter, Describe (not Read)');
    expect(refusal(() => add('--allow-principal', 'User:a', '--operation', 'Write', '--group', 'g'))).toMatch(/Group ACLs take only the operations All, Read, Describe, Delete/);
    expect(refusal(() => add(...base, '--cluster', '--resource-pattern-type', 'prefixed'))).toMatch(/--cluster has no prefixed form/);
    expect(refusal(() => add(...base, '--deny-host', '1.2.3.4', '--topic', 't'))).toBe('--deny-host needs --deny-principal');
    expect(refusal(() => add(...base, '--principal', 'User:b', '--topic', 't'))).toBe('floe acl add does not take --principal');
    expect(refusal(() => add(...base, '--topic'))).toBe('--topic needs a value');
    expect(refusal(() => add(...base, '--bogus'))).toMatch(/^unknown option "--bogus"/);
    expect(refusal(() => parseAclArgs(['grant']))).toMatch(/^usage:/);
  });

  test('list: no filter lists everything; a resource defaults to LITERAL as in AclCommand', () => {
    expect(filters('list')).toEqual([{ resourceType: 'Any', resourceName: null, patternType: 'Any', principal: null, host: null, operation: 'Any', permission: 'Any' }]);
    expect(filters('list', '--topic', 'orders', '--principal', 'User:a')).toEqual([
      { resourceType: 'Topic', resourceName: 'orders', patternType: 'LITERAL', principal: 'User:a', host: null, operation: 'Any', permission: 'Any' },
    ]);
    expect(filters('list', '--topic', 'orders', '--resource-pattern-type', 'match')[0]!.patternType).toBe('Match');
    expect(filters('list', '--topic', 'a', '--group', 'b')).toHaveLength(2);
    expect(refusal(() => filters('list', '--resource-pattern-type', 'prefixed'))).toMatch(/needs a resource/);
    expect(refusal(() => filters('list', '--operation', 'Read'))).toBe('floe acl list does not take --operation');
  });

  test('remove: needs a resource or a principal; --allow-principal/--deny-principal pick the permission', () => {
    expect(refusal(() => filters('remove'))).toMatch(/does not remove every ACL at once/);
    expect(refusal(() => filters('remove', '--operation', 'Read'))).toMatch(/does not remove every ACL at once/);
    expect(filters('remove', '--deny-principal', 'User:b', '--host', '1.2.3.4', '--operation', 'Write')).toEqual([
      { resourceType: 'Any', resourceName: null, patternType: 'Any', principal: 'User:b', host: '1.2.3.4', operation: 'Write', permission: 'DENY' },
    ]);
    expect(filters('remove', '--topic', 't', '--operation', 'Read', '--operation', 'Write')).toHaveLength(2);
  });
});

describe('floe acl against a coordination store', () => {
  let dir: string;
  const lines: string[] = [];
  const errors: string[] = [];
  const floe = (...argv: string[]) =>
    runAclCommand(['acl', ...argv], {
      out: (l) => lines.push(l),
      err: (l) => errors.push(l),
      env: { FLOE_METADATA: join(dir, 'metadata') },
      cwd: dir,
    });
  const stored = async () => {
    const store = await EmbeddedCoordinationStore.open(join(dir, 'metadata'));
    try {
      return await new AclTable(store).read();
    } finally {
      await store.close();
    }
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'floe-acl-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('add, list (table and JSON), remove without and with --force; each change bumps the version', async () => {
    expect(await floe('add', '--allow-principal', 'User:alice', '--operation', 'Read', '--operation', 'Describe', '--topic', 'orders')).toBe(0);
    expect(lines.splice(0)).toEqual([
      'added 2 ACLs (existing ones left as they were):',
      'RESOURCE  PATTERN  PRINCIPAL  HOST  OPERATION  PERMISSION',
      'Topic:orders  LITERAL  User:alice  *  Describe  ALLOW',
      'Topic:orders  LITERAL  User:alice  *  Read  ALLOW',
    ]);
    expect(await floe('add', '--deny-principal', 'User:bob', '--operation', 'All', '--group', 'g-', '--resource-pattern-type', 'prefixed')).toBe(0);
    lines.length = 0;
    const afterAdds = await stored();
    expect(afterAdds.version).toBe(3);
    expect(afterAdds.acls).toHaveLength(3);

    expect(await floe('list', '--topic', 'orders')).toBe(0);
    expect(lines.splice(0)).toHaveLength(3);
    expect(await floe('list', '--json', '--principal', 'User:bob')).toBe(0);
    expect(JSON.parse(lines.splice(0)[0]!)).toEqual([acl({ resourceType: 'Group', resourceName: 'g-', patternType: 'PREFIXED', principal: 'User:bob', operation: 'All', permission: 'DENY' })]);
    expect(await floe('list', '--group', 'g-1', '--resource-pattern-type', 'match')).toBe(0);
    expect(lines.splice(0)).toEqual(['RESOURCE  PATTERN  PRINCIPAL  HOST  OPERATION  PERMISSION', 'Group:g-  PREFIXED  User:bob  *  All  DENY']);

    expect(await floe('remove', '--topic', 'orders', '--operation', 'Read')).toBe(0);
    expect(lines.splice(0)[0]).toBe('would remove 1 ACL (nothing removed; run again with --force to remove them):');
    expect((await stored()).acls).toHaveLength(3);
    expect(await floe('remove', '--topic', 'orders', '--operation', 'Read', '--force')).toBe(0);
    expect(lines.splice(0)).toEqual(['removed 1 ACL:', 'RESOURCE  PATTERN  PRINCIPAL  HOST  OPERATION  PERMISSION', 'Topic:orders  LITERAL  User:alice  *  Read  ALLOW']);
    const afterRemove = await stored();
    expect(afterRemove.version).toBe(4);
    expect(afterRemove.acls.map((a) => a.operation).sort()).toEqual(['All', 'Describe']);
    expect(await floe('remove', '--principal', 'User:nobody', '--force')).toBe(0);
    expect(lines.splice(0)).toEqual(['no ACL matches: nothing to remove']);
  });

  test('a refused command exits 2 with the reason and opens no table', async () => {
    expect(await floe('add', '--allow-principal', 'alice', '--operation', 'Read', '--topic', 't')).toBe(2);
    expect(errors.splice(0)).toEqual(['floe acl: --allow-principal: principal "alice" is not of the form Type:name (e.g. User:alice)']);
    expect(await floe('frobnicate')).toBe(2);
    expect(errors.splice(0)[0]).toMatch(/^usage:\n {2}floe acl add/);
    expect(await floe('--help')).toBe(0);
    expect(lines.splice(0)[0]).toMatch(/^usage:\n {2}floe acl add/);
  });
});
