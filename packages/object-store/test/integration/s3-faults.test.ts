// S3ObjectStore against MinIO through a fault-injecting proxy: transient failures are retried,
// a create whose answer was lost resolves as the success it was, persistent failures end as
// 'unavailable' after maxAttempts, and client errors are not retried.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { loadTestEnv } from '../../../testkit/src/test-env.ts';
import { ObjectStoreError } from '../../src/object-store.ts';
import { S3ObjectStore, type S3ObjectStoreOptions } from '../../src/s3-object-store.ts';
import { collect } from '../conformance.ts';
import { FaultProxy, isHead, isList, isObjectGet, isPut } from '../support/fault-proxy.ts';
import { removeBucket, testBucketName } from '../support/s3-buckets.ts';

const env = loadTestEnv();
const bucket = testBucketName('faults');
let proxy: FaultProxy;
const stores: S3ObjectStore[] = [];

beforeAll(async () => {
  proxy = await FaultProxy.start(env.s3Endpoint);
  await (await S3ObjectStore.open({ ...base(env.s3Endpoint), createBucket: true })).close();
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  proxy.reset();
});
afterAll(async () => {
  await proxy.close();
  await removeBucket(env, env.s3Endpoint, bucket);
});

function base(endpoint: string): S3ObjectStoreOptions {
  return {
    bucket,
    endpoint,
    region: env.region,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
  };
}

/** A store that talks to MinIO through the proxy. */
function viaProxy(extra: Partial<S3ObjectStoreOptions> = {}): S3ObjectStore {
  const store = new S3ObjectStore({ ...base(proxy.endpoint), maxAttempts: 4, requestTimeoutMs: 2_000, ...extra });
  stores.push(store);
  return store;
}

let n = 0;
const freshKey = (): string => `faults/${Date.now()}-${n++}`;

async function rejection(p: Promise<unknown>): Promise<ObjectStoreError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ObjectStoreError);
  return e as ObjectStoreError;
}

describe('S3ObjectStore retries transient failures', () => {
  it('succeeds after two 503 SlowDown answers to a PUT', async () => {
    const store = viaProxy();
    const key = freshKey();
    proxy.inject({ kind: 'status', status: 503, code: 'SlowDown' }, { times: 2, match: isPut });
    await store.putIfAbsent(key, Buffer.from('after slowing down'));
    expect(proxy.requests(isPut).map((r) => r.fault ?? r.status)).toEqual(['status', 'status', 200]);
    expect(store.stats()).toEqual(expect.objectContaining({ puts: 3, errors: 2, bytesWritten: 3 * 18 }));
    expect((await store.get(key)).toString()).toBe('after slowing down');
  });

  it('succeeds after two 500 InternalError answers to a GET', async () => {
    const store = viaProxy();
    const key = freshKey();
    const body = randomBytes(4096);
    await store.putIfAbsent(key, body);
    proxy.inject({ kind: 'status', status: 500, code: 'InternalError' }, { times: 2, match: isObjectGet });
    expect((await store.get(key, { start: 100, end: 200 })).equals(body.subarray(100, 200))).toBe(true);
    expect(proxy.requests(isObjectGet)).toHaveLength(3);
    expect(store.stats()).toEqual(expect.objectContaining({ gets: 3, errors: 2, bytesRead: 100 }));
  });

  it('succeeds after dropped connections on HEAD and LIST', async () => {
    const store = viaProxy();
    const key = freshKey();
    await store.putIfAbsent(key, Buffer.from('x'));
    proxy.inject({ kind: 'drop' }, { match: isHead });
    proxy.inject({ kind: 'drop' }, { match: isList });
    expect(await store.head(key)).toEqual({ size: 1 });
    expect((await collect(store.list(key))).map((o) => o.key)).toEqual([key]);
    expect(proxy.requests(isHead).map((r) => r.fault ?? r.status)).toEqual(['drop', 200]);
    expect(proxy.requests(isList).map((r) => r.fault ?? r.status)).toEqual(['drop', 200]);
  });

  it('succeeds after a GET times out', async () => {
    const store = viaProxy({ requestTimeoutMs: 500 });
    const key = freshKey();
    await store.putIfAbsent(key, Buffer.from('slow'));
    proxy.inject({ kind: 'hang-after-forward' }, { match: isObjectGet });
    expect((await store.get(key)).toString()).toBe('slow');
    expect(proxy.requests(isObjectGet).map((r) => r.fault ?? r.status)).toEqual(['hang-after-forward', 200]);
  });

  it('retries a 409 ConditionalRequestConflict', async () => {
    const store = viaProxy();
    const key = freshKey();
    proxy.inject({ kind: 'status', status: 409, code: 'ConditionalRequestConflict' }, { match: isPut });
    await store.putIfAbsent(key, Buffer.from('after the conflict'));
    expect(proxy.requests(isPut).map((r) => r.fault ?? r.status)).toEqual(['status', 200]);
  });
});

describe('S3ObjectStore resolves a create that succeeded though its answer was lost', () => {
  it.each([
    ['1 KiB', 1024],
    ['5 MiB', 5 * 1024 * 1024],
  ])('when the connection drops after S3 applied the PUT (%s)', async (_size, size) => {
    const store = viaProxy();
    const key = freshKey();
    const body = randomBytes(size);
    proxy.inject({ kind: 'drop-after-forward' }, { match: isPut });
    await store.putIfAbsent(key, body);
    // The first PUT created the object; its retry met If-None-Match: * and got 412, then a HEAD
    // found our size and MD5.
    expect(proxy.requests(isPut).map((r) => r.status)).toEqual([200, 412]);
    expect(proxy.requests(isHead).map((r) => r.status)).toEqual([200]);
    expect(store.stats()).toEqual(expect.objectContaining({ puts: 2, heads: 1, errors: 2 }));
    expect((await store.get(key)).equals(body)).toBe(true);
  });

  it('when the answer times out after S3 applied the PUT', async () => {
    const store = viaProxy({ requestTimeoutMs: 500 });
    const key = freshKey();
    proxy.inject({ kind: 'hang-after-forward' }, { match: isPut });
    await store.putIfAbsent(key, Buffer.from('applied, answer lost'));
    expect(proxy.requests(isPut).map((r) => r.status)).toEqual([200, 412]);
    expect((await store.get(key)).toString()).toBe('applied, answer lost');
  });

  it('but not when another writer created the key first', async () => {
    const store = viaProxy();
    const key = freshKey();
    await viaProxy().putIfAbsent(key, Buffer.from('the other writer'));
    proxy.inject({ kind: 'drop' }, { match: isPut });
    const err = await rejection(store.putIfAbsent(key, Buffer.from('this writer, too')));
    expect(err.kind).toBe('exists');
    expect(proxy.requests(isPut).map((r) => r.fault ?? r.status)).toEqual([200, 'drop', 412]);
  });
});

describe('S3ObjectStore gives up', () => {
  it('on a persistent 503 after maxAttempts, as unavailable and retriable', async () => {
    const store = viaProxy({ maxAttempts: 3 });
    proxy.inject({ kind: 'status', status: 503, code: 'SlowDown' }, { times: 100, match: isPut });
    const err = await rejection(store.putIfAbsent(freshKey(), Buffer.from('never')));
    expect(err.kind).toBe('unavailable');
    expect(err.retriable).toBe(true);
    expect(err.message).toContain('SlowDown');
    expect(err.message).toContain('failed after 3 attempts');
    expect(proxy.requests(isPut)).toHaveLength(3);
    expect(store.stats()).toEqual(expect.objectContaining({ puts: 3, errors: 3 }));
  });

  it('on connections that keep dropping, as unavailable', async () => {
    const store = viaProxy({ maxAttempts: 2 });
    proxy.inject({ kind: 'drop' }, { times: 100, match: isList });
    const err = await rejection(collect(store.list('faults/')));
    expect(err.kind).toBe('unavailable');
    expect(proxy.requests(isList)).toHaveLength(2);
    expect(store.stats()).toEqual(expect.objectContaining({ lists: 2, errors: 2 }));
  });

  it('at once on a 403, as invalid with the S3 code', async () => {
    const store = viaProxy();
    proxy.inject({ kind: 'status', status: 403, code: 'AccessDenied' }, { match: isObjectGet });
    const err = await rejection(store.get('faults/whatever'));
    expect(err.kind).toBe('invalid');
    expect(err.retriable).toBe(false);
    expect(err.message).toContain('AccessDenied');
    expect(proxy.requests(isObjectGet)).toHaveLength(1);
  });
});
