// Reads the fact-only message definitions in spec/kafka/ into a model with resolved version
// ranges, resolved struct references and Floe naming. Shared by the generator and by the test
// arbitraries, so both agree on names and defaults.

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SPEC_DIR = join(PACKAGE_DIR, 'spec/kafka');

export const MAX_VERSION = 32767;

/** Inclusive version range; `empty` when lo > hi. */
export interface Range {
  lo: number;
  hi: number;
}

export const EMPTY: Range = { lo: 1, hi: 0 };

export function parseRange(text: unknown, fallback: Range | undefined, where: string): Range {
  if (text === undefined || text === '') {
    if (fallback === undefined) throw new Error(`${where}: missing version range`);
    return fallback;
  }
  if (typeof text !== 'string') throw new Error(`${where}: version range must be a string`);
  if (text === 'none') return EMPTY;
  let m = /^(\d+)\+$/.exec(text);
  if (m) return { lo: Number(m[1]), hi: MAX_VERSION };
  m = /^(\d+)-(\d+)$/.exec(text);
  if (m) return { lo: Number(m[1]), hi: Number(m[2]) };
  m = /^(\d+)$/.exec(text);
  if (m) return { lo: Number(m[1]), hi: Number(m[1]) };
  throw new Error(`${where}: bad version range "${text}"`);
}

export function isEmpty(r: Range): boolean {
  return r.lo > r.hi;
}

export function contains(r: Range, v: number): boolean {
  return v >= r.lo && v <= r.hi;
}

export function intersect(a: Range, b: Range): Range {
  return { lo: Math.max(a.lo, b.lo), hi: Math.min(a.hi, b.hi) };
}

export const PRIMITIVES = [
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'string',
  'bytes',
  'uuid',
  'records',
] as const;
export type Primitive = (typeof PRIMITIVES)[number];

export function isPrimitive(t: string): t is Primitive {
  return (PRIMITIVES as readonly string[]).includes(t);
}

/** Types that may carry nullableVersions. */
export function canBeNullable(t: FieldType): boolean {
  if (t.kind === 'array' || t.kind === 'struct') return true;
  return t.name === 'string' || t.name === 'bytes' || t.name === 'records';
}

export type FieldType =
  | { kind: 'primitive'; name: Primitive }
  | { kind: 'struct'; struct: StructModel }
  | { kind: 'array'; element: { kind: 'primitive'; name: Primitive } | { kind: 'struct'; struct: StructModel } };

/** A field's default, as a plain value: number | bigint | boolean | string | null | 'empty' (bytes/array) | 'struct'. */
export type DefaultValue =
  | { kind: 'number'; value: number }
  | { kind: 'bigint'; value: bigint }
  | { kind: 'bool'; value: boolean }
  | { kind: 'string'; value: string }
  | { kind: 'null' }
  | { kind: 'empty-bytes' }
  | { kind: 'empty-array' }
  | { kind: 'zero-uuid' }
  | { kind: 'struct' };

export interface FieldModel {
  /** PascalCase name from the definition. */
  name: string;
  /** camelCase property name in Floe's types (first letter lowered). */
  prop: string;
  type: FieldType;
  /** Versions in which the field exists (already intersected with the enclosing struct's). */
  versions: Range;
  nullableVersions: Range;
  ignorable: boolean;
  tag: number | undefined;
  taggedVersions: Range;
  /** Override of the message's flexibleVersions (string/bytes only). */
  flexibleVersions: Range | undefined;
  mapKey: boolean;
  entityType: string | undefined;
  zeroCopy: boolean;
  default: DefaultValue;
}

export interface StructModel {
  /** Name in the definition (e.g. `TopicProduceData`). */
  specName: string;
  /** Floe type name, unique across all messages (e.g. `ProduceRequestTopicProduceData`). */
  typeName: string;
  /** Versions in which the struct can appear. */
  versions: Range;
  fields: FieldModel[];
  common: boolean;
}

export interface MessageModel {
  /** e.g. `ProduceRequest` */
  name: string;
  type: 'request' | 'response' | 'header' | 'data';
  apiKey: number | undefined;
  validVersions: Range;
  flexibleVersions: Range;
  deprecatedVersions: Range;
  latestVersionUnstable: boolean;
  listeners: string[];
  /** The top-level struct (typeName = message name). */
  root: StructModel;
  /** All structs of the message, root first, in definition order. */
  structs: StructModel[];
}

export interface ApiList {
  headers: string[];
  apis: string[];
}

export function readApiList(): ApiList {
  return JSON.parse(readFileSync(join(PACKAGE_DIR, 'codegen/apis.json'), 'utf8')) as ApiList;
}

export function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

export function kebab(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase();
}

type RawField = Record<string, unknown> & { name: string; type: string; fields?: RawField[] };
type RawStruct = { name: string; versions?: string; fields: RawField[] };
type RawMessage = Record<string, unknown> & {
  name: string;
  fields: RawField[];
  commonStructs?: RawStruct[];
};

function parseIntLiteral(text: string, where: string): bigint {
  const t = text.trim();
  const neg = t.startsWith('-');
  const body = neg ? t.slice(1) : t;
  let v: bigint;
  if (/^0[xX][0-9a-fA-F]+$/.test(body)) v = BigInt(body);
  else if (/^0[0-7]+$/.test(body)) v = BigInt('0o' + body.slice(1));
  else if (/^\d+$/.test(body)) v = BigInt(body);
  else throw new Error(`${where}: bad integer default "${text}"`);
  return neg ? -v : v;
}

const INT_RANGES: Record<string, [bigint, bigint]> = {
  int8: [-128n, 127n],
  int16: [-32768n, 32767n],
  uint16: [0n, 65535n],
  int32: [-2147483648n, 2147483647n],
  uint32: [0n, 4294967295n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
};

function parseDefault(raw: unknown, type: FieldType, nullable: Range, versions: Range, where: string): DefaultValue {
  if (raw === undefined || raw === '') {
    if (type.kind === 'array') return { kind: 'empty-array' };
    if (type.kind === 'struct') return { kind: 'struct' };
    switch (type.name) {
      case 'bool':
        return { kind: 'bool', value: false };
      case 'int64':
        return { kind: 'bigint', value: 0n };
      case 'string':
        return { kind: 'string', value: '' };
      case 'bytes':
        return { kind: 'empty-bytes' };
      case 'records':
        return { kind: 'null' };
      case 'uuid':
        return { kind: 'zero-uuid' };
      default:
        return { kind: 'number', value: 0 };
    }
  }
  const text = typeof raw === 'string' ? raw : JSON.stringify(raw);
  if (text === 'null') {
    if (!canBeNullable(type)) throw new Error(`${where}: "null" default on a non-nullable type`);
    if (nullable.lo > versions.lo || nullable.hi < versions.hi) {
      throw new Error(`${where}: "null" default requires the field to be nullable in all its versions`);
    }
    return { kind: 'null' };
  }
  if (type.kind !== 'primitive') throw new Error(`${where}: custom defaults are not allowed for arrays or structs`);
  switch (type.name) {
    case 'bool':
      if (text !== 'true' && text !== 'false') throw new Error(`${where}: bad bool default ${text}`);
      return { kind: 'bool', value: text === 'true' };
    case 'string':
      return { kind: 'string', value: text };
    case 'float64': {
      const n = Number(text);
      if (Number.isNaN(n) && text !== 'NaN') throw new Error(`${where}: bad float default ${text}`);
      return { kind: 'number', value: n };
    }
    case 'bytes':
    case 'records':
    case 'uuid':
      throw new Error(`${where}: custom defaults are not allowed for ${type.name}`);
    default: {
      const v = parseIntLiteral(text, where);
      const [min, max] = INT_RANGES[type.name]!;
      if (v < min || v > max) throw new Error(`${where}: default ${text} out of range for ${type.name}`);
      return type.name === 'int64' ? { kind: 'bigint', value: v } : { kind: 'number', value: Number(v) };
    }
  }
}

/** Loads one definition from spec/kafka/<name>.json. `taken` collects type names across messages. */
export function loadMessage(name: string, taken: Map<string, string> = new Map()): MessageModel {
  const raw = JSON.parse(readFileSync(join(SPEC_DIR, `${name}.json`), 'utf8')) as RawMessage;
  const type = raw['type'] as MessageModel['type'];
  const validVersions = parseRange(raw['validVersions'], undefined, `${name}.validVersions`);
  if (raw['flexibleVersions'] === undefined) throw new Error(`${name}: flexibleVersions is required`);
  const flexibleVersions = parseRange(raw['flexibleVersions'], undefined, `${name}.flexibleVersions`);
  if (!isEmpty(flexibleVersions) && flexibleVersions.hi !== MAX_VERSION) {
    throw new Error(`${name}: flexibleVersions must be "none" or open-ended`);
  }
  const model: MessageModel = {
    name,
    type,
    apiKey: typeof raw['apiKey'] === 'number' ? raw['apiKey'] : undefined,
    validVersions,
    flexibleVersions,
    deprecatedVersions: parseRange(raw['deprecatedVersions'], EMPTY, `${name}.deprecatedVersions`),
    latestVersionUnstable: raw['latestVersionUnstable'] === true,
    listeners: (raw['listeners'] as string[] | undefined) ?? [],
    root: undefined as unknown as StructModel,
    structs: [],
  };

  const typeNameFor = (specName: string): string => {
    const full = specName.startsWith(name) ? specName : name + specName;
    const owner = taken.get(full);
    if (owner !== undefined && owner !== name) throw new Error(`${name}: type name ${full} already used by ${owner}`);
    taken.set(full, name);
    return full;
  };

  // Common structs are declared up front so fields can refer to them in any order.
  const byName = new Map<string, StructModel>();
  const commonRaw = new Map<string, RawStruct>();
  for (const cs of raw.commonStructs ?? []) {
    if (byName.has(cs.name)) throw new Error(`${name}: duplicate struct ${cs.name}`);
    const s: StructModel = {
      specName: cs.name,
      typeName: typeNameFor(cs.name),
      versions: parseRange(cs.versions, validVersions, `${name}.${cs.name}.versions`),
      fields: [],
      common: true,
    };
    byName.set(cs.name, s);
    commonRaw.set(cs.name, cs);
  }

  const buildFields = (rawFields: RawField[], structVersions: Range, where: string): FieldModel[] => {
    const out: FieldModel[] = [];
    const seen = new Set<string>();
    const tags = new Set<number>();
    for (const f of rawFields) {
      const fw = `${where}.${f.name}`;
      if (seen.has(f.name)) throw new Error(`${fw}: duplicate field name`);
      seen.add(f.name);
      const taggedVersionsRaw = f['taggedVersions'];
      const taggedVersions = parseRange(taggedVersionsRaw, EMPTY, `${fw}.taggedVersions`);
      const declared = parseRange(f['versions'], isEmpty(taggedVersions) ? undefined : taggedVersions, `${fw}.versions`);
      const versions = intersect(declared, structVersions);
      const tagRaw = f['tag'];
      const tag = tagRaw === undefined ? undefined : Number(tagRaw);
      if ((tag === undefined) !== (taggedVersionsRaw === undefined)) {
        throw new Error(`${fw}: tag and taggedVersions must be given together`);
      }
      if (tag !== undefined) {
        if (!Number.isInteger(tag) || tag < 0) throw new Error(`${fw}: bad tag`);
        if (tags.has(tag)) throw new Error(`${fw}: duplicate tag ${tag}`);
        tags.add(tag);
        if (taggedVersions.hi !== MAX_VERSION) throw new Error(`${fw}: taggedVersions must be open-ended`);
        if (taggedVersions.lo < declared.lo || taggedVersions.hi > declared.hi) {
          throw new Error(`${fw}: taggedVersions must be a subset of versions`);
        }
      }
      const ftype = resolveType(f, versions, fw);
      const nullableVersions = parseRange(f['nullableVersions'], EMPTY, `${fw}.nullableVersions`);
      if (!isEmpty(nullableVersions) && !canBeNullable(ftype)) throw new Error(`${fw}: type cannot be nullable`);
      if (ftype.kind === 'primitive' && ftype.name === 'records' && tag !== undefined) {
        throw new Error(`${fw}: records cannot be tagged`);
      }
      const flexRaw = f['flexibleVersions'];
      const flexibleVersions = flexRaw === undefined ? undefined : parseRange(flexRaw, undefined, `${fw}.flexibleVersions`);
      if (flexibleVersions && !(ftype.kind === 'primitive' && (ftype.name === 'string' || ftype.name === 'bytes'))) {
        throw new Error(`${fw}: flexibleVersions override only allowed on string/bytes`);
      }
      out.push({
        name: f.name,
        prop: lowerFirst(f.name),
        type: ftype,
        versions,
        nullableVersions: intersect(nullableVersions, versions),
        ignorable: f['ignorable'] === true,
        tag,
        taggedVersions: tag === undefined ? EMPTY : intersect(taggedVersions, versions),
        flexibleVersions,
        mapKey: f['mapKey'] === true,
        entityType: f['entityType'] as string | undefined,
        zeroCopy: f['zeroCopy'] === true,
        default: parseDefault(f['default'], ftype, nullableVersions, declared, fw),
      });
    }
    const sorted = [...tags].sort((a, b) => a - b);
    sorted.forEach((t, i) => {
      if (t !== i) throw new Error(`${where}: tags must be contiguous from 0 (found ${sorted.join(',')})`);
    });
    return out;
  };

  const resolveType = (f: RawField, versions: Range, where: string): FieldType => {
    const isArray = f.type.startsWith('[]');
    const elem = isArray ? f.type.slice(2) : f.type;
    if (isPrimitive(elem)) {
      if (f.fields) throw new Error(`${where}: primitive type with fields`);
      return isArray ? { kind: 'array', element: { kind: 'primitive', name: elem } } : { kind: 'primitive', name: elem };
    }
    if (!/^[A-Z][A-Za-z0-9]*$/.test(elem)) throw new Error(`${where}: unknown type ${f.type}`);
    let struct: StructModel;
    const common = byName.get(elem);
    if (common && common.common) {
      if (f.fields) throw new Error(`${where}: field of common struct type ${elem} must not repeat fields`);
      struct = common;
    } else {
      if (!f.fields) throw new Error(`${where}: struct type ${elem} has no fields and is not a common struct`);
      if (byName.has(elem)) throw new Error(`${where}: struct name ${elem} defined twice in ${name}`);
      struct = { specName: elem, typeName: typeNameFor(elem), versions, fields: [], common: false };
      byName.set(elem, struct);
      model.structs.push(struct);
      struct.fields = buildFields(f.fields, versions, `${name}.${elem}`);
    }
    return isArray ? { kind: 'array', element: { kind: 'struct', struct } } : { kind: 'struct', struct };
  };

  const root: StructModel = { specName: name, typeName: typeNameFor(name), versions: validVersions, fields: [], common: false };
  model.root = root;
  model.structs.push(root);
  root.fields = buildFields(raw.fields, validVersions, name);
  for (const [csName, cs] of commonRaw) {
    const s = byName.get(csName)!;
    s.fields = buildFields(cs.fields, intersect(s.versions, validVersions), `${name}.${csName}`);
    model.structs.push(s);
  }
  return model;
}

/** True when field `f` is on the wire (tagged or not) at version v. */
export function present(f: FieldModel, v: number): boolean {
  return contains(f.versions, v);
}

export function isTaggedAt(f: FieldModel, v: number): boolean {
  return f.tag !== undefined && contains(f.taggedVersions, v);
}

export function isNullableAt(f: FieldModel, v: number): boolean {
  return contains(f.nullableVersions, v);
}

/** Whether string/bytes/array encodings are compact for field `f` at version v. */
export function isCompactAt(msg: MessageModel, f: FieldModel, v: number): boolean {
  return contains(f.flexibleVersions ?? msg.flexibleVersions, v);
}
