import { afterAll, describe, expect, it } from '@jest/globals';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { loadTestEnv } from '../../../testkit/src/test-env.ts';
import { ObjectStoreError } from '../../src/object-store.ts';
import { S3ObjectStore, type S3ObjectStoreOptions } from '../../src/s3-object-store.ts';
import { collect, objectStoreConformance } from '../conformance.ts';
import { rawClient, removeBucket, testBucketName } from '../support/s3-buckets.ts';

const env = loadTestEnv();

function options(endpoint: string, bucket: string, prefix?: string): S3ObjectStoreOptions {
  return {
    bucket,
    ...(prefix !== undefined && { prefix }),
    endpoint,
    region: env.region,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
    forcePathStyle: true,
    createBucket: true,
  };
}

const servers = [
  { name: 'MinIO', endpoint: env.s3Endpoint, prefix: undefined, atomicCreate: true },
  { name: 'MinIO under a key prefix', endpoint: env.s3Endpoint, prefix: 'tenant-a/floe', atomicCreate: true },
  // moto's conditional checks are not atomic: ten racing creators can all win there.
  { name: 'moto', endpoint: env.motoEndpoint, prefix: undefined, atomicCreate: false },
];

for (const server of servers) {
  const bucket = testBucketName(server.name === 'moto' ? 'moto' : 'minio');
  objectStoreConformance(
    `S3ObjectStore on ${server.name}`,
    () => S3ObjectStore.open(options(server.endpoint, bucket, server.prefix)),
    () => removeBucket(env, server.endpoint, bucket),
    { atomicCreate: server.atomicCreate },
  );
}

describe('S3ObjectStore on MinIO, beyond the conformance suite', () => {
  const bucket = testBucketName('minio');
  const raw = rawClient(env, env.s3Endpoint);
  afterAll(async () => {
    raw.destroy();
    await removeBucket(env, env.s3Endpoint, bucket);
  });

  it('creates its bucket once and opens an existing one', async () => {
    const a = await S3ObjectStore.open(options(env.s3Endpoint, bucket));
    const b = await S3ObjectStore.open(options(env.s3Endpoint, bucket));
    await a.putIfAbsent('x', Buffer.from('x'));
    expect((await b.get('x')).toString()).toBe('x');
    await Promise.all([a.close(), b.close()]);
  });

  it('keeps keys under its prefix and lists only those, without the prefix', async () => {
    const store = await S3ObjectStore.open(options(env.s3Endpoint, bucket, 'clusters/c1/'));
    expect(store.prefix).toBe('clusters/c1/');
    await store.putIfAbsent('segments/0', Buffer.from('in the prefix'));
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: 'clusters/c2/segments/1', Body: 'other' }));
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: 'clusters/c1/not a key', Body: 'stray' }));
    const got = await raw.send(new GetObjectCommand({ Bucket: bucket, Key: 'clusters/c1/segments/0' }));
    expect(await got.Body!.transformToString()).toBe('in the prefix');
    expect((await collect(store.list(''))).map((o) => o.key)).toEqual(['segments/0']);
    await store.close();
  });

  it('refuses an invalid key prefix', () => {
    expect(() => new S3ObjectStore({ bucket, prefix: '../up' })).toThrow(ObjectStoreError);
  });

  it('reports a missing bucket as invalid, with the S3 code', async () => {
    const store = await S3ObjectStore.open({ ...options(env.s3Endpoint, testBucketName('none')), createBucket: false });
    const err = (await store.get('x').catch((e: unknown) => e)) as ObjectStoreError;
    expect(err).toBeInstanceOf(ObjectStoreError);
    expect(err.kind).toBe('invalid');
    expect(err.message).toContain('NoSuchBucket');
    await store.close();
  });

  it('reports wrong credentials as invalid, with the S3 code, without retrying', async () => {
    const store = new S3ObjectStore({
      ...options(env.s3Endpoint, bucket),
      credentials: { accessKeyId: env.accessKeyId, secretAccessKey: 'not-the-secret' },
    });
    const err = (await store.putIfAbsent('y', Buffer.from('y')).catch((e: unknown) => e)) as ObjectStoreError;
    expect(err).toBeInstanceOf(ObjectStoreError);
    expect(err.kind).toBe('invalid');
    expect(err.retriable).toBe(false);
    expect(err.message).toContain('SignatureDoesNotMatch');
    expect(store.stats()).toEqual(expect.objectContaining({ puts: 1, errors: 1 }));
    await store.close();
  });

  it('refuses operations after close', async () => {
    const store = new S3ObjectStore(options(env.s3Endpoint, bucket));
    await store.close();
    await expect(store.head('x')).rejects.toMatchObject({ kind: 'invalid' });
  });
});
