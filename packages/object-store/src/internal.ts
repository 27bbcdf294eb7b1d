// Helpers shared by the ObjectStore implementations. Not exported from the package.
import { ObjectStoreError, type ByteRange, type ObjectStoreStats } from './object-store.ts';

/** One segment of a valid key (see checkObjectKey): safe characters, not `.` or `..`. */
export function isKeySegment(s: string): boolean {
  return s.length <= 255 && /^[A-Za-z0-9._=-]+$/.test(s) && s !== '.' && s !== '..';
}

/** Whether some valid key may start with `prefix`: its complete segments are valid ones. */
export function isKeyPrefix(prefix: string): boolean {
  if (!/^[A-Za-z0-9._=\/-]*$/.test(prefix)) return false;
  const segments = prefix.split('/');
  segments.pop(); // the last, partial segment: any run of key characters may start a segment
  return segments.every(isKeySegment);
}

/** Throws ObjectStoreError('invalid') unless `range` is a well-formed [start, end). */
export function checkByteRange(range: ByteRange | undefined, key: string): void {
  if (range === undefined) return;
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new ObjectStoreError('invalid', `invalid byte range [${start}, ${end}) of "${key}"`, key);
  }
}

export function zeroStats(): ObjectStoreStats {
  return { puts: 0, gets: 0, heads: 0, deletes: 0, lists: 0, bytesWritten: 0, bytesRead: 0, errors: 0 };
}

export function closedError(): ObjectStoreError {
  return new ObjectStoreError('invalid', 'object store is closed');
}
