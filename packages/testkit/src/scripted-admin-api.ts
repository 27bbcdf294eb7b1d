// A scripted AdminApi for the doors' unit tests (HTTP routes, gRPC Admin, the floe command): the
// test gives the operations it exercises; every call is recorded, and an operation the test did
// not script fails loudly instead of answering something made up.
import type { AdminApi } from '@floe/admin-api';

const OPERATIONS = [
  'cluster',
  'listTopics',
  'describeTopic',
  'createTopic',
  'alterTopicConfigs',
  'addPartitions',
  'deleteTopic',
  'listGroups',
  'describeGroup',
  'groupOffsets',
  'deleteGroup',
  'resetGroupOffsets',
  'readRecords',
] as const satisfies readonly (keyof AdminApi)[];

export interface ScriptedAdminApi {
  admin: AdminApi;
  /** Each call as [operation, ...arguments], in order. */
  calls: unknown[][];
}

export function scriptedAdminApi(script: Partial<AdminApi>): ScriptedAdminApi {
  const calls: unknown[][] = [];
  const admin = {} as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const op of OPERATIONS) {
    const fn = script[op] as ((...args: unknown[]) => Promise<unknown>) | undefined;
    admin[op] = async (...args: unknown[]) => {
      calls.push([op, ...args]);
      if (!fn) throw new Error(`${op} is not scripted in this test`);
      return fn(...args);
    };
  }
  return { admin: admin as unknown as AdminApi, calls };
}
