import { describe, expect, it } from '@jest/globals';
import { ProtocolError } from '../../src/errors.ts';

describe('ProtocolError', () => {
  it('carries a Kafka error code', () => {
    expect(new ProtocolError('bad', 87).code).toBe(87);
  });
});
