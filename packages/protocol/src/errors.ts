/** A malformed or unsupported frame. Carries the Kafka error code a broker answers with. */
export class ProtocolError extends Error {
  readonly code: number;
  constructor(message: string, code = 2 /* CORRUPT_MESSAGE */) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
}
