// Fault rules and how one is picked for a request: the first rule that matches the request and
// whose seeded draw falls under its rate. The same seed and the same request sequence inject the
// same faults.
import type { RequestClass, Service } from './classify.ts';

export const FAULT_KINDS = [
  /** S3: 503 SlowDown (XML). DynamoDB: 503 ServiceUnavailable (JSON). */
  'slow-down',
  /** S3: 500 InternalError (XML). DynamoDB: 500 InternalServerError (JSON). */
  'internal-error',
  /** The connection is reset before the request reaches the server. */
  'reset',
  /** The request waits `latencyMs`, then goes through. */
  'latency',
  /** The request is forwarded and applied; its answer is dropped and the connection reset. */
  'timeout-after-success',
  /** DynamoDB: 400 ProvisionedThroughputExceededException. */
  'throughput-exceeded',
  /** DynamoDB: 400 ThrottlingException. */
  'throttling',
  /** DynamoDB: 400 TransactionCanceledException with a TransactionConflict reason. */
  'transaction-conflict',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  fault: FaultKind;
  /** Probability of injecting on a matching request, 0..1. */
  rate: number;
  /** Only requests to this service (default: both). */
  service?: Service;
  /** Only these operations (default: every one). */
  ops?: readonly string[];
  /** Only ranged (true) or whole (false) GetObjects. */
  ranged?: boolean;
  /** For `latency`: the added delay. */
  latencyMs?: number;
  /** Stop after this many injections. */
  limit?: number;
}

export class FaultRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultRuleError';
  }
}

/** Faults a service cannot answer with (a JSON DynamoDB error from S3 would not be S3). */
const DYNAMODB_ONLY = new Set<FaultKind>(['throughput-exceeded', 'throttling', 'transaction-conflict']);

export function validateRule(rule: FaultRule): void {
  if (!(FAULT_KINDS as readonly string[]).includes(rule.fault)) throw new FaultRuleError(`unknown fault "${String(rule.fault)}"`);
  if (!(rule.rate >= 0 && rule.rate <= 1)) throw new FaultRuleError(`rate must be within 0..1, got ${rule.rate}`);
  if (DYNAMODB_ONLY.has(rule.fault) && rule.service !== 'dynamodb') throw new FaultRuleError(`${rule.fault} needs service: 'dynamodb'`);
  if (rule.fault === 'latency' && !(typeof rule.latencyMs === 'number' && rule.latencyMs > 0)) throw new FaultRuleError('latency needs latencyMs > 0');
}

/** mulberry32: a small, fast seeded generator; enough for choosing faults reproducibly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function ruleMatches(rule: FaultRule, req: RequestClass): boolean {
  if (rule.service !== undefined && rule.service !== req.service) return false;
  if (rule.ops !== undefined && !rule.ops.includes(req.op)) return false;
  if (rule.ranged !== undefined && (req.op !== 'GetObject' || rule.ranged !== req.ranged)) return false;
  return true;
}

/** Rules in force, their injection counts, and the seeded draw. */
export class FaultRules {
  private rules: { rule: FaultRule; used: number }[] = [];
  private random: () => number;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  /** Replaces the rules in force (an empty list heals). */
  set(rules: readonly FaultRule[]): void {
    for (const r of rules) validateRule(r);
    this.rules = rules.map((rule) => ({ rule, used: 0 }));
  }

  add(rule: FaultRule): void {
    validateRule(rule);
    this.rules.push({ rule, used: 0 });
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map((r) => r.rule);
  }

  /**
   * The rule to apply to `req`, if any. Each matching rule draws once, in order, so one request
   * meets at most one fault.
   */
  pick(req: RequestClass): FaultRule | undefined {
    for (const r of this.rules) {
      if (!ruleMatches(r.rule, req)) continue;
      if (r.rule.limit !== undefined && r.used >= r.rule.limit) continue;
      if (this.random() < r.rule.rate) {
        r.used++;
        return r.rule;
      }
    }
    return undefined;
  }
}
