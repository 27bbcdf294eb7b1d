// Proves the DynamoDB servers of the test environment are real and do what Floe relies on:
// conditional writes that fail, and transactions whose cancellation reasons come back.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ConditionalCheckFailedException,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { createKeyTable } from '../../src/test-stores.ts';
import { loadTestEnv } from '../../src/test-env.ts';

const env = loadTestEnv();
const servers = [
  ['DynamoDB Local', env.dynamodbEndpoint],
  ['moto', env.motoEndpoint],
] as const;

describe.each(servers)('DynamoDB on %s', (_name, endpoint) => {
  const ddb = new DynamoDBClient({
    endpoint,
    region: env.region,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
  });
  const TableName = `smoke-${randomUUID()}`;

  beforeAll(async () => {
    await createKeyTable(ddb, TableName, 30);
  });
  afterAll(async () => {
    await ddb.send(new DeleteTableCommand({ TableName }));
    ddb.destroy();
  });

  it('rejects a conditional put whose condition fails and keeps the first item', async () => {
    const put = (v: string) =>
      ddb.send(
        new PutItemCommand({
          TableName,
          Item: { pk: { S: 'j#0' }, sk: { S: '1' }, v: { S: v } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    await put('first');
    await expect(put('second')).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    const got = await ddb.send(
      new GetItemCommand({ TableName, Key: { pk: { S: 'j#0' }, sk: { S: '1' } }, ConsistentRead: true }),
    );
    expect(got.Item?.v?.S).toBe('first');
  });

  it('cancels a transaction and says which action failed', async () => {
    await ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'taken' }, sk: { S: '0' } } }));
    const tx = ddb.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName, Item: { pk: { S: 'fresh' }, sk: { S: '0' } } } },
          {
            Put: {
              TableName,
              Item: { pk: { S: 'taken' }, sk: { S: '0' } },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
    const err = await tx.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransactionCanceledException);
    const reasons = (err as TransactionCanceledException).CancellationReasons?.map((r) => r.Code);
    expect(reasons).toEqual(['None', 'ConditionalCheckFailed']);
    // Nothing of the cancelled transaction was written.
    const fresh = await ddb.send(
      new GetItemCommand({ TableName, Key: { pk: { S: 'fresh' }, sk: { S: '0' } }, ConsistentRead: true }),
    );
    expect(fresh.Item).toBeUndefined();
  });
});
