/**
 * Floe's coordination table: one table of small items addressed by a partition key `pk` and a
 * sort key `sk`, changed only by conditional writes. It is shaped after what DynamoDB offers and
 * knows nothing of Kafka. Implementations: DynamoDB (AWS, DynamoDB Local, any compatible store)
 * and an embedded store persisted to local disk (the default for `npm start`).
 *
 * Sort keys compare as UTF-8 bytes, as DynamoDB compares strings: callers that need numeric
 * order write fixed-width keys.
 */
export interface CoordinationStore {
  get(pk: string, sk: string, opts?: ReadOptions): Promise<Item | undefined>;
  /** Items of one partition key in sort-key order (descending with `reverse`), within `range`. */
  query(pk: string, opts?: QueryOptions): Promise<Item[]>;
  /** Writes `item` whole (replacing any item with its keys) if `condition` holds. */
  put(item: Item, condition?: Condition): Promise<void>;
  /** Deletes the item if `condition` holds; deleting a missing item without a condition succeeds. */
  delete(pk: string, sk: string, condition?: Condition): Promise<void>;
  /**
   * Applies every action or none. At most 100 actions, no two on the same item. Throws
   * TransactionCancelledError with one reason per action when any condition fails.
   */
  transact(actions: readonly TransactAction[]): Promise<void>;
  /** Calls and capacity units consumed since creation, as the service bills them. */
  stats(): CoordinationStats;
  close(): Promise<void>;
}

/** Attribute values: strings, safe integers, booleans and binary. */
export type AttributeValue = string | number | boolean | Uint8Array;

export interface Item {
  pk: string;
  sk: string;
  [attribute: string]: AttributeValue;
}

export interface ReadOptions {
  /** Strongly consistent read. Default false (eventually consistent, half the read cost). */
  consistent?: boolean;
}

export interface QueryOptions extends ReadOptions {
  /** Sort keys strictly greater than this. */
  after?: string;
  /** Sort keys greater than or equal to this. */
  from?: string;
  /** Sort keys strictly less than this. */
  before?: string;
  /** Sort keys starting with this. Cannot be combined with after/from/before. */
  prefix?: string;
  limit?: number;
  reverse?: boolean;
}

/**
 * The conditions Floe needs: create-only, must-exist, and compare-and-swap on an integer
 * attribute named `version` (absent counts as not equal).
 */
export type Condition = { absent: true } | { exists: true } | { version: number };

export type TransactAction =
  | { put: Item; condition?: Condition }
  | { delete: { pk: string; sk: string }; condition?: Condition }
  | { check: { pk: string; sk: string }; condition: Condition };

export interface CoordinationStats {
  calls: number;
  /** Write request units: 1 per KB of item per write, doubled inside transactions. */
  writeUnits: number;
  /** Read request units: per 4 KB, 0.5 eventually consistent, 1 strongly consistent. */
  readUnits: number;
  conditionFailures: number;
}

export type CoordinationErrorKind = 'condition-failed' | 'transaction-cancelled' | 'unavailable' | 'invalid';

export class CoordinationError extends Error {
  readonly kind: CoordinationErrorKind;
  constructor(kind: CoordinationErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CoordinationError';
    this.kind = kind;
  }
  get retriable(): boolean {
    return this.kind === 'unavailable';
  }
}

export class ConditionFailedError extends CoordinationError {
  /**
   * The item as it was when the condition failed, when the store can tell (DynamoDB's
   * ReturnValuesOnConditionCheckFailure). Undefined when the item did not exist or the store
   * does not say (callers must then read it back).
   */
  readonly existing: Item | undefined;
  constructor(message: string, existing?: Item, options?: ErrorOptions) {
    super('condition-failed', message, options);
    this.name = 'ConditionFailedError';
    this.existing = existing;
  }
}

export class TransactionCancelledError extends CoordinationError {
  /** One entry per action, in order: 'none', 'condition-failed' or 'other'. */
  readonly reasons: readonly ('none' | 'condition-failed' | 'other')[];
  constructor(reasons: readonly ('none' | 'condition-failed' | 'other')[], options?: ErrorOptions) {
    super('transaction-cancelled', `transaction cancelled: ${reasons.join(', ')}`, options);
    this.name = 'TransactionCancelledError';
    this.reasons = reasons;
  }
}

/** Size of an item as DynamoDB bills it: attribute names plus values, in bytes. */
export function itemSize(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    size += Buffer.byteLength(name);
    if (typeof value === 'string') size += Buffer.byteLength(value);
    else if (typeof value === 'number') size += Math.ceil(String(Math.abs(value)).replace(/^0+/, '').length / 2) + 1;
    else if (typeof value === 'boolean') size += 1;
    else size += value.byteLength;
  }
  return size;
}

/** Largest item DynamoDB accepts. Both implementations refuse bigger items with 'invalid'. */
export const MAX_ITEM_BYTES = 400 * 1024;
