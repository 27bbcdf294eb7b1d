// One chaos run: a 3-node cluster on a private MinIO and DynamoDB Local behind fault proxies, the
// queue workload, faults rotated for a bounded time, healing, a final read, and the check.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anomalyTotal, checkHistory, javaTool, loadTestEnv, runTool, type CheckReport, type FaultProxyStats, type History, type Send } from '@floe/testkit';
import { committedUpTo, VerifiableMember } from '../test/support/verifiable-consumer.ts';
import { getOffsetShell } from '../test/support/verifiable-producer.ts';
import { ChaosCluster, CHAOS_PORTS, type ChaosPorts } from './cluster.ts';
import { FAULT_STEPS, runFaults, type FaultEvent, type FaultStep } from './faults.ts';
import { AssignReader, finalRead, groupEvents, startJavaProducer, startPythonProducer } from './workload.ts';

export interface ChaosOptions {
  seed: number;
  /** How long faults are injected. */
  durationMs: number;
  /** Records per second of each producer. */
  javaPerSecond: number;
  pythonPerSecond: number;
  /** How long a proxy fault lasts / a killed process stays down. */
  stepMs: number;
  calmMs: number;
  leaseMs: number;
  partitions: number;
  /** Only these fault steps (default: all). */
  steps?: readonly FaultStep[];
  /** Write the nodes' logs here at the end. */
  logDir?: string;
  ports?: ChaosPorts;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  durationMs: number;
  wallMs: number;
  records: { sent: number; acknowledged: number; unknown: number; unknownFound: number; readDuringRun: number; finalRead: number };
  byProducer: Record<string, { sent: number; acknowledged: number; unknown: number }>;
  faultSteps: Record<FaultStep, number>;
  faultEvents: FaultEvent[];
  proxy: { s3: FaultProxyStats; dynamodb: FaultProxyStats };
  check: CheckReport;
  anomalies: number;
  /** The first node log lines at error or fatal, and how many there were. */
  nodeErrorLines: string[];
  nodeErrorCount: number;
  /** What the producers reported as errors (their sends then count as unknown), by message. */
  producerErrors: Record<string, Record<string, number>>;
  /** The end of each producer's stderr. */
  producerStderr: Record<string, string>;
  /** The assign-mode reader's last stderr lines (its errors, if any). */
  readerStderr: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(ok: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) return false;
    await sleep(250);
  }
  return true;
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const log = o.log ?? ((l: string) => process.stderr.write(`chaos: ${l}\n`));
  const env = loadTestEnv();
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'floe-chaos-'));
  const cluster = new ChaosCluster({ ports: o.ports ?? CHAOS_PORTS, dir, seed: o.seed, leaseMs: o.leaseMs });
  const members: VerifiableMember[] = [];
  let reader: AssignReader | undefined;
  try {
    await cluster.start();
    log(`cluster ${cluster.name} up in ${Date.now() - t0} ms (${cluster.bootstrap})`);
    const topic = 'chaos';
    const { command, args } = javaTool(env.java, env.kafkaClasspath, 'org.apache.kafka.tools.TopicCommand', [
      '--bootstrap-server', cluster.bootstrap, '--create', '--topic', topic, '--partitions', String(o.partitions),
    ]);
    const created = await runTool(command, args, { timeoutMs: 90_000 });
    if (created.code !== 0) throw new Error(`topic creation failed: ${created.stderr.slice(-2000)}`);

    const group = 'chaos-group';
    for (const name of ['vc1', 'vc2']) members.push(new VerifiableMember({ bootstrap: cluster.bootstrap, topic, group, name, verbose: true }));
    reader = new AssignReader('kcat', cluster.bootstrap, topic);

    // Producers send until the faults are over and a few seconds more (healed), then are
    // stopped: they close, waiting for their sends' outcomes (what stays unreported is unknown).
    const maxRecords = (perSecond: number) => Math.ceil(((o.durationMs + 30 * 60_000) / 1000) * perSecond);
    let stopProducers!: () => void;
    const producersStop = new Promise<void>((r) => (stopProducers = r));
    const limit = o.durationMs + 40 * 60_000;
    const producers = [
      startJavaProducer(cluster.bootstrap, topic, { prefix: 1, records: maxRecords(o.javaPerSecond), perSecond: o.javaPerSecond }, producersStop, limit),
      startPythonProducer(cluster.bootstrap, topic, { prefix: 2, records: maxRecords(o.pythonPerSecond), perSecond: o.pythonPerSecond }, producersStop, limit),
    ];
    const faultsStart = Date.now();
    const faultEvents = await runFaults(cluster, { durationMs: o.durationMs, stepMs: o.stepMs, calmMs: o.calmMs, leaseMs: o.leaseMs, seed: o.seed, startedAt: faultsStart, log, ...(o.steps ? { steps: o.steps } : {}) });
    cluster.heal();
    log(`faults over after ${Date.now() - faultsStart} ms; healed`);
    await sleep(o.calmMs * 2);
    stopProducers();
    const results = await Promise.all(producers.map((p) => p.done));
    const sends: Send[] = results.flatMap((r) => r.sends);
    const producerErrors = Object.fromEntries(producers.map((p, i) => [p.name, results[i]!.errors]));
    const producerStderr = Object.fromEntries(producers.map((p, i) => [p.name, results[i]!.stderr]));
    log(`producers done: ${sends.filter((s) => s.outcome === 'acknowledged').length} of ${sends.length} acknowledged`);

    // The readers catch up with everything written, bounded.
    const ends = await getOffsetShell(cluster.bootstrap, topic, 90_000);
    const caughtUp = await until(() => committedUpTo(members, ends) && [...ends].every(([p, e]) => (reader!.positions().get(p) ?? 0) >= e), 90_000);
    log(`readers ${caughtUp ? 'caught up' : 'did NOT catch up'} with ends ${JSON.stringify(Object.fromEntries(ends))}`);
    await Promise.all(members.map((m) => m.stop()));
    reader.stop();

    const final = await finalRead(cluster.bootstrap, topic, 120_000);
    const history: History = {
      sends,
      events: [...groupEvents(group, members), ...reader.reads.map((r) => ({ type: 'read' as const, ...r }))],
      finalRead: final,
      ends: Object.fromEntries(ends),
      followers: [{ group }, { consumer: reader.name }],
    };
    const check = checkHistory(history);
    const byProducer: ChaosReport['byProducer'] = {};
    for (const s of sends) {
      const b = (byProducer[s.producer] ??= { sent: 0, acknowledged: 0, unknown: 0 });
      b.sent++;
      if (s.outcome === 'acknowledged') b.acknowledged++;
      if (s.outcome === 'unknown') b.unknown++;
    }
    const faultSteps = Object.fromEntries(FAULT_STEPS.map((s) => [s, faultEvents.filter((e) => e.step === s).length])) as Record<FaultStep, number>;
    return {
      seed: o.seed,
      durationMs: o.durationMs,
      wallMs: Date.now() - t0,
      records: {
        sent: check.totals.sent,
        acknowledged: check.totals.acknowledged,
        unknown: check.totals.unknown,
        unknownFound: check.totals.unknownFound,
        readDuringRun: check.totals.read,
        finalRead: check.totals.finalRead,
      },
      byProducer,
      faultSteps,
      faultEvents,
      proxy: { s3: cluster.s3Proxy.stats(), dynamodb: cluster.dynamodbProxy.stats() },
      check,
      anomalies: anomalyTotal(check),
      nodeErrorLines: cluster.errorLines().slice(0, 50),
      nodeErrorCount: cluster.errorLines().length,
      producerErrors,
      producerStderr,
      readerStderr: reader.stderrTail(),
    };
  } finally {
    if (o.logDir) cluster.writeLogs(o.logDir);
    for (const m of members) m.kill();
    reader?.stop();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A few lines for a terminal or a test's output. */
export function summarize(r: ChaosReport): string {
  const kinds = (x: Record<string, number>) => Object.entries(x).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  return [
    `seed ${r.seed}, faults for ${Math.round(r.durationMs / 1000)} s, wall ${Math.round(r.wallMs / 1000)} s`,
    `records: sent ${r.records.sent}, acknowledged ${r.records.acknowledged}, unknown ${r.records.unknown} (${r.records.unknownFound} of them found), read during the run ${r.records.readDuringRun}, final read ${r.records.finalRead}`,
    `producers: ${Object.entries(r.byProducer).map(([p, b]) => `${p} ${b.acknowledged}/${b.sent} acknowledged`).join(', ')}`,
    `fault steps: ${kinds(r.faultSteps)}`,
    `S3 proxy: ${Object.values(r.proxy.s3.requests).reduce((a, b) => a + b, 0)} requests; injected ${kinds(r.proxy.s3.injected)}; upstream down ${r.proxy.s3.upstreamErrors}`,
    `DynamoDB proxy: ${Object.values(r.proxy.dynamodb.requests).reduce((a, b) => a + b, 0)} requests; injected ${kinds(r.proxy.dynamodb.injected)}; upstream down ${r.proxy.dynamodb.upstreamErrors}`,
    ...Object.entries(r.producerErrors).flatMap(([p, errs]) => Object.entries(errs).slice(0, 5).map(([m, n]) => `${p} error x${n}: ${m}`)),
    ...(r.readerStderr.trim() ? [`assign reader stderr: ${r.readerStderr.trim().split('\n').slice(-5).join(' | ')}`] : []),
    `node log lines at error or fatal: ${r.nodeErrorCount}`,
    `anomalies: ${r.anomalies === 0 ? 'none' : kinds(r.check.counts)}`,
    ...Object.entries(r.check.examples).flatMap(([k, ex]) => ex.map((e) => `  ${k}: ${e}`)),
  ].join('\n');
}
