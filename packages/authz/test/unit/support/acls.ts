import type { AclBinding } from '@floe/authz';

/** An ALLOW of Read for User:alice from any host on the literal topic `orders`, with changes. */
export function acl(p: Partial<AclBinding> = {}): AclBinding {
  return {
    resourceType: 'Topic',
    resourceName: 'orders',
    patternType: 'LITERAL',
    principal: 'User:alice',
    host: '*',
    operation: 'Read',
    permission: 'ALLOW',
    ...p,
  };
}
