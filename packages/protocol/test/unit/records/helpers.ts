import { expect } from '@jest/globals';
import fc from 'fast-check';
import { ProtocolError } from '../../../src/errors.ts';
import type { RecordInput } from '../../../src/records/index.ts';

/** Bitwise CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), independent of the library. */
export function crc32cReference(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of data) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** The 100,000-byte input of the lz4 CLI fixtures (see fixtures/lz4-frames.ts). */
export function lz4FixtureInput(): Buffer {
  let x = 12345;
  let r = '';
  for (let i = 0; i < 1000; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    r += String.fromCharCode(97 + ((x >>> 16) % 26));
  }
  return Buffer.from(r.repeat(101).slice(0, 100000), 'latin1');
}

/** Asserts `fn` throws a ProtocolError, optionally with a given Kafka error code; returns it. */
export function expectProtocolError(fn: () => unknown, code?: number): ProtocolError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ProtocolError);
  if (code !== undefined) expect((thrown as ProtocolError).code).toBe(code);
  return thrown as ProtocolError;
}

const bytesArb = fc.option(fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), { nil: null });

export const recordArb: fc.Arbitrary<RecordInput> = fc.record({
  key: bytesArb,
  value: bytesArb,
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 20 }), value: bytesArb }), { maxLength: 4 }),
  timestamp: fc.bigInt({ min: 0n, max: 1n << 45n }),
});

export const codecArb = fc.constantFrom(0, 1, 2, 3, 4);
