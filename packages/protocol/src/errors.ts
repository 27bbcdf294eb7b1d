/** Kafka error codes the codec raises itself (the full table is in generated/error-codes.ts). */
export const CORRUPT_MESSAGE = 2;
export const UNSUPPORTED_VERSION = 35;
export const INVALID_REQUEST = 42;
export const UNKNOWN_SERVER_ERROR = -1;

/** What is known about the request a failure belongs to, so a broker can still answer it. */
export interface RequestIdentity {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  /** Present once the request header was parsed. */
  clientId?: string | null;
}

/** A malformed or unsupported frame. Carries the Kafka error code a broker answers with. */
export class ProtocolError extends Error {
  readonly code: number;
  /** Set by decodeRequest when the header was readable before the failure. */
  request: RequestIdentity | undefined;
  constructor(message: string, code = CORRUPT_MESSAGE /* CORRUPT_MESSAGE */) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.request = undefined;
  }
}

/** Bytes that do not parse: short buffers, bad lengths, varint overflow, bad tagged sections. */
export class CorruptMessageError extends ProtocolError {
  constructor(message: string) {
    super(message, CORRUPT_MESSAGE);
    this.name = 'CorruptMessageError';
  }
}

/** Parsed but not acceptable: null in a non-nullable field, trailing bytes after the body. */
export class InvalidRequestError extends ProtocolError {
  constructor(message: string) {
    super(message, INVALID_REQUEST);
    this.name = 'InvalidRequestError';
  }
}

/** A frame whose declared size is negative or above the configured maximum. */
export class FrameSizeError extends ProtocolError {
  readonly declaredSize: number;
  readonly maxFrameSize: number;
  constructor(declaredSize: number, maxFrameSize: number) {
    super(
      declaredSize < 0
        ? `negative frame size ${declaredSize}`
        : `frame size ${declaredSize} exceeds the maximum of ${maxFrameSize} bytes`,
      INVALID_REQUEST,
    );
    this.name = 'FrameSizeError';
    this.declaredSize = declaredSize;
    this.maxFrameSize = maxFrameSize;
  }
}

/**
 * An api key Floe does not know, or a version outside the valid range. `request` always holds
 * apiKey, apiVersion and correlationId (they sit at fixed offsets in every header version); for
 * ApiVersions it also holds the parsed clientId so the broker can answer with a v0 response.
 */
export class UnsupportedVersionError extends ProtocolError {
  constructor(message: string, request?: RequestIdentity) {
    super(message, UNSUPPORTED_VERSION);
    this.name = 'UnsupportedVersionError';
    this.request = request;
  }
}

/**
 * The encoder was handed a value it cannot write at the requested version: a non-default value
 * in a non-ignorable field the version lacks (code UNSUPPORTED_VERSION, as Kafka does), a null
 * in a non-nullable field, or a value out of range for its type (code UNKNOWN_SERVER_ERROR).
 */
export class EncodeError extends ProtocolError {
  constructor(message: string, code = UNKNOWN_SERVER_ERROR) {
    super(message, code);
    this.name = 'EncodeError';
  }
}
