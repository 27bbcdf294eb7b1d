import { describe, expect, it } from '@jest/globals';
import { LogError, type LogErrorKind } from '@floe/log';
import { CorruptRecordError, ErrorCode, InvalidRecordError, ProtocolError, RecordTooLargeError } from '@floe/protocol';
import { kafkaErrorCode, kafkaErrorCodeOfKind } from '../../src/handlers/error-mapping.ts';

describe('kafkaErrorCode', () => {
  const kinds: [LogErrorKind, number][] = [
    ['unknown-topic-or-partition', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ['topic-already-exists', ErrorCode.TOPIC_ALREADY_EXISTS],
    ['invalid-partitions', ErrorCode.INVALID_PARTITIONS],
    ['invalid-config', ErrorCode.INVALID_CONFIG],
    ['offset-out-of-range', ErrorCode.OFFSET_OUT_OF_RANGE],
    ['out-of-order-sequence', ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER],
    ['invalid-producer-epoch', ErrorCode.INVALID_PRODUCER_EPOCH],
    ['message-too-large', ErrorCode.MESSAGE_TOO_LARGE],
    ['invalid-record', ErrorCode.INVALID_RECORD],
    ['unavailable', ErrorCode.KAFKA_STORAGE_ERROR],
    ['timeout', ErrorCode.REQUEST_TIMED_OUT],
    ['shutting-down', ErrorCode.NOT_LEADER_OR_FOLLOWER],
  ];

  it.each(kinds)('maps the log error kind %s to %i', (kind, code) => {
    expect(kafkaErrorCodeOfKind(kind)).toBe(code);
    expect(kafkaErrorCode(new LogError(kind, 'x'))).toBe(code);
  });

  it('maps protocol errors to the code they carry', () => {
    expect(kafkaErrorCode(new CorruptRecordError('x'))).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(kafkaErrorCode(new InvalidRecordError('x'))).toBe(ErrorCode.INVALID_RECORD);
    expect(kafkaErrorCode(new RecordTooLargeError('x'))).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect(kafkaErrorCode(new ProtocolError('x', ErrorCode.INVALID_TXN_STATE))).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it('maps anything else to UNKNOWN_SERVER_ERROR', () => {
    for (const e of [new Error('x'), new RangeError('x'), 'text', undefined, null, { kind: 'timeout' }]) {
      expect(kafkaErrorCode(e)).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    }
  });
});
