// fast-check arbitraries built from the spec (spec/kafka/*.json), independently of the generated
// code: for a message and a version they produce values the generated codec must round-trip.
// Fields a version lacks hold their spec default; nullable fields are null only in their
// nullable versions; structs of flexible versions may carry unknown tagged fields.

import fc from 'fast-check';
import {
  contains,
  loadMessage,
  readApiList,
  type DefaultValue,
  type FieldModel,
  type FieldType,
  type MessageModel,
  type Primitive,
  type StructModel,
} from '../../codegen/spec-model.ts';

export interface ApiSpec {
  api: string;
  request: MessageModel;
  response: MessageModel;
}

let cache: ApiSpec[] | undefined;

/** Every API in codegen/apis.json, loaded from spec/kafka. */
export function loadApiSpecs(): ApiSpec[] {
  if (cache) return cache;
  const taken = new Map<string, string>();
  cache = readApiList().apis.map((api) => ({
    api,
    request: loadMessage(`${api}Request`, taken),
    response: loadMessage(`${api}Response`, taken),
  }));
  return cache;
}

export function defaultValue(d: DefaultValue, t: FieldType): unknown {
  switch (d.kind) {
    case 'number':
    case 'bigint':
    case 'bool':
    case 'string':
      return d.value;
    case 'null':
      return null;
    case 'empty-bytes':
      return Buffer.alloc(0);
    case 'empty-array':
      return [];
    case 'zero-uuid':
      return 'AAAAAAAAAAAAAAAAAAAAAA';
    case 'struct':
      if (t.kind !== 'struct') throw new Error('struct default on non-struct');
      return defaultStruct(t.struct);
  }
}

export function defaultStruct(s: StructModel): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of s.fields) out[f.prop] = defaultValue(f.default, f.type);
  return out;
}

export interface ArbOptions {
  maxArray: number;
  maxString: number;
  /** Probability-ish weight of adding unknown tagged fields (0 disables). */
  unknownTags: boolean;
}

const DEFAULTS: ArbOptions = { maxArray: 3, maxString: 12, unknownTags: true };

const bytesArb = (max: number) => fc.uint8Array({ maxLength: max }).map((u) => Buffer.from(u));

function primitiveArb(p: Primitive, o: ArbOptions): fc.Arbitrary<unknown> {
  switch (p) {
    case 'bool':
      return fc.boolean();
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 });
    case 'int32':
      return fc.integer({ min: -2147483648, max: 2147483647 });
    case 'uint32':
      return fc.integer({ min: 0, max: 4294967295 });
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float64':
      return fc.double();
    case 'string':
      return fc.string({ unit: 'binary', maxLength: o.maxString });
    case 'bytes':
    case 'records':
      return bytesArb(16);
    case 'uuid':
      return fc
        .uint8Array({ minLength: 16, maxLength: 16 })
        .map((u) => Buffer.from(u).toString('base64url'));
  }
}

function typeArb(t: FieldType, msg: MessageModel, version: number, o: ArbOptions, depth: number): fc.Arbitrary<unknown> {
  if (t.kind === 'primitive') return primitiveArb(t.name, o);
  if (t.kind === 'struct') return structArb(t.struct, msg, version, o, depth + 1);
  const max = depth > 3 ? 1 : o.maxArray;
  return fc.array(typeArb(t.element, msg, version, o, depth), { maxLength: max });
}

function fieldArb(f: FieldModel, msg: MessageModel, version: number, o: ArbOptions, depth: number): fc.Arbitrary<unknown> {
  if (!contains(f.versions, version)) return fc.constant(defaultValue(f.default, f.type));
  const base = typeArb(f.type, msg, version, o, depth);
  if (contains(f.nullableVersions, version)) return fc.option(base, { nil: null, freq: 4 });
  return base;
}

function maxTag(s: StructModel): number {
  let m = -1;
  for (const f of s.fields) if (f.tag !== undefined && f.tag > m) m = f.tag;
  return m;
}

export function structArb(
  s: StructModel,
  msg: MessageModel,
  version: number,
  o: ArbOptions = DEFAULTS,
  depth = 0,
): fc.Arbitrary<Record<string, unknown>> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of s.fields) shape[f.prop] = fieldArb(f, msg, version, o, depth);
  const record = fc.record(shape);
  if (!o.unknownTags || !contains(msg.flexibleVersions, version)) return record;
  const first = maxTag(s) + 1;
  const unknown = fc
    .uniqueArray(fc.integer({ min: first, max: first + 40 }), { maxLength: 2 })
    .chain((tags) =>
      fc.tuple(...tags.sort((a, b) => a - b).map((tag) => bytesArb(6).map((data) => ({ tag, data })))),
    );
  return fc.tuple(record, fc.option(unknown, { nil: undefined, freq: 3 })).map(([r, u]) => {
    if (u !== undefined && u.length > 0) return { ...r, unknownTaggedFields: u };
    return r;
  });
}

export function messageArb(msg: MessageModel, version: number, o: ArbOptions = DEFAULTS): fc.Arbitrary<Record<string, unknown>> {
  return structArb(msg.root, msg, version, o);
}

export function versionsOf(msg: MessageModel): number[] {
  const out: number[] = [];
  for (let v = msg.validVersions.lo; v <= msg.validVersions.hi; v++) out.push(v);
  return out;
}
