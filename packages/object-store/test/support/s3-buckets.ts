// Test buckets on the servers of the test environment: a fresh, randomly named bucket per run,
// emptied and removed afterwards.
import { randomBytes } from 'node:crypto';

export function testBucketName(tag: string): string {
  return `floe-os-${tag}-${randomBytes(6).toString('hex')}`;
}

export { rawS3Client as rawClient, removeBucket } from '../../../testkit/src/test-stores.ts';
