// Consumer-group rebalance benchmark (docs/benchmarks.md, "Consumer group rebalances"): a cluster
// of three nodes started in this process with `startBroker`, per-node mode, on MinIO + DynamoDB
// Local (the servers of `scripts/test-env up`), group.initial.rebalance.delay.ms = 0. Members are
// raw Kafka-protocol clients, one connection each: JoinGroup v9 (with the MEMBER_ID_REQUIRED
// round), SyncGroup v5, Heartbeat v4, LeaveGroup v5; protocol type "consumer", one protocol
// "range"; the leader assigns 12 partitions of one topic over every member.
//
// Every repetition uses a fresh group, in two placements: all three members on the same node (the
// group's preferred coordinator, from FindCoordinator) and one member per node (a barrier closed
// by one node is seen by the others' re-read of the group, every 200 ms: the worst case).
//  1. join from scratch: from the first JoinGroup sent until the three members hold the
//     assignments the leader sent for one generation of all three;
//  2. one member leaves a Stable group of three: from its LeaveGroup sent until the two others,
//     told by a Heartbeat (REBALANCE_IN_PROGRESS) and rejoined, hold their new assignments;
//  3. the coordination table's cost of each: calls, read and write units, lost compare-and-swaps,
//     summed over the three nodes' stores, less the nodes' background (leases) at its idle rate.
// Run: npm run bench:groups [-- --reps 100 --warmup 3 --heartbeat-ms 100]
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CoordinationStats } from '@floe/coordination';
import { ApiKey, ErrorCode, type RequestTypes, type ResponseTypes } from '@floe/protocol';
import type { Logger } from '@floe/broker';
import { loadTestEnv } from '@floe/testkit';
import { RawClient } from '../../broker/test/support/raw-client.ts';
import { startBroker, type RunningBroker } from '../src/broker.ts';
import { loadConfig } from '../src/config.ts';

const flag = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  const v = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`${name}: expected a whole number`);
  return v;
};
const REPS = Math.max(1, flag('--reps', 100));
const WARMUP = flag('--warmup', 3);
const HEARTBEAT_MS = Math.max(10, flag('--heartbeat-ms', 100));
const SESSION_MS = 10_000;
const REBALANCE_MS = 10_000;
/** Longest a phase (a join, a leave) may take before the benchmark gives up. */
const PHASE_LIMIT_MS = 20_000;
/** JoinGroup/SyncGroup rounds one member may go through in one phase. */
const MAX_ROUNDS = 20;
const IDLE_MS = 5_000;
const TOPIC = 'bench';
const PARTITIONS = 12;

// The whole run is bounded: a stuck phase fails on its own limit, this catches anything else.
const watchdog = setTimeout(() => {
  console.error('groups benchmark: still running after 20 minutes, giving up');
  process.exit(2);
}, 20 * 60_000);
watchdog.unref();

// --- the Kafka consumer protocol's embedded bytes (what Java consumers send) ---------------------

/** ConsumerProtocolSubscription v1: topics, no user data, no owned partitions. */
function subscription(topics: string[]): Buffer {
  const parts = [int16(1), int32(topics.length), ...topics.map(str), int32(-1), int32(0)];
  return Buffer.concat(parts);
}

/** ConsumerProtocolAssignment v1: partitions of one topic, no user data. */
function assignment(topic: string, partitions: number[]): Buffer {
  return Buffer.concat([int16(1), int32(1), str(topic), int32(partitions.length), ...partitions.map(int32), int32(-1)]);
}

function int16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(v);
  return b;
}
function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}
function str(s: string): Buffer {
  const body = Buffer.from(s, 'utf8');
  return Buffer.concat([int16(body.length), body]);
}

/** The range assignor over one topic: members in id order, consecutive partitions each. */
function rangeAssign(memberIds: string[]): Map<string, Buffer> {
  const sorted = [...memberIds].sort();
  const out = new Map<string, Buffer>();
  const per = Math.floor(PARTITIONS / sorted.length);
  const extra = PARTITIONS % sorted.length;
  let next = 0;
  sorted.forEach((id, i) => {
    const n = per + (i < extra ? 1 : 0);
    out.set(id, assignment(TOPIC, Array.from({ length: n }, (_, k) => next + k)));
    next += n;
  });
  return out;
}

const SUBSCRIPTION = subscription([TOPIC]);

// --- one member: a connection, the join/sync rounds and a heartbeat loop -------------------------

/** One request at a time on a connection, as a Kafka client talks to its coordinator. */
class Conn {
  private readonly raw: RawClient;
  private answered = 0;
  private busy = false;

  private constructor(raw: RawClient) {
    this.raw = raw;
  }

  static async open(port: number): Promise<Conn> {
    return new Conn(await RawClient.connect(port));
  }

  async call<K extends keyof RequestTypes & keyof ResponseTypes>(apiKey: K, version: number, body: RequestTypes[K]): Promise<ResponseTypes[K]> {
    if (this.busy) throw new Error('two requests at once on one member connection');
    this.busy = true;
    try {
      const id = this.raw.send(apiKey, version, body);
      const frames = await this.raw.waitFrames(this.answered + 1, PHASE_LIMIT_MS);
      const decoded = this.raw.decode(frames[this.answered++]!, apiKey);
      if (decoded.correlationId !== id) throw new Error(`answer ${decoded.correlationId} to request ${id}`);
      return decoded.body;
    } finally {
      this.busy = false;
    }
  }

  close(): void {
    this.raw.close();
  }
}

type Api = 'join' | 'sync' | 'heartbeat' | 'leave';

/** One group's run: what the leaders assigned, and a wait on a condition over its members. */
class GroupRun {
  readonly groupId: string;
  /** Per generation: the assignment the leader sent to each member. */
  readonly sent = new Map<number, Map<string, Buffer>>();
  readonly requests: Record<Api, number> = { join: 0, sync: 0, heartbeat: 0, leave: 0 };
  private waiter: { done: () => boolean; resolve: (at: number) => void; reject: (err: unknown) => void } | undefined;
  private failure: unknown;

  constructor(groupId: string) {
    this.groupId = groupId;
  }

  /** A member's state changed: resolves the wait (with the time) the moment its condition holds. */
  changed(): void {
    const w = this.waiter;
    if (w && w.done()) {
      const at = performance.now();
      this.waiter = undefined;
      w.resolve(at);
    }
  }

  fail(err: unknown): void {
    this.failure ??= err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }

  /** Resolves with the time `done` first held (checked on every change), or fails after `limitMs`. */
  until(done: () => boolean, limitMs: number, what: string): Promise<number> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (done()) return Promise.resolve(performance.now());
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`group ${this.groupId}: not within ${limitMs} ms: ${what}`));
      }, limitMs);
      this.waiter = {
        done,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
    });
  }

  /** The generation whose assignments these members (exactly) all hold, if there is one. */
  assignedTogether(members: readonly Member[]): number | undefined {
    const g = members[0]?.synced?.generation;
    if (g === undefined) return undefined;
    const sent = this.sent.get(g);
    if (!sent || sent.size !== members.length) return undefined;
    for (const m of members) {
      const a = sent.get(m.memberId);
      if (m.synced?.generation !== g || !a || !a.equals(m.synced.assignment)) return undefined;
    }
    return g;
  }
}

class Member {
  memberId = '';
  synced: { generation: number; assignment: Buffer } | undefined;
  /** When a heartbeat last answered REBALANCE_IN_PROGRESS (performance.now()). */
  toldToRejoinAt = 0;
  private readonly conn: Conn;
  private readonly run: GroupRun;
  private heartbeats: Promise<void> | undefined;
  private stopHeartbeats: AbortController | undefined;

  constructor(conn: Conn, run: GroupRun) {
    this.conn = conn;
    this.run = run;
  }

  /** JoinGroup then SyncGroup, again while the group rebalances, until this member is assigned. */
  async joinAndSync(deadline: number): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (performance.now() > deadline) break;
      this.run.requests.join++;
      const j = await this.conn.call(ApiKey.JoinGroup, 9, {
        groupId: this.run.groupId,
        sessionTimeoutMs: SESSION_MS,
        rebalanceTimeoutMs: REBALANCE_MS,
        memberId: this.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: SUBSCRIPTION }],
        reason: null,
      });
      if (j.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = j.memberId;
        continue;
      }
      if (j.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.memberId = '';
        continue;
      }
      if (j.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) continue;
      if (j.errorCode !== ErrorCode.NONE) throw new Error(`JoinGroup: error code ${j.errorCode}`);
      let assignments: { memberId: string; assignment: Buffer }[] = [];
      if (j.leader === this.memberId) {
        const plan = rangeAssign(j.members.map((m) => m.memberId));
        this.run.sent.set(j.generationId, plan);
        assignments = [...plan].map(([memberId, a]) => ({ memberId, assignment: a }));
      }
      this.run.requests.sync++;
      const s = await this.conn.call(ApiKey.SyncGroup, 5, {
        groupId: this.run.groupId,
        generationId: j.generationId,
        memberId: this.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocolName: 'range',
        assignments,
      });
      if (s.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || s.errorCode === ErrorCode.ILLEGAL_GENERATION) continue;
      if (s.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.memberId = '';
        continue;
      }
      if (s.errorCode !== ErrorCode.NONE) throw new Error(`SyncGroup: error code ${s.errorCode}`);
      this.synced = { generation: j.generationId, assignment: s.assignment };
      this.run.changed();
      return;
    }
    throw new Error(`member ${this.memberId}: no assignment within ${MAX_ROUNDS} rounds or ${PHASE_LIMIT_MS} ms`);
  }

  /**
   * Heartbeats every HEARTBEAT_MS (from the previous one sent) until stopped; rejoins when told
   * the group rebalances. Bounded by count as well as by the stop.
   */
  startHeartbeats(): void {
    const stop = new AbortController();
    this.stopHeartbeats = stop;
    const maxBeats = Math.ceil((10 * PHASE_LIMIT_MS) / HEARTBEAT_MS);
    this.heartbeats = (async () => {
      let next = performance.now() + HEARTBEAT_MS;
      for (let beat = 0; beat < maxBeats && !stop.signal.aborted; beat++) {
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait, undefined, { signal: stop.signal }).catch(() => undefined);
        if (stop.signal.aborted) return;
        next = performance.now() + HEARTBEAT_MS;
        this.run.requests.heartbeat++;
        const h = await this.conn.call(ApiKey.Heartbeat, 4, {
          groupId: this.run.groupId,
          generationId: this.synced?.generation ?? -1,
          memberId: this.memberId,
          groupInstanceId: null,
        });
        if (h.errorCode === ErrorCode.NONE) continue;
        if (h.errorCode !== ErrorCode.REBALANCE_IN_PROGRESS && h.errorCode !== ErrorCode.ILLEGAL_GENERATION) {
          throw new Error(`Heartbeat: error code ${h.errorCode}`);
        }
        this.toldToRejoinAt = performance.now();
        await this.joinAndSync(performance.now() + PHASE_LIMIT_MS);
        next = performance.now() + HEARTBEAT_MS;
      }
    })();
    this.heartbeats.catch((err: unknown) => this.run.fail(err));
  }

  async stop(): Promise<void> {
    this.stopHeartbeats?.abort();
    await this.heartbeats?.catch(() => undefined);
  }

  async leave(members: readonly Member[] = [this]): Promise<void> {
    this.run.requests.leave++;
    const r = await this.conn.call(ApiKey.LeaveGroup, 5, {
      groupId: this.run.groupId,
      memberId: '',
      members: members.map((m) => ({ memberId: m.memberId, groupInstanceId: null, reason: 'groups benchmark' })),
    });
    const bad = [r.errorCode, ...r.members.map((m) => m.errorCode)].filter((c) => c !== ErrorCode.NONE);
    if (bad.length > 0) throw new Error(`LeaveGroup: error codes ${bad.join(', ')}`);
  }

  close(): void {
    this.conn.close();
  }
}

// --- the cluster -------------------------------------------------------------------------------

const env = loadTestEnv();
process.env.AWS_ACCESS_KEY_ID = env.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = env.secretAccessKey;
process.env.AWS_REGION = env.region;

const problems: string[] = [];
const quiet: Logger = {
  debug: () => {},
  info: () => {},
  warn: (fields, message) => problems.push(`${message} ${JSON.stringify(fields)}`),
  error: (fields, message) => problems.push(`${message} ${JSON.stringify(fields)}`),
  child: () => quiet,
};

const run = randomUUID().slice(0, 8);
const vars: NodeJS.ProcessEnv = {
  FLOE_OBJECT_STORE: `s3://floe-bench-groups-${run}`,
  FLOE_S3_ENDPOINT: env.s3Endpoint,
  FLOE_METADATA: `dynamodb://floe-bench-groups-${run}`,
  FLOE_DYNAMODB_ENDPOINT: env.dynamodbEndpoint,
  FLOE_KAFKA_LISTEN: '127.0.0.1:0',
  FLOE_HTTP_LISTEN: '127.0.0.1:0',
  FLOE_GRPC_LISTEN: '127.0.0.1:0',
  FLOE_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
};
const dir = mkdtempSync(join(tmpdir(), 'floe-bench-groups-'));
const nodes: RunningBroker[] = [];
nodes.push(await startBroker(loadConfig([], vars, dir), quiet)); // creates the bucket and the table
nodes.push(...(await Promise.all([startBroker(loadConfig([], vars, dir), quiet), startBroker(loadConfig([], vars, dir), quiet)])));
for (let i = 0; i < 100 && !nodes.every((n) => n.membership.liveNodes().length === 3); i++) await sleep(100);
if (!nodes.every((n) => n.membership.liveNodes().length === 3)) throw new Error('the three nodes did not see each other within 10 s');

function tableStats(): CoordinationStats {
  const sum: CoordinationStats = { calls: 0, readUnits: 0, writeUnits: 0, conditionFailures: 0 };
  for (const n of nodes) {
    const s = n.coordinationStats();
    sum.calls += s.calls;
    sum.readUnits += s.readUnits;
    sum.writeUnits += s.writeUnits;
    sum.conditionFailures += s.conditionFailures;
  }
  return sum;
}

function minus(a: CoordinationStats, b: CoordinationStats): CoordinationStats {
  return { calls: a.calls - b.calls, readUnits: a.readUnits - b.readUnits, writeUnits: a.writeUnits - b.writeUnits, conditionFailures: a.conditionFailures - b.conditionFailures };
}

// The nodes' own traffic on the table while no group is active (leases; the log when idle), per ms.
const idleFrom = tableStats();
const idleT0 = performance.now();
await sleep(IDLE_MS);
const idle = minus(tableStats(), idleFrom);
const idleMs = performance.now() - idleT0;
const background = { calls: idle.calls / idleMs, readUnits: idle.readUnits / idleMs, writeUnits: idle.writeUnits / idleMs };

async function preferredCoordinatorPort(groupId: string): Promise<number> {
  const c = await Conn.open(nodes[0]!.port);
  try {
    const r = await c.call(ApiKey.FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: [groupId] });
    const coordinator = r.coordinators[0];
    if (!coordinator || coordinator.errorCode !== ErrorCode.NONE) throw new Error(`FindCoordinator: ${JSON.stringify(r)}`);
    return coordinator.port;
  } finally {
    c.close();
  }
}

// --- the measurements ----------------------------------------------------------------------------

type Placement = 'same-node' | 'cross-node';

interface Sample {
  ms: number;
  cost: CoordinationStats;
  /** Net of the nodes' background at its idle rate over the same time. */
  net: { calls: number; readUnits: number; writeUnits: number };
  requests: Record<Api, number>;
  generation: number;
  /** Leave only: LeaveGroup sent until the later survivor's heartbeat answered REBALANCE_IN_PROGRESS. */
  detectMs?: number;
}

const samples: Record<'join' | 'leave', Record<Placement, Sample[]>> = {
  join: { 'same-node': [], 'cross-node': [] },
  leave: { 'same-node': [], 'cross-node': [] },
};

function sample(t0: number, t1: number, s0: CoordinationStats, s1: CoordinationStats, r0: Record<Api, number>, r1: Record<Api, number>, generation: number): Sample {
  const ms = t1 - t0;
  const cost = minus(s1, s0);
  return {
    ms,
    cost,
    net: { calls: cost.calls - background.calls * ms, readUnits: cost.readUnits - background.readUnits * ms, writeUnits: cost.writeUnits - background.writeUnits * ms },
    requests: { join: r1.join - r0.join, sync: r1.sync - r0.sync, heartbeat: r1.heartbeat - r0.heartbeat, leave: r1.leave - r0.leave },
    generation,
  };
}

async function oneGroup(rep: number, placement: Placement, record: boolean): Promise<void> {
  const groupId = `bench-${placement}-${rep}-${randomUUID().slice(0, 8)}`;
  let ports: number[];
  if (placement === 'cross-node') ports = [0, 1, 2].map((i) => nodes[(i + rep) % 3]!.port);
  else {
    const port = await preferredCoordinatorPort(groupId);
    ports = [port, port, port];
  }
  const g = new GroupRun(groupId);
  const conns = await Promise.all(ports.map((p) => Conn.open(p)));
  const members = conns.map((c) => new Member(c, g));
  try {
    // 1. Join from scratch: all three at once.
    const s0 = tableStats();
    const r0 = { ...g.requests };
    const t0 = performance.now();
    const deadline = t0 + PHASE_LIMIT_MS;
    for (const m of members) {
      m.joinAndSync(deadline).then(
        () => m.startHeartbeats(),
        (err: unknown) => g.fail(err),
      );
    }
    const t1 = await g.until(() => g.assignedTogether(members) !== undefined, PHASE_LIMIT_MS, 'three members assigned');
    const s1 = tableStats();
    const joined = sample(t0, t1, s0, s1, r0, g.requests, g.assignedTogether(members)!);
    if (record) samples.join[placement].push(joined);

    // 2. One member leaves (each in turn over the repetitions: a third of the time the leader),
    //    at a random point of the survivors' heartbeat cycles.
    await sleep(200 + Math.random() * 300);
    const leaving = members[rep % 3]!;
    const survivors = members.filter((m) => m !== leaving);
    await leaving.stop();
    const s2 = tableStats();
    const r2 = { ...g.requests };
    for (const m of survivors) m.toldToRejoinAt = 0;
    const t2 = performance.now();
    await leaving.leave();
    const t3 = await g.until(() => g.assignedTogether(survivors) !== undefined, PHASE_LIMIT_MS, 'two survivors reassigned');
    const s3 = tableStats();
    const left = sample(t2, t3, s2, s3, r2, g.requests, g.assignedTogether(survivors)!);
    const told = survivors.map((m) => m.toldToRejoinAt);
    if (told.includes(0)) throw new Error(`group ${groupId}: a survivor was reassigned without a heartbeat telling it to rejoin`);
    left.detectMs = Math.max(...told) - t2;
    if (record) samples.leave[placement].push(left);

    await Promise.all(survivors.map((m) => m.stop()));
    await survivors[0]!.leave(survivors);
  } finally {
    await Promise.all(members.map((m) => m.stop()));
    for (const m of members) m.close();
  }
}

const started = performance.now();
const loadBefore = loadavg()[0]!;
for (let rep = 0; rep < WARMUP + REPS; rep++) {
  // Alternated, so that whatever else runs on the machine weighs on both placements alike.
  for (const placement of ['cross-node', 'same-node'] as const) await oneGroup(rep, placement, rep >= WARMUP);
}
const elapsed = (performance.now() - started) / 1000;
const loadAfter = loadavg()[0]!;

// --- figures -------------------------------------------------------------------------------------

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ms = (v: number) => v.toFixed(0);
const latency = (xs: number[]) => `p50 ${ms(pct(xs, 50))} ms, p99 ${ms(pct(xs, 99))} ms, max ${ms(Math.max(...xs))} ms`;

console.log('Consumer group rebalances: 3 nodes in one process (startBroker, per-node mode) on MinIO + DynamoDB Local');
console.log(
  `settings: group.initial.rebalance.delay.ms=0, barrier re-read every 200 ms (pollMs), session ${SESSION_MS} ms, rebalance timeout ${REBALANCE_MS} ms`,
);
console.log(`clients: raw protocol, one connection per member, JoinGroup v9 (MEMBER_ID_REQUIRED round), SyncGroup v5, Heartbeat v4 every ${HEARTBEAT_MS} ms, LeaveGroup v5`);
console.log(`repetitions: ${REPS} per case after ${WARMUP} warm-up, each a fresh group; placements alternated; ${elapsed.toFixed(0)} s in all; load average (1 min) ${loadBefore.toFixed(2)} at the start, ${loadAfter.toFixed(2)} at the end`);
console.log(`percentiles: nearest rank over ${REPS} samples${REPS < 100 ? ' (p99 is the largest sample below 100 repetitions)' : ''}`);
console.log(
  `background: the nodes' own table traffic when no group is active (${(idleMs / 1000).toFixed(1)} s idle): ${(background.calls * 1000).toFixed(1)} calls/s, ${(background.readUnits * 1000).toFixed(1)} read units/s, ${(background.writeUnits * 1000).toFixed(1)} write units/s over the 3 nodes`,
);
console.log('');
const placements: [Placement, string][] = [
  ['same-node', 'all 3 members on the same node (the preferred coordinator)'],
  ['cross-node', 'one member per node'],
];
for (const [placement, what] of placements) {
  const j = samples.join[placement];
  const again = j.filter((s) => s.generation > 1).length;
  console.log(`join from scratch, ${what}: ${latency(j.map((s) => s.ms))}; ${again} of ${j.length} needed more than one generation (max ${Math.max(...j.map((s) => s.generation))})`);
}
for (const [placement, what] of placements) {
  const l = samples.leave[placement];
  const detect = l.map((s) => s.detectMs!);
  const after = l.map((s) => s.ms - s.detectMs!);
  console.log(
    `one member leaves, ${what}: ${latency(l.map((s) => s.ms))}; of which until both survivors' heartbeats said REBALANCE_IN_PROGRESS p50 ${ms(pct(detect, 50))} ms, then rejoin and sync p50 ${ms(pct(after, 50))} ms`,
  );
}
console.log('');
console.log('coordination table per rebalance (mean over the repetitions; all 3 nodes; net: less the background at its idle rate over the same time)');
for (const kind of ['join', 'leave'] as const) {
  for (const [placement] of placements) {
    const xs = samples[kind][placement];
    const f = (get: (s: Sample) => number, digits = 1) => mean(xs.map(get)).toFixed(digits);
    console.log(
      `${kind === 'join' ? 'join from scratch' : 'one member leaves'}, ${placement}: ${f((s) => s.net.calls)} calls (${f((s) => s.cost.calls)} raw, max ${Math.max(...xs.map((s) => s.cost.calls))}), ` +
        `${f((s) => s.net.readUnits)} read units, ${f((s) => s.net.writeUnits)} write units, ${f((s) => s.cost.conditionFailures, 2)} lost compare-and-swaps; ` +
        `requests: ${f((s) => s.requests.join)} JoinGroup, ${f((s) => s.requests.sync)} SyncGroup, ${f((s) => s.requests.heartbeat)} Heartbeat, ${f((s) => s.requests.leave)} LeaveGroup`,
    );
  }
}
if (problems.length > 0) {
  console.log('');
  console.log(`node warnings: ${problems.length}`);
  for (const p of problems.slice(0, 10)) console.log(`  ${p}`);
}

await Promise.all(nodes.map((n) => n.close(2_000)));
rmSync(dir, { recursive: true, force: true });
