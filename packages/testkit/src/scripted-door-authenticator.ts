// A scripted authenticator for the doors' unit tests: it records what each call presented and
// answers by a fixed script, so that a test sees exactly what a door hands over and does with
// the answer.
import { AdminError, ANONYMOUS_CALLER_PRINCIPAL, type DoorAuthenticator, type PresentedCredentials } from '@floe/admin-api';

export interface ScriptedDoorAuthenticator {
  authenticate: DoorAuthenticator;
  /** What each call presented, in order. */
  presented: PresentedCredentials[];
  /** When set, every call rejects with it (a credential store that does not answer). */
  failWith: Error | undefined;
}

/**
 * `Bearer good` is User:alice; any other header is refused (unauthenticated); a certificate is
 * User:cert; nothing is User:ANONYMOUS, or refused when `required`.
 */
export function scriptedDoorAuthenticator(required: boolean): ScriptedDoorAuthenticator {
  const s: ScriptedDoorAuthenticator = {
    presented: [],
    failWith: undefined,
    authenticate: async (p) => {
      s.presented.push(p);
      if (s.failWith) throw s.failWith;
      if (p.authorization === 'Bearer good') return { principal: 'User:alice', host: p.host };
      if (p.authorization !== undefined) throw new AdminError('unauthenticated', 'Authentication failed: Invalid username or password');
      if (p.certificate) return { principal: 'User:cert', host: p.host };
      if (required) throw new AdminError('unauthenticated', 'credentials required');
      return { principal: ANONYMOUS_CALLER_PRINCIPAL, host: p.host };
    },
  };
  return s;
}
