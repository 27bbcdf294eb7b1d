// Errors of the storage core and of the codec, as the Kafka error codes handlers answer with.
//
// The log names outcomes by kind (packages/log/src/errors.ts) and stays free of the wire
// format; this is the one place that turns a kind into a Kafka code. The choices that are not a
// plain rename:
//
// - unavailable → KAFKA_STORAGE_ERROR (56). Storage or coordination could not be reached and
//   nothing was written. Kafka's Java clients treat it as retriable (KafkaStorageException is an
//   InvalidMetadataException: refresh metadata, retry), in Produce and in Fetch; librdkafka and
//   franz-go retry it too. REQUEST_TIMED_OUT would be retried by producers, but the Java
//   consumer fails hard on it in a Fetch partition ("unexpected error code"), and it claims an
//   unknown outcome where the outcome is known (not written). Sarama's producer is the one
//   client known not to retry 56.
// - timeout → REQUEST_TIMED_OUT (7): the outcome is unknown; producers retry, and idempotence
//   makes the retry safe.
// - shutting-down → NOT_LEADER_OR_FOLLOWER (6): clients refresh metadata and retry, which
//   sends them to another node (or back to this one once it is up again).

import { LogError, type LogErrorKind } from '@floe/log';
import { ErrorCode, ProtocolError } from '@floe/protocol';

const BY_KIND: Readonly<Record<LogErrorKind, number>> = {
  'unknown-topic-or-partition': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  'topic-already-exists': ErrorCode.TOPIC_ALREADY_EXISTS,
  'invalid-partitions': ErrorCode.INVALID_PARTITIONS,
  'invalid-config': ErrorCode.INVALID_CONFIG,
  'offset-out-of-range': ErrorCode.OFFSET_OUT_OF_RANGE,
  'out-of-order-sequence': ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  'invalid-producer-epoch': ErrorCode.INVALID_PRODUCER_EPOCH,
  'message-too-large': ErrorCode.MESSAGE_TOO_LARGE,
  'invalid-record': ErrorCode.INVALID_RECORD,
  unavailable: ErrorCode.KAFKA_STORAGE_ERROR,
  timeout: ErrorCode.REQUEST_TIMED_OUT,
  'shutting-down': ErrorCode.NOT_LEADER_OR_FOLLOWER,
};

/** The Kafka error code of a log error kind (a `rejected` append outcome carries one). */
export function kafkaErrorCodeOfKind(kind: LogErrorKind): number {
  return BY_KIND[kind] ?? ErrorCode.UNKNOWN_SERVER_ERROR;
}

/**
 * The Kafka error code to answer for anything thrown: a LogError by its kind, a ProtocolError
 * (codec and record-batch failures) by the code it carries, anything else UNKNOWN_SERVER_ERROR.
 */
export function kafkaErrorCode(err: unknown): number {
  if (err instanceof LogError) return kafkaErrorCodeOfKind(err.kind);
  if (err instanceof ProtocolError) return err.code;
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}
