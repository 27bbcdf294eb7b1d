// The DynamoDB store against a scripted HTTP endpoint: what real test servers cannot be made to do
// on demand (throttle, fail with 5xx, conflict, omit consumed capacity). The real servers run the
// conformance suite in test/integration/dynamodb-store.test.ts.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoordinationError, DynamoDbCoordinationStore, TransactionCancelledError } from '../../src/index.ts';
import { sizedItem } from '../conformance.ts';

interface Reply {
  status: number;
  body: unknown;
}

let server: Server;
let endpoint: string;
/** What the endpoint answers, per operation (X-Amz-Target suffix); requests seen. */
let replies: Record<string, Reply | (() => Reply)> = {};
let requests: { op: string; body: Record<string, unknown> }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      const op = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      requests.push({ op, body: JSON.parse(data || '{}') as Record<string, unknown> });
      const r = replies[op];
      const reply = typeof r === 'function' ? r() : (r ?? { status: 200, body: {} });
      res.writeHead(reply.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'test' });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  replies = {};
  requests = [];
});

const open = () =>
  DynamoDbCoordinationStore.open({
    table: 't',
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 3,
  });

const error = (type: string, status = 400, extra: Record<string, unknown> = {}): Reply => ({
  status,
  body: { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: `${type} from the test`, ...extra },
});

async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(CoordinationError);
    return (err as CoordinationError).kind;
  }
  return 'ok';
}

describe('DynamoDbCoordinationStore error mapping', () => {
  it.each([
    ['ProvisionedThroughputExceededException', 400],
    ['ThrottlingException', 400],
    ['RequestLimitExceeded', 400],
    ['InternalServerError', 500],
    ['ServiceUnavailable', 503],
  ])('%s is unavailable (retriable), after the SDK retried it', async (type, status) => {
    replies.PutItem = error(type, status);
    const store = await open();
    try {
      expect(await kindOf(store.put({ pk: 'p', sk: 's' }))).toBe('unavailable');
      expect(requests.filter((r) => r.op === 'PutItem')).toHaveLength(3);
    } finally {
      await store.close();
    }
  }, 30_000);

  it('TransactionConflictException is unavailable', async () => {
    replies.PutItem = error('TransactionConflictException');
    const store = await open();
    try {
      expect(await kindOf(store.put({ pk: 'p', sk: 's' }))).toBe('unavailable');
    } finally {
      await store.close();
    }
  });

  it('ValidationException is invalid and not retried', async () => {
    replies.GetItem = error('ValidationException');
    const store = await open();
    try {
      expect(await kindOf(store.get('p', 's'))).toBe('invalid');
      expect(requests).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('maps transaction cancellation reasons', async () => {
    const store = await open();
    const actions = [{ put: { pk: 'p', sk: 'a' } }, { put: { pk: 'p', sk: 'b' } }, { put: { pk: 'p', sk: 'c' } }];
    const cancelled = (codes: string[]) =>
      error('TransactionCanceledException', 400, { CancellationReasons: codes.map((Code) => ({ Code })) });
    try {
      replies.TransactWriteItems = cancelled(['None', 'ConditionalCheckFailed', 'TransactionConflict']);
      const err = await store.transact(actions).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransactionCancelledError);
      expect((err as TransactionCancelledError).reasons).toEqual(['none', 'condition-failed', 'other']);
      // Only conflicts or throttling: worth retrying.
      replies.TransactWriteItems = cancelled(['None', 'TransactionConflict', 'None']);
      expect(await kindOf(store.transact(actions))).toBe('unavailable');
      replies.TransactWriteItems = cancelled(['ThrottlingError', 'None', 'None']);
      expect(await kindOf(store.transact(actions))).toBe('unavailable');
      replies.TransactWriteItems = cancelled(['None', 'ValidationError', 'None']);
      expect(await kindOf(store.transact(actions))).toBe('invalid');
      // Every request carried an idempotency token.
      const tokens = requests.filter((r) => r.op === 'TransactWriteItems').map((r) => r.body.ClientRequestToken);
      expect(tokens.every((t) => typeof t === 'string' && t.length > 0)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('takes `existing` from ALL_OLD on a failed condition, and tolerates its absence', async () => {
    const store = await open();
    try {
      replies.PutItem = error('ConditionalCheckFailedException', 400, { Item: { pk: { S: 'p' }, sk: { S: 's' }, version: { N: '3' } } });
      const err = await store.put({ pk: 'p', sk: 's', version: 5 }, { version: 4 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'condition-failed', existing: { pk: 'p', sk: 's', version: 3 } });
      expect(requests[0]!.body).toMatchObject({
        ConditionExpression: '#v = :v',
        ExpressionAttributeNames: { '#v': 'version' },
        ExpressionAttributeValues: { ':v': { N: '4' } },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        ReturnConsumedCapacity: 'TOTAL',
      });
      replies.PutItem = error('ConditionalCheckFailedException');
      const bare = await store.put({ pk: 'p', sk: 's' }, { absent: true }).catch((e: unknown) => e);
      expect(bare).toMatchObject({ kind: 'condition-failed', existing: undefined });
      expect(requests[1]!.body).toMatchObject({ ConditionExpression: 'attribute_not_exists(pk)' });
      expect(store.stats().conditionFailures).toBe(2);
    } finally {
      await store.close();
    }
  });
});

describe('DynamoDbCoordinationStore capacity', () => {
  it('adds what the server reports', async () => {
    replies.PutItem = { status: 200, body: { ConsumedCapacity: { TableName: 't', CapacityUnits: 7 } } };
    replies.GetItem = { status: 200, body: { ConsumedCapacity: { TableName: 't', CapacityUnits: 2.5 } } };
    const store = await open();
    try {
      await store.put({ pk: 'p', sk: 's' });
      await store.get('p', 's');
      expect(store.stats()).toEqual({ calls: 2, writeUnits: 7, readUnits: 2.5, conditionFailures: 0 });
    } finally {
      await store.close();
    }
  });

  it('computes it by the billing rules when the server omits it', async () => {
    const item = sizedItem('p', 's', 3584);
    const raw: Record<string, { S: string }> = {};
    for (const [k, v] of Object.entries(item)) raw[k] = { S: v as string };
    replies.GetItem = { status: 200, body: { Item: raw } };
    replies.Query = { status: 200, body: { Items: [raw, raw, raw], Count: 3 } };
    const store = await open();
    try {
      await store.put(item); // 4
      await store.transact([{ put: item }, { delete: { pk: 'p', sk: 'other' } }]); // 2 x (4 + 1)
      await store.delete('p', 's'); // 1 (the deleted item's size is unknown)
      expect(store.stats().writeUnits).toBe(4 + 10 + 1);
      await store.get('p', 's', { consistent: true }); // 1
      await store.get('p', 's'); // 0.5
      await store.query('p', { consistent: true }); // 3 x 3584 = 10752 bytes: 3 units
      expect(store.stats().readUnits).toBe(1 + 0.5 + 3);
      expect(store.stats().calls).toBe(6);
    } finally {
      await store.close();
    }
  });

  it('pages a query until the limit, carrying LastEvaluatedKey', async () => {
    let page = 0;
    replies.Query = () => {
      page++;
      const items = [0, 1].map((i) => ({ pk: { S: 'p' }, sk: { S: `k${page}${i}` } }));
      return { status: 200, body: { Items: items, LastEvaluatedKey: items[1] } };
    };
    const store = await open();
    try {
      const got = await store.query('p', { limit: 5 });
      expect(got.map((i) => i.sk)).toEqual(['k10', 'k11', 'k20', 'k21', 'k30']);
      const bodies = requests.map((r) => r.body);
      expect(bodies.map((b) => b.Limit)).toEqual([5, 3, 1]);
      expect(bodies[1]!.ExclusiveStartKey).toEqual({ pk: { S: 'p' }, sk: { S: 'k11' } });
      expect(bodies[0]).toMatchObject({ ScanIndexForward: true, ConsistentRead: false, KeyConditionExpression: '#pk = :pk' });
    } finally {
      await store.close();
    }
  });

  it('sends one sort-key condition: BETWEEN for two bounds, filtering the exclusive ends itself', async () => {
    replies.Query = {
      status: 200,
      body: { Items: ['a', 'b', 'c', 'd'].map((sk) => ({ pk: { S: 'p' }, sk: { S: sk } })) },
    };
    const store = await open();
    try {
      const got = await store.query('p', { after: 'a', before: 'd', reverse: true, consistent: true });
      expect(got.map((i) => i.sk)).toEqual(['b', 'c']);
      expect(requests[0]!.body).toMatchObject({
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :l AND :u',
        ExpressionAttributeValues: { ':pk': { S: 'p' }, ':l': { S: 'a' }, ':u': { S: 'd' } },
        ScanIndexForward: false,
        ConsistentRead: true,
      });
      requests = [];
      await store.query('p', { prefix: 'x' });
      await store.query('p', { after: 'x' });
      await store.query('p', { from: 'x' });
      await store.query('p', { before: 'x' });
      expect(requests.map((r) => r.body.KeyConditionExpression)).toEqual([
        '#pk = :pk AND begins_with(#sk, :p)',
        '#pk = :pk AND #sk > :l',
        '#pk = :pk AND #sk >= :l',
        '#pk = :pk AND #sk < :u',
      ]);
    } finally {
      await store.close();
    }
  });

  it('marshals values: S, N, BOOL, B', async () => {
    const store = await open();
    try {
      await store.put({ pk: 'p', sk: 's', n: -12, t: true, b: new Uint8Array([1, 2, 255]) });
      expect(requests[0]!.body.Item).toEqual({
        pk: { S: 'p' },
        sk: { S: 's' },
        n: { N: '-12' },
        t: { BOOL: true },
        b: { B: Buffer.from([1, 2, 255]).toString('base64') },
      });
    } finally {
      await store.close();
    }
  });
});
