// The queue workload of a chaos run and how each client's output becomes a history (checker):
// Kafka's VerifiableProducer and a confluent-kafka producer (both idempotent, acks=all) write
// distinct values; a group of two VerifiableConsumers and one kcat reader in assign mode read all
// along; after healing, a fresh kcat reads every partition from the start.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { javaTool, loadTestEnv, runTool, type HistoryEvent, type Read, type Send, type ToolResult } from '@floe/testkit';
import type { VerifiableMember } from '../test/support/verifiable-consumer.ts';
import { IDEMPOTENT_PRODUCER } from '../test/support/verifiable-producer.ts';

const PYTHON_PRODUCER = fileURLToPath(new URL('./python-producer.py', import.meta.url));

export interface ProducerSpec {
  /** Names the producer in the history; also its values' prefix (`<prefix>.<seq>`). */
  prefix: number;
  records: number;
  perSecond: number;
}

/** A producer running until it has sent its records or `stop` settles; resolves to its history. */
export interface RunningProducer {
  name: string;
  done: Promise<ProducerResult>;
}

export interface ProducerResult {
  sends: Send[];
  /** Error reports, counted by message (what the client said went wrong). */
  errors: Record<string, number>;
  /** The end of what the client logged on stderr. */
  stderr: string;
}

const countError = (errors: Record<string, number>, message: string) => {
  const key = message.slice(0, 200);
  errors[key] = (errors[key] ?? 0) + 1;
};

/**
 * The sends of the values `<prefix>.<i>` the producer handed its client (`count`, from its own
 * closing line; else up to the last one it reported): what it reported, the rest unknown.
 */
function sendsFrom(name: string, prefix: number, count: number, reports: Map<number, Send>): Send[] {
  for (const seq of reports.keys()) count = Math.max(count, seq + 1);
  return Array.from({ length: count }, (_, i) => reports.get(i) ?? { producer: name, seq: i, value: `${prefix}.${i}`, outcome: 'unknown' as const });
}

/**
 * An error report is `unknown`, not `failed`: a timed-out or cut-off send may have been written.
 * Only an acknowledgement is certain, and only a record the producer never tried is certainly absent.
 */
function parseJavaProducer(name: string, spec: ProducerSpec, r: ToolResult): ProducerResult {
  const reports = new Map<number, Send>();
  const errors: Record<string, number> = {};
  let sent = 0;
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    // Its closing line: how many records it handed the client (each then got a report, as
    // close() waits for every send).
    if (e.name === 'tool_data' && typeof e.sent === 'number') sent = e.sent;
    if (e.name !== 'producer_send_success' && e.name !== 'producer_send_error') continue;
    const value = String(e.value);
    const seq = Number(value.slice(value.indexOf('.') + 1));
    if (e.name === 'producer_send_success') reports.set(seq, { producer: name, seq, value, outcome: 'acknowledged', partition: e.partition as number, offset: e.offset as number });
    else {
      countError(errors, `${String(e.exception)}: ${String(e.message)}`);
      if (!reports.has(seq)) reports.set(seq, { producer: name, seq, value, outcome: 'unknown' });
    }
  }
  return { sends: sendsFrom(name, spec.prefix, sent, reports), errors, stderr: r.stderr.slice(-3000) };
}

export function startJavaProducer(bootstrap: string, topic: string, spec: ProducerSpec, stop: Promise<unknown>, timeoutMs: number): RunningProducer {
  const env = loadTestEnv();
  const name = `java-${spec.prefix}`;
  const file = join(mkdtempSync(join(tmpdir(), 'floe-chaos-vp-')), 'producer.properties');
  const props = { ...IDEMPOTENT_PRODUCER, 'metadata.max.age.ms': '5000' };
  writeFileSync(file, Object.entries(props).map(([k, v]) => `${k}=${v}\n`).join(''));
  const { command, args } = javaTool(env.java, env.kafkaClasspath, 'org.apache.kafka.tools.VerifiableProducer', [
    '--bootstrap-server', bootstrap, '--topic', topic, '--max-messages', String(spec.records), '--throughput', String(spec.perSecond),
    '--acks', '-1', '--value-prefix', String(spec.prefix), '--command-config', file,
  ]);
  return { name, done: runTool(command, args, { timeoutMs, stopWhen: stop }).then((r) => parseJavaProducer(name, spec, r)) };
}

export function startPythonProducer(bootstrap: string, topic: string, spec: ProducerSpec, stop: Promise<unknown>, timeoutMs: number): RunningProducer {
  const env = loadTestEnv();
  const name = `python-${spec.prefix}`;
  const args = [PYTHON_PRODUCER, bootstrap, topic, String(spec.prefix), String(spec.records), String(spec.perSecond)];
  const done = runTool(env.python, args, { timeoutMs, stopWhen: stop }).then((r) => {
    const reports = new Map<number, Send>();
    const errors: Record<string, number> = {};
    let sent = 0;
    for (const line of r.stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      const e = JSON.parse(line) as { seq?: number; value?: string; partition?: number; offset?: number; error?: string; done?: number; fatal?: string };
      if (e.done !== undefined) sent = e.done;
      if (e.fatal !== undefined) countError(errors, `fatal: ${e.fatal}`);
      if (e.seq === undefined) continue;
      if (e.error === undefined) reports.set(e.seq, { producer: name, seq: e.seq, value: e.value!, outcome: 'acknowledged', partition: e.partition!, offset: e.offset! });
      else {
        countError(errors, e.error);
        if (!reports.has(e.seq)) reports.set(e.seq, { producer: name, seq: e.seq, value: e.value!, outcome: 'unknown' });
      }
    }
    if (r.code !== 0 && reports.size === 0) throw new Error(`python producer failed (${r.code}): ${r.stderr.slice(-2000)}`);
    return { sends: sendsFrom(name, spec.prefix, sent, reports), errors, stderr: r.stderr.slice(-3000) };
  });
  return { name, done };
}

/**
 * kcat in assign mode (every partition, from the beginning), reading until stopped. `-E`: it
 * keeps going through errors (by default it exits when every broker is briefly unreachable);
 * the errors it printed are in the report.
 */
export class AssignReader {
  readonly name: string;
  readonly reads: Read[] = [];
  private readonly child: ChildProcess;
  private stderr = '';

  constructor(name: string, bootstrap: string, topic: string) {
    const env = loadTestEnv();
    this.name = name;
    this.child = spawn(env.kcat, ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-u', '-q', '-E', '-f', '%p %o %s\\n', '-X', 'metadata.max.age.ms=5000'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let pending = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      pending += d.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const r = parseReadLine(this.name, line);
        if (r) this.reads.push(r);
      }
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-20_000);
    });
  }

  /** The offset after the last one read, per partition. */
  positions(): Map<number, number> {
    const out = new Map<number, number>();
    for (const r of this.reads) out.set(r.partition, Math.max(out.get(r.partition) ?? 0, r.offset + 1));
    return out;
  }

  stop(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // gone already
    }
  }

  stderrTail(): string {
    return this.stderr.slice(-2000);
  }
}

function parseReadLine(consumer: string, line: string): Read | undefined {
  const m = /^(\d+) (\d+) (.*)$/.exec(line.trim());
  return m ? { consumer, partition: Number(m[1]), offset: Number(m[2]), value: m[3]! } : undefined;
}

/** A fresh kcat reads every partition from its start to its end and exits. */
export async function finalRead(bootstrap: string, topic: string, timeoutMs: number): Promise<Read[]> {
  const env = loadTestEnv();
  const r = await runTool(env.kcat, ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p %o %s\\n'], { timeoutMs });
  if (r.code !== 0) throw new Error(`final read failed (${r.code}${r.timedOut ? ', timed out' : ''}): ${r.stderr.slice(-2000)}`);
  return r.stdout.split('\n').map((l) => parseReadLine('final', l)).filter((x): x is Read => x !== undefined);
}

/** The group members' events as history events, in the order they were observed. */
export function groupEvents(group: string, members: readonly VerifiableMember[]): HistoryEvent[] {
  const out: { seq: number; e: HistoryEvent }[] = [];
  for (const m of members) {
    for (const r of m.records) out.push({ seq: r.seq, e: { type: 'read', consumer: m.name, partition: r.partition, offset: r.offset, value: r.value } });
    for (const e of m.events) {
      const parts = (e.partitions ?? []).map((p) => p.partition);
      if (e.name === 'partitions_assigned') out.push({ seq: e.seq, e: { type: 'assignment', group, consumer: m.name, event: 'assigned', partitions: parts } });
      else if (e.name === 'partitions_revoked') out.push({ seq: e.seq, e: { type: 'assignment', group, consumer: m.name, event: 'revoked', partitions: parts } });
      else if (e.name === 'shutdown_complete' || e.name === 'killed') out.push({ seq: e.seq, e: { type: 'assignment', group, consumer: m.name, event: 'gone', partitions: [] } });
      else if (e.name === 'offsets_committed' && e.success) {
        for (const o of e.offsets ?? []) out.push({ seq: e.seq, e: { type: 'commit', group, consumer: m.name, partition: o.partition, offset: o.offset } });
      }
    }
  }
  return out.sort((a, b) => a.seq - b.seq).map((x) => x.e);
}
