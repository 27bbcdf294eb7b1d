// Floe's benchmark harness (docs/benchmarks.md): Apache Kafka, one Floe node and three Floe nodes,
// each alone, under the same Kafka tools, then the raw limits of MinIO and DynamoDB Local; writes
// results.json, SVG charts and the Markdown tables. Run through scripts/bench or `floe bench`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTestEnv } from '@floe/testkit';
import { kafkaLibDir } from './kafka-libs.ts';
import { measureLimits } from './limits.ts';
import { parseOptions, USAGE, UsageError, type Options } from './options.ts';
import { runProfile } from './profile.ts';
import { Progress } from './progress.ts';
import { markdownTables, writeCharts, writeIntoDocs, type BenchRun } from './report.ts';
import { startSystem, type Ports } from './systems.ts';
import { FULL, QUICK, runWorkloads, type WorkloadFailure, type WorkloadResult } from './workloads.ts';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

function ports(o: Options): Ports {
  return { floeBase: o.basePort, kafka: o.basePort + 20, kafkaController: o.basePort + 21 };
}

async function main(argv: string[]): Promise<number> {
  let o: Options;
  try {
    o = parseOptions(argv, REPO);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (err.message) console.error(`floe bench: ${err.message}`);
    console.error(USAGE);
    return err.message ? 2 : 0;
  }
  const env = loadTestEnv();
  const progress = new Progress();
  const run = Date.now().toString(36);
  mkdirSync(o.outDir, { recursive: true });
  if (o.profile) {
    await runProfile({ env, sizes: o.quick ? QUICK : FULL, ports: ports(o), run, outDir: o.outDir, progress });
    return 0;
  }
  const startedAt = new Date();
  const loadAtStart = loadavg();
  const sizes = o.quick ? QUICK : FULL;
  const libDir = o.systems.includes('kafka') ? kafkaLibDir() : '';
  const results: WorkloadResult[] = [];
  const failures: WorkloadFailure[] = [];
  // One system at a time: each is started, measured and stopped before the next.
  for (const name of o.systems) {
    progress.step(name, 'starting');
    const system = await startSystem(name, { env, ports: ports(o), run, kafkaLibDir: libDir, keepData: o.keepData });
    try {
      const got = await runWorkloads(system, env, sizes, progress);
      results.push(...got.results);
      failures.push(...got.failures);
    } finally {
      progress.step(name, 'stopping');
      await system.stop();
    }
  }
  let limits: BenchRun['limits'];
  if (o.limits) {
    // Floe's own segment sizes under the throughput and the fixed-rate workload (one node).
    const seen = ['throughput', 'latency'].map((w) => results.find((r) => r.system === 'floe-1' && r.workload === w)?.meanSegmentBytes);
    const objectSizes = seen.every((s) => s !== undefined) ? seen.map((s) => Math.round(s!)) : [4 * 1024 * 1024, 512 * 1024];
    limits = await measureLimits(env, {
      run,
      sizes: objectSizes,
      rangeParts: 12,
      seconds: o.quick ? 1 : 5,
      concurrencies: o.quick ? [1] : [1, 8],
      progress: (m) => progress.step('limits', m),
    });
  }
  const report: BenchRun = {
    startedAt: startedAt.toISOString(),
    wallSeconds: (Date.now() - startedAt.getTime()) / 1000,
    command: `scripts/bench ${argv.join(' ')}`.trim(),
    mode: o.quick ? 'quick' : 'full',
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: loadavg(),
      node: process.versions.node,
      java: javaVersion(env.java),
    },
    sizes,
    systems: o.systems,
    results,
    failures,
    ...(limits ? { limits } : {}),
  };
  writeFileSync(join(o.outDir, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeCharts(o.outDir, report);
  writeIntoDocs(o.docsFile, markdownTables(report));
  if (failures.length > 0) progress.done(`${failures.length} workload(s) failed: ${failures.map((f) => `${f.system}/${f.workload}`).join(', ')} (see results.json)`);
  progress.done(`done in ${Math.round(report.wallSeconds)} s: ${join(o.outDir, 'results.json')}, ${o.docsFile}`);
  return failures.length > 0 ? 1 : 0;
}

/** The first line of `java -version` (which prints to stderr). */
function javaVersion(java: string): string {
  const r = spawnSync(java, ['-version'], { encoding: 'utf8' });
  return `${r.stderr}${r.stdout}`.split('\n')[0]?.trim() || 'java';
}

process.exitCode = await main(process.argv.slice(2));
