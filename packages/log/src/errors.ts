/**
 * Why the log refused or could not do something. The kinds name the client-visible outcome; the
 * broker maps each kind to its Kafka error code, so this layer stays free of the wire format.
 */
export type LogErrorKind =
  | 'unknown-topic-or-partition'
  | 'topic-already-exists'
  | 'invalid-partitions'
  | 'invalid-config'
  | 'offset-out-of-range'
  | 'out-of-order-sequence'
  | 'invalid-producer-epoch'
  | 'message-too-large'
  | 'invalid-record'
  /** Storage or coordination could not be reached in time; the client may retry. */
  | 'unavailable'
  /** The outcome of a write is unknown; the client must retry (idempotence makes that safe). */
  | 'timeout'
  | 'shutting-down';

export class LogError extends Error {
  readonly kind: LogErrorKind;
  constructor(kind: LogErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LogError';
    this.kind = kind;
  }
}
