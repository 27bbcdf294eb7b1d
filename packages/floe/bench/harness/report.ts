// What a run writes: results.json, the Markdown tables placed between markers in
// docs/benchmarks.md (the prose around them stays), and the SVG charts.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Limits } from './limits.ts';
import { barChartLog, lineChart } from './svg.ts';
import { SYSTEM_LABELS, type SystemName } from './systems.ts';
import type { Sizes, WorkloadFailure, WorkloadId, WorkloadResult } from './workloads.ts';

export interface BenchRun {
  startedAt: string;
  wallSeconds: number;
  command: string;
  mode: 'full' | 'quick';
  machine: { cpus: number; cpuModel: string; memoryGiB: number; loadAverageAtStart: number[]; loadAverageAtEnd: number[]; node: string; java: string };
  sizes: Sizes;
  systems: SystemName[];
  results: WorkloadResult[];
  /** Workloads that did not complete, with the error. */
  failures: WorkloadFailure[];
  limits?: Limits;
}

export const START_MARKER = '<!-- bench:results:start (written by scripts/bench; edit the prose outside) -->';
export const END_MARKER = '<!-- bench:results:end -->';

const n = (v: number | undefined, digits = 1) => (v === undefined || !Number.isFinite(v) ? '—' : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? '—' : `${(a / b).toFixed(2)}×`);

const WORKLOAD_LABELS: Record<string, string> = {
  throughput: '(1) throughput, unlimited rate',
  latency: '(2) latency at a fixed rate',
  'catch-up': '(3) catch-up read of the backlog',
  connections: '(5) many idle connections + a producer',
};
const label = (w: WorkloadId) => WORKLOAD_LABELS[w] ?? `(4) many partitions: ${Number(w.slice('partitions-'.length)).toLocaleString('en-US')}`;

/** The best MiB/s of the object-store limit for an operation (over sizes and concurrencies). */
function bestLimit(limits: Limits | undefined, op: 'put' | 'ranged-get'): number | undefined {
  const rows = limits?.objects.filter((o) => o.op === op) ?? [];
  return rows.length === 0 ? undefined : Math.max(...rows.map((r) => r.mbPerSec));
}

export function markdownTables(run: BenchRun): string {
  const out: string[] = [];
  const workloads = [...new Set([...run.results, ...run.failures].map((r) => r.workload))];
  const get = (w: WorkloadId, s: SystemName) => run.results.find((r) => r.workload === w && r.system === s);
  out.push(`Run of ${run.startedAt} (${run.mode}, ${Math.round(run.wallSeconds / 60)} min): \`${run.command}\`; ${run.machine.cpus} CPUs (${run.machine.cpuModel}), ${run.machine.memoryGiB} GiB, Node ${run.machine.node}, ${run.machine.java}; load average ${run.machine.loadAverageAtStart.map((l) => l.toFixed(1)).join(' / ')} at the start, ${run.machine.loadAverageAtEnd.map((l) => l.toFixed(1)).join(' / ')} at the end. MB means MiB throughout, as Kafka's tools count.`);
  out.push('');
  out.push('### Ratios');
  out.push('');
  out.push('Throughput ratios for the unlimited workloads, p99 latency ratios for the fixed-rate ones (below 1 is faster for throughput, above 1 is slower for latency); the MinIO limit is the best raw PUT (produce) or ranged GET (catch-up) MB/s measured below.');
  out.push('');
  out.push('| workload | measure | Floe 1 node / Kafka | Floe 3 nodes / Kafka | Floe 1 node / MinIO limit | Floe 3 nodes / MinIO limit |');
  out.push('| --- | --- | ---: | ---: | ---: | ---: |');
  for (const w of workloads) {
    const k = get(w, 'kafka');
    const f1 = get(w, 'floe-1');
    const f3 = get(w, 'floe-3');
    if (w === 'throughput' || w === 'catch-up') {
      const lim = bestLimit(run.limits, w === 'throughput' ? 'put' : 'ranged-get');
      out.push(`| ${label(w)} | MB/s | ${ratio(f1?.mbPerSec, k?.mbPerSec)} | ${ratio(f3?.mbPerSec, k?.mbPerSec)} | ${ratio(f1?.mbPerSec, lim)} | ${ratio(f3?.mbPerSec, lim)} |`);
    } else {
      out.push(`| ${label(w)} | produce p99 | ${ratio(f1?.produce?.p99Ms, k?.produce?.p99Ms)} | ${ratio(f3?.produce?.p99Ms, k?.produce?.p99Ms)} | | |`);
      if (w === 'latency') out.push(`| ${label(w)} | end-to-end p99 | ${ratio(f1?.endToEnd?.p99Ms, k?.endToEnd?.p99Ms)} | ${ratio(f3?.endToEnd?.p99Ms, k?.endToEnd?.p99Ms)} | | |`);
    }
  }
  out.push('');
  out.push('### Per workload and system');
  out.push('');
  out.push('| workload | system | MB/s | records/s | produce p50 / p99 / p99.9 ms | end-to-end p50 / p99 / p99.9 ms | S3 PUTs / MB | S3 GETs / MB | write units / MB | read units / MB | CPU s / MB | peak RSS MB | load | other |');
  out.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const w of workloads) {
    for (const s of run.systems) {
      const r = get(w, s);
      if (!r) continue;
      const lat = (l: WorkloadResult['produce']) => (l ? `${n(l.p50Ms, 0)} / ${n(l.p99Ms, 0)} / ${n(l.p999Ms, 0)}` : '');
      const extra = Object.entries(r.extra ?? {}).map(([k, v]) => `${k} ${n(v, Number.isInteger(v) ? 0 : 1)}`).join(', ');
      out.push(
        `| ${label(w)} | ${SYSTEM_LABELS[s]} | ${n(r.mbPerSec)} | ${n(r.recordsPerSec, 0)} | ${lat(r.produce)} | ${lat(r.endToEnd)} | ${n(r.s3PutsPerMb, 2)} | ${n(r.s3GetsPerMb, 2)} | ${n(r.writeUnitsPerMb, 2)} | ${n(r.readUnitsPerMb, 2)} | ${n(r.cpuSecondsPerMb, 3)} | ${n(r.peakRssMb, 0)} | ${n(r.loadAverage1m)} | ${extra} |`,
      );
    }
  }
  if (run.failures.length > 0) {
    out.push('');
    out.push('Did not complete:');
    out.push('');
    for (const f of run.failures) out.push(`- ${label(f.workload)}, ${SYSTEM_LABELS[f.system]}: ${f.error.split('\n')[0]}`);
  }
  if (run.limits) {
    out.push('');
    out.push('### The physical limit (same run, no system under test)');
    out.push('');
    out.push('| operation | object or range KiB | concurrency | requests | MB/s | requests/s | p50 ms | p99 ms |');
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const o of run.limits.objects) {
      out.push(`| MinIO ${o.op === 'put' ? 'PUT (create-once)' : 'ranged GET'} | ${n(o.objectBytes / 1024, 0)} | ${o.concurrency} | ${o.requests} | ${n(o.mbPerSec)} | ${n(o.requestsPerSec, 0)} | ${n(o.p50Ms)} | ${n(o.p99Ms)} |`);
    }
    const c = run.limits.commit;
    out.push('');
    out.push(`DynamoDB Local, conditional put of a ${c.itemBytes}-byte journal entry (\`attribute_not_exists\`), one at a time: ${c.commits} commits, ${n(c.commitsPerSec, 0)}/s, p50 ${n(c.p50Ms)} ms, p99 ${n(c.p99Ms)} ms, p99.9 ${n(c.p999Ms)} ms.`);
  }
  out.push('');
  out.push('Charts: [latency percentiles](bench/latency-percentiles.svg), [throughput over time](bench/throughput-over-time.svg).');
  return out.join('\n');
}

/** Replaces what lies between the markers in `file` (appending a marked section if absent). */
export function writeIntoDocs(file: string, tables: string): void {
  const block = `${START_MARKER}\n${tables}\n${END_MARKER}`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const a = text.indexOf(START_MARKER);
  const b = text.indexOf(END_MARKER);
  const next = a >= 0 && b > a ? text.slice(0, a) + block + text.slice(b + END_MARKER.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}

export function writeCharts(dir: string, run: BenchRun): string[] {
  mkdirSync(dir, { recursive: true });
  const latency = (s: SystemName) => run.results.find((r) => r.workload === 'latency' && r.system === s);
  const bars = barChartLog({
    title: `Latency at ${((run.sizes.fixedRate * 1024) / 1024 / 1024).toFixed(1)} MiB/s (acks=all, idempotent)`,
    yLabel: 'ms (log scale)',
    categories: ['produce p50', 'produce p99', 'produce p99.9', 'end-to-end p50', 'end-to-end p99', 'end-to-end p99.9'],
    series: run.systems.map((s) => {
      const r = latency(s);
      return { name: SYSTEM_LABELS[s], values: [r?.produce?.p50Ms, r?.produce?.p99Ms, r?.produce?.p999Ms, r?.endToEnd?.p50Ms, r?.endToEnd?.p99Ms, r?.endToEnd?.p999Ms].map((v) => v ?? NaN) };
    }),
  });
  const lines = lineChart({
    title: 'Produce throughput over time (1 KiB records, 12 partitions, unlimited rate)',
    xLabel: 'seconds since the producer started',
    yLabel: 'MiB/s (ProducerPerformance, per second)',
    series: run.systems.map((s) => ({
      name: SYSTEM_LABELS[s],
      points: (run.results.find((r) => r.workload === 'throughput' && r.system === s)?.series ?? []).map((p) => ({ x: p.t, y: p.mbPerSec })),
    })),
  });
  const files = [join(dir, 'latency-percentiles.svg'), join(dir, 'throughput-over-time.svg')];
  writeFileSync(files[0]!, bars);
  writeFileSync(files[1]!, lines);
  return files;
}
