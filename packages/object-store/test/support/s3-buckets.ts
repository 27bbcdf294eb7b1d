// Test buckets on the servers of the test environment: a fresh, randomly named bucket per run,
// emptied and removed afterwards.
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import type { TestEnv } from '../../../testkit/src/test-env.ts';

export function testBucketName(tag: string): string {
  return `floe-os-${tag}-${randomBytes(6).toString('hex')}`;
}

export function rawClient(env: TestEnv, endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: env.region,
    forcePathStyle: true,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
  });
}

/** Deletes every object of `bucket`, then the bucket; a missing bucket is fine. */
export async function removeBucket(env: TestEnv, endpoint: string, bucket: string): Promise<void> {
  const s3 = rawClient(env, endpoint);
  try {
    for (;;) {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
      if (keys.length === 0) break;
      await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    }
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch (e) {
    if ((e as { name?: string }).name !== 'NoSuchBucket') throw e;
  } finally {
    s3.destroy();
  }
}
