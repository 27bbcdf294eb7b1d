// The conformance suite against the DynamoDB servers of the test environment, each with a fresh
// table created by the store itself, plus what only the DynamoDB store has: table creation, error
// mapping, reported capacity.
import { afterAll, describe, expect, it } from '@jest/globals';
import { DeleteTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { loadTestEnv } from '../../../testkit/src/test-env.ts';
import { CoordinationError, DynamoDbCoordinationStore, type DynamoDbStoreOptions } from '../../src/index.ts';
import { coordinationConformance, sizedItem } from '../conformance.ts';

const env = loadTestEnv();
const credentials = { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey };

const servers = [
  // DynamoDB Local applies a condition and its write as one step; moto does not.
  { name: 'DynamoDB Local', endpoint: env.dynamodbEndpoint, atomicConditions: true, exactBilling: true },
  // moto reports a flat capacity per call, whatever the item size.
  { name: 'moto', endpoint: env.motoEndpoint, atomicConditions: false, exactBilling: false },
];

const tables: { endpoint: string; table: string }[] = [];
function options(endpoint: string, table: string): DynamoDbStoreOptions {
  return { table, endpoint, region: env.region, credentials, createTable: true };
}

afterAll(async () => {
  for (const { endpoint, table } of tables) {
    const client = new DynamoDBClient({ endpoint, region: env.region, credentials });
    await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    client.destroy();
  }
});

for (const server of servers) {
  const table = `floe-coordination-test-${randomUUID()}`;
  tables.push({ endpoint: server.endpoint, table });
  coordinationConformance(server.name, () => DynamoDbCoordinationStore.open(options(server.endpoint, table)), server);

  describe(`DynamoDbCoordinationStore on ${server.name}`, () => {
    it('creates the table with pk/sk keys, on-demand billing and TTL on `ttl`, and tolerates creating it again', async () => {
      const name = `floe-coordination-test-${randomUUID()}`;
      tables.push({ endpoint: server.endpoint, table: name });
      // Two openers at once: one creates, the other finds it being created.
      const stores = await Promise.all([
        DynamoDbCoordinationStore.open(options(server.endpoint, name)),
        DynamoDbCoordinationStore.open(options(server.endpoint, name)),
      ]);
      const client = new DynamoDBClient({ endpoint: server.endpoint, region: env.region, credentials });
      try {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
        expect(Table?.TableStatus).toBe('ACTIVE');
        expect(Table?.KeySchema).toEqual(
          expect.arrayContaining([
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ]),
        );
        expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
        const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
        expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: 'ttl', TimeToLiveStatus: 'ENABLED' });
        await stores[0]!.put({ pk: 'p', sk: 's', ttl: Math.floor(Date.now() / 1000) + 3600 });
        expect(await stores[1]!.get('p', 's', { consistent: true })).toMatchObject({ pk: 'p', sk: 's' });
      } finally {
        client.destroy();
        for (const s of stores) await s.close();
      }
    });

    it('reports a missing table as invalid, not retriable', async () => {
      const store = await DynamoDbCoordinationStore.open({ ...options(server.endpoint, `missing-${randomUUID()}`), createTable: false });
      try {
        const err = await store.get('p', 's').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CoordinationError);
        expect((err as CoordinationError).kind).toBe('invalid');
        expect((err as CoordinationError).retriable).toBe(false);
      } finally {
        await store.close();
      }
    });

    it('refuses calls after close', async () => {
      const store = await DynamoDbCoordinationStore.open(options(server.endpoint, table));
      await store.close();
      await expect(store.get('p', 's')).rejects.toMatchObject({ kind: 'invalid' });
    });
  });
}

describe('DynamoDbCoordinationStore failures', () => {
  it('reports a server that does not answer as unavailable after its retries', async () => {
    // A port nothing listens on: connection refused on every attempt.
    const store = await DynamoDbCoordinationStore.open({
      table: 't',
      endpoint: 'http://127.0.0.1:9',
      region: env.region,
      credentials,
      maxAttempts: 2,
      requestTimeoutMs: 1000,
    });
    try {
      const err = await store.put({ pk: 'p', sk: 's' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CoordinationError);
      expect((err as CoordinationError).kind).toBe('unavailable');
      expect((err as CoordinationError).retriable).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('reports a server that accepts but never answers as unavailable after the request timeout', async () => {
    const net = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const server = net.createServer((s) => sockets.push(s)); // reads nothing, answers nothing
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as import('node:net').AddressInfo).port;
    const store = await DynamoDbCoordinationStore.open({
      table: 't',
      endpoint: `http://127.0.0.1:${port}`,
      region: env.region,
      credentials,
      maxAttempts: 2,
      requestTimeoutMs: 300,
    });
    try {
      const started = Date.now();
      const err = await store.get('p', 's').catch((e: unknown) => e);
      expect((err as CoordinationError).kind).toBe('unavailable');
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await store.close();
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});

describe('capacity DynamoDB Local reports', () => {
  it('bills writes per KB of item, doubled in transactions', async () => {
    const table = `floe-coordination-test-${randomUUID()}`;
    tables.push({ endpoint: env.dynamodbEndpoint, table });
    const store = await DynamoDbCoordinationStore.open(options(env.dynamodbEndpoint, table));
    try {
      const seen: Record<number, [number, number]> = {};
      for (const size of [100, 1024, 1025, 3584, 4096, 10_000, 100_000, 400 * 1024]) {
        let before = store.stats().writeUnits;
        await store.put(sizedItem('sizes', `s${size}`, size));
        const put = store.stats().writeUnits - before;
        before = store.stats().writeUnits;
        await store.transact([{ put: sizedItem('sizes', `t${size}`, size) }]);
        seen[size] = [put, store.stats().writeUnits - before];
      }
      expect(seen).toEqual({
        100: [1, 2],
        1024: [1, 2],
        1025: [2, 4],
        3584: [4, 8],
        4096: [4, 8],
        10000: [10, 20],
        100000: [98, 196],
        409600: [400, 800],
      });
    } finally {
      await store.close();
    }
  });
});
