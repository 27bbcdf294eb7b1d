// The ACL checks of one request, as handlers ask them. When the authorizer is off every check is
// allowed without looking at anything, so handlers call these unconditionally.
import { audit, CLUSTER_NAME, type Operation, type ResourceType, type Subject } from '@floe/authz';
import type { BrokerContext } from '../broker-context.ts';
import type { RequestContext } from '../handler.ts';
import type { LogFields } from '../logger.ts';

export interface Access {
  /** False only when an authorizer is on and denies. */
  readonly enabled: boolean;
  topic(operation: Operation, name: string): boolean;
  group(operation: Operation, id: string): boolean;
  cluster(operation: Operation): boolean;
  transactionalId(operation: Operation, id: string): boolean;
  /** Kafka's authorizeByResourceType: `operation` allowed on at least one resource of the type. */
  anyOf(operation: Operation, type: ResourceType): boolean;
  /**
   * Kafka's authorized operations of a resource (the `*AuthorizedOperations` fields): the bit set
   * of the `operations` (name and wire code) allowed. Not audited, as Kafka does not log these.
   */
  operationBits(type: ResourceType, name: string, operations: readonly (readonly [Operation, number])[]): number;
}

const allBits = (operations: readonly (readonly [Operation, number])[]) => operations.reduce((bits, [, code]) => bits | (1 << code), 0);

const OPEN: Access = {
  enabled: false,
  topic: () => true,
  group: () => true,
  cluster: () => true,
  transactionalId: () => true,
  anyOf: () => true,
  operationBits: (_type, _name, operations) => allBits(operations),
};

/** The client's IP address as ACL hosts name it ("10.0.0.1", "::1"), from "address:port". */
export function clientHostAddress(clientAddress: string): string {
  const at = clientAddress.lastIndexOf(':');
  const host = (at > 0 ? clientAddress.slice(0, at) : clientAddress).replace(/^\[(.*)\]$/, '$1');
  // An IPv4 client on a dual-stack socket: Kafka's InetAddress shows the IPv4 form.
  return host.startsWith('::ffff:') && host.includes('.') ? host.slice(7) : host;
}

export function accessOf(ctx: BrokerContext, rc: RequestContext): Access {
  const acls = ctx.acls;
  if (!acls) return OPEN;
  const subject: Subject = { principal: rc.principal, host: clientHostAddress(rc.clientAddress) };
  const mode = acls.audit ?? 'off';
  // One line per decision, on the request's logger (request id, API and version come with it).
  const write = (fields: LogFields, message: string) => rc.logger.info(fields, message);
  const audited = (allowed: boolean, operation: Operation, resource: string): boolean => audit(mode, write, subject, operation, resource, allowed);
  const check = (type: ResourceType) => (operation: Operation, name: string) =>
    audited(acls.authorizer.authorize(subject, operation, { type, name }), operation, `${type}:${name}`);
  return {
    enabled: true,
    topic: check('Topic'),
    group: check('Group'),
    transactionalId: check('TransactionalId'),
    cluster: (operation) => audited(acls.authorizer.authorize(subject, operation, { type: 'Cluster', name: CLUSTER_NAME }), operation, `Cluster:${CLUSTER_NAME}`),
    anyOf: (operation, type) => audited(acls.authorizer.authorizeAny(subject, operation, type), operation, `${type}:(any)`),
    operationBits: (type, name, operations) =>
      operations.reduce((bits, [operation, code]) => (acls.authorizer.authorize(subject, operation, { type, name }) ? bits | (1 << code) : bits), 0),
  };
}
