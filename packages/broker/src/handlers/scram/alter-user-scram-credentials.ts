// AlterUserScramCredentials: deletions and upsertions of SCRAM credentials, one result per user.
// A user's changes apply together or not at all; Kafka's rules decide the error of each user.
// Alter on the cluster, as Kafka checks it.
import { ApiKey, ErrorCode, defaultAlterUserScramCredentialsResponse } from '@floe/protocol';
import { CredentialError, checkUpsertion, type ScramChange } from '@floe/auth';
import type { BrokerContext } from '../../broker-context.ts';
import { defineHandler } from '../../handler.ts';
import { accessOf } from '../access.ts';
import { scramMechanismOf } from './scram-mechanism.ts';

const CODE_OF: Record<CredentialError['kind'], number> = {
  unacceptable: ErrorCode.UNACCEPTABLE_CREDENTIAL,
  'not-found': ErrorCode.RESOURCE_NOT_FOUND,
  'unsupported-mechanism': ErrorCode.UNSUPPORTED_SASL_MECHANISM,
};

interface Pending {
  changes: ScramChange[];
  error: { code: number; message: string } | undefined;
}

export function alterUserScramCredentialsHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.AlterUserScramCredentials,
    minVersion: 0,
    maxVersion: 0,
    async handle(rc, request) {
      const response = defaultAlterUserScramCredentialsResponse();
      const users = new Map<string, Pending>();
      const seen = new Set<string>();
      const entry = (user: string) => {
        let p = users.get(user);
        if (!p) users.set(user, (p = { changes: [], error: undefined }));
        return p;
      };
      const all = [
        ...request.deletions.map((d) => ({ ...d, upsert: undefined })),
        ...request.upsertions.map((u) => ({ name: u.name, mechanism: u.mechanism, upsert: u })),
      ];
      for (const a of all) {
        const p = entry(a.name);
        if (p.error) continue;
        const mechanism = scramMechanismOf(a.mechanism);
        if (a.name === '') p.error = { code: ErrorCode.UNACCEPTABLE_CREDENTIAL, message: 'Username must not be empty' };
        else if (!mechanism) p.error = { code: ErrorCode.UNSUPPORTED_SASL_MECHANISM, message: 'Unknown SCRAM mechanism' };
        else if (seen.has(`${a.mechanism}:${a.name}`)) {
          p.error = { code: ErrorCode.DUPLICATE_RESOURCE, message: 'A user credential cannot be altered twice in the same request' };
        } else if (a.upsert) {
          try {
            checkUpsertion(mechanism, a.upsert.iterations, a.upsert.salt, a.upsert.saltedPassword);
            p.changes.push({ kind: 'upsert', user: a.name, mechanism, iterations: a.upsert.iterations, salt: a.upsert.salt, saltedPassword: a.upsert.saltedPassword });
          } catch (err) {
            if (!(err instanceof CredentialError)) throw err;
            p.error = { code: CODE_OF[err.kind], message: err.message };
          }
        } else {
          p.changes.push({ kind: 'delete', user: a.name, mechanism });
        }
        seen.add(`${a.mechanism}:${a.name}`);
      }
      const allowed = accessOf(ctx, rc).cluster('Alter');
      for (const [user, p] of users) {
        let error = allowed ? p.error : { code: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, message: 'Cluster authorization failed' };
        if (!error) {
          try {
            await ctx.credentials!.apply(p.changes);
          } catch (err) {
            if (!(err instanceof CredentialError)) throw err;
            error = { code: CODE_OF[err.kind], message: err.message };
          }
        }
        response.results.push({ user, errorCode: error?.code ?? 0, errorMessage: error?.message ?? null });
        if (!error) rc.logger.info({ user, changes: p.changes.map((c) => `${c.kind} ${c.mechanism}`) }, 'SCRAM credentials altered');
      }
      return response;
    },
  });
}
