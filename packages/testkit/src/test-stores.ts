// Buckets and tables of tests and benchmarks on the test environment's servers: a table of the
// coordination layout (pk, sk) for tests that talk to DynamoDB directly, and removal of a bucket
// with everything in it or of a table. Missing ones are fine, so cleanup can run unconditionally.
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, ResourceNotFoundException, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
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

/** Creates an on-demand table keyed like the coordination table (pk hash, sk range) and waits for it. */
export async function createKeyTable(ddb: DynamoDBClient, table: string, maxWaitSeconds = 60): Promise<void> {
  await ddb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  await waitUntilTableExists({ client: ddb, maxWaitTime: maxWaitSeconds }, { TableName: table });
}
