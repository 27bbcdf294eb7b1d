// Copies the facts of Kafka's JSON message definitions into packages/protocol/spec/kafka/.
//
// Usage (from the repo root or anywhere):
//   node packages/protocol/codegen/import-spec.ts [path/to/kafka-protocol]
//
// The argument is the folder holding `message/` and `error-codes.tsv`; it defaults to
// `../shared/reference/kafka-protocol` relative to the repo root. Only the APIs listed in
// codegen/apis.json are copied. Each definition is parsed as JSONC and reduced to the facts the
// generator needs (names, types, versions, defaults, tags...): documentation (`about`) and all
// comments are dropped. The output is deterministic, so re-running it yields no diff.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, '..');
const repoRoot = resolve(packageDir, '../..');
const outDir = join(packageDir, 'spec/kafka');

/** Top-level keys kept, in output order. */
const MESSAGE_KEYS = [
  'name',
  'type',
  'apiKey',
  'validVersions',
  'flexibleVersions',
  'deprecatedVersions',
  'latestVersionUnstable',
  'listeners',
  'fields',
  'commonStructs',
] as const;

/** Field keys kept, in output order. */
const FIELD_KEYS = [
  'name',
  'type',
  'versions',
  'nullableVersions',
  'default',
  'ignorable',
  'mapKey',
  'tag',
  'taggedVersions',
  'flexibleVersions',
  'entityType',
  'zeroCopy',
  'fields',
] as const;

const COMMON_STRUCT_KEYS = ['name', 'versions', 'fields'] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function pick(obj: JsonObject, keys: readonly string[], where: string): JsonObject {
  const out: JsonObject = {};
  for (const key of keys) {
    const value = obj[key];
    if (value === undefined) continue;
    if (key === 'fields') {
      if (!Array.isArray(value)) throw new Error(`${where}: "fields" is not an array`);
      out[key] = value.map((f, i) => reduceField(f, `${where}.fields[${i}]`));
    } else if (key === 'commonStructs') {
      if (!Array.isArray(value)) throw new Error(`${where}: "commonStructs" is not an array`);
      out[key] = value.map((s, i) => {
        if (!isObject(s)) throw new Error(`${where}.commonStructs[${i}] is not an object`);
        return pick(s, COMMON_STRUCT_KEYS, `${where}.commonStructs[${i}]`);
      });
    } else {
      out[key] = value;
    }
  }
  return out;
}

function reduceField(field: Json, where: string): JsonObject {
  if (!isObject(field)) throw new Error(`${where} is not an object`);
  const name = typeof field['name'] === 'string' ? field['name'] : '?';
  return pick(field, FIELD_KEYS, `${where}(${name})`);
}

function parseJsonc(text: string, file: string): JsonObject {
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: false, disallowComments: false }) as unknown;
  if (errors.length > 0) {
    const e = errors[0]!;
    throw new Error(`${file}: JSONC parse error ${printParseErrorCode(e.error)} at offset ${e.offset}`);
  }
  if (!isObject(value)) throw new Error(`${file}: top level is not an object`);
  return value;
}

interface ApiList {
  headers: string[];
  apis: string[];
}

function main(): void {
  const arg = process.argv[2];
  const sourceDir = arg ? resolve(process.cwd(), arg) : resolve(repoRoot, '../shared/reference/kafka-protocol');
  const messageDir = join(sourceDir, 'message');
  if (!existsSync(messageDir)) {
    console.error(`import-spec: no message/ folder under ${sourceDir}`);
    process.exit(2);
  }
  const list = JSON.parse(readFileSync(join(here, 'apis.json'), 'utf8')) as ApiList;
  mkdirSync(outDir, { recursive: true });

  const names: string[] = [...list.headers];
  for (const api of list.apis) names.push(`${api}Request`, `${api}Response`);

  const missing: string[] = [];
  let written = 0;
  for (const name of names) {
    const file = join(messageDir, `${name}.json`);
    if (!existsSync(file)) {
      missing.push(name);
      continue;
    }
    const reduced = pick(parseJsonc(readFileSync(file, 'utf8'), file), MESSAGE_KEYS, name);
    if (reduced['name'] !== name) throw new Error(`${file}: name is ${String(reduced['name'])}, expected ${name}`);
    writeFileSync(join(outDir, `${name}.json`), JSON.stringify(reduced, null, 2) + '\n');
    written++;
  }

  // Error codes: keep the two facts per row (code, name).
  const tsv = readFileSync(join(sourceDir, 'error-codes.tsv'), 'utf8');
  const rows = tsv.split('\n').filter((l) => l.trim() !== '');
  const header = rows.shift()!.split('\t');
  const codeCol = header.indexOf('code');
  const nameCol = header.indexOf('name');
  if (codeCol < 0 || nameCol < 0) throw new Error('error-codes.tsv: expected "code" and "name" columns');
  const out = ['code\tname'];
  for (const row of rows) {
    const cols = row.split('\t');
    const code = cols[codeCol]!.trim();
    const errName = cols[nameCol]!.trim();
    if (!/^-?\d+$/.test(code) || !/^[A-Z0-9_]+$/.test(errName)) throw new Error(`error-codes.tsv: bad row ${row}`);
    out.push(`${code}\t${errName}`);
  }
  writeFileSync(join(outDir, 'error-codes.tsv'), out.join('\n') + '\n');

  console.log(`import-spec: wrote ${written} definitions and ${out.length - 1} error codes to ${outDir}`);
  if (missing.length > 0) {
    console.log(`import-spec: not found in ${messageDir}: ${missing.join(', ')}`);
  }
}

main();
