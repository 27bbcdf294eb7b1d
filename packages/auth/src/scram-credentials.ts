// SCRAM credentials in the coordination table: one item per user and mechanism,
//
//   pk "scram-credentials"   sk "<mechanism>:<user>"   salt, iterations, storedKey, serverKey
//
// The password is never stored, nor SaltedPassword: StoredKey and ServerKey let the server check
// a proof and prove itself, but not log in as the user. A user's changes of one request are one
// transaction, so they apply together or not at all.
import { TransactionCancelledError, type CoordinationStore, type Item, type TransactAction } from '@floe/coordination';
import { CredentialError } from './errors.ts';
import {
  MAX_SCRAM_ITERATIONS,
  MIN_SCRAM_ITERATIONS,
  hashBytes,
  keysFromSaltedPassword,
  saltedPassword,
  type ScramKeys,
  type ScramMechanism,
  SCRAM_MECHANISMS,
} from './scram-crypto.ts';
import { randomBytes } from 'node:crypto';

export const SCRAM_CREDENTIALS_PK = 'scram-credentials';

export interface ScramCredentialInfo {
  user: string;
  mechanism: ScramMechanism;
  iterations: number;
}

export type ScramChange =
  | { kind: 'upsert'; user: string; mechanism: ScramMechanism; iterations: number; salt: Buffer; saltedPassword: Buffer }
  | { kind: 'delete'; user: string; mechanism: ScramMechanism };

const sortKey = (mechanism: ScramMechanism, user: string) => `${mechanism}:${user}`;

function bytes(v: unknown): Buffer | undefined {
  return v instanceof Uint8Array ? Buffer.from(v) : undefined;
}

function keysOf(item: Item | undefined): ScramKeys | undefined {
  if (item === undefined) return undefined;
  const salt = bytes(item.salt);
  const storedKey = bytes(item.storedKey);
  const serverKey = bytes(item.serverKey);
  if (!salt || !storedKey || !serverKey || typeof item.iterations !== 'number') return undefined;
  return { salt, storedKey, serverKey, iterations: item.iterations };
}

function infoOf(item: Item): ScramCredentialInfo | undefined {
  const sep = item.sk.indexOf(':');
  const mechanism = item.sk.slice(0, sep);
  if (sep < 0 || !(SCRAM_MECHANISMS as readonly string[]).includes(mechanism) || typeof item.iterations !== 'number') return undefined;
  return { user: item.sk.slice(sep + 1), mechanism: mechanism as ScramMechanism, iterations: item.iterations };
}

/** Kafka's checks of one upsertion (ControllerApis / ScramControlManager). */
export function checkUpsertion(mechanism: ScramMechanism, iterations: number, salt: Buffer, salted: Buffer): void {
  if (iterations < MIN_SCRAM_ITERATIONS) throw new CredentialError('unacceptable', `Too few iterations`);
  if (iterations > MAX_SCRAM_ITERATIONS) throw new CredentialError('unacceptable', `Too many iterations`);
  if (salt.length === 0) throw new CredentialError('unacceptable', 'Salt must not be empty');
  if (salted.length !== hashBytes(mechanism)) throw new CredentialError('unacceptable', `SaltedPassword must be ${hashBytes(mechanism)} bytes for ${mechanism}`);
}

export class ScramCredentialStore {
  private readonly store: CoordinationStore;
  constructor(store: CoordinationStore) {
    this.store = store;
  }

  /** The stored keys of a user for a mechanism (strongly consistent: a new password works at once). */
  async keys(user: string, mechanism: ScramMechanism): Promise<ScramKeys | undefined> {
    return keysOf(await this.store.get(SCRAM_CREDENTIALS_PK, sortKey(mechanism, user), { consistent: true }));
  }

  /** Every stored credential (mechanism and iterations only), sorted by user. */
  async list(): Promise<ScramCredentialInfo[]> {
    const items = await this.store.query(SCRAM_CREDENTIALS_PK, { consistent: true });
    return items
      .map(infoOf)
      .filter((c): c is ScramCredentialInfo => c !== undefined)
      .sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : a.mechanism < b.mechanism ? -1 : 1));
  }

  /**
   * Applies one user's changes together. A deletion of a credential that does not exist fails the
   * whole set with 'not-found'; nothing is written then.
   */
  async apply(changes: readonly ScramChange[]): Promise<void> {
    if (changes.length === 0) return;
    const actions: TransactAction[] = changes.map((c) => {
      if (c.kind === 'delete') return { delete: { pk: SCRAM_CREDENTIALS_PK, sk: sortKey(c.mechanism, c.user) }, condition: { exists: true } };
      checkUpsertion(c.mechanism, c.iterations, c.salt, c.saltedPassword);
      const k = keysFromSaltedPassword(c.mechanism, c.saltedPassword, c.salt, c.iterations);
      return {
        put: {
          pk: SCRAM_CREDENTIALS_PK,
          sk: sortKey(c.mechanism, c.user),
          iterations: k.iterations,
          salt: k.salt,
          storedKey: k.storedKey,
          serverKey: k.serverKey,
        },
      };
    });
    try {
      if (actions.length === 1) {
        const a = actions[0]!;
        if ('put' in a) await this.store.put(a.put);
        else if ('delete' in a) await this.store.delete(a.delete.pk, a.delete.sk, a.condition);
      } else {
        await this.store.transact(actions);
      }
    } catch (err) {
      if (err instanceof TransactionCancelledError || (err as { kind?: unknown }).kind === 'condition-failed') {
        throw new CredentialError('not-found', 'Attempt to delete a user credential that does not exist');
      }
      throw err;
    }
  }

  /** Sets a password (the `floe user create` path): a fresh salt, SaltedPassword computed here. */
  async setPassword(user: string, mechanism: ScramMechanism, password: string, iterations = MIN_SCRAM_ITERATIONS): Promise<void> {
    const salt = randomBytes(24);
    await this.apply([{ kind: 'upsert', user, mechanism, iterations, salt, saltedPassword: saltedPassword(mechanism, password, salt, iterations) }]);
  }
}
