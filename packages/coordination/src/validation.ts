// Checks shared by every CoordinationStore implementation, so that the embedded store refuses
// exactly what DynamoDB refuses and both refuse it before doing any work (nothing is sent, nothing
// is billed). Also the plan of a query's sort-key range, which both stores execute.
import {
  CoordinationError,
  MAX_ITEM_BYTES,
  itemSize,
  type AttributeValue,
  type Condition,
  type Item,
  type QueryOptions,
  type TransactAction,
} from './coordination-store.ts';

/** The attribute DynamoDB's TTL reads: a number, epoch seconds after which the item may be deleted. */
export const TTL_ATTRIBUTE = 'ttl';

/** DynamoDB's limits on key attribute values, in UTF-8 bytes. */
export const MAX_PARTITION_KEY_BYTES = 2048;
export const MAX_SORT_KEY_BYTES = 1024;
/** DynamoDB's limits on TransactWriteItems: actions per call and aggregate item bytes. */
export const MAX_TRANSACT_ACTIONS = 100;
export const MAX_TRANSACT_BYTES = 4 * 1024 * 1024;
/** Attribute names are 1 to 64 KB of UTF-8. */
export const MAX_ATTRIBUTE_NAME_BYTES = 65535;

export function invalid(message: string): CoordinationError {
  return new CoordinationError('invalid', message);
}

/**
 * Strings must be well-formed UTF-16 (no lone surrogates): DynamoDB stores UTF-8, and a lone
 * surrogate cannot be encoded without changing the string.
 */
function isWellFormed(s: string): boolean {
  // String.prototype.isWellFormed is ES2024; the project's lib is es2023.
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

function checkString(s: unknown, what: string): asserts s is string {
  if (typeof s !== 'string') throw invalid(`${what} must be a string`);
  if (!isWellFormed(s)) throw invalid(`${what} is not well-formed Unicode (lone surrogate)`);
}

export function validateKey(pk: unknown, sk: unknown): void {
  checkString(pk, 'pk');
  checkString(sk, 'sk');
  if (pk.length === 0) throw invalid('pk must not be empty');
  if (sk.length === 0) throw invalid('sk must not be empty');
  if (Buffer.byteLength(pk) > MAX_PARTITION_KEY_BYTES) {
    throw invalid(`pk is longer than ${MAX_PARTITION_KEY_BYTES} bytes`);
  }
  if (Buffer.byteLength(sk) > MAX_SORT_KEY_BYTES) {
    throw invalid(`sk is longer than ${MAX_SORT_KEY_BYTES} bytes`);
  }
}

export function validateValue(name: string, value: unknown): asserts value is AttributeValue {
  if (typeof value === 'string') checkString(value, `attribute ${name}`);
  else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw invalid(`attribute ${name}: numbers must be safe integers, got ${value}`);
    }
  } else if (typeof value === 'boolean') return;
  else if (!(value instanceof Uint8Array)) {
    throw invalid(`attribute ${name}: values are strings, safe integers, booleans or Uint8Array`);
  }
}

/** Validates an item to be written; returns its size as DynamoDB bills it. */
export function validateItem(item: unknown): number {
  if (typeof item !== 'object' || item === null) throw invalid('item must be an object');
  const it = item as Item;
  validateKey(it.pk, it.sk);
  for (const [name, value] of Object.entries(it)) {
    if (name.length === 0) throw invalid('attribute names must not be empty');
    if (!isWellFormed(name)) throw invalid('attribute name is not well-formed Unicode');
    if (Buffer.byteLength(name) > MAX_ATTRIBUTE_NAME_BYTES) throw invalid('attribute name too long');
    validateValue(name, value);
  }
  const size = itemSize(it);
  if (size > MAX_ITEM_BYTES) {
    throw invalid(`item ${JSON.stringify(it.pk)}/${JSON.stringify(it.sk)} is ${size} bytes, over ${MAX_ITEM_BYTES}`);
  }
  return size;
}

export function validateCondition(condition: unknown): asserts condition is Condition | undefined {
  if (condition === undefined) return;
  if (typeof condition !== 'object' || condition === null) throw invalid('condition must be an object');
  const c = condition as Record<string, unknown>;
  const keys = Object.keys(c);
  if (keys.length !== 1) throw invalid(`condition must have exactly one of absent, exists, version`);
  if ('absent' in c) {
    if (c.absent !== true) throw invalid('condition absent must be true');
  } else if ('exists' in c) {
    if (c.exists !== true) throw invalid('condition exists must be true');
  } else if ('version' in c) {
    if (typeof c.version !== 'number' || !Number.isSafeInteger(c.version)) {
      throw invalid('condition version must be a safe integer');
    }
  } else throw invalid(`unknown condition ${JSON.stringify(keys[0])}`);
}

/** Does `condition` hold for `existing` (undefined: no item)? The one definition both stores use. */
export function conditionHolds(condition: Condition | undefined, existing: Item | undefined): boolean {
  if (condition === undefined) return true;
  if ('absent' in condition) return existing === undefined;
  if ('exists' in condition) return existing !== undefined;
  // DynamoDB compares numbers by value; an item without `version` or with a non-number
  // `version` does not match.
  return existing !== undefined && existing.version === condition.version;
}

export interface TransactPlanAction {
  kind: 'put' | 'delete' | 'check';
  pk: string;
  sk: string;
  item?: Item;
  /** Size of `item` for puts. */
  size: number;
  condition: Condition | undefined;
}

/** Validates a transaction as DynamoDB does: 1 to 100 actions, distinct items, at most 4 MB. */
export function validateTransact(actions: readonly TransactAction[]): TransactPlanAction[] {
  if (!Array.isArray(actions)) throw invalid('transact takes an array of actions');
  if (actions.length === 0) throw invalid('a transaction needs at least one action');
  if (actions.length > MAX_TRANSACT_ACTIONS) {
    throw invalid(`a transaction has at most ${MAX_TRANSACT_ACTIONS} actions, got ${actions.length}`);
  }
  const seen = new Set<string>();
  const plan: TransactPlanAction[] = [];
  let total = 0;
  for (const [i, action] of actions.entries()) {
    let p: TransactPlanAction;
    if (action !== null && typeof action === 'object' && 'put' in action) {
      const size = validateItem(action.put);
      validateCondition(action.condition);
      p = { kind: 'put', pk: action.put.pk, sk: action.put.sk, item: action.put, size, condition: action.condition };
    } else if (action !== null && typeof action === 'object' && 'delete' in action) {
      validateKey(action.delete?.pk, action.delete?.sk);
      validateCondition(action.condition);
      const { pk, sk } = action.delete;
      p = { kind: 'delete', pk, sk, size: Buffer.byteLength(pk) + Buffer.byteLength(sk) + 4, condition: action.condition };
    } else if (action !== null && typeof action === 'object' && 'check' in action) {
      validateKey(action.check?.pk, action.check?.sk);
      if (action.condition === undefined) throw invalid(`action ${i}: a check needs a condition`);
      validateCondition(action.condition);
      const { pk, sk } = action.check;
      p = { kind: 'check', pk, sk, size: Buffer.byteLength(pk) + Buffer.byteLength(sk) + 4, condition: action.condition };
    } else {
      throw invalid(`action ${i} must be one of put, delete, check`);
    }
    const id = itemId(p.pk, p.sk);
    if (seen.has(id)) {
      throw invalid(`a transaction may not have two actions on one item (${JSON.stringify(p.pk)}/${JSON.stringify(p.sk)})`);
    }
    seen.add(id);
    total += p.size;
    plan.push(p);
  }
  if (total > MAX_TRANSACT_BYTES) {
    throw invalid(`a transaction carries at most ${MAX_TRANSACT_BYTES} bytes of items, got ${total}`);
  }
  return plan;
}

/** A string that identifies an item by its keys (pk cannot hold U+0000 ambiguity: length-prefixed). */
export function itemId(pk: string, sk: string): string {
  return `${pk.length}:${pk}${sk}`;
}

/** Compares two strings by their UTF-8 bytes, as DynamoDB orders sort keys. */
export function compareUtf8(a: string, b: string): number {
  // UTF-8 byte order is code point order. UTF-16 code unit order differs only where a surrogate
  // (a code point above U+FFFF) meets a unit in U+E000..U+FFFF, so compare code units and fix up
  // that case.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      const xs = x <= 0xdfff;
      const ys = y <= 0xdfff;
      if (xs && !ys) return 1; // surrogate (>= U+10000) sorts after U+E000..U+FFFF
      if (ys && !xs) return -1;
    }
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** The sort-key range of a query after normalisation; `empty` when nothing can match. */
export interface QueryPlan {
  empty: boolean;
  lower?: { value: string; inclusive: boolean };
  /** Always exclusive. */
  upper?: string;
  prefix?: string;
  limit?: number;
  reverse: boolean;
  consistent: boolean;
}

export function planQuery(pk: string, opts: QueryOptions = {}): QueryPlan {
  checkString(pk, 'pk');
  if (pk.length === 0) throw invalid('pk must not be empty');
  if (Buffer.byteLength(pk) > MAX_PARTITION_KEY_BYTES) throw invalid(`pk is longer than ${MAX_PARTITION_KEY_BYTES} bytes`);
  const { after, from, before, prefix, limit } = opts;
  for (const [name, v] of [['after', after], ['from', from], ['before', before], ['prefix', prefix]] as const) {
    if (v === undefined) continue;
    checkString(v, name);
    if (Buffer.byteLength(v) > MAX_SORT_KEY_BYTES) throw invalid(`${name} is longer than ${MAX_SORT_KEY_BYTES} bytes`);
  }
  if (prefix !== undefined && (after !== undefined || from !== undefined || before !== undefined)) {
    throw invalid('prefix cannot be combined with after, from or before');
  }
  if (after !== undefined && from !== undefined) throw invalid('after and from cannot be combined');
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw invalid('limit must be a non-negative integer');
  }
  const plan: QueryPlan = { empty: limit === 0, reverse: opts.reverse === true, consistent: opts.consistent === true };
  if (limit !== undefined) plan.limit = limit;
  // DynamoDB refuses empty strings as key values; an empty bound or prefix means "no bound".
  if (prefix !== undefined && prefix !== '') plan.prefix = prefix;
  if (from !== undefined && from !== '') plan.lower = { value: from, inclusive: true };
  if (after !== undefined && after !== '') plan.lower = { value: after, inclusive: false };
  if (before !== undefined) {
    if (before === '') plan.empty = true; // nothing sorts before the empty string
    else plan.upper = before;
  }
  if (plan.lower && plan.upper !== undefined && compareUtf8(plan.lower.value, plan.upper) >= 0) plan.empty = true;
  return plan;
}

/** Does sort key `sk` fall in the plan's range? */
export function inRange(plan: QueryPlan, sk: string): boolean {
  if (plan.prefix !== undefined && !sk.startsWith(plan.prefix)) return false;
  if (plan.lower) {
    const c = compareUtf8(sk, plan.lower.value);
    if (c < 0 || (c === 0 && !plan.lower.inclusive)) return false;
  }
  if (plan.upper !== undefined && compareUtf8(sk, plan.upper) >= 0) return false;
  return true;
}

/** A copy of an item: new object, new byte arrays (strings and numbers are immutable). */
export function copyItem(item: Item): Item {
  const out: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(item)) {
    out[name] = value instanceof Uint8Array ? new Uint8Array(value) : value;
  }
  return out as Item;
}
