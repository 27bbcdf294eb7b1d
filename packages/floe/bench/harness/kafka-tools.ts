// Kafka's own performance tools (from the test environment's classpath), run against whichever
// system is under test, and the parsers of what they print.
import { javaTool, runTool, type TestEnv, type ToolResult } from '@floe/testkit';

export class ToolError extends Error {
  constructor(tool: string, result: ToolResult) {
    const tail = (result.stderr + result.stdout).split('\n').filter((l) => l && !l.startsWith('SLF4J')).slice(-8).join('\n');
    super(`${tool} failed (exit ${result.code}${result.timedOut ? ', timed out' : ''}):\n${tail}`);
    this.name = 'ToolError';
  }
}

/** Runs org.apache.kafka.tools.`name`; throws ToolError unless it exits 0. */
export async function kafkaTool(env: TestEnv, name: string, args: string[], timeoutMs: number): Promise<string> {
  const { command, args: argv } = javaTool(env.java, env.kafkaClasspath, `org.apache.kafka.tools.${name}`, args);
  const result = await runTool(command, argv, { timeoutMs });
  if (result.code !== 0 || result.timedOut) throw new ToolError(name, result);
  return result.stdout;
}

/** One reporting interval of ProducerPerformance or ConsumerPerformance. */
export interface RatePoint {
  /** Seconds since the tool's start (end of the interval). */
  t: number;
  mbPerSec: number;
}

export interface Latencies {
  avgMs: number;
  p50Ms: number;
  p95Ms?: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export interface ProducerSummary extends Latencies {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  series: RatePoint[];
}

const NUM = '([\\d.]+)';

/** Parses ProducerPerformance's interval lines and its final summary line. */
export function parseProducerPerformance(stdout: string, intervalMs: number): ProducerSummary {
  const interval = new RegExp(`^${NUM} records sent, ${NUM} records/sec \\(${NUM} MB/sec\\), ${NUM} ms avg latency, ${NUM} ms max latency\\.?$`);
  const summary = new RegExp(
    `^${NUM} records sent, ${NUM} records/sec \\(${NUM} MB/sec\\), ${NUM} ms avg latency, ${NUM} ms max latency, ${NUM} ms 50th, ${NUM} ms 95th, ${NUM} ms 99th, ${NUM} ms 99\\.9th\\.?$`,
  );
  const series: RatePoint[] = [];
  let last: ProducerSummary | undefined;
  for (const line of stdout.split('\n').map((l) => l.trim())) {
    const s = summary.exec(line);
    if (s) {
      const n = s.slice(1).map(Number);
      last = { records: n[0]!, recordsPerSec: n[1]!, mbPerSec: n[2]!, avgMs: n[3]!, maxMs: n[4]!, p50Ms: n[5]!, p95Ms: n[6]!, p99Ms: n[7]!, p999Ms: n[8]!, series };
      continue;
    }
    const i = interval.exec(line);
    if (i) series.push({ t: ((series.length + 1) * intervalMs) / 1000, mbPerSec: Number(i[3]) });
  }
  if (!last) throw new Error(`no ProducerPerformance summary in:\n${stdout.slice(-2000)}`);
  return last;
}

export interface ConsumerSummary {
  records: number;
  mb: number;
  /** Over the whole run, joining the group included (Kafka's MB.sec). */
  mbPerSec: number;
  recordsPerSec: number;
  rebalanceMs: number;
  /** Over the fetching time only (Kafka's fetch.MB.sec). */
  fetchMbPerSec: number;
  fetchRecordsPerSec: number;
}

/** Parses ConsumerPerformance's summary: a header row naming the columns, then one row. */
export function parseConsumerPerformance(stdout: string): ConsumerSummary {
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const headerAt = lines.findIndex((l) => l.startsWith('start.time,'));
  const row = lines[headerAt + 1]?.split(',').map((c) => c.trim());
  if (headerAt < 0 || !row) throw new Error(`no ConsumerPerformance summary in:\n${stdout.slice(-2000)}`);
  const header = lines[headerAt]!.split(',').map((h) => h.trim());
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0 || row[i] === undefined) throw new Error(`ConsumerPerformance printed no ${name}`);
    return Number(row[i]);
  };
  return {
    records: col('data.consumed.in.nMsg'),
    mb: col('data.consumed.in.MB'),
    mbPerSec: col('MB.sec'),
    recordsPerSec: col('nMsg.sec'),
    rebalanceMs: col('rebalance.time.ms'),
    fetchMbPerSec: col('fetch.MB.sec'),
    fetchRecordsPerSec: col('fetch.nMsg.sec'),
  };
}

/** Parses EndToEndLatency's "Avg latency" and "Percentiles" lines. */
export function parseEndToEndLatency(stdout: string): Latencies {
  const avg = /Avg latency: ([\d.]+) ms/.exec(stdout);
  const pct = /Percentiles: 50th = ([\d.]+), 99th = ([\d.]+), 99\.9th = ([\d.]+)/.exec(stdout);
  if (!avg || !pct) throw new Error(`no EndToEndLatency summary in:\n${stdout.slice(-2000)}`);
  const p = pct.slice(1).map(Number);
  return { avgMs: Number(avg[1]), p50Ms: p[0]!, p99Ms: p[1]!, p999Ms: p[2]!, maxMs: p[2]! };
}
