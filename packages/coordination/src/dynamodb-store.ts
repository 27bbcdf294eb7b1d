// The coordination table on DynamoDB (AWS, DynamoDB Local, or any server speaking its API), through
// the AWS SDK v3 low-level client with Floe's own marshalling. Table layout: `pk` (S, HASH), `sk`
// (S, RANGE), on-demand billing, TTL on the number attribute `ttl` (epoch seconds).
import {
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateTimeToLiveCommand,
  type AttributeValue as DdbValue,
  type ConsumedCapacity,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { TRANSACTION_FACTOR, readUnits, writeUnits } from './billing.ts';
import {
  ConditionFailedError,
  CoordinationError,
  TransactionCancelledError,
  itemSize,
  type AttributeValue,
  type Condition,
  type CoordinationStats,
  type CoordinationStore,
  type Item,
  type QueryOptions,
  type ReadOptions,
  type TransactAction,
} from './coordination-store.ts';
import {
  TTL_ATTRIBUTE,
  inRange,
  invalid,
  planQuery,
  validateCondition,
  validateItem,
  validateKey,
  validateTransact,
  type QueryPlan,
} from './validation.ts';

export interface DynamoDbStoreOptions {
  table: string;
  /** e.g. http://127.0.0.1:8000 for DynamoDB Local; default: the AWS endpoint of `region`. */
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Create the table (and enable TTL) if it does not exist, and wait until it is ACTIVE. */
  createTable?: boolean;
  /** Attempts per request including the first (SDK standard retries, jittered backoff). Default 3. */
  maxAttempts?: number;
  /** Per-attempt limit on connecting and on waiting for a response. Default 10 000 ms. */
  requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const TABLE_ACTIVE_TIMEOUT_MS = 120_000;

const UNAVAILABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TransactionConflictException',
  'TransactionInProgressException',
  'ReplicatedWriteConflictException',
  'LimitExceededException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError',
]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: string;
  Item?: Record<string, DdbValue>;
  CancellationReasons?: { Code?: string; Item?: Record<string, DdbValue> }[];
}

/** Maps an error of the SDK or the network to a CoordinationError ('invalid' or 'unavailable'). */
export function classifyError(err: unknown, what: string): CoordinationError {
  if (err instanceof CoordinationError) return err;
  const e = (err ?? {}) as SdkError;
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  const message = `${what}: ${name}${e.message ? `: ${e.message}` : ''}`;
  const opts = { cause: err };
  if (UNAVAILABLE_NAMES.has(name) || NETWORK_CODES.has(e.code ?? '')) {
    return new CoordinationError('unavailable', message, opts);
  }
  if (status !== undefined && (status >= 500 || status === 429)) {
    return new CoordinationError('unavailable', message, opts);
  }
  if (status !== undefined && status >= 400) return new CoordinationError('invalid', message, opts);
  if (name === 'CredentialsProviderError') return new CoordinationError('invalid', message, opts);
  // No HTTP status: the request never got an answer (socket errors, timeouts, a garbled response).
  return new CoordinationError('unavailable', message, opts);
}

function marshalValue(name: string, value: AttributeValue): DdbValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw invalid(`attribute ${name}: numbers must be safe integers`);
    return { N: String(value) };
  }
  if (typeof value === 'boolean') return { BOOL: value };
  if (value instanceof Uint8Array) return { B: value };
  throw invalid(`attribute ${name}: unsupported value`);
}

export function marshalItem(item: Item): Record<string, DdbValue> {
  const out: Record<string, DdbValue> = {};
  for (const [name, value] of Object.entries(item)) out[name] = marshalValue(name, value);
  return out;
}

function unmarshalValue(name: string, v: DdbValue): AttributeValue {
  if (v.S !== undefined) return v.S;
  if (v.N !== undefined) {
    const n = Number(v.N);
    if (!Number.isSafeInteger(n)) throw invalid(`attribute ${name}: number ${v.N} is not a safe integer`);
    return n === 0 ? 0 : n; // no -0
  }
  if (v.BOOL !== undefined) return v.BOOL;
  if (v.B !== undefined) return new Uint8Array(v.B); // a copy, never a view of the response buffer
  throw invalid(`attribute ${name}: type ${Object.keys(v).join(',')} is not one Floe writes`);
}

export function unmarshalItem(raw: Record<string, DdbValue>): Item {
  const out: Record<string, AttributeValue> = {};
  for (const [name, v] of Object.entries(raw)) out[name] = unmarshalValue(name, v);
  if (typeof out.pk !== 'string' || typeof out.sk !== 'string') throw invalid('item without string pk and sk');
  return out as Item;
}

function tryUnmarshal(raw: Record<string, DdbValue> | undefined): Item | undefined {
  if (raw === undefined || Object.keys(raw).length === 0) return undefined;
  try {
    return unmarshalItem(raw);
  } catch {
    return undefined;
  }
}

interface ConditionParts {
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, DdbValue>;
}

export function conditionExpression(condition: Condition | undefined): ConditionParts {
  if (condition === undefined) return {};
  if ('absent' in condition) return { ConditionExpression: 'attribute_not_exists(pk)' };
  if ('exists' in condition) return { ConditionExpression: 'attribute_exists(pk)' };
  return {
    ConditionExpression: '#v = :v',
    ExpressionAttributeNames: { '#v': 'version' },
    ExpressionAttributeValues: { ':v': { N: String(condition.version) } },
  };
}

/** The KeyConditionExpression of a query plan; DynamoDB allows one condition on the sort key. */
export function keyCondition(pk: string, plan: QueryPlan): {
  KeyConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, DdbValue>;
  /** Whether results must be filtered client-side (exclusive bounds folded into BETWEEN). */
  filter: boolean;
} {
  const names: Record<string, string> = { '#pk': 'pk' };
  const values: Record<string, DdbValue> = { ':pk': { S: pk } };
  let expr = '#pk = :pk';
  let filter = false;
  if (plan.prefix !== undefined) {
    names['#sk'] = 'sk';
    values[':p'] = { S: plan.prefix };
    expr += ' AND begins_with(#sk, :p)';
  } else if (plan.lower && plan.upper !== undefined) {
    names['#sk'] = 'sk';
    values[':l'] = { S: plan.lower.value };
    values[':u'] = { S: plan.upper };
    expr += ' AND #sk BETWEEN :l AND :u';
    filter = true; // BETWEEN is inclusive at both ends; `before` is exclusive, `after` too
  } else if (plan.lower) {
    names['#sk'] = 'sk';
    values[':l'] = { S: plan.lower.value };
    expr += plan.lower.inclusive ? ' AND #sk >= :l' : ' AND #sk > :l';
  } else if (plan.upper !== undefined) {
    names['#sk'] = 'sk';
    values[':u'] = { S: plan.upper };
    expr += ' AND #sk < :u';
  }
  return { KeyConditionExpression: expr, ExpressionAttributeNames: names, ExpressionAttributeValues: values, filter };
}

function reportedUnits(cc: ConsumedCapacity | ConsumedCapacity[] | undefined, kind: 'read' | 'write'): number | undefined {
  const list = cc === undefined ? [] : Array.isArray(cc) ? cc : [cc];
  if (list.length === 0) return undefined;
  let total = 0;
  for (const c of list) {
    const specific = kind === 'read' ? c.ReadCapacityUnits : c.WriteCapacityUnits;
    const units = specific ?? c.CapacityUnits;
    if (units === undefined) return undefined;
    total += units;
  }
  return total;
}

export class DynamoDbCoordinationStore implements CoordinationStore {
  readonly table: string;
  private readonly client: DynamoDBClient;
  private readonly counters: CoordinationStats = { calls: 0, writeUnits: 0, readUnits: 0, conditionFailures: 0 };
  private closed = false;

  private constructor(client: DynamoDBClient, table: string) {
    this.client = client;
    this.table = table;
  }

  /** Connects (and with `createTable`, creates the table if missing and waits until it is ACTIVE). */
  static async open(options: DynamoDbStoreOptions): Promise<DynamoDbCoordinationStore> {
    if (typeof options.table !== 'string' || options.table.length === 0) throw invalid('table is required');
    const timeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const client = new DynamoDBClient({
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
      ...(options.region !== undefined ? { region: options.region } : {}),
      ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
      maxAttempts: options.maxAttempts ?? 3,
      retryMode: 'standard',
      requestHandler: new NodeHttpHandler({ connectionTimeout: timeout, requestTimeout: timeout, throwOnRequestTimeout: true }),
    });
    const store = new DynamoDbCoordinationStore(client, options.table);
    if (options.createTable === true) {
      try {
        await store.ensureTable();
      } catch (err) {
        client.destroy();
        throw classifyError(err, `creating table ${options.table}`);
      }
    }
    return store;
  }

  private async ensureTable(): Promise<void> {
    const TableName = this.table;
    let exists = true;
    try {
      await this.client.send(new DescribeTableCommand({ TableName }));
    } catch (err) {
      if ((err as SdkError).name !== 'ResourceNotFoundException') throw err;
      exists = false;
    }
    if (!exists) {
      try {
        await this.client.send(
          new CreateTableCommand({
            TableName,
            BillingMode: 'PAY_PER_REQUEST',
            AttributeDefinitions: [
              { AttributeName: 'pk', AttributeType: 'S' },
              { AttributeName: 'sk', AttributeType: 'S' },
            ],
            KeySchema: [
              { AttributeName: 'pk', KeyType: 'HASH' },
              { AttributeName: 'sk', KeyType: 'RANGE' },
            ],
          }),
        );
      } catch (err) {
        // Another process created it first: fine, wait for it like our own.
        if ((err as SdkError).name !== 'ResourceInUseException') throw err;
      }
    }
    const deadline = Date.now() + TABLE_ACTIVE_TIMEOUT_MS;
    for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
      const { Table } = await this.client.send(new DescribeTableCommand({ TableName }));
      const keys = Table?.KeySchema ?? [];
      const hash = keys.find((k) => k.KeyType === 'HASH')?.AttributeName;
      const range = keys.find((k) => k.KeyType === 'RANGE')?.AttributeName;
      if (hash !== 'pk' || range !== 'sk') {
        throw invalid(`table ${TableName} exists with keys ${hash}/${range}, not pk/sk`);
      }
      if (Table?.TableStatus === 'ACTIVE') break;
      if (Date.now() > deadline) {
        throw new CoordinationError('unavailable', `table ${TableName} not ACTIVE after ${TABLE_ACTIVE_TIMEOUT_MS} ms`);
      }
      await sleep(delay);
    }
    await this.enableTtl();
  }

  private async enableTtl(): Promise<void> {
    const TableName = this.table;
    try {
      const { TimeToLiveDescription: d } = await this.client.send(new DescribeTimeToLiveCommand({ TableName }));
      if (d?.AttributeName === TTL_ATTRIBUTE && (d.TimeToLiveStatus === 'ENABLED' || d.TimeToLiveStatus === 'ENABLING')) {
        return;
      }
      await this.client.send(
        new UpdateTimeToLiveCommand({
          TableName,
          TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
        }),
      );
    } catch (err) {
      const e = err as SdkError;
      // Already enabled (a concurrent opener won), or a DynamoDB-compatible server without TTL:
      // TTL only saves storage, so the table is usable without it.
      if (e.name === 'ValidationException' && /already enabled/i.test(e.message ?? '')) return;
      const status = e.$metadata?.httpStatusCode;
      if (status !== undefined && status >= 400 && status < 500) return;
      throw err;
    }
  }

  private check(): void {
    if (this.closed) throw invalid('the coordination store is closed');
  }

  async get(pk: string, sk: string, opts?: ReadOptions): Promise<Item | undefined> {
    this.check();
    validateKey(pk, sk);
    const consistent = opts?.consistent === true;
    this.counters.calls++;
    let out;
    try {
      out = await this.client.send(
        new GetItemCommand({
          TableName: this.table,
          Key: { pk: { S: pk }, sk: { S: sk } },
          ConsistentRead: consistent,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
    } catch (err) {
      throw classifyError(err, `get ${pk}/${sk}`);
    }
    const item = out.Item === undefined ? undefined : unmarshalItem(out.Item);
    this.counters.readUnits +=
      reportedUnits(out.ConsumedCapacity, 'read') ?? readUnits(item ? itemSize(item) : 0, consistent);
    return item;
  }

  async query(pk: string, opts?: QueryOptions): Promise<Item[]> {
    this.check();
    const plan = planQuery(pk, opts);
    if (plan.empty) return [];
    const key = keyCondition(pk, plan);
    const items: Item[] = [];
    let start: Record<string, DdbValue> | undefined;
    for (;;) {
      const want = plan.limit === undefined ? undefined : plan.limit - items.length;
      this.counters.calls++;
      let out;
      try {
        out = await this.client.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: key.KeyConditionExpression,
            ExpressionAttributeNames: key.ExpressionAttributeNames,
            ExpressionAttributeValues: key.ExpressionAttributeValues,
            ScanIndexForward: !plan.reverse,
            ConsistentRead: plan.consistent,
            ReturnConsumedCapacity: 'TOTAL',
            // One more than needed when filtering: the first item may be an excluded bound.
            ...(want !== undefined ? { Limit: want + (key.filter ? 1 : 0) } : {}),
            ...(start !== undefined ? { ExclusiveStartKey: start } : {}),
          }),
        );
      } catch (err) {
        throw classifyError(err, `query ${pk}`);
      }
      let bytes = 0;
      for (const raw of out.Items ?? []) {
        const item = unmarshalItem(raw);
        bytes += itemSize(item);
        if (key.filter && !inRange(plan, item.sk)) continue;
        if (plan.limit === undefined || items.length < plan.limit) items.push(item);
      }
      this.counters.readUnits += reportedUnits(out.ConsumedCapacity, 'read') ?? readUnits(bytes, plan.consistent);
      start = out.LastEvaluatedKey;
      if (start === undefined || Object.keys(start).length === 0) break;
      if (plan.limit !== undefined && items.length >= plan.limit) break;
    }
    return items;
  }

  async put(item: Item, condition?: Condition): Promise<void> {
    this.check();
    const size = validateItem(item);
    validateCondition(condition);
    const Item = marshalItem(item);
    this.counters.calls++;
    try {
      const out = await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item,
          ...conditionExpression(condition),
          ...(condition !== undefined ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.counters.writeUnits += reportedUnits(out.ConsumedCapacity, 'write') ?? writeUnits(size);
    } catch (err) {
      throw this.writeError(err, `put ${item.pk}/${item.sk}`);
    }
  }

  async delete(pk: string, sk: string, condition?: Condition): Promise<void> {
    this.check();
    validateKey(pk, sk);
    validateCondition(condition);
    this.counters.calls++;
    try {
      const out = await this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { pk: { S: pk }, sk: { S: sk } },
          ...conditionExpression(condition),
          ...(condition !== undefined ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.counters.writeUnits += reportedUnits(out.ConsumedCapacity, 'write') ?? writeUnits(0);
    } catch (err) {
      throw this.writeError(err, `delete ${pk}/${sk}`);
    }
  }

  /** A failed single-item write: condition failures are billed on the existing item's size. */
  private writeError(err: unknown, what: string): CoordinationError {
    const e = err as SdkError;
    if (e?.name === 'ConditionalCheckFailedException') {
      const existing = tryUnmarshal(e.Item);
      this.counters.conditionFailures++;
      this.counters.writeUnits += writeUnits(existing ? itemSize(existing) : 0);
      return new ConditionFailedError(`${what}: condition failed`, existing, { cause: err });
    }
    return classifyError(err, what);
  }

  async transact(actions: readonly TransactAction[]): Promise<void> {
    this.check();
    const plan = validateTransact(actions);
    const TableName = this.table;
    const TransactItems: TransactWriteItem[] = plan.map((a) => {
      const cond = conditionExpression(a.condition);
      const rv = a.condition !== undefined ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {};
      const Key = { pk: { S: a.pk }, sk: { S: a.sk } };
      if (a.kind === 'put') return { Put: { TableName, Item: marshalItem(a.item!), ...cond, ...rv } };
      if (a.kind === 'delete') return { Delete: { TableName, Key, ...cond, ...rv } };
      return { ConditionCheck: { TableName, Key, ...cond, ConditionExpression: cond.ConditionExpression!, ...rv } };
    });
    this.counters.calls++;
    try {
      const out = await this.client.send(
        new TransactWriteItemsCommand({
          TransactItems,
          // Makes the SDK's own retries idempotent: a replay within 10 minutes is not re-applied.
          ClientRequestToken: randomUUID(),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.counters.writeUnits +=
        reportedUnits(out.ConsumedCapacity, 'write') ??
        TRANSACTION_FACTOR * plan.reduce((sum, a) => sum + writeUnits(a.kind === 'put' ? a.size : 0), 0);
    } catch (err) {
      const e = err as SdkError;
      if (e?.name !== 'TransactionCanceledException') throw classifyError(err, 'transact');
      const codes = (e.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
      const reasons = plan.map((_, i) => {
        const code = codes[i] ?? 'None';
        return code === 'None' ? 'none' : code === 'ConditionalCheckFailed' ? 'condition-failed' : 'other';
      });
      // Billed like failed conditional writes, doubled: each action on the existing item's size.
      this.counters.writeUnits +=
        TRANSACTION_FACTOR *
        plan.reduce((sum, _a, i) => {
          const existing = tryUnmarshal(e.CancellationReasons?.[i]?.Item);
          return sum + writeUnits(existing ? itemSize(existing) : 0);
        }, 0);
      if (reasons.includes('condition-failed')) {
        this.counters.conditionFailures++;
        throw new TransactionCancelledError(reasons, { cause: err });
      }
      // Cancelled for another reason: a conflicting transaction or throttling is worth retrying;
      // anything else (validation, item collection too large) is not.
      const retriable = codes.some((c) => c === 'TransactionConflict' || c === 'ThrottlingError' || c === 'ProvisionedThroughputExceeded');
      if (retriable) {
        throw new CoordinationError('unavailable', `transact cancelled: ${codes.join(', ')}`, { cause: err });
      }
      if (codes.some((c) => c === 'ValidationError' || c === 'ItemCollectionSizeLimitExceeded')) {
        throw new CoordinationError('invalid', `transact cancelled: ${codes.join(', ')}`, { cause: err });
      }
      throw new TransactionCancelledError(reasons, { cause: err });
    }
  }

  stats(): CoordinationStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
  }
}
