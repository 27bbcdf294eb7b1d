// Removing what a test or benchmark created on the test environment's servers: a bucket with
// everything in it, a DynamoDB table. Missing ones are fine, so cleanup can run unconditionally.
import { DeleteTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { TestEnv } from './test-env.ts';

const credentials = (env: TestEnv) => ({ accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey });

/** An S3 client for `endpoint` (path-style, the test environment's credentials). */
export function rawS3Client(env: TestEnv, endpoint: string = env.s3Endpoint): S3Client {
  return new S3Client({ endpoint, region: env.region, forcePathStyle: true, credentials: credentials(env) });
}

/** Deletes every object of `bucket`, then the bucket; a missing bucket is fine. */
export async function removeBucket(env: TestEnv, endpoint: string, bucket: string): Promise<void> {
  const s3 = rawS3Client(env, endpoint);
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

/** Deletes a DynamoDB table of the test environment; a missing table is fine. */
export async function removeTable(env: TestEnv, table: string): Promise<void> {
  const ddb = new DynamoDBClient({ endpoint: env.dynamodbEndpoint, region: env.region, credentials: credentials(env) });
  try {
    await ddb.send(new DeleteTableCommand({ TableName: table }));
  } catch (e) {
    if (!(e instanceof ResourceNotFoundException)) throw e;
  } finally {
    ddb.destroy();
  }
}
