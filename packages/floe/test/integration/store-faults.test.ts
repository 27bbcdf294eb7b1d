// Floe's S3 and DynamoDB stores through the fault proxy, on MinIO and DynamoDB Local: transient
// faults are retried away, a create whose answer was lost resolves as done, and faults that do
// not stop surface as the stores' typed errors (unavailable: worth retrying later).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { ConditionFailedError, CoordinationError, DynamoDbCoordinationStore } from '@floe/coordination';
import { ObjectStoreError, S3ObjectStore } from '@floe/object-store';
import { FaultProxy, loadTestEnv } from '@floe/testkit';

const env = loadTestEnv();
const credentials = { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey };

describe('S3ObjectStore through the fault proxy', () => {
  const proxy = new FaultProxy({ upstream: env.s3Endpoint, seed: 3 });
  let store: S3ObjectStore;
  beforeAll(async () => {
    await proxy.listen();
    store = await S3ObjectStore.open({ bucket: `store-faults-${randomUUID().slice(0, 8)}`, endpoint: proxy.url, region: env.region, credentials, createBucket: true });
  });
  afterAll(async () => {
    await store.close();
    await proxy.close();
  });

  it('retries SlowDown, InternalError and resets away', async () => {
    proxy.setRules([
      { fault: 'slow-down', rate: 1, service: 's3', ops: ['PutObject'], limit: 1 },
      { fault: 'internal-error', rate: 1, service: 's3', ops: ['PutObject'], limit: 1 },
      { fault: 'reset', rate: 1, service: 's3', ops: ['GetObject'], limit: 1 },
    ]);
    const body = randomBytes(10_000);
    await store.putIfAbsent('a', body);
    expect((await store.get('a', { start: 100, end: 200 })).equals(body.subarray(100, 200))).toBe(true);
    expect(proxy.stats().injected).toMatchObject({ 'slow-down': 1, 'internal-error': 1, reset: 1 });
    expect(store.stats().errors).toBe(3);
  });

  it('takes a create whose answer was lost as done when its retry finds the same bytes', async () => {
    proxy.setRules([{ fault: 'timeout-after-success', rate: 1, service: 's3', ops: ['PutObject'], limit: 1 }]);
    const body = randomBytes(5_000);
    await store.putIfAbsent('lost-answer', body);
    expect((await store.get('lost-answer')).equals(body)).toBe(true);
    expect(proxy.stats().injected['timeout-after-success']).toBe(1);
  });

  it('surfaces a fault that persists as unavailable', async () => {
    proxy.setRules([{ fault: 'slow-down', rate: 1, service: 's3' }]);
    const err = await store.putIfAbsent('never', Buffer.from('x')).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectStoreError);
    expect((err as ObjectStoreError).kind).toBe('unavailable');
    proxy.setRules([]);
  });
});

describe('DynamoDbCoordinationStore through the fault proxy', () => {
  const proxy = new FaultProxy({ upstream: env.dynamodbEndpoint, seed: 4 });
  let store: DynamoDbCoordinationStore;
  beforeAll(async () => {
    await proxy.listen();
    store = await DynamoDbCoordinationStore.open({ table: `store-faults-${randomUUID().slice(0, 8)}`, endpoint: proxy.url, region: env.region, credentials, createTable: true });
  });
  afterAll(async () => {
    await store.close();
    await proxy.close();
  });

  it('retries throttling and 5xx away', async () => {
    proxy.setRules([
      { fault: 'throughput-exceeded', rate: 1, service: 'dynamodb', ops: ['PutItem'], limit: 1 },
      { fault: 'throttling', rate: 1, service: 'dynamodb', ops: ['GetItem'], limit: 1 },
      { fault: 'internal-error', rate: 1, service: 'dynamodb', ops: ['GetItem'], limit: 1 },
    ]);
    await store.put({ pk: 'p', sk: 'a', v: 1 }, { absent: true });
    expect(await store.get('p', 'a', { consistent: true })).toMatchObject({ v: 1 });
    expect(proxy.stats().injected).toMatchObject({ 'throughput-exceeded': 1, throttling: 1, 'internal-error': 1 });
  });

  it('surfaces a conditional put whose answer was lost as a condition failure that shows its own item', async () => {
    proxy.setRules([{ fault: 'timeout-after-success', rate: 1, service: 'dynamodb', ops: ['PutItem'], limit: 1 }]);
    const err = await store.put({ pk: 'p', sk: 'lost', v: 'mine' }, { absent: true }).then(() => undefined, (e: unknown) => e);
    // The SDK's retry met the item its first attempt wrote: the caller can tell it is its own.
    expect(err).toBeInstanceOf(ConditionFailedError);
    expect((err as ConditionFailedError).existing).toMatchObject({ pk: 'p', sk: 'lost', v: 'mine' });
  });

  it('surfaces transaction conflicts and persistent throttling as unavailable, writing nothing', async () => {
    proxy.setRules([{ fault: 'transaction-conflict', rate: 1, service: 'dynamodb', ops: ['TransactWriteItems'] }]);
    const tx = await store.transact([{ put: { pk: 'p', sk: 't1' } }, { put: { pk: 'p', sk: 't2' } }]).then(() => undefined, (e: unknown) => e);
    expect(tx).toBeInstanceOf(CoordinationError);
    expect((tx as CoordinationError).kind).toBe('unavailable');
    proxy.setRules([{ fault: 'throughput-exceeded', rate: 1, service: 'dynamodb', ops: ['PutItem'] }]);
    const put = await store.put({ pk: 'p', sk: 'never' }).then(() => undefined, (e: unknown) => e);
    expect((put as CoordinationError).kind).toBe('unavailable');
    proxy.setRules([]);
    expect(await store.get('p', 't1', { consistent: true })).toBeUndefined();
    expect(await store.get('p', 'never', { consistent: true })).toBeUndefined();
  });
});
