// The authorizer's rules: a matrix of resource / pattern / operation / permission cases, DENY
// over ALLOW, PREFIXED and `*` matching, wildcard principal and host, super users, implied
// operations and authorizeAny; then properties (fast-check) of the matching rules.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  AclAuthorizer,
  OPERATIONS,
  SuperUsersOnly,
  filterMatches,
  patternCovers,
  type AclBinding,
  type AclFilter,
  type Operation,
  type ResourceType,
} from '@floe/authz';
import { acl } from './support/acls.ts';

const alice = { principal: 'User:alice', host: '10.0.0.1' };
const bob = { principal: 'User:bob', host: '10.0.0.2' };


const topic = (name: string) => ({ type: 'Topic' as const, name });

describe('AclAuthorizer', () => {
  it('denies everything with no ACLs (no allow.everyone.if.no.acl.found)', () => {
    const a = new AclAuthorizer([], []);
    for (const op of OPERATIONS) expect(a.authorize(alice, op, topic('orders'))).toBe(false);
    expect(a.authorize(alice, 'Describe', { type: 'Cluster', name: 'kafka-cluster' })).toBe(false);
  });

  // [acl, operation asked, resource, expected]
  const matrix: [Partial<AclBinding>, Operation, { type: ResourceType; name: string }, boolean][] = [
    [{}, 'Read', topic('orders'), true],
    [{}, 'Write', topic('orders'), false],
    [{}, 'Read', topic('orders2'), false],
    [{}, 'Describe', topic('orders'), true], // Read implies Describe
    [{ operation: 'Write' }, 'Describe', topic('orders'), true],
    [{ operation: 'Delete' }, 'Describe', topic('orders'), true],
    [{ operation: 'Alter' }, 'Describe', topic('orders'), true],
    [{ operation: 'Create' }, 'Describe', topic('orders'), false],
    [{ operation: 'Describe' }, 'Read', topic('orders'), false], // implication is one way
    [{ operation: 'AlterConfigs' }, 'DescribeConfigs', topic('orders'), true],
    [{ operation: 'DescribeConfigs' }, 'AlterConfigs', topic('orders'), false],
    [{ operation: 'AlterConfigs' }, 'Describe', topic('orders'), false],
    [{ operation: 'All' }, 'Delete', topic('orders'), true],
    [{ operation: 'All' }, 'IdempotentWrite', topic('orders'), true],
    [{ resourceName: '*' }, 'Read', topic('anything'), true],
    [{ patternType: 'PREFIXED', resourceName: 'ord' }, 'Read', topic('orders'), true],
    [{ patternType: 'PREFIXED', resourceName: 'ord' }, 'Read', topic('ord'), true],
    [{ patternType: 'PREFIXED', resourceName: 'ord' }, 'Read', topic('or'), false],
    [{ patternType: 'PREFIXED', resourceName: 'ord' }, 'Read', topic('xorders'), false],
    [{ patternType: 'PREFIXED', resourceName: '*' }, 'Read', topic('orders'), false], // `*` is literal only
    [{ patternType: 'PREFIXED', resourceName: '*' }, 'Read', topic('*x'), true],
    [{ resourceType: 'Group', resourceName: 'orders' }, 'Read', topic('orders'), false], // type must match
    [{ resourceType: 'Group', resourceName: 'g1' }, 'Read', { type: 'Group', name: 'g1' }, true],
    [{ resourceType: 'TransactionalId', resourceName: 'tx', operation: 'Write' }, 'Write', { type: 'TransactionalId', name: 'tx' }, true],
    [{ resourceType: 'Cluster', resourceName: 'kafka-cluster', operation: 'Create' }, 'Create', { type: 'Cluster', name: 'kafka-cluster' }, true],
    [{ resourceType: 'Cluster', resourceName: 'kafka-cluster', operation: 'IdempotentWrite' }, 'IdempotentWrite', { type: 'Cluster', name: 'kafka-cluster' }, true],
    [{ principal: 'User:*' }, 'Read', topic('orders'), true],
    [{ principal: 'User:bob' }, 'Read', topic('orders'), false],
    [{ host: '10.0.0.1' }, 'Read', topic('orders'), true],
    [{ host: '10.0.0.9' }, 'Read', topic('orders'), false],
    [{ permission: 'DENY' }, 'Read', topic('orders'), false],
  ];
  it.each(matrix)('%j asked %s on %j → %s', (a, op, resource, expected) => {
    expect(new AclAuthorizer([acl(a)], []).authorize(alice, op, resource)).toBe(expected);
  });

  it('lets DENY beat ALLOW at every pattern and operation combination', () => {
    const allows = [acl({}), acl({ resourceName: '*' }), acl({ patternType: 'PREFIXED', resourceName: 'o' }), acl({ operation: 'All' })];
    const denies = [
      acl({ permission: 'DENY' }),
      acl({ permission: 'DENY', resourceName: '*' }),
      acl({ permission: 'DENY', patternType: 'PREFIXED', resourceName: 'or' }),
      acl({ permission: 'DENY', operation: 'All' }),
      acl({ permission: 'DENY', principal: 'User:*' }),
      acl({ permission: 'DENY', host: '10.0.0.1' }),
    ];
    for (const allow of allows) {
      expect(new AclAuthorizer([allow], []).authorize(alice, 'Read', topic('orders'))).toBe(true);
      for (const deny of denies) expect(new AclAuthorizer([allow, deny], []).authorize(alice, 'Read', topic('orders'))).toBe(false);
    }
  });

  it('applies a DENY to its own operation only: a DENY of Read does not deny Describe granted by Write', () => {
    const a = new AclAuthorizer([acl({ operation: 'Write' }), acl({ operation: 'Read', permission: 'DENY' })], []);
    expect(a.authorize(alice, 'Describe', topic('orders'))).toBe(true);
    expect(a.authorize(alice, 'Read', topic('orders'))).toBe(false);
    expect(new AclAuthorizer([acl({ operation: 'Write' }), acl({ operation: 'Describe', permission: 'DENY' })], []).authorize(alice, 'Describe', topic('orders'))).toBe(false);
  });

  it('lets super users do anything, DENY or not, and nobody else', () => {
    const a = new AclAuthorizer([acl({ principal: 'User:*', operation: 'All', permission: 'DENY', resourceName: '*' })], ['User:admin']);
    expect(a.authorize({ principal: 'User:admin', host: '1.2.3.4' }, 'Delete', topic('x'))).toBe(true);
    expect(a.authorizeAny({ principal: 'User:admin', host: '1.2.3.4' }, 'Write', 'Topic')).toBe(true);
    expect(a.authorize(alice, 'Read', topic('x'))).toBe(false);
    const none = new SuperUsersOnly(['User:admin']);
    expect(none.authorize({ principal: 'User:admin', host: 'h' })).toBe(true);
    expect(none.authorize(alice)).toBe(false);
  });

  it('keeps principals apart', () => {
    const a = new AclAuthorizer([acl({})], []);
    expect(a.authorize(alice, 'Read', topic('orders'))).toBe(true);
    expect(a.authorize(bob, 'Read', topic('orders'))).toBe(false);
  });

  describe('authorizeAny (Write on some topic, for InitProducerId)', () => {
    const any = (acls: Partial<AclBinding>[]) => new AclAuthorizer(acls.map(acl), []).authorizeAny(alice, 'Write', 'Topic');
    it('needs an ALLOW of the operation or All on some pattern of the type', () => {
      expect(any([])).toBe(false);
      expect(any([{ operation: 'Write' }])).toBe(true);
      expect(any([{ operation: 'All', patternType: 'PREFIXED', resourceName: 'a' }])).toBe(true);
      expect(any([{ operation: 'Read' }])).toBe(false);
      expect(any([{ operation: 'Write', resourceType: 'Group' }])).toBe(false);
      expect(any([{ operation: 'Write', principal: 'User:bob' }])).toBe(false);
    });
    it('is shadowed by a DENY of `*`, the same literal, or a covering prefix', () => {
      expect(any([{ operation: 'Write' }, { operation: 'Write', permission: 'DENY', resourceName: '*' }])).toBe(false);
      expect(any([{ operation: 'Write', resourceName: '*' }, { operation: 'Write', permission: 'DENY', resourceName: 'x' }])).toBe(true);
      expect(any([{ operation: 'Write' }, { operation: 'Write', permission: 'DENY' }])).toBe(false);
      expect(any([{ operation: 'Write' }, { operation: 'Write', permission: 'DENY', patternType: 'PREFIXED', resourceName: 'ord' }])).toBe(false);
      expect(any([{ operation: 'Write', patternType: 'PREFIXED', resourceName: 'o' }, { operation: 'Write', permission: 'DENY', patternType: 'PREFIXED', resourceName: 'ord' }])).toBe(true);
      expect(any([{ operation: 'Write' }, { operation: 'Write', permission: 'DENY', resourceName: 'other' }])).toBe(true);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const name = fc.string({ unit: fc.constantFrom('a', 'b', '*', '-'), minLength: 1, maxLength: 5 });
const binding = fc.record<AclBinding>({
  resourceType: fc.constantFrom<ResourceType>('Topic', 'Group'),
  resourceName: name,
  patternType: fc.constantFrom('LITERAL' as const, 'PREFIXED' as const),
  principal: fc.constantFrom('User:alice', 'User:bob', 'User:*'),
  host: fc.constantFrom('10.0.0.1', '10.0.0.2', '*'),
  operation: fc.constantFrom<Operation>('All', 'Read', 'Write', 'Describe', 'Alter', 'AlterConfigs', 'DescribeConfigs'),
  permission: fc.constantFrom('ALLOW' as const, 'DENY' as const),
});
const subject = fc.record({ principal: fc.constantFrom('User:alice', 'User:bob', 'User:carol'), host: fc.constantFrom('10.0.0.1', '10.0.0.2') });
const operation = fc.constantFrom<Operation>('Read', 'Write', 'Describe', 'Alter', 'AlterConfigs', 'DescribeConfigs', 'Delete');
const resource = fc.record({ type: fc.constantFrom<ResourceType>('Topic', 'Group'), name });

describe('matching properties', () => {
  it('a PREFIXED pattern covers exactly the names starting with it; a LITERAL one its name and `*` everything', () => {
    fc.assert(
      fc.property(binding, resource, (b, r) => {
        const sameType = b.resourceType === r.type;
        const expected = b.patternType === 'PREFIXED' ? sameType && r.name.startsWith(b.resourceName) : sameType && (b.resourceName === '*' || b.resourceName === r.name);
        expect(patternCovers(b, r)).toBe(expected);
      }),
    );
  });

  it('the indexed authorizer decides as a scan of every ACL would', () => {
    const implied = (granted: Operation, asked: Operation) =>
      granted === 'All' || granted === asked ||
      (asked === 'Describe' && ['Read', 'Write', 'Delete', 'Alter'].includes(granted)) ||
      (asked === 'DescribeConfigs' && granted === 'AlterConfigs');
    fc.assert(
      fc.property(fc.array(binding, { maxLength: 12 }), subject, operation, resource, (acls, s, op, r) => {
        const applies = acls.filter(
          (a) => patternCovers(a, r) && (a.principal === 'User:*' || a.principal === s.principal) && (a.host === '*' || a.host === s.host),
        );
        const denied = applies.some((a) => a.permission === 'DENY' && (a.operation === 'All' || a.operation === op));
        const allowed = applies.some((a) => a.permission === 'ALLOW' && implied(a.operation, op));
        expect(new AclAuthorizer(acls, []).authorize(s, op, r)).toBe(allowed && !denied);
      }),
      { numRuns: 500 },
    );
  });

  it('adding a DENY never allows more; adding an ALLOW never allows less', () => {
    fc.assert(
      fc.property(fc.array(binding, { maxLength: 8 }), binding, subject, operation, resource, (acls, extra, s, op, r) => {
        const before = new AclAuthorizer(acls, []).authorize(s, op, r);
        const after = new AclAuthorizer([...acls, extra], []).authorize(s, op, r);
        if (extra.permission === 'DENY') expect(after && !before).toBe(false);
        else expect(before && !after).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('a super user is allowed whatever the ACLs say', () => {
    fc.assert(
      fc.property(fc.array(binding, { maxLength: 8 }), operation, resource, (acls, op, r) => {
        expect(new AclAuthorizer(acls, ['User:carol']).authorize({ principal: 'User:carol', host: '10.0.0.1' }, op, r)).toBe(true);
      }),
    );
  });

  it('authorizeAny is true whenever some single resource is authorized for an op without implication', () => {
    fc.assert(
      fc.property(fc.array(binding, { maxLength: 8 }), subject, fc.constantFrom<Operation>('Read', 'Write'), resource, (acls, s, op, r) => {
        if (new AclAuthorizer(acls, []).authorize(s, op, r)) expect(new AclAuthorizer(acls, []).authorizeAny(s, op, r.type)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('a filter with every field open matches every ACL; an exact filter matches only its ACL', () => {
    const open: AclFilter = { resourceType: 'Any', resourceName: null, patternType: 'Any', principal: null, host: null, operation: 'Any', permission: 'Any' };
    fc.assert(
      fc.property(binding, binding, (a, b) => {
        expect(filterMatches(open, a)).toBe(true);
        const exact: AclFilter = { ...a, principal: a.principal, resourceType: a.resourceType, patternType: a.patternType };
        const same = JSON.stringify(a) === JSON.stringify(b);
        expect(filterMatches(exact, b)).toBe(same);
      }),
    );
  });

  it('a MATCH filter selects exactly the ACLs whose pattern covers the named resource', () => {
    fc.assert(
      fc.property(binding, resource, (a, r) => {
        const f: AclFilter = { resourceType: r.type, resourceName: r.name, patternType: 'Match', principal: null, host: null, operation: 'Any', permission: 'Any' };
        expect(filterMatches(f, a)).toBe(patternCovers(a, r));
      }),
    );
  });
});
