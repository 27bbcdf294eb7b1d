import { describe, expect, it } from '@jest/globals';
import { classifyRequest } from '../../src/fault-proxy/classify.ts';
import { faultResponse } from '../../src/fault-proxy/responses.ts';
import { FaultRuleError, FaultRules, ruleMatches, seededRandom, validateRule } from '../../src/fault-proxy/rules.ts';

describe('classifyRequest', () => {
  const s3 = (method: string, url: string, headers: Record<string, string> = {}) => classifyRequest(method, url, headers);
  it('names every S3 request the object store and the SDK send, path-style', () => {
    expect(s3('PUT', '/bucket/seg/0001')).toEqual({ service: 's3', op: 'PutObject', ranged: false });
    expect(s3('GET', '/bucket/seg/0001')).toEqual({ service: 's3', op: 'GetObject', ranged: false });
    expect(s3('GET', '/bucket/seg/0001', { range: 'bytes=0-99' })).toEqual({ service: 's3', op: 'GetObject', ranged: true });
    expect(s3('HEAD', '/bucket/seg/0001').op).toBe('HeadObject');
    expect(s3('DELETE', '/bucket/seg/0001').op).toBe('DeleteObject');
    expect(s3('POST', '/bucket?delete').op).toBe('DeleteObjects');
    expect(s3('POST', '/bucket/?delete=').op).toBe('DeleteObjects');
    expect(s3('GET', '/bucket?list-type=2&prefix=seg%2F').op).toBe('ListObjectsV2');
    expect(s3('GET', '/bucket?prefix=x').op).toBe('ListObjects');
    expect(s3('HEAD', '/bucket').op).toBe('HeadBucket');
    expect(s3('PUT', '/bucket').op).toBe('CreateBucket');
    expect(s3('POST', '/bucket/big?uploads').op).toBe('CreateMultipartUpload');
    expect(s3('PUT', '/bucket/big?partNumber=2&uploadId=abc').op).toBe('UploadPart');
    expect(s3('POST', '/bucket/big?uploadId=abc').op).toBe('CompleteMultipartUpload');
    expect(s3('DELETE', '/bucket/big?uploadId=abc').op).toBe('AbortMultipartUpload');
    expect(s3('GET', '/bucket/big?uploadId=abc').op).toBe('ListParts');
    expect(s3('PUT', '/bucket/copy', { 'x-amz-copy-source': '/bucket/a' }).op).toBe('CopyObject');
  });

  it('names a DynamoDB request by its X-Amz-Target, whatever the path', () => {
    for (const op of ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'TransactWriteItems', 'BatchWriteItem', 'DescribeTable']) {
      expect(classifyRequest('POST', '/', { 'x-amz-target': `DynamoDB_20120810.${op}` })).toEqual({ service: 'dynamodb', op, ranged: false });
    }
    expect(classifyRequest('POST', '/', { 'x-amz-target': 'Other.Thing' }).op).toBe('DynamoDBOther');
  });
});

describe('fault rules', () => {
  const get = { service: 's3' as const, op: 'GetObject', ranged: true };
  const put = { service: 's3' as const, op: 'PutObject', ranged: false };
  const query = { service: 'dynamodb' as const, op: 'Query', ranged: false };

  it('match by service, operation and rangedness', () => {
    expect(ruleMatches({ fault: 'reset', rate: 1 }, query)).toBe(true);
    expect(ruleMatches({ fault: 'reset', rate: 1, service: 's3' }, query)).toBe(false);
    expect(ruleMatches({ fault: 'reset', rate: 1, ops: ['PutObject'] }, put)).toBe(true);
    expect(ruleMatches({ fault: 'reset', rate: 1, ops: ['PutObject'] }, get)).toBe(false);
    expect(ruleMatches({ fault: 'reset', rate: 1, ranged: true }, get)).toBe(true);
    expect(ruleMatches({ fault: 'reset', rate: 1, ranged: false }, get)).toBe(false);
    expect(ruleMatches({ fault: 'reset', rate: 1, ranged: true }, put)).toBe(false);
  });

  it('are validated: a DynamoDB-only fault needs the DynamoDB service, a rate within 0..1, latency a delay', () => {
    expect(() => validateRule({ fault: 'throttling', rate: 0.5 })).toThrow(FaultRuleError);
    expect(() => validateRule({ fault: 'throttling', rate: 0.5, service: 'dynamodb' })).not.toThrow();
    expect(() => validateRule({ fault: 'reset', rate: 1.5 })).toThrow(FaultRuleError);
    expect(() => validateRule({ fault: 'latency', rate: 1 })).toThrow(FaultRuleError);
    expect(() => validateRule({ fault: 'bogus' as 'reset', rate: 1 })).toThrow(FaultRuleError);
  });

  it('inject at their rate, reproducibly for one seed', () => {
    const picks = (seed: number) => {
      const rules = new FaultRules(seed);
      rules.set([{ fault: 'slow-down', rate: 0.25, ops: ['PutObject'] }]);
      return Array.from({ length: 4000 }, () => rules.pick(put)?.fault ?? '-');
    };
    const a = picks(7);
    expect(picks(7)).toEqual(a);
    expect(picks(8)).not.toEqual(a);
    const hits = a.filter((x) => x === 'slow-down').length;
    expect(hits).toBeGreaterThan(900);
    expect(hits).toBeLessThan(1100);
  });

  it('give one fault per request: the first rule whose draw hits; a limit stops a rule; clear heals', () => {
    const rules = new FaultRules(1);
    rules.set([
      { fault: 'reset', rate: 1, ops: ['GetObject'], limit: 2 },
      { fault: 'internal-error', rate: 1 },
    ]);
    expect([rules.pick(get), rules.pick(get), rules.pick(get), rules.pick(put)].map((r) => r?.fault)).toEqual(['reset', 'reset', 'internal-error', 'internal-error']);
    rules.clear();
    expect(rules.pick(get)).toBeUndefined();
    expect(rules.pick(query)).toBeUndefined();
  });

  it('draw from a uniform generator', () => {
    const r = seededRandom(42);
    const xs = Array.from({ length: 10000 }, r);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((a, b) => a + b, 0) / xs.length).toBeCloseTo(0.5, 1);
  });
});

describe('fault responses', () => {
  it('are S3 XML errors and DynamoDB JSON errors with the status each service uses', () => {
    const slow = faultResponse('s3', 'slow-down', 'r1')!;
    expect(slow.status).toBe(503);
    expect(slow.body).toContain('<Code>SlowDown</Code>');
    expect(faultResponse('s3', 'internal-error', 'r2')!.status).toBe(500);
    expect(faultResponse('s3', 'reset', 'r3')).toBeUndefined();
    const pte = faultResponse('dynamodb', 'throughput-exceeded', 'r4')!;
    expect(pte.status).toBe(400);
    expect(JSON.parse(pte.body).__type).toMatch(/#ProvisionedThroughputExceededException$/);
    expect(JSON.parse(faultResponse('dynamodb', 'throttling', 'r5')!.body).__type).toMatch(/#ThrottlingException$/);
    const tx = JSON.parse(faultResponse('dynamodb', 'transaction-conflict', 'r6')!.body);
    expect(tx.__type).toMatch(/#TransactionCanceledException$/);
    expect(tx.CancellationReasons).toEqual([{ Code: 'TransactionConflict', Message: expect.any(String) }]);
    expect(faultResponse('dynamodb', 'internal-error', 'r7')!.status).toBe(500);
  });
});
