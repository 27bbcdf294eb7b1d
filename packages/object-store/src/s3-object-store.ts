import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type BucketLocationConstraint,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  checkObjectKey,
  ObjectExistsError,
  ObjectNotFoundError,
  ObjectStoreError,
  type ByteRange,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStoreStats,
} from './object-store.ts';
import { checkByteRange, closedError, isKeyPrefix, zeroStats } from './internal.ts';

export interface S3ObjectStoreOptions {
  bucket: string;
  /** Prepended to every key, e.g. `clusters/prod`; a trailing `/` is added if missing. */
  prefix?: string;
  /** For S3-compatible stores (MinIO, ...); AWS when absent. */
  endpoint?: string;
  /** Else the SDK's resolution (AWS_REGION, the shared config). */
  region?: string;
  /** Else the SDK's default credential chain. */
  credentials?: S3ClientConfig['credentials'];
  /** Path-style URLs (`endpoint/bucket/key`); defaults to true when `endpoint` is given. */
  forcePathStyle?: boolean;
  /** `open()` creates the bucket if it is missing. */
  createBucket?: boolean;
  /** HTTP attempts per request, first included. Default 4. */
  maxAttempts?: number;
  /**
   * Limit for one attempt to send its request and get the response head, and for the connection
   * to stay idle while a body streams. Default 30,000.
   */
  requestTimeoutMs?: number;
}

const DEFAULT_MAX_ATTEMPTS = 4;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Error codes S3 answers that mean "slow down" or "try again". */
const TRANSIENT_CODES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'InternalError',
  'ServiceUnavailable',
  'ConditionalRequestConflict',
]);

/** What an attempt's response or failure looks like to the stats middleware and the mapper. */
interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $retryable?: { throttling?: boolean };
}

/**
 * ObjectStore on S3 or any S3-compatible store (MinIO), with the AWS SDK v3.
 *
 * Requests are retried by the SDK's standard strategy (exponential backoff with full jitter) on
 * throttling (503 SlowDown), 5xx, timeouts and dropped connections, and here also on 409
 * ConditionalRequestConflict. `putIfAbsent` is a PUT with `If-None-Match: *`; see there for how
 * a retried create that had already succeeded is told apart from a conflicting one.
 */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  /** The key prefix: '' or ending with '/'. */
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly s: ObjectStoreStats = zeroStats();
  private closed = false;

  constructor(options: S3ObjectStoreOptions) {
    this.bucket = options.bucket;
    this.prefix = normalizePrefix(options.prefix);
    const timeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.client = new S3Client({
      ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
      ...(options.region !== undefined && { region: options.region }),
      ...(options.credentials !== undefined && { credentials: options.credentials }),
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      // Segment bytes carry their own checksums (CRC-32C per record batch), verified by readers,
      // so the SDK adds no checksum of its own to requests or checks one on responses unless an
      // operation requires it.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      retryMode: 'standard',
      maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      requestHandler: new NodeHttpHandler({
        connectionTimeout: Math.min(timeout, 5_000),
        requestTimeout: timeout,
        throwOnRequestTimeout: true,
        socketTimeout: timeout,
      }),
    });
    this.client.middlewareStack.add(
      (next, context) => async (args) => {
        // Runs once per HTTP attempt: the deserialize step is inside the retry loop.
        const op = context.commandName ?? '';
        const body = (args.request as { body?: unknown } | undefined)?.body;
        this.countAttempt(op, body instanceof Uint8Array ? body.byteLength : 0);
        try {
          return await next(args);
        } catch (e) {
          const err = e as SdkError;
          const status = err.$metadata?.httpStatusCode;
          // A HEAD's 404 answers "absent" and a GET's 416 "nothing there": results, not failures.
          const answer =
            (op === 'HeadObjectCommand' && status === 404) ||
            (op === 'GetObjectCommand' && status === 416);
          if (!answer && OBJECT_COMMANDS.has(op)) this.s.errors++;
          // Another conditional write of the key is in flight: the standard strategy retries
          // errors that carry the retryable trait.
          const conflict = err.name === 'ConditionalRequestConflict';
          if (conflict || (status === 409 && op === 'PutObjectCommand')) {
            err.$retryable = { throttling: false };
          }
          throw e;
        }
      },
      { step: 'deserialize', priority: 'high', name: 'floeObjectStoreStats' },
    );
  }

  /** Constructs a store and, with `createBucket`, makes sure its bucket exists. */
  static async open(options: S3ObjectStoreOptions): Promise<S3ObjectStore> {
    const store = new S3ObjectStore(options);
    if (options.createBucket) {
      try {
        await store.ensureBucket();
      } catch (e) {
        store.client.destroy();
        throw e;
      }
    }
    return store;
  }

  /** Creates the bucket if it is missing; an existing bucket of ours is fine. */
  async ensureBucket(): Promise<void> {
    this.checkOpen();
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (e) {
      if (statusOf(e) !== 404) throw toStoreError(e, undefined, `head bucket "${this.bucket}"`);
    }
    const region = await this.client.config.region();
    const LocationConstraint = region as BucketLocationConstraint;
    try {
      await this.client.send(
        new CreateBucketCommand({
          Bucket: this.bucket,
          // us-east-1 is the default location and must not be named.
          ...(region !== 'us-east-1' && { CreateBucketConfiguration: { LocationConstraint } }),
        }),
      );
    } catch (e) {
      if ((e as SdkError).name === 'BucketAlreadyOwnedByYou') return;
      throw toStoreError(e, undefined, `create bucket "${this.bucket}"`);
    }
  }

  /**
   * PUT with `If-None-Match: *`. A 412 says some object has the key, but it may be this very
   * write: the SDK retries an attempt whose answer was lost (a timeout, a dropped connection)
   * though S3 may have applied it. So on 412 the object is compared with the body: same size and
   * an ETag equal to the body's MD5 (the ETag of a single-part PUT is its hex MD5, quoted) means
   * the same bytes, and the create resolves. A same-size object with another ETag (multipart,
   * SSE-KMS) is read and compared in full. Anything else is ObjectExistsError.
   */
  async putIfAbsent(key: string, body: Buffer): Promise<void> {
    this.checkOpen();
    checkObjectKey(key);
    for (let round = 0; round < 3; round++) {
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.prefix + key,
            Body: body,
            ContentLength: body.length,
            IfNoneMatch: '*',
          }),
        );
        return;
      } catch (e) {
        if (statusOf(e) !== 412) throw toStoreError(e, key, 'put');
      }
      const same = await this.holds(key, body);
      if (same === true) return;
      if (same === false) throw new ObjectExistsError(key);
      // Gone between the 412 and the look: the key is free again, create it.
    }
    throw new ObjectStoreError('unavailable', `object "${key}" keeps being created and deleted`, key);
  }

  /** Whether the object `key` holds exactly `body`; undefined if there is no object. */
  private async holds(key: string, body: Buffer): Promise<boolean | undefined> {
    let head;
    try {
      head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }),
      );
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw toStoreError(e, key, 'head');
    }
    if (head.ContentLength !== body.length) return false;
    const md5 = createHash('md5').update(body).digest('hex');
    if (head.ETag?.replaceAll('"', '').toLowerCase() === md5) return true;
    try {
      return (await this.get(key)).equals(body);
    } catch (e) {
      if (e instanceof ObjectNotFoundError) return undefined;
      throw e;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Buffer> {
    this.checkOpen();
    checkObjectKey(key);
    checkByteRange(range, key);
    // An empty range still asks for a byte, to learn whether the object exists.
    const Range = range && `bytes=${range.start}-${Math.max(range.start, range.end - 1)}`;
    let out;
    try {
      out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Range }),
      );
    } catch (e) {
      const code = statusOf(e);
      if (code === 416) return Buffer.alloc(0); // the range starts at or after the end
      const name = (e as SdkError).name;
      if (name === 'NoSuchKey' || (code === 404 && name !== 'NoSuchBucket')) {
        throw new ObjectNotFoundError(key, { cause: e });
      }
      throw toStoreError(e, key, 'get');
    }
    let bytes: Buffer;
    try {
      if (!out.Body) throw new Error('response without a body');
      const u8 = await out.Body.transformToByteArray();
      bytes = Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
      this.s.bytesRead += bytes.length;
      if (out.ContentLength !== undefined && bytes.length !== out.ContentLength) {
        throw new Error(`body of ${bytes.length} bytes, announced ${out.ContentLength}`);
      }
    } catch (e) {
      // The attempt failed after its answer had begun: the body broke off. Not retried here;
      // the error is 'unavailable', so the caller may.
      this.s.errors++;
      throw toStoreError(e, key, 'get');
    }
    if (!range) return bytes;
    if (range.end === range.start) return Buffer.alloc(0);
    // A server that ignores Range answers 200 with the whole object.
    if (out.$metadata.httpStatusCode === 200) {
      return bytes.subarray(Math.min(range.start, bytes.length), Math.min(range.end, bytes.length));
    }
    return bytes;
  }

  async head(key: string): Promise<{ size: number } | undefined> {
    this.checkOpen();
    checkObjectKey(key);
    try {
      const out = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }),
      );
      return { size: out.ContentLength ?? 0 };
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw toStoreError(e, key, 'head');
    }
  }

  async delete(key: string): Promise<void> {
    this.checkOpen();
    checkObjectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
    } catch (e) {
      // S3 answers 204 for a missing key; some compatible stores answer 404 NoSuchKey.
      if ((e as SdkError).name === 'NoSuchKey') return;
      throw toStoreError(e, key, 'delete');
    }
  }

  /**
   * ListObjectsV2, page by page (1,000 keys a page). S3 lists in ascending UTF-8 byte order.
   * Keys in the prefix that are not valid object keys (written by something else) are skipped.
   */
  async *list(prefix: string, opts?: { startAfter?: string }): AsyncIterable<ObjectInfo> {
    this.checkOpen();
    if (!isKeyPrefix(prefix)) return; // no key can start with it
    const startAfter = opts?.startAfter;
    // MinIO refuses a Prefix or StartAfter with a `.` or `..` segment, even a partial last one
    // (`keys/.` to find `keys/.hidden`). Such a bound is asked for as the part before that
    // segment, and the keys are filtered here.
    const askPrefix = beforeDotSegment(prefix);
    const askStartAfter = startAfter === undefined ? undefined : beforeDotSegment(startAfter);
    let ContinuationToken: string | undefined;
    do {
      let out;
      try {
        out = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + askPrefix,
            StartAfter: askStartAfter ? this.prefix + askStartAfter : undefined,
            ContinuationToken,
          }),
        );
      } catch (e) {
        throw toStoreError(e, undefined, `list "${prefix}"`);
      }
      for (const o of out.Contents ?? []) {
        if (o.Key === undefined || !o.Key.startsWith(this.prefix)) continue;
        const key = o.Key.slice(this.prefix.length);
        if (startAfter !== undefined && key <= startAfter) continue;
        if (!key.startsWith(prefix)) {
          if (key > prefix) return; // past every key with the prefix
          continue;
        }
        if (!isValidKey(key)) continue;
        yield { key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) };
      }
      if (out.IsTruncated && !out.NextContinuationToken) {
        throw new ObjectStoreError(
          'unavailable',
          `list "${prefix}": a truncated page without a continuation token`,
        );
      }
      ContinuationToken = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (ContinuationToken !== undefined);
  }

  stats(): ObjectStoreStats {
    return { ...this.s };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
  }

  private checkOpen(): void {
    if (this.closed) throw closedError();
  }

  private countAttempt(op: string, bodyBytes: number): void {
    switch (op) {
      case 'PutObjectCommand':
        this.s.puts++;
        this.s.bytesWritten += bodyBytes;
        break;
      case 'GetObjectCommand':
        this.s.gets++;
        break;
      case 'HeadObjectCommand':
        this.s.heads++;
        break;
      case 'DeleteObjectCommand':
        this.s.deletes++;
        break;
      case 'ListObjectsV2Command':
        this.s.lists++;
        break;
    }
  }
}

const OBJECT_COMMANDS = new Set([
  'PutObjectCommand',
  'GetObjectCommand',
  'HeadObjectCommand',
  'DeleteObjectCommand',
  'ListObjectsV2Command',
]);

function normalizePrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === '') return '';
  const bare = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  try {
    checkObjectKey(bare);
  } catch {
    throw new ObjectStoreError('invalid', `invalid key prefix "${prefix}"`);
  }
  return bare + '/';
}

/** `s` up to its first `.` or `..` segment (complete or last and partial); all of `s` if none. */
function beforeDotSegment(s: string): string {
  let at = 0;
  for (const segment of s.split('/')) {
    if (segment === '.' || segment === '..') return s.slice(0, at);
    at += segment.length + 1;
  }
  return s;
}

function isValidKey(key: string): boolean {
  try {
    checkObjectKey(key);
    return true;
  } catch {
    return false;
  }
}

function statusOf(e: unknown): number | undefined {
  return (e as SdkError | undefined)?.$metadata?.httpStatusCode;
}

/**
 * Maps an SDK failure (after the SDK's retries) to an ObjectStoreError: throttling, 5xx, timeouts
 * and failures without an HTTP answer (network) are 'unavailable'; other 4xx answers are
 * 'invalid' with the S3 error code in the message.
 */
function toStoreError(e: unknown, key: string | undefined, what: string): ObjectStoreError {
  if (e instanceof ObjectStoreError) return e;
  const err = (e ?? {}) as SdkError;
  const attempts = err.$metadata?.attempts;
  const status = statusOf(e);
  const name = err.name ?? 'Error';
  // The SDK's retry wraps an error that is no `instanceof Error` to it (in a test runner's VM
  // context, Node.js's own errors) as "AWS SDK error wrapper for <name>: <message>".
  const wrapped = /^AWS SDK error wrapper for (.*)$/s.exec(err.message ?? '');
  const cause = wrapped
    ? wrapped[1]
    : `${name}${status === undefined ? '' : ` (HTTP ${status})`}${err.message ? `: ${err.message}` : ''}`;
  const detail =
    `${what}${key === undefined ? '' : ` "${key}"`} failed` +
    (attempts !== undefined && attempts > 1 ? ` after ${attempts} attempts` : '') +
    `: ${cause}`;
  let kind: 'unavailable' | 'invalid';
  if (status === undefined) {
    kind = name === 'CredentialsProviderError' ? 'invalid' : 'unavailable';
  } else {
    kind = status >= 500 || status === 429 || TRANSIENT_CODES.has(name) ? 'unavailable' : 'invalid';
  }
  return new ObjectStoreError(kind, detail, key, { cause: e });
}
