// Proves the S3 servers of the test environment are real and do what Floe relies on:
// conditional create (If-None-Match: *), ranged reads and multipart uploads.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { randomBytes, randomUUID } from 'node:crypto';
import { loadTestEnv } from '../../src/test-env.ts';

const env = loadTestEnv();
const servers = [
  ['MinIO', env.s3Endpoint],
  ['moto', env.motoEndpoint],
] as const;

describe.each(servers)('S3 on %s', (_name, endpoint) => {
  const s3 = new S3Client({
    endpoint,
    region: env.region,
    forcePathStyle: true,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
  });
  const bucket = `smoke-${randomUUID()}`;

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(() => s3.destroy());

  it('creates an object with If-None-Match: * once and refuses the second create', async () => {
    const Key = 'segments/once';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'first', IfNoneMatch: '*' }));
    const second = s3.send(
      new PutObjectCommand({ Bucket: bucket, Key, Body: 'second', IfNoneMatch: '*' }),
    );
    await expect(second).rejects.toBeInstanceOf(S3ServiceException);
    const err = (await second.catch((e: unknown) => e)) as S3ServiceException;
    expect(err.$metadata.httpStatusCode).toBe(412);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
    expect(await got.Body!.transformToString()).toBe('first');
  });

  it('serves a ranged GET of exactly the requested bytes', async () => {
    const body = randomBytes(4096);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'ranged', Body: body }));
    const got = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'ranged', Range: 'bytes=1000-1999' }),
    );
    expect(got.ContentLength).toBe(1000);
    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(body.subarray(1000, 2000));
  });

  it('assembles a multipart upload from its parts', async () => {
    const Key = 'multipart';
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(1234)];
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }));
    const etags: { ETag: string; PartNumber: number }[] = [];
    for (const [i, part] of parts.entries()) {
      const res = await s3.send(
        new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: i + 1, Body: part }),
      );
      etags.push({ ETag: res.ETag!, PartNumber: i + 1 });
    }
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key,
        UploadId,
        MultipartUpload: { Parts: etags },
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
    // Buffer.equals, not toEqual: jest's deep equality walks a 5 MiB buffer byte by byte.
    const all = Buffer.from(await got.Body!.transformToByteArray());
    expect(all.length).toBe(5 * 1024 * 1024 + 1234);
    expect(all.equals(Buffer.concat(parts))).toBe(true);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
  });
});
