/**
 * Floe's byte store: immutable objects addressed by key. It knows nothing of Kafka or of what the
 * objects hold. Implementations: S3 (AWS, MinIO, any S3-compatible store) and the local
 * filesystem (the embedded default).
 */
export interface ObjectStore {
  /**
   * Creates `key` with `body` only if no object has that key (S3 `If-None-Match: *`).
   * Resolves once the object is durable. Throws ObjectExistsError if the key exists with other
   * content; a retried create of the same bytes by this store resolves (it is the same write).
   */
  putIfAbsent(key: string, body: Buffer): Promise<void>;
  /**
   * Reads the whole object, or the bytes [range.start, range.end) of it. A range running past
   * the end returns what exists. Throws ObjectNotFoundError if there is no such object.
   */
  get(key: string, range?: ByteRange): Promise<Buffer>;
  /** Size of the object, or undefined if there is none. */
  head(key: string): Promise<{ size: number } | undefined>;
  /** Deletes the object; deleting a missing key succeeds. */
  delete(key: string): Promise<void>;
  /** Keys starting with `prefix`, in ascending byte order, after `startAfter` if given. */
  list(prefix: string, opts?: { startAfter?: string }): AsyncIterable<ObjectInfo>;
  /** Requests made and bytes moved since creation, for metrics and cost benchmarks. */
  stats(): ObjectStoreStats;
  close(): Promise<void>;
}

export interface ByteRange {
  start: number;
  /** Exclusive. */
  end: number;
}

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

export interface ObjectStoreStats {
  puts: number;
  gets: number;
  heads: number;
  deletes: number;
  lists: number;
  bytesWritten: number;
  bytesRead: number;
  /** Failed requests, counted once per failed attempt (including attempts later retried). */
  errors: number;
}

export type ObjectStoreErrorKind = 'not-found' | 'exists' | 'unavailable' | 'invalid';

/** Every failure of an ObjectStore is one of these. `retriable` says whether trying again may work. */
export class ObjectStoreError extends Error {
  readonly kind: ObjectStoreErrorKind;
  readonly key: string | undefined;
  constructor(kind: ObjectStoreErrorKind, message: string, key?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ObjectStoreError';
    this.kind = kind;
    this.key = key;
  }
  get retriable(): boolean {
    return this.kind === 'unavailable';
  }
}

export class ObjectNotFoundError extends ObjectStoreError {
  constructor(key: string, options?: ErrorOptions) {
    super('not-found', `no object "${key}"`, key, options);
    this.name = 'ObjectNotFoundError';
  }
}

export class ObjectExistsError extends ObjectStoreError {
  constructor(key: string, options?: ErrorOptions) {
    super('exists', `object "${key}" already exists`, key, options);
    this.name = 'ObjectExistsError';
  }
}

/**
 * Keys are relative paths of safe characters: letters, digits, `-_.=/`, no empty segment, no
 * `.` or `..` segment, at most 512 bytes, each segment at most 255 bytes (MinIO and the
 * filesystem store keep segments as file and directory names). Both implementations enforce the
 * same rule so a key that works embedded works on S3 and the other way round.
 *
 * Callers must also never give a key the name of another key's directory (`a` beside `a/b`):
 * MinIO stores both but lists no key below an object, and the filesystem store refuses the
 * second with kind 'invalid'.
 */
export function checkObjectKey(key: string): void {
  const ok =
    key.length > 0 &&
    key.length <= 512 &&
    /^[A-Za-z0-9._=\/-]+$/.test(key) &&
    key.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..' && seg.length <= 255);
  if (!ok) throw new ObjectStoreError('invalid', `invalid object key "${key}"`, key);
}
