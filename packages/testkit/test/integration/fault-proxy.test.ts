// The fault proxy between the AWS SDK v3 and the real servers (MinIO, DynamoDB Local): requests
// go through unchanged (SigV4 holds), and each injected fault reaches the SDK as the typed error
// S3 or DynamoDB would cause, or as the network failure it imitates. maxAttempts 1: one fault per
// call, no SDK retry hiding it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ConditionalCheckFailedException,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  InternalServerError,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { createKeyTable, removeBucket } from '../../src/test-stores.ts';
import { FaultProxy } from '../../src/fault-proxy/fault-proxy.ts';
import { loadTestEnv } from '../../src/test-env.ts';

const env = loadTestEnv();
const credentials = { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey };
const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error & { $metadata?: { httpStatusCode?: number }; code?: string });

describe('fault proxy in front of MinIO', () => {
  const proxy = new FaultProxy({ upstream: env.s3Endpoint, seed: 1 });
  let viaProxy: S3Client;
  const direct = new S3Client({ endpoint: env.s3Endpoint, region: env.region, forcePathStyle: true, credentials });
  const Bucket = `fault-proxy-${randomUUID()}`;

  beforeAll(async () => {
    await proxy.listen();
    viaProxy = new S3Client({ endpoint: proxy.url, region: env.region, forcePathStyle: true, credentials, maxAttempts: 1 });
    await direct.send(new CreateBucketCommand({ Bucket }));
  });
  afterAll(async () => {
    viaProxy.destroy();
    direct.destroy();
    await removeBucket(env, env.s3Endpoint, Bucket);
    await proxy.close();
  });

  it('forwards signed requests unchanged when no rule is set', async () => {
    await viaProxy.send(new PutObjectCommand({ Bucket, Key: 'plain', Body: 'hello' }));
    const got = await viaProxy.send(new GetObjectCommand({ Bucket, Key: 'plain', Range: 'bytes=1-3' }));
    expect(await got.Body!.transformToString()).toBe('ell');
    expect(proxy.stats().requests).toMatchObject({ PutObject: 1, GetObject: 1 });
  });

  it('answers 503 SlowDown and 500 InternalError as S3 does, and the SDK names them', async () => {
    proxy.setRules([{ fault: 'slow-down', rate: 1, service: 's3', ops: ['PutObject'] }]);
    const slow = await failure(viaProxy.send(new PutObjectCommand({ Bucket, Key: 'slow', Body: 'x' })));
    expect(slow).toBeInstanceOf(S3ServiceException);
    expect([slow!.name, slow!.$metadata?.httpStatusCode]).toEqual(['SlowDown', 503]);
    proxy.setRules([{ fault: 'internal-error', rate: 1, service: 's3', ops: ['GetObject'], ranged: true }]);
    const internal = await failure(viaProxy.send(new GetObjectCommand({ Bucket, Key: 'plain', Range: 'bytes=0-1' })));
    expect([internal!.name, internal!.$metadata?.httpStatusCode]).toEqual(['InternalError', 500]);
    // The rule names ranged GETs: a whole GET passes.
    const whole = await viaProxy.send(new GetObjectCommand({ Bucket, Key: 'plain' }));
    expect(await whole.Body!.transformToString()).toBe('hello');
    // A HEAD's error has no body, only the status.
    proxy.setRules([{ fault: 'slow-down', rate: 1, service: 's3', ops: ['HeadObject'] }]);
    expect((await failure(viaProxy.send(new HeadObjectCommand({ Bucket, Key: 'plain' }))))!.$metadata?.httpStatusCode).toBe(503);
    expect(proxy.stats().injected).toMatchObject({ 'slow-down': 2, 'internal-error': 1 });
  });

  it('resets the connection, adds latency, and loses the answer of a PUT it let through', async () => {
    proxy.setRules([{ fault: 'reset', rate: 1, service: 's3' }]);
    const reset = await failure(viaProxy.send(new HeadObjectCommand({ Bucket, Key: 'plain' })));
    expect(reset).toBeDefined();
    expect(reset!.$metadata?.httpStatusCode).toBeUndefined();
    expect(`${reset!.code} ${reset!.message}`).toMatch(/ECONNRESET|socket hang up|EPIPE/);

    proxy.setRules([{ fault: 'latency', rate: 1, service: 's3', latencyMs: 400 }]);
    const t0 = Date.now();
    await viaProxy.send(new HeadObjectCommand({ Bucket, Key: 'plain' }));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);

    proxy.setRules([{ fault: 'timeout-after-success', rate: 1, service: 's3', ops: ['PutObject'] }]);
    const lost = await failure(viaProxy.send(new PutObjectCommand({ Bucket, Key: 'applied', Body: 'it is there' })));
    expect(lost).toBeDefined();
    expect(lost!.$metadata?.httpStatusCode).toBeUndefined();
    const there = await direct.send(new GetObjectCommand({ Bucket, Key: 'applied' }));
    expect(await there.Body!.transformToString()).toBe('it is there');
    expect(proxy.stats().injected).toMatchObject({ reset: 1, latency: 1, 'timeout-after-success': 1 });
    proxy.setRules([]);
  });
});

describe('fault proxy in front of DynamoDB Local', () => {
  const proxy = new FaultProxy({ upstream: env.dynamodbEndpoint, seed: 2 });
  let viaProxy: DynamoDBClient;
  const direct = new DynamoDBClient({ endpoint: env.dynamodbEndpoint, region: env.region, credentials });
  const TableName = `fault-proxy-${randomUUID()}`;
  const key = (k: string) => ({ pk: { S: k }, sk: { S: 'x' } });

  beforeAll(async () => {
    await proxy.listen();
    viaProxy = new DynamoDBClient({ endpoint: proxy.url, region: env.region, credentials, maxAttempts: 1 });
    await createKeyTable(direct, TableName, 60);
  });
  afterAll(async () => {
    viaProxy.destroy();
    await direct.send(new DeleteTableCommand({ TableName }));
    direct.destroy();
    await proxy.close();
  });

  it('throttles with ProvisionedThroughputExceededException and ThrottlingException, and fails with InternalServerError', async () => {
    proxy.setRules([{ fault: 'throughput-exceeded', rate: 1, service: 'dynamodb', ops: ['PutItem'] }]);
    const pte = await failure(viaProxy.send(new PutItemCommand({ TableName, Item: key('a') })));
    expect(pte).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(pte!.$metadata?.httpStatusCode).toBe(400);
    proxy.setRules([{ fault: 'throttling', rate: 1, service: 'dynamodb', ops: ['GetItem'] }]);
    const thr = await failure(viaProxy.send(new GetItemCommand({ TableName, Key: key('a') })));
    expect([thr!.name, thr!.$metadata?.httpStatusCode]).toEqual(['ThrottlingException', 400]);
    proxy.setRules([{ fault: 'internal-error', rate: 1, service: 'dynamodb' }]);
    const ise = await failure(viaProxy.send(new GetItemCommand({ TableName, Key: key('a') })));
    expect(ise).toBeInstanceOf(InternalServerError);
    expect(ise!.$metadata?.httpStatusCode).toBe(500);
    // Nothing was written by the refused put.
    expect((await direct.send(new GetItemCommand({ TableName, Key: key('a'), ConsistentRead: true }))).Item).toBeUndefined();
  });

  it('cancels a transaction with a TransactionConflict reason, writing nothing', async () => {
    proxy.setRules([{ fault: 'transaction-conflict', rate: 1, service: 'dynamodb', ops: ['TransactWriteItems'] }]);
    const tx = await failure(viaProxy.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName, Item: key('t') } }] })));
    expect(tx).toBeInstanceOf(TransactionCanceledException);
    expect((tx as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual(['TransactionConflict']);
    expect((await direct.send(new GetItemCommand({ TableName, Key: key('t'), ConsistentRead: true }))).Item).toBeUndefined();
  });

  it('loses the answer of an applied conditional put: a retry then meets its own item', async () => {
    proxy.setRules([{ fault: 'timeout-after-success', rate: 1, service: 'dynamodb', ops: ['PutItem'], limit: 1 }]);
    const put = () => viaProxy.send(new PutItemCommand({ TableName, Item: { ...key('c'), v: { S: 'mine' } }, ConditionExpression: 'attribute_not_exists(pk)' }));
    const lost = await failure(put());
    expect(lost).toBeDefined();
    expect(lost!.$metadata?.httpStatusCode).toBeUndefined();
    const retry = await failure(put());
    expect(retry).toBeInstanceOf(ConditionalCheckFailedException);
    expect((await direct.send(new GetItemCommand({ TableName, Key: key('c'), ConsistentRead: true }))).Item?.v).toEqual({ S: 'mine' });
    expect(proxy.stats().injected).toMatchObject({ 'throughput-exceeded': 1, throttling: 1, 'internal-error': 1, 'transaction-conflict': 1, 'timeout-after-success': 1 });
    proxy.setRules([]);
  });
});
