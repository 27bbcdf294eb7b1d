// In-process nodes on the test environment's MinIO and DynamoDB Local: the FLOE_* variables of
// one cluster, and the AWS credentials the stores read from the process environment.
import { afterAll, beforeAll } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTestEnv } from '@floe/testkit';

/** A new cluster's shared storage (its own bucket and table), plus any other FLOE_* settings. */
export function clusterEnv(prefix: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = loadTestEnv();
  const id = randomUUID().slice(0, 8);
  return {
    FLOE_OBJECT_STORE: `s3://${prefix}-${id}`,
    FLOE_S3_ENDPOINT: env.s3Endpoint,
    FLOE_METADATA: `dynamodb://${prefix}-${id}`,
    FLOE_DYNAMODB_ENDPOINT: env.dynamodbEndpoint,
    FLOE_KAFKA_LISTEN: '127.0.0.1:0',
    FLOE_HTTP_LISTEN: '127.0.0.1:0',
    FLOE_GRPC_LISTEN: '127.0.0.1:0',
    ...extra,
  };
}

/**
 * For the whole test file: the test environment's AWS credentials in process.env (restored
 * afterwards) and a scratch directory (removed afterwards). `onEnd` runs last, for figures.
 */
export function useClusterEnvironment(prefix: string, onEnd?: () => void): { dir(): string } {
  const env = loadTestEnv();
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY, region: process.env.AWS_REGION };
  let dir = '';
  beforeAll(() => {
    process.env.AWS_ACCESS_KEY_ID = env.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = env.secretAccessKey;
    process.env.AWS_REGION = env.region;
    dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  });
  afterAll(() => {
    const restore = (k: string, v: string | undefined) => (v === undefined ? delete process.env[k] : (process.env[k] = v));
    restore('AWS_ACCESS_KEY_ID', saved.id);
    restore('AWS_SECRET_ACCESS_KEY', saved.secret);
    restore('AWS_REGION', saved.region);
    rmSync(dir, { recursive: true, force: true });
    onEnd?.();
  });
  return { dir: () => dir };
}
