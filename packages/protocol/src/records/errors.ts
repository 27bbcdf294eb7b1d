// Errors raised while reading or writing record batches. Every failure on untrusted input is a
// ProtocolError (or a subclass) carrying the Kafka error code the broker answers with; anything
// else escaping these modules is a bug.
import { ProtocolError } from '../errors.ts';

/** Kafka error codes used by the record-batch code (see the Kafka protocol's error table). */
export const RecordErrorCode = {
  CORRUPT_MESSAGE: 2,
  MESSAGE_TOO_LARGE: 10,
  INVALID_REQUEST: 42,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  INVALID_RECORD: 87,
} as const;

/** Malformed bytes: bad framing, bad CRC, a length or varint that does not fit. CORRUPT_MESSAGE. */
export class CorruptRecordError extends ProtocolError {
  constructor(message: string) {
    super(message, RecordErrorCode.CORRUPT_MESSAGE);
    this.name = 'CorruptRecordError';
  }
}

/** Well-formed bytes that break a record-batch rule (legacy magic on produce, count mismatch…). INVALID_RECORD. */
export class InvalidRecordError extends ProtocolError {
  constructor(message: string) {
    super(message, RecordErrorCode.INVALID_RECORD);
    this.name = 'InvalidRecordError';
  }
}

/** A compression codec id outside 0..4 (or one a caller refuses). UNSUPPORTED_COMPRESSION_TYPE. */
export class UnsupportedCompressionError extends ProtocolError {
  constructor(message: string) {
    super(message, RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    this.name = 'UnsupportedCompressionError';
  }
}

/**
 * Decompressed data (or a batch) larger than the caller's limit. MESSAGE_TOO_LARGE, which Kafka
 * producers treat as "split the batch and retry" rather than as corruption.
 */
export class RecordTooLargeError extends ProtocolError {
  constructor(message: string) {
    super(message, RecordErrorCode.MESSAGE_TOO_LARGE);
    this.name = 'RecordTooLargeError';
  }
}

/** The message of anything thrown, without relying on instanceof (errors may cross realms). */
export function errorMessage(e: unknown): string {
  if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string') {
    return (e as { message: string }).message;
  }
  return String(e);
}
