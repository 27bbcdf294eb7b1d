// The audit log of ACL decisions (FLOE_AUDIT_LOG): what each mode writes, on the request's logger.
import { describe, expect, test } from '@jest/globals';
import { AclAuthorizer, type AclBinding } from '@floe/authz';
import { accessOf, type AuditMode, type BrokerContext, type LogFields, type Logger, type RequestContext } from '../../src/index.ts';

const allowReadOrders: AclBinding = {
  resourceType: 'Topic',
  resourceName: 'orders',
  patternType: 'LITERAL',
  principal: 'User:alice',
  host: '*',
  operation: 'Read',
  permission: 'ALLOW',
};

function capture(): { logger: Logger; lines: { fields: LogFields; message: string }[] } {
  const lines: { fields: LogFields; message: string }[] = [];
  const write = (fields: LogFields, message: string) => void lines.push({ fields, message });
  const logger: Logger = { debug: write, info: write, warn: write, error: write, child: () => logger };
  return { logger, lines };
}

function decide(audit: AuditMode | undefined) {
  const { logger, lines } = capture();
  const ctx = {
    acls: {
      authorizer: new AclAuthorizer([allowReadOrders], []),
      table: { create: async () => [], delete: async () => [], list: async () => [] },
      refresh: async () => {},
      ...(audit ? { audit } : {}),
    },
  } as unknown as BrokerContext;
  const rc = { principal: 'User:alice', clientAddress: '10.0.0.7:50123', logger } as unknown as RequestContext;
  const access = accessOf(ctx, rc);
  const answers = [access.topic('Read', 'orders'), access.topic('Write', 'orders'), access.cluster('Create'), access.anyOf('Read', 'Topic')];
  return { answers, lines };
}

describe('audit log of ACL decisions', () => {
  test('off (the default) writes nothing and decides the same', () => {
    expect(decide(undefined)).toEqual({ answers: [true, false, false, true], lines: [] });
    expect(decide('off').lines).toEqual([]);
  });

  test('denied writes one line per refusal, with principal, host, operation and resource', () => {
    const { answers, lines } = decide('denied');
    expect(answers).toEqual([true, false, false, true]);
    expect(lines).toEqual([
      { message: 'access denied', fields: { audit: { principal: 'User:alice', host: '10.0.0.7', operation: 'Write', resource: 'Topic:orders', allowed: false } } },
      { message: 'access denied', fields: { audit: { principal: 'User:alice', host: '10.0.0.7', operation: 'Create', resource: 'Cluster:kafka-cluster', allowed: false } } },
    ]);
  });

  test('all writes every decision', () => {
    const { lines } = decide('all');
    expect(lines.map((l) => `${l.message} ${(l.fields.audit as { resource: string }).resource}`)).toEqual([
      'access allowed Topic:orders',
      'access denied Topic:orders',
      'access denied Cluster:kafka-cluster',
      'access allowed Topic:(any)',
    ]);
  });
});
