// Property tests: for every API, every valid version, request and response, random values built
// from the spec encode, decode back to an equal value, and re-encode to identical bytes.

import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import * as generated from '../../src/generated/index.ts';
import { Reader } from '../../src/wire/reader.ts';
import { Writer } from '../../src/wire/writer.ts';
import { loadApiSpecs, messageArb, versionsOf } from '../support/arbitraries.ts';
import type { MessageModel } from '../../codegen/spec-model.ts';

type Encode = (w: Writer, version: number, m: unknown) => void;
type Decode = (r: Reader, version: number) => unknown;

const fns = generated as unknown as Record<string, Encode | Decode>;
const NUM_RUNS = Number(process.env['FLOE_ROUNDTRIP_RUNS'] ?? 25);

function roundTrip(msg: MessageModel, version: number): void {
  const encode = fns[`encode${msg.name}`] as Encode;
  const decode = fns[`decode${msg.name}`] as Decode;
  expect(typeof encode).toBe('function');
  expect(typeof decode).toBe('function');
  fc.assert(
    fc.property(messageArb(msg, version), (value) => {
      const w = new Writer(64);
      encode(w, version, value);
      const bytes = w.finish();
      const r = new Reader(bytes);
      const decoded = decode(r, version);
      expect(r.remaining()).toBe(0);
      expect(decoded).toEqual(value);
      const w2 = new Writer(64);
      encode(w2, version, decoded);
      expect(w2.finish().equals(bytes)).toBe(true);
    }),
    { numRuns: NUM_RUNS },
  );
}

for (const spec of loadApiSpecs()) {
  describe(spec.api, () => {
    for (const msg of [spec.request, spec.response]) {
      for (const version of versionsOf(msg)) {
        it(`${msg.name} v${version} round-trips`, () => roundTrip(msg, version));
      }
    }
  });
}
