// The faults a chaos run rotates through, each applied for a while and then healed.
import { seededRandom, type FaultProxy, type FaultRule } from '@floe/testkit';
import type { ChaosCluster } from './cluster.ts';

export const FAULT_STEPS = ['kill-node', 'pause-node', 's3-faults', 'dynamodb-faults', 'kill-minio', 'kill-dynamodb'] as const;
export type FaultStep = (typeof FAULT_STEPS)[number];

/** S3 misbehaving: throttled, failing, cutting connections, slow, and losing answers to applied PUTs. */
export const S3_RULES: readonly FaultRule[] = [
  { fault: 'reset', rate: 0.08, service: 's3' },
  { fault: 'timeout-after-success', rate: 0.15, service: 's3', ops: ['PutObject'] },
  { fault: 'slow-down', rate: 0.12, service: 's3' },
  { fault: 'internal-error', rate: 0.08, service: 's3' },
  { fault: 'latency', rate: 0.2, service: 's3', latencyMs: 400 },
];

const DYNAMODB_WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem'];

/** DynamoDB misbehaving: throttling, transaction conflicts, 5xx, cut connections, latency, lost answers to applied writes. */
export const DYNAMODB_RULES: readonly FaultRule[] = [
  { fault: 'transaction-conflict', rate: 0.4, service: 'dynamodb', ops: ['TransactWriteItems'] },
  { fault: 'timeout-after-success', rate: 0.1, service: 'dynamodb', ops: DYNAMODB_WRITES },
  { fault: 'throughput-exceeded', rate: 0.08, service: 'dynamodb' },
  { fault: 'throttling', rate: 0.05, service: 'dynamodb' },
  { fault: 'internal-error', rate: 0.03, service: 'dynamodb' },
  { fault: 'slow-down', rate: 0.02, service: 'dynamodb' },
  { fault: 'reset', rate: 0.03, service: 'dynamodb' },
  { fault: 'latency', rate: 0.15, service: 'dynamodb', latencyMs: 200 },
];

export interface FaultEvent {
  step: FaultStep;
  /** ms since the run started. */
  at: number;
  ms: number;
  detail: string;
}

export interface FaultScheduleOptions {
  /** Faults stop being started after this long. */
  durationMs: number;
  /** How long a proxy fault lasts, and how long a killed node or server stays down. */
  stepMs: number;
  /** Quiet time between two faults. */
  calmMs: number;
  leaseMs: number;
  seed: number;
  /** The steps to rotate through (default: all). */
  steps?: readonly FaultStep[];
  startedAt: number;
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sets `rules` for `stepMs`, and longer (up to five times) until each rule's kind was injected
 * at least once in this step, so that every run exercises every kind; then heals. Returns how
 * long the rules held.
 */
async function proxyFaults(proxy: FaultProxy, rules: readonly FaultRule[], stepMs: number): Promise<number> {
  const before = proxy.stats().injected;
  const t0 = Date.now();
  proxy.setRules(rules);
  await sleep(stepMs);
  const missing = () => {
    const now = proxy.stats().injected;
    return rules.some((r) => now[r.fault] === before[r.fault]);
  };
  while (missing() && Date.now() - t0 < 5 * stepMs) await sleep(250);
  proxy.setRules([]);
  return Date.now() - t0;
}

/** Applies one fault and heals it; returns what was done. */
async function apply(cluster: ChaosCluster, step: FaultStep, node: number, o: FaultScheduleOptions): Promise<string> {
  switch (step) {
    case 'kill-node': {
      cluster.killNode(node);
      await sleep(o.stepMs / 2);
      await withTimeout(cluster.startNode(node), 90_000, `restart of node ${node + 1}`);
      return `node ${node + 1} killed (SIGKILL) and restarted`;
    }
    case 'pause-node': {
      const ms = o.leaseMs + 1_500;
      cluster.signalNode(node, 'SIGSTOP');
      await sleep(ms);
      cluster.signalNode(node, 'SIGCONT');
      return `node ${node + 1} paused (SIGSTOP) ${ms} ms, past its ${o.leaseMs} ms lease`;
    }
    case 's3-faults':
      return `S3 proxy faults for ${await proxyFaults(cluster.s3Proxy, S3_RULES, o.stepMs)} ms`;
    case 'dynamodb-faults':
      return `DynamoDB proxy faults for ${await proxyFaults(cluster.dynamodbProxy, DYNAMODB_RULES, o.stepMs)} ms`;
    case 'kill-minio':
      await cluster.minio.kill();
      await sleep(o.stepMs / 2);
      await cluster.minio.start();
      return 'MinIO killed (SIGKILL) and restarted';
    case 'kill-dynamodb':
      await cluster.dynamodb.kill();
      await sleep(o.stepMs / 2);
      await cluster.dynamodb.start();
      return 'DynamoDB Local killed (SIGKILL) and restarted';
  }
}

/** Rotates through every fault step (in a seeded order per round) until the duration is spent. */
export async function runFaults(cluster: ChaosCluster, o: FaultScheduleOptions): Promise<FaultEvent[]> {
  const random = seededRandom(o.seed + 2);
  const events: FaultEvent[] = [];
  const end = o.startedAt + o.durationMs;
  // Bounded: at most this many faults, whatever the clock does.
  for (let round = 0; round < 10_000 && Date.now() < end; round++) {
    const order: FaultStep[] = [...(o.steps ?? FAULT_STEPS)];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const step of order) {
      if (Date.now() >= end && events.length >= order.length) break;
      const node = Math.floor(random() * 3);
      const t0 = Date.now();
      const detail = await apply(cluster, step, node, o);
      const ev = { step, at: t0 - o.startedAt, ms: Date.now() - t0, detail };
      events.push(ev);
      o.log(`[${(ev.at / 1000).toFixed(1)} s] ${detail} (${ev.ms} ms)`);
      await sleep(o.calmMs);
    }
  }
  return events;
}
